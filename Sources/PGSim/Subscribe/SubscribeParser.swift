/// A small recursive-descent parser for the `SUBSCRIBE` forms in ``SubscribeStatement``.
///
/// It tokenizes the whole statement first (so every error can name the offending token and its
/// 1-based character position, as Materialize's parser does in the `P` field) and never loops
/// without consuming a token, so any input ends in a statement or a thrown ``SimError``.
struct SubscribeParser {
    struct Token: Sendable {
        enum Kind: Sendable, Equatable {
            /// An identifier or keyword; unquoted words are lower-cased.
            case word(String, quoted: Bool)
            /// An unsigned integer or decimal literal, as written.
            case number(String)
            /// A single-quoted string literal, unescaped.
            case string(String)
            /// One of `( ) , = * ; .`
            case symbol(Character)
            case end
        }

        var kind: Kind
        /// 1-based character position in the statement.
        var position: Int
    }

    private var tokens: [Token]
    private var index = 0

    /// Words rendered as keywords (not `identifier "x"`) in error messages.
    private static let keywords: Set<String> = [
        "subscribe", "to", "select", "from", "envelope", "upsert", "key", "with", "snapshot", "progress",
        "as", "of", "at", "least", "copy", "stdout", "format", "binary", "text", "csv", "true", "false",
        "up", "debezium", "within", "where", "order", "by", "group", "limit", "join",
    ]

    init(_ sql: String) throws(SimError) {
        tokens = try Self.tokenize(sql)
    }

    // MARK: Grammar

    mutating func parseStatement() throws(SimError) -> SubscribeStatement {
        var statement: SubscribeStatement
        if peekKeyword("copy") {
            advance()
            try expectSymbol("(")
            statement = try parseSubscribe()
            try expectSymbol(")")
            try expectKeyword("to")
            guard peekKeyword("stdout") else {
                if case .end = peek.kind { throw unexpected("STDOUT") }
                throw SimError.unsupported("COPY (SUBSCRIBE …) can only be sent TO STDOUT", position: peek.position)
            }
            advance()
            statement.copy = try parseCopyOptions()
        } else {
            statement = try parseSubscribe()
        }
        if peekSymbol(";") { advance() }
        guard case .end = peek.kind else { throw unexpected("end of statement") }
        return statement
    }

    private mutating func parseSubscribe() throws(SimError) -> SubscribeStatement {
        try expectKeyword("subscribe")
        if peekKeyword("to") { advance() }
        var statement: SubscribeStatement
        if peekSymbol("(") {
            advance()
            statement = try parseSelect()
            try expectSymbol(")")
        } else {
            statement = SubscribeStatement(table: try parseObjectName())
        }
        var sawEnvelope = false
        var sawWith = false
        var sawAsOf = false
        while true {
            let token = peek
            if peekKeyword("envelope") {
                guard !sawEnvelope else { throw SimError.syntax("ENVELOPE specified more than once", position: token.position) }
                sawEnvelope = true
                advance()
                statement.upsertKey = try parseEnvelope()
            } else if peekKeyword("with") {
                guard !sawWith else { throw SimError.syntax("WITH specified more than once", position: token.position) }
                sawWith = true
                advance()
                try parseOptions(into: &statement)
            } else if peekKeyword("as") {
                guard !sawAsOf else { throw SimError.syntax("AS OF specified more than once", position: token.position) }
                sawAsOf = true
                advance()
                statement.asOf = try parseAsOf()
            } else if peekKeyword("up") {
                throw SimError.unsupported("SUBSCRIBE … UP TO is not supported by the simulator; cancel the subscribe instead", position: token.position)
            } else if peekKeyword("within") {
                throw SimError.unsupported("SUBSCRIBE … WITHIN TIMESTAMP ORDER BY is not supported by the simulator", position: token.position)
            } else {
                return statement
            }
        }
    }

