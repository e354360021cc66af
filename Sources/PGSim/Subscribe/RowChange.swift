public import PGWire

/// One row-level change of a table, as whole rows in the table's column order.
///
/// An insert has no `before`, a delete no `after`, an update both. ``SubscribeStream`` turns a
/// change into Materialize's updates: a `-1` for `before` and a `+1` for `after`.
public struct RowChange: Sendable, Hashable {
    /// The row before the change; `nil` for an insert.
    public var before: [Datum]?
    /// The row after the change; `nil` for a delete.
    public var after: [Datum]?

    public init(before: [Datum]?, after: [Datum]?) {
        self.before = before
        self.after = after
    }

    public static func insert(_ row: [Datum]) -> RowChange { RowChange(before: nil, after: row) }
    public static func delete(_ row: [Datum]) -> RowChange { RowChange(before: row, after: nil) }
    public static func update(from before: [Datum], to after: [Datum]) -> RowChange { RowChange(before: before, after: after) }
}
