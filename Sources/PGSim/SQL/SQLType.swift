public import PGWire

/// The column types the simulator's tables support, by name and OID.
///
/// Names follow PostgreSQL (https://www.postgresql.org/docs/current/datatype.html); the
/// `data_type` names are those `information_schema.columns` reports.
public enum SQLType {
    /// The OID for a type name as written in CREATE TABLE (words already lower-cased and joined by
    /// one space, e.g. `double precision`), or `nil` if unsupported.
    public static func oid(named name: String) -> TypeOID? {
        switch name {
        case "int2", "smallint": .int2
        case "int4", "int", "integer": .int4
        case "int8", "bigint": .int8
        case "text", "string": .text
        case "varchar", "character varying": .varchar
        case "char", "character", "bpchar": .bpchar
        case "bool", "boolean": .bool
        case "float4", "real": .float4
        case "float8", "float", "double precision", "double": .float8
        case "numeric", "decimal": .numeric
        case "uuid": .uuid
        case "date": .date
        case "time", "time without time zone": .time
        case "timestamp", "timestamp without time zone": .timestamp
        case "timestamptz", "timestamp with time zone": .timestamptz
        case "interval": .interval
        case "json": .json
        case "jsonb": .jsonb
        case "bytea": .bytea
        default: nil
        }
    }

    /// PostgreSQL's `information_schema.columns.data_type` (`ARRAY` for arrays, as PostgreSQL).
    public static func dataTypeName(_ type: TypeOID) -> String {
        if type.arrayElement != nil { return "ARRAY" }
        return baseName(type)
    }

    /// The name SHOW COLUMNS prints (`integer`, `text[]`…).
    public static func displayName(_ type: TypeOID) -> String {
        if let element = type.arrayElement { return baseName(element) + "[]" }
        return baseName(type)
    }

    private static func baseName(_ type: TypeOID) -> String {
        switch type {
        case .int2: "smallint"
        case .int4: "integer"
        case .int8: "bigint"
        case .text: "text"
        case .varchar: "character varying"
        case .bpchar: "character"
        case .bool: "boolean"
        case .float4: "real"
        case .float8: "double precision"
        case .numeric: "numeric"
        case .uuid: "uuid"
        case .date: "date"
        case .time: "time without time zone"
        case .timestamp: "timestamp without time zone"
        case .timestamptz: "timestamp with time zone"
        case .interval: "interval"
        case .json: "json"
        case .jsonb: "jsonb"
        case .bytea: "bytea"
        default: "unknown"
        }
    }

    /// `pg_type.typlen` for RowDescription: the fixed width, or -1 for variable-width types.
    public static func size(_ type: TypeOID) -> Int16 {
        switch type {
        case .bool: 1
        case .int2: 2
        case .int4, .float4, .date: 4
        case .int8, .float8, .time, .timestamp, .timestamptz: 8
        case .interval, .uuid: 16
        default: -1
        }
    }
}
