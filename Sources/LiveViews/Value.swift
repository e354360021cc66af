import Foundation

/// One typed column value of a source row.
///
/// Each case holds the value in the form it is compared in, so filters compare
/// without parsing: timestamps as instants, dates and times by value, exact
/// decimals exactly. Enum columns hold their value as `.string`; the column's
/// ``EnumType`` gives the order.
public enum Value: Sendable, Hashable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int64)
    case float(Double)
    /// An exact decimal (BigInt columns: int8 or numeric, never through Double).
    case decimal(ExactDecimal)
    /// Text, and the values of enum columns.
    case string(String)
    case uuid(UUID)
    /// An instant in microseconds since 1970-01-01 00:00:00 UTC.
    case timestamp(Int64)
    /// Days since 1970-01-01.
    case date(Int32)
    /// Microseconds since midnight.
    case time(Int64)
    /// A JSON document (JSON and Array columns), as compact JSON text.
    case json(String)

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Whether two values are the same for change detection: like `==`, but a
    /// NaN float equals a NaN float, so an unchanged NaN is not reported as changed.
    public func isSame(as other: Value) -> Bool {
        if case .float(let a) = self, case .float(let b) = other {
            return a == b || (a.isNaN && b.isNaN)
        }
        return self == other
    }

    public var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): String(value)
        case .integer(let value): String(value)
        case .float(let value): String(value)
        case .decimal(let value): value.description
        case .string(let value): value.debugDescription
        case .uuid(let value): value.uuidString.lowercased()
        case .timestamp(let value): "timestamp(\(value)µs)"
        case .date(let value): "date(\(value)d)"
        case .time(let value): "time(\(value)µs)"
        case .json(let value): value
        }
    }
}