    /// `SELECT * | col, … FROM name` — just a projection, no expressions or clauses.
    private mutating func parseSelect() throws(SimError) -> SubscribeStatement {
        try expectKeyword("select")
        var columns: [String]?
        if peekSymbol("*") {
            advance()
        } else {
            var names: [String] = []
            repeat {
                if !names.isEmpty { advance() }  // the comma
                let token = peek
                guard case .word(let name, let quoted) = token.kind, quoted || !Self.keywords.contains(name) else {
                    if case .number = token.kind { throw projectionOnly(token) }
                    if case .string = token.kind { throw projectionOnly(token) }
                    throw unexpected("a column name or *")
                }
                advance()
                if peekSymbol("(") || peekSymbol(".") || peekKeyword("as") || (isWord(peek) && !peekKeyword("from")) {
                    throw projectionOnly(peek)
                }
                names.append(name)
            } while peekSymbol(",")
            columns = names
        }
        guard peekKeyword("from") else {
            if case .end = peek.kind { throw unexpected("FROM") }
            if peekSymbol(")") { throw SimError.unsupported("SUBSCRIBE (SELECT …) needs FROM <table> in the simulator", position: peek.position) }
            throw projectionOnly(peek)
        }
        advance()
        let statement = SubscribeStatement(table: try parseObjectName(), columns: columns)
        guard peekSymbol(")") else {
            if case .end = peek.kind { throw unexpected(")") }
            throw SimError.unsupported(
                "the simulator supports only SELECT <columns> FROM <table> inside SUBSCRIBE (no WHERE, JOIN, ORDER BY…)",
                position: peek.position)
        }
        return statement
    }

    private func projectionOnly(_ token: Token) -> SimError {
        SimError.unsupported(
            "the simulator supports only plain column names in SUBSCRIBE (SELECT …), not expressions or aliases",
            position: token.position)
    }

    /// `name`, `schema.name` or `database.schema.name`; only `materialize.public` qualifies.
    private mutating func parseObjectName() throws(SimError) -> String {
        var parts: [(name: String, position: Int)] = []
        repeat {
            if !parts.isEmpty { advance() }  // the dot
            let token = peek
            guard case .word(let name, _) = token.kind else { throw unexpected("a table name") }
            advance()
            parts.append((name, token.position))
        } while peekSymbol(".") && parts.count < 3
        if peekSymbol(".") { throw SimError.syntax("a table name has at most three parts", position: peek.position) }
        let qualifiers = parts.dropLast().map(\.name)
        let expected = ["materialize", "public"].suffix(qualifiers.count)
        guard qualifiers == Array(expected) else {
            throw SimError(
                .undefinedTable, sqlState: "3F000",
                "unknown schema '\(qualifiers.joined(separator: "."))'; the simulator has only materialize.public",
                position: parts[0].position)
        }
        return parts[parts.count - 1].name
    }

    /// After `ENVELOPE`: `UPSERT (KEY (a, b))`.
    private mutating func parseEnvelope() throws(SimError) -> [String] {
        if peekKeyword("debezium") {
            throw SimError.unsupported("ENVELOPE DEBEZIUM is not supported by the simulator; use ENVELOPE UPSERT", position: peek.position)
        }
        try expectKeyword("upsert")
        try expectSymbol("(")
        try expectKeyword("key")
        try expectSymbol("(")
        var names: [String] = []
        repeat {
            if !names.isEmpty { advance() }
            guard case .word(let name, _) = peek.kind else { throw unexpected("a key column name") }
            advance()
            names.append(name)
        } while peekSymbol(",")
        try expectSymbol(")")
        try expectSymbol(")")
        return names
    }

