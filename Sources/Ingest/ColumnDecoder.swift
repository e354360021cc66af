import Foundation
import LiveViews
import PGWire

/// Turns one COPY text field into the typed `Value` its schema column declares.
///
/// The schema file, not the COPY stream, gives the types (COPY OUT carries no type
/// OIDs). Integers, booleans and strings, the bulk of most rows, are parsed straight
/// from the bytes; the rest go through PGWire's `Datum` text decoders, which accept
/// both PostgreSQL's and Materialize's text forms.
struct ColumnDecoder: Sendable {
    let type: ColumnType

    func decode(_ bytes: ArraySlice<UInt8>) -> Value? {
        switch type {
        case .integer:
            return Self.parseInteger(bytes).map(Value.integer)
        case .boolean:
            guard bytes.count == 1 else {
                let text = String(decoding: bytes, as: UTF8.self).lowercased()
                switch text {
                case "true", "t", "yes", "on", "1": return .bool(true)
                case "false", "f", "no", "off", "0": return .bool(false)
                default: return nil
                }
            }
            switch bytes.first {
            case UInt8(ascii: "t"): return .bool(true)
            case UInt8(ascii: "f"): return .bool(false)
            default: return nil
            }
        case .string:
            return .string(String(decoding: bytes, as: UTF8.self))
        case .enumeration(let enumType):
            let text = String(decoding: bytes, as: UTF8.self)
            return enumType.ordinal(of: text) == nil ? nil : .string(text)
        case .float:
            guard case .float64(let value)? = try? Datum(text: bytes, type: .float8) else { return nil }
            return .float(value)
        case .bigInt:
            return ExactDecimal(utf8: bytes).map(Value.decimal)
        case .uuid:
            guard case .uuid(let value)? = try? Datum(text: bytes, type: .uuid) else { return nil }
            return .uuid(value)
        case .timestamp:
            guard case .timestamptz(let value)? = try? Datum(text: bytes, type: .timestamptz) else { return nil }
            return .timestamp(value)
        case .date:
            guard case .date(let value)? = try? Datum(text: bytes, type: .date) else { return nil }
            return .date(value)
        case .time:
            guard case .time(let value)? = try? Datum(text: bytes, type: .time) else { return nil }
            return .time(value)
        case .json:
            return .json(String(decoding: bytes, as: UTF8.self))
        case .array:
            guard case .array(let array)? = try? Datum(text: bytes, type: .textArray) else { return nil }
            return .json(Self.json(array))
        }
    }

    /// A plain decimal integer (optional sign) that fits in 64 bits.
    static func parseInteger(_ bytes: ArraySlice<UInt8>) -> Int64? {
        var index = bytes.startIndex
        guard index < bytes.endIndex else { return nil }
        var negative = false
        if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
            guard index < bytes.endIndex else { return nil }
        }
        var magnitude: UInt64 = 0
        while index < bytes.endIndex {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            guard !o1, !o2 else { return nil }
            magnitude = sum
            index += 1
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// An array as JSON: numbers stay numbers, other elements become strings, NULL is null.
    static func json(_ array: ArrayValue) -> String {
        guard !array.dimensions.isEmpty else { return "[]" }
        var elements = array.elements[...]
        func render(_ dimension: Int) -> String {
            let length = array.dimensions[dimension].length
            var parts: [String] = []
            parts.reserveCapacity(length)
            for _ in 0..<length {
                if dimension + 1 < array.dimensions.count {
                    parts.append(render(dimension + 1))
                } else {
                    parts.append(element(elements.popFirst() ?? .null))
                }
            }
            return "[" + parts.joined(separator: ",") + "]"
        }
        return render(0)
    }

    private static func element(_ datum: Datum) -> String {
        switch datum {
        case .null: return "null"
        case .text(let text):
            if ExactDecimal(text) != nil, text.first != "+", !text.lowercased().contains("n"), !text.hasPrefix(".") {
                return text
            }
            return jsonString(text)
        default:
            return jsonString(datum.textBytes().map { String(decoding: $0, as: UTF8.self) } ?? "")
        }
    }

    static func jsonString(_ text: String) -> String {
        var bytes: [UInt8] = []
        JSONWriter.writeString(text, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
