import LiveViews

/// One source as ingest sees it: its schema and the database object it reads.
public struct IngestSource: Sendable, Hashable {
    public var schema: SourceSchema
    /// The Materialize object (view, materialized view, table, source) to subscribe to.
    /// Dots separate schema and database qualifiers: `analytics.public.trades`.
    public var object: String

    public init(schema: SourceSchema, object: String? = nil) {
        self.schema = schema
        self.object = object ?? schema.name
    }
}
