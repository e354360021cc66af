import Foundation
import LiveViews
import PGClient
import PGWire

/// Renders typed values as JSON text for `tycostream query`.
///
/// Numbers stay numbers (numeric keeps every digit: JSON numbers are exact
/// text), json/jsonb are embedded as JSON, arrays become JSON arrays, and
/// values JSON has no form for (dates, intervals, NaN, bytea) are strings in
/// the server's text format.
enum JSONText {
    static func string(_ value: String) -> String {
        var bytes: [UInt8] = []
        JSONWriter.writeString(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func array(_ elements: [String]) -> String {
        "[" + elements.joined(separator: ",") + "]"
    }

    static func value(_ datum: Datum) -> String {
        switch datum {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int16(let value): return String(value)
        case .int32(let value): return String(value)
        case .int64(let value): return String(value)
        case .float32(let value): return value.isFinite ? String(value) : string(String(value))
        case .float64(let value): return value.isFinite ? String(value) : string(String(value))
        case .numeric(let value):
            let text = value.description
            return text.first.map { $0.isNumber || $0 == "-" } == true && text != "-Infinity" ? text : string(text)
        case .text(let value): return string(value)
        case .uuid(let value): return string(value.uuidString.lowercased())
        case .json(let text), .jsonb(let text): return text
        case .array(let array): return self.array(array.elements.map(value))
        case .mzTimestamp(let value): return String(value)
        case .other(_, let text): return string(text)
        case .date, .time, .timetz, .timestamp, .timestamptz, .interval, .bytea, .raw:
            return string(datum.textBytes().map { String(decoding: $0, as: UTF8.self) } ?? "")
        }
    }

    static func row(_ row: DataRow, columns: [RowDescription.Column]) throws -> String {
        var values: [String] = []
        values.reserveCapacity(columns.count)
        for (index, bytes) in row.enumerated() {
            let column = columns[index]
            values.append(value(try Datum(bytes, format: column.format, type: column.dataType)))
        }
        return array(values)
    }

    static func copyTextRow(_ row: CopyTextRow, types: [TypeOID]?) throws -> String {
        var values: [String] = []
        for index in 0..<row.count {
            if let types, index < types.count {
                values.append(value(try row.decode(index, as: types[index])))
            } else if let field = row.field(index) {
                values.append(string(String(decoding: field, as: UTF8.self)))
            } else {
                values.append("null")
            }
        }
        return array(values)
    }

    static func copyBinaryRow(_ row: CopyBinaryRow, types: [TypeOID]?) throws -> String {
        var values: [String] = []
        for index in 0..<row.count {
            if let types, index < types.count {
                values.append(value(try row.decode(index, as: types[index])))
            } else if let field = row.field(index) {
                values.append(string("\\x" + field.map { String($0, radix: 16).leftPadded(2) }.joined()))
            } else {
                values.append("null")
            }
        }
        return array(values)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
