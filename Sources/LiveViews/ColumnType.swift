/// The type of a source column, as declared in the schema file.
///
/// The names follow upstream tycostream's schema file (`Integer`, `Float`,
/// `BigInt`, `String`, `UUID`, `Timestamp`, `Date`, `Time`, `Boolean`, `JSON`,
/// `Array`, or the name of a declared enum).
public enum ColumnType: Sendable, Hashable, CustomStringConvertible {
    /// int2/int4/int8 values that fit in 64 bits, compared numerically.
    case integer
    /// float4/float8, compared numerically (NaN is never equal nor ordered).
    case float
    /// int8 or numeric values kept exactly (GraphQL carries them as strings).
    case bigInt
    case string
    case uuid
    /// An instant: microseconds since the Unix epoch, UTC.
    case timestamp
    case date
    case time
    case boolean
    case json
    case array
    /// A declared enum; its values compare by their declared order.
    case enumeration(EnumType)

    public var description: String {
        switch self {
        case .integer: "Integer"
        case .float: "Float"
        case .bigInt: "BigInt"
        case .string: "String"
        case .uuid: "UUID"
        case .timestamp: "Timestamp"
        case .date: "Date"
        case .time: "Time"
        case .boolean: "Boolean"
        case .json: "JSON"
        case .array: "Array"
        case .enumeration(let type): type.name
        }
    }
}

/// An enum declared in the schema file: a name and its values in declared order.
public struct EnumType: Sendable, Hashable {
    public let name: String
    public let values: [String]
    private let ordinals: [String: Int]

    public init(name: String, values: [String]) {
        self.name = name
        self.values = values
        var ordinals: [String: Int] = [:]
        for (index, value) in values.enumerated() where ordinals[value] == nil {
            ordinals[value] = index
        }
        self.ordinals = ordinals
    }

    /// The declared position of `value`, or `nil` when it is not one of the enum's values.
    public func ordinal(of value: String) -> Int? { ordinals[value] }

    public static func == (lhs: EnumType, rhs: EnumType) -> Bool {
        lhs.name == rhs.name && lhs.values == rhs.values
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(values)
    }
}