    /// After `WITH`: `(SNAPSHOT [= bool], PROGRESS [= bool])` in any order.
    private mutating func parseOptions(into statement: inout SubscribeStatement) throws(SimError) {
        try expectSymbol("(")
        var seen: Set<String> = []
        repeat {
            if !seen.isEmpty { advance() }
            let token = peek
            guard case .word(let name, false) = token.kind, name == "snapshot" || name == "progress" else {
                throw unexpected("one of PROGRESS or SNAPSHOT")
            }
            guard seen.insert(name).inserted else {
                throw SimError.syntax("\(name.uppercased()) specified more than once", position: token.position)
            }
            advance()
            var value = true
            if peekSymbol("=") {
                advance()
                value = try parseBool()
            } else if !peekSymbol(","), !peekSymbol(")") {
                value = try parseBool()
            }
            if name == "snapshot" { statement.snapshot = value } else { statement.progress = value }
        } while peekSymbol(",")
        try expectSymbol(")")
    }

    private mutating func parseBool() throws(SimError) -> Bool {
        let word: String
        switch peek.kind {
        case .word(let name, false): word = name
        case .string(let text): word = text.lowercased()
        default: throw unexpected("true or false")
        }
        switch word {
        case "true", "on": advance(); return true
        case "false", "off": advance(); return false
        default: throw unexpected("true or false")
        }
    }

    /// After `AS`: `OF [AT LEAST] <integer>`.
    private mutating func parseAsOf() throws(SimError) -> SubscribeStatement.AsOf {
        try expectKeyword("of")
        var atLeast = false
        if peekKeyword("at") {
            advance()
            try expectKeyword("least")
            atLeast = true
        }
        let token = peek
        guard case .number(let digits) = token.kind else {
            if case .end = token.kind { throw unexpected("a timestamp") }
            throw SimError.unsupported(
                "the simulator accepts only an integer (milliseconds since the Unix epoch) after AS OF",
                position: token.position)
        }
        guard let value = UInt64(digits) else {
            throw SimError(
                .invalidValue, sqlState: "22003",
                "AS OF \(digits) is not a valid timestamp; use an integer between 0 and \(UInt64.max)",
                position: token.position)
        }
        advance()
        return atLeast ? .atLeast(value) : .exactly(value)
    }

    /// After `TO STDOUT`: `[WITH] [(FORMAT TEXT|BINARY)]`.
    private mutating func parseCopyOptions() throws(SimError) -> SubscribeStatement.CopyFormatKind {
        let sawWith = peekKeyword("with")
        if sawWith { advance() }
        guard peekSymbol("(") else {
            if sawWith { throw unexpected("(") }
            return .text
        }
        advance()
        var format: SubscribeStatement.CopyFormatKind?
        repeat {
            if format != nil { advance() }
            let token = peek
            guard case .word(let option, false) = token.kind else { throw unexpected("FORMAT") }
            guard option == "format" else {
                throw SimError.unsupported(
                    "COPY TO STDOUT option \(option.uppercased()) is not supported; only FORMAT TEXT or FORMAT BINARY",
                    position: token.position)
            }
            guard format == nil else { throw SimError.syntax("FORMAT specified more than once", position: token.position) }
            advance()
            if peekSymbol("=") { advance() }
            let value = peek
            let name: String
            switch value.kind {
            case .word(let word, _): name = word.lowercased()
            case .string(let text): name = text.lowercased()
            default: throw unexpected("TEXT, BINARY or CSV")
            }
            switch name {
            case "text": format = .text
            case "binary": format = .binary
            case "csv":
                throw SimError.unsupported("COPY … (FORMAT CSV) is not supported by the simulator; use TEXT or BINARY", position: value.position)
            default: throw unexpected("TEXT, BINARY or CSV")
            }
            advance()
        } while peekSymbol(",")
        try expectSymbol(")")
        return format ?? .text
    }

    // MARK: Token helpers

    private var peek: Token { tokens[index] }

    private mutating func advance() {
        if index < tokens.count - 1 { index += 1 }
    }

    private func peekKeyword(_ keyword: String) -> Bool {
        if case .word(keyword, false) = peek.kind { return true }
        return false
    }

    private func peekSymbol(_ symbol: Character) -> Bool {
        if case .symbol(symbol) = peek.kind { return true }
        return false
    }

    private func isWord(_ token: Token) -> Bool {
        if case .word = token.kind { return true }
        return false
    }

