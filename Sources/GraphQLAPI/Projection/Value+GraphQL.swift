import Foundation
import GraphQL
import LiveViews
import OrderedCollections

extension LiveViews.Value {
    /// The value as GraphQLSwift's executor takes it for the generated schema's column fields
    /// (queries, trigger payloads, and the executor reference the ``Projection`` tests compare
    /// against). It shows the same JSON as ``Projection`` writes: Integer a number, Float a
    /// number or `null` when not finite, BigInt a string, String/UUID/enum a string, Timestamp
    /// `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`, Date `YYYY-MM-DD`, Time `HH:MM:SS[.ffffff]`, Boolean a
    /// boolean, JSON/Array the JSON value itself (object key order kept).
    public var graphQLMap: Map {
        switch self {
        case .null: return .null
        case .bool(let bool): return .bool(bool)
        case .integer(let integer): return .number(Number(integer))
        case .float(let double): return double.isFinite ? .number(Number(double)) : .null
        case .decimal(let decimal): return .string(decimal.description)
        case .string(let string): return .string(string)
        case .uuid(let uuid): return .string(uuid.uuidString.lowercased())
        case .timestamp(let micros): return .string(JSONWriter.text { JSONWriter.writeTimestamp(micros, to: &$0) })
        case .date(let days): return .string(JSONWriter.text { JSONWriter.writeDate(days: days, to: &$0) })
        case .time(let micros): return .string(JSONWriter.text { JSONWriter.writeTime(micros, to: &$0) })
        case .json(let text):
            // Ingest stores valid JSON; should a value ever not parse, show its text rather than fail the row.
            return (try? JSONMap.parse(text)) ?? .string(text)
        }
    }
}

extension Row {
    /// Column name → value, for the columns in `columns` (every column when `nil`).
    public func graphQLData(columns: ColumnSet? = nil) -> [String: Map] {
        var data: [String: Map] = [:]
        for (index, column) in schema.columns.enumerated() where columns?.contains(index) ?? true {
            data[column.name] = value(at: index).graphQLMap
        }
        return data
    }
}

extension RowUpdate {
    /// The event as upstream's `<source>Update` carries it (see ``Projection`` for what INSERT,
    /// UPDATE and DELETE carry), for GraphQLSwift's executor.
    public init(_ event: ViewEvent) {
        let schema = event.row.schema
        switch event.operation {
        case .insert:
            self.init(operation: .insert, data: event.row.graphQLData(), fields: schema.columns.map(\.name))
        case .delete:
            self.init(operation: .delete, data: event.row.graphQLData(), fields: schema.columns.map(\.name))
        case .update:
            let carried = ColumnSet(schema.primaryKey).union(event.changed)
            let changed = schema.columns.indices.filter { event.changed.contains($0) }.map { schema.columns[$0].name }
            self.init(operation: .update, data: event.row.graphQLData(columns: carried), fields: changed)
        }
    }
}

/// A small JSON parser into `Map` that keeps object key order (Foundation's does not), for
/// JSON and Array column values on the executor path. Depth is bounded; bad text throws.
enum JSONMap {
    struct SyntaxError: Error {}

    static let maximumDepth = 512

    static func parse(_ text: String) throws(SyntaxError) -> Map {
        var parser = Parser(bytes: Array(text.utf8))
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw SyntaxError() }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ literal: String) throws(SyntaxError) {
            for byte in literal.utf8 {
                guard index < bytes.count, bytes[index] == byte else { throw SyntaxError() }
                index += 1
            }
        }

        mutating func value(depth: Int) throws(SyntaxError) -> Map {
            guard depth <= JSONMap.maximumDepth, index < bytes.count else { throw SyntaxError() }
            switch bytes[index] {
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "["):
                index += 1
                var items: [Map] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard index < bytes.count else { throw SyntaxError() }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                    try expect(",")
                }
            case UInt8(ascii: "{"):
                index += 1
                var fields = OrderedDictionary<String, Map>()
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .dictionary(fields) }
                while true {
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw SyntaxError() }
                    let key = try string()
                    skipSpace()
                    try expect(":")
                    skipSpace()
                    fields[key] = try value(depth: depth + 1)
                    skipSpace()
                    guard index < bytes.count else { throw SyntaxError() }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; return .dictionary(fields) }
                    try expect(",")
                }
            default:
                return try number()
            }
        }

        mutating func number() throws(SyntaxError) -> Map {
            let start = index
            var integral = true
            while index < bytes.count, Self.isNumberByte(bytes[index]) {
                let byte = bytes[index]
                if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { integral = false }
                index += 1
            }
            guard index > start else { throw SyntaxError() }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if integral, let integer = Int64(text) { return .number(Number(integer)) }
            guard let double = Double(text), double.isFinite else { throw SyntaxError() }
            return .number(Number(double))
        }

        static func isNumberByte(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
                || byte == UInt8(ascii: "E")
        }

        mutating func string() throws(SyntaxError) -> String {
            index += 1  // the opening quote
            var runStart = index
            var result = ""
            while true {
                guard index < bytes.count else { throw SyntaxError() }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    result += String(decoding: bytes[runStart..<index], as: UTF8.self)
                    index += 1
                    return result
                }
                guard byte >= 0x20 else { throw SyntaxError() }
                if byte != UInt8(ascii: "\\") { index += 1; continue }
                result += String(decoding: bytes[runStart..<index], as: UTF8.self)
                index += 1
                guard index < bytes.count else { throw SyntaxError() }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): result += "\""
                case UInt8(ascii: "\\"): result += "\\"
                case UInt8(ascii: "/"): result += "/"
                case UInt8(ascii: "b"): result += "\u{08}"
                case UInt8(ascii: "f"): result += "\u{0C}"
                case UInt8(ascii: "n"): result += "\n"
                case UInt8(ascii: "r"): result += "\r"
                case UInt8(ascii: "t"): result += "\t"
                case UInt8(ascii: "u"):
                    var unit = try hex4()
                    if (0xD800..<0xDC00).contains(unit), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw SyntaxError() }
                        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(unit) else { throw SyntaxError() }
                    result.unicodeScalars.append(scalar)
                default: throw SyntaxError()
                }
                runStart = index
            }
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw SyntaxError() }
            var value: UInt32 = 0
            for byte in bytes[index..<index + 4] {
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw SyntaxError()
                }
                value = value << 4 | UInt32(digit)
            }
            index += 4
            return value
        }
    }
}
