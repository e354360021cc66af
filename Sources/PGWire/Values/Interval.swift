/// A PostgreSQL `interval`: months, days and microseconds kept apart, as the server stores them
/// (a month is not a fixed number of days, nor a day a fixed number of seconds across DST).
/// Binary layout (`interval_send`): Int64 microseconds, Int32 days, Int32 months.
public struct Interval: Sendable, Hashable, CustomStringConvertible {
    public var months: Int32
    public var days: Int32
    public var microseconds: Int64

    public init(months: Int32 = 0, days: Int32 = 0, microseconds: Int64 = 0) {
        self.months = months
        self.days = days
        self.microseconds = microseconds
    }

    /// Materialize's text form (see ``Datum/textBytes()``).
    public var description: String {
        String(decoding: Datum.interval(self).textBytes() ?? [], as: UTF8.self)
    }
}
