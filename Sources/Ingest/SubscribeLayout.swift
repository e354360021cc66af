import LiveViews
import PGWire

/// Where each schema column sits in the COPY rows of `SUBSCRIBE … ENVELOPE UPSERT … WITH (PROGRESS)`.
///
/// Materialize's layout (protocol notes §2): `mz_timestamp`, `mz_progressed`, `mz_state`,
/// the key columns in KEY-clause order, then the remaining selected columns in SELECT
/// order. We select the schema's columns in schema order and key by the primary key, so
/// the layout follows from the schema; the CopyOutResponse's column count checks it.
struct SubscribeLayout: Sendable {
    static let metadataColumns = 3

    let source: String
    /// For each schema column, its field index in a COPY row.
    let fieldOfColumn: [Int]
    /// For each primary key column (in key order), its field index.
    let keyFields: [Int]
    let decoders: [ColumnDecoder]
    let columnNames: [String]
    let keyColumns: [Int]
    let fieldCount: Int

    init(_ source: IngestSource, format: CopyFormat) throws(IngestError) {
        let schema = source.schema
        self.source = schema.name
        let expected = Self.metadataColumns + schema.columns.count
        guard format.format == .text else {
            throw IngestError(
                .layoutMismatch, source: schema.name,
                "the SUBSCRIBE stream is in binary format; tycostream requests text")
        }
        guard format.columnFormats.count == expected else {
            throw IngestError(
                .layoutMismatch, source: schema.name,
                "the SUBSCRIBE stream has \(format.columnFormats.count) columns, expected \(expected) (mz_timestamp, mz_progressed, mz_state and the \(schema.columns.count) columns of the schema); check the object '\(source.object)'")
        }
        var fieldOfColumn = Array(repeating: -1, count: schema.columns.count)
        var next = Self.metadataColumns
        for column in schema.primaryKey {
            fieldOfColumn[column] = next
            next += 1
        }
        for column in schema.columns.indices where !schema.primaryKey.contains(column) {
            fieldOfColumn[column] = next
            next += 1
        }
        self.fieldOfColumn = fieldOfColumn
        self.keyFields = schema.primaryKey.map { fieldOfColumn[$0] }
        self.keyColumns = schema.primaryKey
        self.decoders = schema.columns.map { ColumnDecoder(type: $0.type) }
        self.columnNames = schema.columns.map(\.name)
        self.fieldCount = expected
    }
}
