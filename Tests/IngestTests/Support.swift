@testable import Ingest
import LiveViews
import PGWire

/// Schemas shared by the ingest tests.
enum TestSources {
    /// `kv(key int, value text)` keyed by `key`, like the notes' F3 fixture.
    static let kv = IngestSource(schema: try! SourceSchema(
        name: "kv", columns: [.init(name: "value", type: .string), .init(name: "key", type: .integer)],
        primaryKey: ["key"]))

    static let rank = EnumType(name: "rank", values: ["bronze", "silver", "gold"])

    /// A composite key and one column of each type.
    static let wide = IngestSource(
        schema: try! SourceSchema(
            name: "wide",
            columns: [
                .init(name: "region", type: .string), .init(name: "id", type: .integer),
                .init(name: "price", type: .float), .init(name: "total", type: .bigInt),
                .init(name: "at", type: .timestamp), .init(name: "day", type: .date), .init(name: "clock", type: .time),
                .init(name: "uid", type: .uuid), .init(name: "active", type: .boolean), .init(name: "doc", type: .json),
                .init(name: "tags", type: .array), .init(name: "rank", type: .enumeration(rank)),
            ],
            primaryKey: ["id", "region"]),
        object: "analytics.public.\"Wide Table\"")

    static func format(_ source: IngestSource) -> CopyFormat {
        let count = SubscribeLayout.metadataColumns + source.schema.columns.count
        return CopyFormat(format: .text, columnFormats: Array(repeating: .text, count: count))
    }

    static func row(_ text: String) throws -> CopyTextRow {
        try CopyTextRow(Array(text.utf8))
    }
}
