import LiveViews

/// One source of the schema file: what LiveViews needs (its ``SourceSchema``) plus what ingest
/// needs (the database object to `SUBSCRIBE` to).
public struct SourceDefinition: Sendable, Hashable {
    /// Columns in file order and the primary key (composite keys allowed).
    public let schema: SourceSchema
    /// The database object (view, table, any SELECT-able name) to subscribe to. Our addition to
    /// upstream's format (`object:`); defaults to the source name. Ingest quotes it.
    public let object: String
    /// The 1-based line of the source's declaration in the schema file, for later diagnostics.
    public let line: Int

    public init(schema: SourceSchema, object: String, line: Int = 0) {
        self.schema = schema
        self.object = object
        self.line = line
    }

    /// The source name: the GraphQL subscription field and object type name.
    public var name: String { schema.name }

    /// The enums used by this source's columns, in column order, each once.
    public var enums: [EnumType] {
        var seen = Set<String>()
        var result: [EnumType] = []
        for column in schema.columns {
            if case .enumeration(let type) = column.type, seen.insert(type.name).inserted {
                result.append(type)
            }
        }
        return result
    }
}