    private mutating func expectKeyword(_ keyword: String) throws(SimError) {
        guard peekKeyword(keyword) else { throw unexpected(keyword.uppercased()) }
        advance()
    }

    private mutating func expectSymbol(_ symbol: Character) throws(SimError) {
        guard peekSymbol(symbol) else { throw unexpected(String(symbol)) }
        advance()
    }

    /// `Expected X, found Y` at the current token, in Materialize's parser wording.
    private func unexpected(_ expected: String) -> SimError {
        SimError.syntax("Expected \(expected), found \(Self.describe(peek))", position: peek.position)
    }

    static func describe(_ token: Token) -> String {
        switch token.kind {
        case .word(let word, let quoted):
            if !quoted, keywords.contains(word) { return word.uppercased() }
            return "identifier \"\(word)\""
        case .number(let digits): return "number \"\(digits)\""
        case .string(let text): return "string literal \"\(text)\""
        case .symbol(let symbol): return String(symbol)
        case .end: return "end of statement"
        }
    }

    // MARK: Tokenizer

    static func tokenize(_ sql: String) throws(SimError) -> [Token] {
        let scalars = Array(sql.unicodeScalars)
        var tokens: [Token] = []
        var i = 0
        func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" || c.value >= 0x80
        }
        func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
        while i < scalars.count {
            let c = scalars[i]
            let position = i + 1
            if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" {
                i += 1
            } else if c == "-", i + 1 < scalars.count, scalars[i + 1] == "-" {
                while i < scalars.count, scalars[i] != "\n" { i += 1 }
            } else if c == "/", i + 1 < scalars.count, scalars[i + 1] == "*" {
                i += 2
                while i < scalars.count, !(scalars[i] == "*" && i + 1 < scalars.count && scalars[i + 1] == "/") { i += 1 }
                guard i < scalars.count else { throw SimError.syntax("unterminated /* comment", position: position) }
                i += 2
            } else if isIdentifierStart(c) {
                var word = String.UnicodeScalarView()
                while i < scalars.count, isIdentifierStart(scalars[i]) || isDigit(scalars[i]) || scalars[i] == "$" {
                    word.append(scalars[i])
                    i += 1
                }
                tokens.append(Token(kind: .word(String(word).lowercased(), quoted: false), position: position))
            } else if c == "\"" || c == "'" {
                var text = String.UnicodeScalarView()
                i += 1
                var closed = false
                while i < scalars.count {
                    if scalars[i] == c {
                        if i + 1 < scalars.count, scalars[i + 1] == c {
                            text.append(c)
                            i += 2
                            continue
                        }
                        i += 1
                        closed = true
                        break
                    }
                    text.append(scalars[i])
                    i += 1
                }
                guard closed else {
                    throw SimError.syntax(c == "\"" ? "unterminated quoted identifier" : "unterminated quoted string", position: position)
                }
                if c == "\"" {
                    guard !text.isEmpty else { throw SimError.syntax("zero-length delimited identifier", position: position) }
                    tokens.append(Token(kind: .word(String(text), quoted: true), position: position))
                } else {
                    tokens.append(Token(kind: .string(String(text)), position: position))
                }
            } else if isDigit(c) {
                var digits = String.UnicodeScalarView()
                while i < scalars.count, isDigit(scalars[i]) || scalars[i] == "." {
                    digits.append(scalars[i])
                    i += 1
                }
                if i < scalars.count, isIdentifierStart(scalars[i]) {
                    throw SimError.syntax("trailing junk after numeric literal", position: position)
                }
                tokens.append(Token(kind: .number(String(digits)), position: position))
            } else if "(),=*;.".unicodeScalars.contains(c) {
                tokens.append(Token(kind: .symbol(Character(c)), position: position))
                i += 1
            } else {
                throw SimError.syntax("unexpected character \"\(Character(c))\"", position: position)
            }
        }
        tokens.append(Token(kind: .end, position: scalars.count + 1))
        return tokens
    }
}
