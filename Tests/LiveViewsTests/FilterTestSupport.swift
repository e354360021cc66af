import Foundation
import LiveViews

/// Decodes filter inputs from JSON so tests read like the client's `where` argument.
private struct DecodedInput: Decodable {
    let input: FilterInput

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            input = .null
        } else if let value = try? container.decode(Bool.self) {
            input = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            input = .int(value)
        } else if let value = try? container.decode(Double.self) {
            input = .float(value)
        } else if let value = try? container.decode(String.self) {
            input = .string(value)
        } else if let value = try? container.decode([DecodedInput].self) {
            input = .list(value.map(\.input))
        } else {
            input = .object(try container.decode([String: DecodedInput].self).mapValues(\.input))
        }
    }
}

enum FilterFixture {
    static let rank = EnumType(name: "Rank", values: ["bronze", "silver", "gold", "platinum"])

    /// One column of every type.
    static let schema: SourceSchema = {
        let columns: [SourceSchema.Column] = [
            .init(name: "id", type: .integer),
            .init(name: "price", type: .float),
            .init(name: "big", type: .bigInt),
            .init(name: "name", type: .string),
            .init(name: "uid", type: .uuid),
            .init(name: "at", type: .timestamp),
            .init(name: "day", type: .date),
            .init(name: "clock", type: .time),
            .init(name: "active", type: .boolean),
            .init(name: "meta", type: .json),
            .init(name: "tags", type: .array),
            .init(name: "rank", type: .enumeration(rank)),
        ]
        return try! SourceSchema(name: "trades", columns: columns, primaryKey: ["id"])
    }()

    static func input(_ json: String) -> FilterInput {
        try! JSONDecoder().decode(DecodedInput.self, from: Data(json.utf8)).input
    }

    static func filter(_ json: String) throws(LiveViewsError) -> Filter {
        try Filter(input(json), schema: schema)
    }

    /// A row with the given columns set and every other column NULL.
    static func row(_ values: [String: Value]) -> [Value] {
        var row = [Value](repeating: .null, count: schema.columns.count)
        for (name, value) in values {
            row[schema.columnIndex(named: name)!] = value
        }
        return row
    }

    /// Whether the filter `json` matches a row with only `column` set to `value`.
    static func matches(_ json: String, _ column: String, _ value: Value) throws -> Bool {
        try filter(json).matches(row([column: value]))
    }

    /// The error compiling `json` throws, or nil.
    static func error(_ json: String) -> LiveViewsError? {
        do {
            _ = try filter(json)
            return nil
        } catch {
            return error
        }
    }
}
