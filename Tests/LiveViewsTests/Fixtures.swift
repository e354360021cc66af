import Foundation
@testable import LiveViews

/// Schemas and helpers shared by the LiveViews tests.
enum Fixtures {
    static let level = EnumType(name: "Level", values: ["low", "mid", "high"])

    /// Every column type, with a composite key (region, id).
    static let wide = try! SourceSchema(
        name: "wide",
        columns: [
            .init(name: "region", type: .string),
            .init(name: "id", type: .integer),
            .init(name: "price", type: .float),
            .init(name: "total", type: .bigInt),
            .init(name: "note", type: .string),
            .init(name: "ref", type: .uuid),
            .init(name: "at", type: .timestamp),
            .init(name: "day", type: .date),
            .init(name: "clock", type: .time),
            .init(name: "active", type: .boolean),
            .init(name: "meta", type: .json),
            .init(name: "tags", type: .array),
            .init(name: "level", type: .enumeration(level)),
        ],
        primaryKey: ["region", "id"])

    /// A small source keyed by `id`: (id Integer, group Integer, name String, score Integer).
    static let small = try! SourceSchema(
        name: "small",
        columns: [
            .init(name: "id", type: .integer),
            .init(name: "group", type: .integer),
            .init(name: "name", type: .string),
            .init(name: "score", type: .integer),
        ],
        primaryKey: ["id"])

    static func smallRow(_ id: Int64, group: Int64, name: String = "n", score: Int64 = 0) -> [Value] {
        [.integer(id), .integer(group), .string(name), .integer(score)]
    }

    static func filter(_ input: FilterInput, _ schema: SourceSchema = small) -> Filter {
        try! Filter(input, schema: schema)
    }

    /// `{column: {_eq: value}}`.
    static func eq(_ column: String, _ value: Int64) -> Filter {
        filter(.object([column: .object(["_eq": .int(value)])]))
    }
}
