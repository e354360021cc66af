import LiveViews

/// Which database column types fit each schema-file type, and which schema-file type to
/// generate for a database column type.
///
/// The input is `information_schema.columns.data_type`, which PostgreSQL spells as in
/// https://www.postgresql.org/docs/current/infoschema-columns.html (`integer`, `character varying`,
/// `timestamp with time zone`, `ARRAY`, `USER-DEFINED`) and Materialize takes from
/// `mz_catalog.mz_columns.type` (https://materialize.com/docs/sql/system-catalog/mz_catalog/), which
/// spells arrays `integer[]`, lists `integer list`, and has unsigned `uint2/uint4/uint8`.
///
/// Leniency, on purpose:
/// - spellings are compared lower-cased, with type modifiers removed (`numeric(10,2)`,
///   `character varying(20)`, `timestamp(3) with time zone`) and the short aliases accepted
///   (`int4`, `float8`, `timestamptz`, `bool`, `varchar`, `bpchar`), since Materialize versions and
///   other wire-compatible servers differ in which they report;
/// - a wider schema type accepts a narrower integer column (`BigInt` ← `integer`), since every value fits;
/// - `Integer` accepts Materialize's unsigned integers, as it accepts `bigint`;
/// - an enum column accepts text columns and PostgreSQL's `USER-DEFINED` (a `CREATE TYPE … AS ENUM` column);
/// - `String` also accepts a type that has no schema type of its own (`interval`, `bytea`, `map[…]`…):
///   it is carried as its text form, which is also what ``SchemaGenerator`` writes for such a column,
///   so generated files always pass the check. The check reports it as a note, not a problem.
public enum SchemaTypeMapping {
    /// A database type with its modifiers removed, lower-cased, whitespace collapsed:
    /// `TIMESTAMP(3)  WITH TIME ZONE` → `timestamp with time zone`.
    public static func normalized(_ dataType: String) -> String {
        var result = ""
        var depth = 0
        var pendingSpace = false
        for character in dataType.lowercased() {
            switch character {
            case "(": depth += 1
            case ")": depth = max(0, depth - 1)
            case _ where depth > 0: continue
            case _ where character.isWhitespace: pendingSpace = !result.isEmpty
            default:
                if pendingSpace, character != "[" { result.append(" ") }
                pendingSpace = false
                result.append(character)
            }
        }
        return result
    }

    /// Whether a normalized spelling is an array (`ARRAY`, `integer[]`) or a Materialize list (`integer list`).
    static func isArray(_ normalized: String) -> Bool {
        normalized == "array" || normalized.hasSuffix("[]") || normalized == "list" || normalized.hasSuffix(" list")
    }

    private static let integers: Set<String> = ["smallint", "int2", "integer", "int", "int4", "bigint", "int8"]
    private static let unsignedIntegers: Set<String> = ["uint2", "uint4", "uint8"]
    private static let floats: Set<String> = ["real", "float4", "double precision", "float8", "double", "float"]
    private static let decimals: Set<String> = ["numeric", "decimal"]
    private static let texts: Set<String> = ["text", "character varying", "varchar", "character", "char", "bpchar", "name", "string"]
    private static let timestamps: Set<String> = [
        "timestamp with time zone", "timestamp without time zone", "timestamp", "timestamptz",
    ]
    private static let times: Set<String> = ["time without time zone", "time"]

    /// The accepted spellings for `type`, for messages (the canonical PostgreSQL names first).
    public static func acceptedDataTypes(for type: ColumnType) -> [String] {
        switch type {
        case .integer: ["smallint", "integer", "bigint", "uint2", "uint4", "uint8"]
        case .float: ["real", "double precision", "numeric"]
        case .bigInt: ["bigint", "numeric", "integer", "smallint", "uint2", "uint4", "uint8"]
        case .string: ["text", "character varying", "character", "name"]
        case .enumeration: ["text", "character varying", "character", "USER-DEFINED (a PostgreSQL enum)"]
        case .uuid: ["uuid"]
        case .timestamp: ["timestamp with time zone", "timestamp without time zone"]
        case .date: ["date"]
        case .time: ["time without time zone"]
        case .boolean: ["boolean"]
        case .json: ["json", "jsonb"]
        case .array: ["ARRAY (any element type)", "a Materialize list"]
        }
    }

    /// Whether a column whose `data_type` is `dataType` can be served as `type`.
    public static func accepts(_ type: ColumnType, dataType: String) -> Bool {
        let name = normalized(dataType)
        switch type {
        case .integer: return integers.contains(name) || unsignedIntegers.contains(name)
        case .float: return floats.contains(name) || decimals.contains(name)
        case .bigInt: return integers.contains(name) || unsignedIntegers.contains(name) || decimals.contains(name)
        case .string: return texts.contains(name) || generatedType(forNormalized: name) == nil
        case .enumeration: return texts.contains(name) || name == "user-defined"
        case .uuid: return name == "uuid"
        case .timestamp: return timestamps.contains(name)
        case .date: return name == "date"
        case .time: return times.contains(name)
        case .boolean: return name == "boolean" || name == "bool"
        case .json: return name == "json" || name == "jsonb"
        case .array: return isArray(name)
        }
    }

    /// Whether `dataType` is accepted as `String` only because it has no schema type of its own.
    public static func isCarriedAsText(_ dataType: String) -> Bool {
        let name = normalized(dataType)
        return !texts.contains(name) && generatedType(forNormalized: name) == nil
    }

    /// The schema type to write for a column of `dataType`, or `nil` when no schema type fits
    /// (the generator then writes `String` with a comment).
    ///
    /// Follows upstream's `scripts/generate-schema.sh`: `numeric` becomes `Float` (GraphQL clients
    /// read it as a number), `bigint` becomes `BigInt`, the unsigned `uint4`/`uint8` become `BigInt`
    /// since they do not fit GraphQL's 32-bit `Int`.
    public static func generatedType(forDataType dataType: String) -> ColumnType? {
        generatedType(forNormalized: normalized(dataType))
    }

    private static func generatedType(forNormalized name: String) -> ColumnType? {
        switch name {
        case "smallint", "int2", "integer", "int", "int4", "uint2": return .integer
        case "bigint", "int8", "uint4", "uint8": return .bigInt
        case _ where floats.contains(name) || decimals.contains(name): return .float
        case _ where texts.contains(name): return .string
        case "uuid": return .uuid
        case _ where timestamps.contains(name): return .timestamp
        case "date": return .date
        case _ where times.contains(name): return .time
        case "boolean", "bool": return .boolean
        case "json", "jsonb": return .json
        case _ where isArray(name): return .array
        default: return nil
        }
    }
}
