/// A PostgreSQL type OID, as in `pg_type.oid`.
///
/// The well-known OIDs are fixed across PostgreSQL versions and used by
/// Materialize for the same types (`src/pgrepr/src/oid.rs`).
public struct TypeOID: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    public static let bool = TypeOID(16)
    public static let bytea = TypeOID(17)
    public static let char = TypeOID(18)
    public static let name = TypeOID(19)
    public static let int8 = TypeOID(20)
    public static let int2 = TypeOID(21)
    public static let int4 = TypeOID(23)
    public static let text = TypeOID(25)
    public static let oid = TypeOID(26)
    public static let json = TypeOID(114)
    public static let float4 = TypeOID(700)
    public static let float8 = TypeOID(701)
    public static let unknown = TypeOID(705)
    public static let bpchar = TypeOID(1042)
    public static let varchar = TypeOID(1043)
    public static let date = TypeOID(1082)
    public static let time = TypeOID(1083)
    public static let timestamp = TypeOID(1114)
    public static let timestamptz = TypeOID(1184)
    public static let interval = TypeOID(1186)
    public static let timetz = TypeOID(1266)
    public static let numeric = TypeOID(1700)
    public static let uuid = TypeOID(2950)
    public static let jsonb = TypeOID(3802)
    /// Materialize's `mz_timestamp` type (`src/pgrepr/src/oid.rs`, TYPE_MZ_TIMESTAMP_OID).
    public static let mzTimestamp = TypeOID(16552)

    public static let boolArray = TypeOID(1000)
    public static let byteaArray = TypeOID(1001)
    public static let charArray = TypeOID(1002)
    public static let nameArray = TypeOID(1003)
    public static let int2Array = TypeOID(1005)
    public static let int4Array = TypeOID(1007)
    public static let textArray = TypeOID(1009)
    public static let bpcharArray = TypeOID(1014)
    public static let varcharArray = TypeOID(1015)
    public static let int8Array = TypeOID(1016)
    public static let float4Array = TypeOID(1021)
    public static let float8Array = TypeOID(1022)
    public static let timestampArray = TypeOID(1115)
    public static let dateArray = TypeOID(1182)
    public static let timeArray = TypeOID(1183)
    public static let timestamptzArray = TypeOID(1185)
    public static let intervalArray = TypeOID(1187)
    public static let numericArray = TypeOID(1231)
    public static let timetzArray = TypeOID(1270)
    public static let uuidArray = TypeOID(2951)
    public static let jsonArray = TypeOID(199)
    public static let jsonbArray = TypeOID(3807)

    /// The element type of an array type, or `nil` when this is not an array type we know.
    public var arrayElement: TypeOID? {
        switch self {
        case .boolArray: .bool
        case .byteaArray: .bytea
        case .charArray: .char
        case .nameArray: .name
        case .int2Array: .int2
        case .int4Array: .int4
        case .textArray: .text
        case .bpcharArray: .bpchar
        case .varcharArray: .varchar
        case .int8Array: .int8
        case .float4Array: .float4
        case .float8Array: .float8
        case .timestampArray: .timestamp
        case .dateArray: .date
        case .timeArray: .time
        case .timestamptzArray: .timestamptz
        case .intervalArray: .interval
        case .numericArray: .numeric
        case .timetzArray: .timetz
        case .uuidArray: .uuid
        case .jsonArray: .json
        case .jsonbArray: .jsonb
        default: nil
        }
    }

    /// The array type whose elements are of this type, if we know it.
    public var arrayType: TypeOID? {
        TypeOID.arrayTypes[self]
    }

    private static let arrayTypes: [TypeOID: TypeOID] = {
        let all: [TypeOID] = [
            .boolArray, .byteaArray, .charArray, .nameArray, .int2Array, .int4Array, .textArray,
            .bpcharArray, .varcharArray, .int8Array, .float4Array, .float8Array, .timestampArray,
            .dateArray, .timeArray, .timestamptzArray, .intervalArray, .numericArray, .timetzArray,
            .uuidArray, .jsonArray, .jsonbArray,
        ]
        var map: [TypeOID: TypeOID] = [:]
        for array in all { if let element = array.arrayElement { map[element] = array } }
        return map
    }()

    public var description: String { "oid \(rawValue)" }
}
