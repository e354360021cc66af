/// The lexical layer of the recording text: tokens, quoting and escapes (see `Fixtures/README.md`).
///
/// A token is a bare word, a `"quoted string"`, or `key=value` whose value is either. Quoted
/// strings hold bytes: `\t`, `\n`, `\r`, `\\`, `\"`, `\xHH` (any byte), and a backslash before any
/// other printable character stands for itself, so COPY's `\N` reads as `\N`. Everything works on
/// bytes, because payloads need not be UTF-8.
enum RecordingSyntax {
    struct Token: Sendable, Hashable {
        /// The part before `=`, if the token is `key=value`.
        var key: String?
        var value: [UInt8]
        /// Whether the value was quoted (a quoted `"NULL"` is a string, a bare `NULL` is not).
        var quoted: Bool

        var text: String { String(decoding: value, as: UTF8.self) }
    }

    /// Splits the rest of a line into tokens; the error says what is wrong, the caller adds the line.
    static func tokenize(_ line: ArraySlice<UInt8>) throws(CaptureError) -> [Token] {
        var tokens: [Token] = []
        var index = line.startIndex
        let end = line.endIndex
        while true {
            while index < end, isSpace(line[index]) { index += 1 }
            guard index < end else { return tokens }
            var key: String?
            if line[index] != UInt8(ascii: "\"") {
                // A bare word, or key= followed by a value.
                let start = index
                while index < end, !isSpace(line[index]), line[index] != UInt8(ascii: "="),
                    line[index] != UInt8(ascii: "\"")
                {
                    index += 1
                }
                if index < end, line[index] == UInt8(ascii: "=") {
                    guard index > start else { throw CaptureError(.syntax, "`=` without a key before it") }
                    key = String(decoding: line[start..<index], as: UTF8.self)
                    index += 1
                } else {
                    guard index == end || isSpace(line[index]) else {
                        throw CaptureError(.syntax, "a quote inside the bare word `\(String(decoding: line[start..<index], as: UTF8.self))`; quote the whole value")
                    }
                    tokens.append(Token(key: nil, value: Array(line[start..<index]), quoted: false))
                    continue
                }
            }
            if index < end, line[index] == UInt8(ascii: "\"") {
                let (value, next) = try unquote(line, from: index)
                index = next
                guard index == end || isSpace(line[index]) else {
                    throw CaptureError(.syntax, "text right after a closing quote; separate tokens with a space")
                }
                tokens.append(Token(key: key, value: value, quoted: true))
            } else {
                let start = index
                while index < end, !isSpace(line[index]) {
                    guard line[index] != UInt8(ascii: "\"") else {
                        throw CaptureError(.syntax, "a quote inside the value of `\(key ?? "")=`; quote the whole value")
                    }
                    index += 1
                }
                tokens.append(Token(key: key, value: Array(line[start..<index]), quoted: false))
            }
        }
    }

    /// Reads a quoted string starting at the opening quote; returns its bytes and the index after the closing quote.
    private static func unquote(_ line: ArraySlice<UInt8>, from start: Int) throws(CaptureError) -> ([UInt8], Int) {
        var out: [UInt8] = []
        var index = start + 1
        let end = line.endIndex
        while index < end {
            let byte = line[index]
            index += 1
            if byte == UInt8(ascii: "\"") { return (out, index) }
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                continue
            }
            guard index < end else { break }
            let escaped = line[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "x"):
                guard end - index >= 2, let high = hexValue(line[index]), let low = hexValue(line[index + 1]) else {
                    throw CaptureError(.syntax, "`\\x` must be followed by two hex digits")
                }
                out.append(high << 4 | low)
                index += 2
            default:
                // `\N` and friends: the backslash stands for itself.
                out.append(0x5C)
                out.append(escaped)
            }
        }
        throw CaptureError(.syntax, "a quoted string has no closing quote")
    }

    /// Renders bytes as a quoted string that ``tokenize(_:)`` reads back exactly.
    static func quote(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        let array = Array(bytes)
        var index = 0
        while index < array.count {
            let byte = array[index]
            switch byte {
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case UInt8(ascii: "\""): out += [0x5C, UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"):
                // A lone backslash is written bare when what follows cannot be read as an escape.
                let next = index + 1 < array.count ? array[index + 1] : nil
                if let next, next >= 0x20, next < 0x7F, !"tnrx\"\\".utf8.contains(next) {
                    out.append(0x5C)
                } else {
                    out += [0x5C, 0x5C]
                }
            case 0x20..<0x7F:
                out.append(byte)
            case 0x80...:
                let length = utf8SequenceLength(array, at: index)
                if length > 0 {
                    out.append(contentsOf: array[index..<index + length])
                    index += length
                    continue
                }
                out += hexEscape(byte)
            default:
                out += hexEscape(byte)
            }
            index += 1
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    /// A value as a bare word when that reads back the same, else quoted.
    static func word(_ value: String) -> String {
        let bytes = Array(value.utf8)
        let safe = !bytes.isEmpty && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
            && bytes.first != UInt8(ascii: "#")
        return safe ? value : quote(bytes)
    }

    /// A positional (not `key=`) value: like ``word(_:)`` but `=` forces quotes.
    static func positional(_ value: String) -> String {
        value.utf8.contains(UInt8(ascii: "=")) || value == "|" ? quote(Array(value.utf8)) : word(value)
    }

    /// Bytes as spaced upper-case hex pairs, for `raw` lines.
    static func hex(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        for byte in bytes {
            if !out.isEmpty { out.append(0x20) }
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses hex digits, ignoring spaces between pairs.
    static func parseHex(_ tokens: [Token]) throws(CaptureError) -> [UInt8] {
        var digits: [UInt8] = []
        for token in tokens {
            guard token.key == nil, !token.quoted else { throw CaptureError(.syntax, "raw bytes are hex digits, e.g. `raw 5A 00 00 00 05 49`") }
            for digit in token.value {
                guard let value = hexValue(digit) else {
                    throw CaptureError(.syntax, "`\(String(decoding: [digit], as: UTF8.self))` is not a hex digit in a raw line")
                }
                digits.append(value)
            }
        }
        guard digits.count % 2 == 0 else { throw CaptureError(.syntax, "raw bytes need an even number of hex digits") }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func hexEscape(_ byte: UInt8) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        return [0x5C, UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
    }

    /// The length of a valid, printable UTF-8 sequence at `index` (C1 controls excluded), or 0.
    private static func utf8SequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return 0
        }
        guard index + length <= bytes.count else { return 0 }
        guard let scalar = String(validating: bytes[index..<index + length], as: UTF8.self)?.unicodeScalars.first,
            !(0x80...0x9F).contains(scalar.value), scalar.value != 0x2028, scalar.value != 0x2029
        else { return 0 }
        return length
    }
}
