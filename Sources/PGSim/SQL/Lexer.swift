/// One token of the simulator's SQL, with the 1-based character position PostgreSQL reports in
/// an ErrorResponse's `P` field (https://www.postgresql.org/docs/current/protocol-error-fields.html).
struct Token: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// An unquoted identifier or keyword, lower-cased (PostgreSQL folds unquoted names).
        case word(String)
        /// A `"quoted"` identifier, kept as written (`""` unescaped).
        case quoted(String)
        /// A `'string'` literal (`''` unescaped; `E'…'` backslash escapes applied).
        case string(String)
        /// An unsigned number as written (`12`, `1.5`, `1e3`).
        case number(String)
        /// Punctuation or an operator: `( ) , ; . * = <> != < <= > >= :: [ ] + -`.
        case symbol(String)
    }

    var kind: Kind
    /// 1-based character position of the token's first character in the query string.
    var position: Int
    /// The UTF-8 byte range of the token in the query, used to hand a whole statement's text on.
    var range: Range<Int>

    /// The word if this is an unquoted identifier or keyword.
    var word: String? {
        if case .word(let word) = kind { return word }
        return nil
    }

    func isWord(_ word: String) -> Bool { self.word == word }

    func isSymbol(_ symbol: String) -> Bool {
        if case .symbol(let s) = kind { return s == symbol }
        return false
    }

    /// How the token is shown in a syntax error message.
    var display: String {
        switch kind {
        case .word(let w): w.uppercased()
        case .quoted(let q): "\"\(q)\""
        case .string(let s): "'\(s)'"
        case .number(let n): n
        case .symbol(let s): "\"\(s)\""
        }
    }
}

/// Splits a query string into ``Token``s.
///
/// A byte loop over the UTF-8 view, as PostgreSQL's scanner: queries come from the network, so an
/// unterminated string or quoted identifier is a 42601 error with a position, never a trap.
struct Lexer {
    static func tokenize(_ sql: String) throws(SimError) -> [Token] {
        let bytes = Array(sql.utf8)
        var tokens: [Token] = []
        var index = 0
        // Characters (not bytes) before `index`, for positions; advanced by `advance(to:)`.
        var characterCount = 0
        var countedUpTo = 0
        func position(of byteIndex: Int) -> Int {
            // Count UTF-8 lead bytes between the last counted index and this one.
            while countedUpTo < byteIndex {
                if bytes[countedUpTo] & 0xC0 != 0x80 { characterCount += 1 }
                countedUpTo += 1
            }
            return characterCount + 1
        }
        while index < bytes.count {
            let byte = bytes[index]
            let start = index
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D, 0x0C:
                index += 1
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                while index < bytes.count && bytes[index] != 0x0A { index += 1 }
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                index += 2
                var closed = false
                while index + 1 < bytes.count {
                    if bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/") {
                        index += 2
                        closed = true
                        break
                    }
                    index += 1
                }
                guard closed else { throw .syntax("unterminated /* comment", position: position(of: start)) }
            case UInt8(ascii: "'"):
                let (value, end) = try readQuoted(bytes, from: index, quote: UInt8(ascii: "'"), escapes: false, position: position(of: start))
                index = end
                tokens.append(Token(kind: .string(value), position: position(of: start), range: start..<end))
            case UInt8(ascii: "E") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "'"),
                UInt8(ascii: "e") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "'"):
                let (value, end) = try readQuoted(bytes, from: index + 1, quote: UInt8(ascii: "'"), escapes: true, position: position(of: start))
                index = end
                tokens.append(Token(kind: .string(value), position: position(of: start), range: start..<end))
            case UInt8(ascii: "\""):
                let (value, end) = try readQuoted(bytes, from: index, quote: UInt8(ascii: "\""), escapes: false, position: position(of: start))
                guard !value.isEmpty else { throw .syntax("zero-length delimited identifier", position: position(of: start)) }
                index = end
                tokens.append(Token(kind: .quoted(value), position: position(of: start), range: start..<end))
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                index = readNumber(bytes, from: index)
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                tokens.append(Token(kind: .number(text), position: position(of: start), range: start..<index))
            case UInt8(ascii: ".") where index + 1 < bytes.count && isDigit(bytes[index + 1]):
                index = readNumber(bytes, from: index)
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                tokens.append(Token(kind: .number(text), position: position(of: start), range: start..<index))
            default:
                if isIdentifierStart(byte) {
                    index += 1
                    while index < bytes.count && isIdentifierPart(bytes[index]) { index += 1 }
                    let text = String(decoding: bytes[start..<index], as: UTF8.self).lowercased()
                    tokens.append(Token(kind: .word(text), position: position(of: start), range: start..<index))
                    continue
                }
                let two = index + 1 < bytes.count ? String(decoding: bytes[index...index + 1], as: UTF8.self) : ""
                if ["<>", "!=", "<=", ">=", "::"].contains(two) {
                    index += 2
                    tokens.append(Token(kind: .symbol(two), position: position(of: start), range: start..<index))
                    continue
                }
                switch byte {
                case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "."),
                    UInt8(ascii: "*"), UInt8(ascii: "="), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "["),
                    UInt8(ascii: "]"), UInt8(ascii: "+"), UInt8(ascii: "-"):
                    index += 1
                    tokens.append(Token(kind: .symbol(String(UnicodeScalar(byte))), position: position(of: start), range: start..<index))
                default:
                    throw .syntax("syntax error at or near \"\(String(decoding: bytes[start..<min(start + 1, bytes.count)], as: UTF8.self))\"", position: position(of: start))
                }
            }
        }
        return tokens
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == UInt8(ascii: "_") || byte >= 0x80
    }

    private static func isIdentifierPart(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || isDigit(byte) || byte == UInt8(ascii: "$")
    }

    /// Digits, an optional fraction and an optional exponent.
    private static func readNumber(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count && (bytes[index] | 0x20) == UInt8(ascii: "e") {
            var look = index + 1
            if look < bytes.count && (bytes[look] == UInt8(ascii: "+") || bytes[look] == UInt8(ascii: "-")) { look += 1 }
            if look < bytes.count && isDigit(bytes[look]) {
                index = look
                while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            }
        }
        return index
    }

    /// Reads a quoted string or identifier starting at the opening quote; a doubled quote is one
    /// quote character. Returns the value and the index after the closing quote.
    private static func readQuoted(
        _ bytes: [UInt8], from start: Int, quote: UInt8, escapes: Bool, position: Int
    ) throws(SimError) -> (String, Int) {
        var out: [UInt8] = []
        var index = start + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == quote {
                if index + 1 < bytes.count && bytes[index + 1] == quote {
                    out.append(quote)
                    index += 2
                    continue
                }
                return (String(decoding: out, as: UTF8.self), index + 1)
            }
            if escapes && byte == UInt8(ascii: "\\") && index + 1 < bytes.count {
                let next = bytes[index + 1]
                switch next {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                default: out.append(next)
                }
                index += 2
                continue
            }
            out.append(byte)
            index += 1
        }
        let what = quote == UInt8(ascii: "'") ? "quoted string" : "quoted identifier"
        throw .syntax("unterminated \(what)", position: position)
    }
}
