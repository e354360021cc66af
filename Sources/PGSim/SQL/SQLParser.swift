import PGWire

/// A small hand-written parser for the SQL the simulator serves: enough DDL and DML to set up and
/// change tables, the introspection our clients run, and SUBSCRIBE (handed to
/// ``SubscribeStatement``).
///
/// Errors use PostgreSQL's SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html):
/// 42601 with the 1-based position of the offending token for syntax, 0A000 for valid SQL the
/// simulator does not implement. Input comes from the network, so every path ends in a value or
/// a thrown error; the parser only moves forward, so it cannot loop.
public struct SQLParser {
    private let tokens: [Token]
    private let utf8: [UInt8]
    private let endPosition: Int
    private var index = 0

    /// Parses a query string into its statements (separated by `;`); an empty query gives `[.empty]`.
    public static func parse(_ sql: String) throws(SimError) -> [Statement] {
        var parser = try SQLParser(sql)
        return try parser.parseAll()
    }

    init(_ sql: String) throws(SimError) {
        tokens = try Lexer.tokenize(sql)
        utf8 = Array(sql.utf8)
        endPosition = sql.count + 1
    }

    private mutating func parseAll() throws(SimError) -> [Statement] {
        var statements: [Statement] = []
        while index < tokens.count {
            if peek.isSymbol(";") {
                index += 1
                continue
            }
            statements.append(try parseStatement())
            if index < tokens.count {
                guard peek.isSymbol(";") else { throw unexpected() }
                index += 1
            }
        }
        return statements.isEmpty ? [.empty] : statements
    }

    // MARK: Token helpers

    private var peek: Token { tokens[index] }
    private var atEnd: Bool { index >= tokens.count || tokens[index].isSymbol(";") }

    private func unexpected() -> SimError {
        if index >= tokens.count { return .syntax("syntax error at end of input", position: endPosition) }
        let token = tokens[index]
        if token.isSymbol(";") { return .syntax("syntax error at or near \";\"", position: token.position) }
        return .syntax("syntax error at or near \(token.display)", position: token.position)
    }

    private mutating func accept(_ word: String) -> Bool {
        guard index < tokens.count, tokens[index].isWord(word) else { return false }
        index += 1
        return true
    }

    private mutating func acceptSymbol(_ symbol: String) -> Bool {
        guard index < tokens.count, tokens[index].isSymbol(symbol) else { return false }
        index += 1
        return true
    }

    private mutating func expect(_ word: String) throws(SimError) {
        guard accept(word) else { throw unexpected() }
    }

    private mutating func expectSymbol(_ symbol: String) throws(SimError) {
        guard acceptSymbol(symbol) else { throw unexpected() }
    }

    /// An identifier: an unquoted word (lower-cased) or a quoted one (kept).
    private mutating func identifier() throws(SimError) -> (name: String, position: Int) {
        guard index < tokens.count else { throw unexpected() }
        let token = tokens[index]
        switch token.kind {
        case .word(let w):
            index += 1
            return (w, token.position)
        case .quoted(let q):
            index += 1
            return (q, token.position)
        case .string, .number, .symbol:
            throw unexpected()
        }
    }

    /// `[database.][schema.]name`; `materialize` and `public` qualifiers are dropped.
    private mutating func qualifiedName() throws(SimError) -> (schema: String?, name: String, position: Int) {
        var parts = [try identifier()]
        while acceptSymbol(".") { parts.append(try identifier()) }
        guard parts.count <= 3 else {
            throw .syntax("improper qualified name (too many dotted names)", position: parts[0].position)
        }
        let name = parts[parts.count - 1]
        var schema: String? = parts.count >= 2 ? parts[parts.count - 2].name : nil
        if schema == "public" || schema == "materialize" { schema = nil }
        if parts.count == 3, parts[0].name != "materialize" {
            throw SimError(.undefinedTable, sqlState: "3D000", "unknown database '\(parts[0].name)'")
        }
        return (schema, name.name, parts[0].position)
    }

    // MARK: Statements

    private mutating func parseStatement() throws(SimError) -> Statement {
        let first = peek
        guard let keyword = first.word else { throw unexpected() }
        switch keyword {
        case "create": return try parseCreate()
        case "drop": return try parseDrop()
        case "insert": return try parseInsert()
        case "update": return try parseUpdate()
        case "delete": return try parseDelete()
        case "select": return try parseSelect()
        case "show": return try parseShow()
        case "set": return try parseSet()
        case "begin", "start":
            index += 1
            if keyword == "start" { try expect("transaction") } else { _ = accept("transaction") || accept("work") }
            try skipTransactionModes()
            return .transaction(.begin)
        case "commit", "end":
            index += 1
            _ = accept("transaction") || accept("work")
            return .transaction(.commit)
        case "rollback", "abort":
            index += 1
            _ = accept("transaction") || accept("work")
            return .transaction(.rollback)
        case "subscribe", "copy":
            return try parseSubscribe()
        case "alter", "grant", "revoke", "declare", "fetch", "close", "explain", "with", "values", "table",
            "prepare", "execute", "deallocate", "discard", "reset", "listen", "notify", "truncate":
            throw .unsupported("\(keyword.uppercased()) is not supported by the simulator", position: first.position)
        default:
            throw unexpected()
        }
    }

    /// `BEGIN ISOLATION LEVEL …`, `READ ONLY`…: accepted and ignored.
    private mutating func skipTransactionModes() throws(SimError) {
        while !atEnd {
            guard peek.word != nil || peek.isSymbol(",") else { throw unexpected() }
            index += 1
        }
    }

    private mutating func parseCreate() throws(SimError) -> Statement {
        index += 1
        guard accept("table") else {
            if index < tokens.count, let word = peek.word, ["view", "materialized", "source", "sink", "index", "cluster", "schema", "database", "role", "secret", "connection", "type"].contains(word) {
                throw .unsupported("CREATE \(word.uppercased()) is not supported by the simulator; use CREATE TABLE", position: peek.position)
            }
            throw unexpected()
        }
        var ifNotExists = false
        if accept("if") {
            try expect("not")
            try expect("exists")
            ifNotExists = true
        }
        let (schema, name, namePosition) = try qualifiedName()
        if let schema {
            throw SimError(.undefinedTable, sqlState: "3F000", "unknown schema '\(schema)'", position: namePosition)
        }
        try expectSymbol("(")
        var columns: [TableSchema.Column] = []
        var columnKeys: [Int] = []
        var tableKey: [(String, Int)]?
        repeat {
            if accept("primary") {
                let position = tokens[index - 1].position
                try expect("key")
                guard tableKey == nil else { throw SimError(.invalidStatement, sqlState: "42P16", "multiple primary keys for table \"\(name)\" are not allowed", position: position) }
                tableKey = try identifierList()
                continue
            }
            if index < tokens.count, peek.isWord("constraint") || peek.isWord("unique") || peek.isWord("foreign") || peek.isWord("check") {
                throw .unsupported("table constraints other than PRIMARY KEY are not supported by the simulator", position: peek.position)
            }
            let (columnName, columnPosition) = try identifier()
            guard !columns.contains(where: { $0.name == columnName }) else {
                throw SimError(.invalidStatement, sqlState: "42701", "column \"\(columnName)\" specified more than once", position: columnPosition)
            }
            let type = try dataType()
            var column = TableSchema.Column(name: columnName, type: type, notNull: false)
            while !atEnd && !peek.isSymbol(",") && !peek.isSymbol(")") {
                if accept("not") {
                    try expect("null")
                    column.notNull = true
                } else if accept("null") {
                    column.notNull = false
                } else if accept("primary") {
                    try expect("key")
                    column.notNull = true
                    columnKeys.append(columns.count)
                } else if accept("default") {
                    throw .unsupported("DEFAULT is not supported by the simulator", position: tokens[index - 1].position)
                } else {
                    throw unexpected()
                }
            }
            columns.append(column)
        } while acceptSymbol(",")
        try expectSymbol(")")
        var primaryKey = columnKeys
        if let tableKey {
            guard columnKeys.isEmpty else {
                throw SimError(.invalidStatement, sqlState: "42P16", "multiple primary keys for table \"\(name)\" are not allowed", position: namePosition)
            }
            primaryKey = []
            for (keyName, keyPosition) in tableKey {
                guard let keyIndex = columns.firstIndex(where: { $0.name == keyName }) else {
                    throw SimError(.undefinedColumn, sqlState: "42703", "column \"\(keyName)\" named in key does not exist", position: keyPosition)
                }
                guard !primaryKey.contains(keyIndex) else {
                    throw SimError(.invalidStatement, sqlState: "42701", "column \"\(keyName)\" appears twice in primary key constraint", position: keyPosition)
                }
                primaryKey.append(keyIndex)
                columns[keyIndex].notNull = true
            }
        }
        guard primaryKey.count <= 1 || tableKey != nil else {
            throw SimError(.invalidStatement, sqlState: "42P16", "multiple primary keys for table \"\(name)\" are not allowed", position: namePosition)
        }
        return .createTable(TableSchema(name: name, columns: columns, primaryKey: primaryKey), ifNotExists: ifNotExists)
    }

    /// `(a, b, …)` of identifiers with their positions.
    private mutating func identifierList() throws(SimError) -> [(String, Int)] {
        try expectSymbol("(")
        var names: [(String, Int)] = []
        repeat { names.append(try identifier()) } while acceptSymbol(",")
        try expectSymbol(")")
        return names
    }

    /// A type name: one or more words (`double precision`, `timestamp with time zone`), an optional
    /// `(n[, m])` modifier (ignored) and optional `[]`.
    private mutating func dataType() throws(SimError) -> TypeOID {
        let start = index
        guard index < tokens.count, var name = peek.word else { throw unexpected() }
        index += 1
        let multiWord: [String: [[String]]] = [
            "double": [["precision"]],
            "character": [["varying"]],
            "timestamp": [["with", "time", "zone"], ["without", "time", "zone"]],
            "time": [["with", "time", "zone"], ["without", "time", "zone"]],
        ]
        for tail in multiWord[name] ?? [] {
            let end = index + tail.count
            if end <= tokens.count, zip(tokens[index..<end], tail).allSatisfy({ $0.isWord($1) }) {
                name += " " + tail.joined(separator: " ")
                index = end
                break
            }
        }
        if acceptSymbol("(") {
            repeat {
                guard index < tokens.count, case .number = peek.kind else { throw unexpected() }
                index += 1
            } while acceptSymbol(",")
            try expectSymbol(")")
        }
        guard var type = SQLType.oid(named: name) else {
            if name == "time with time zone" || name == "timetz" {
                throw .unsupported("type \"\(name)\" is not supported by the simulator", position: tokens[start].position)
            }
            throw SimError(.invalidStatement, sqlState: "42704", "type \"\(name)\" does not exist", position: tokens[start].position)
        }
        if acceptSymbol("[") {
            try expectSymbol("]")
            guard let array = type.arrayType else {
                throw .unsupported("arrays of \(name) are not supported by the simulator", position: tokens[start].position)
            }
            type = array
        }
        return type
    }

    private mutating func parseDrop() throws(SimError) -> Statement {
        index += 1
        guard accept("table") else {
            if index < tokens.count, let word = peek.word {
                throw .unsupported("DROP \(word.uppercased()) is not supported by the simulator; use DROP TABLE", position: peek.position)
            }
            throw unexpected()
        }
        var ifExists = false
        if accept("if") {
            try expect("exists")
            ifExists = true
        }
        let (_, name, _) = try qualifiedName()
        _ = accept("cascade") || accept("restrict")
        return .dropTable(name, ifExists: ifExists)
    }

    private mutating func parseInsert() throws(SimError) -> Statement {
        index += 1
        try expect("into")
        let (_, table, _) = try qualifiedName()
        var columns: [String]?
        if index < tokens.count, peek.isSymbol("(") {
            columns = try identifierList().map(\.0)
        }
        guard accept("values") else {
            if index < tokens.count, peek.isWord("select") || peek.isWord("default") {
                throw .unsupported("INSERT … \(peek.display) is not supported by the simulator; use VALUES", position: peek.position)
            }
            throw unexpected()
        }
        var rows: [[Literal]] = []
        repeat {
            try expectSymbol("(")
            var row: [Literal] = []
            repeat { row.append(try literal()) } while acceptSymbol(",")
            try expectSymbol(")")
            rows.append(row)
        } while acceptSymbol(",")
        if accept("on") || accept("returning") {
            throw .unsupported("\(tokens[index - 1].display) is not supported by the simulator", position: tokens[index - 1].position)
        }
        return .insert(table: table, columns: columns, rows: rows)
    }

    private mutating func parseUpdate() throws(SimError) -> Statement {
        index += 1
        let (_, table, _) = try qualifiedName()
        try expect("set")
        var assignments: [Statement.Assignment] = []
        repeat {
            let (column, position) = try identifier()
            try expectSymbol("=")
            assignments.append(Statement.Assignment(column: column, value: try literal(), position: position))
        } while acceptSymbol(",")
        let conditions = try whereClause()
        return .update(table: table, assignments: assignments, conditions: conditions)
    }

    private mutating func parseDelete() throws(SimError) -> Statement {
        index += 1
        try expect("from")
        let (_, table, _) = try qualifiedName()
        return .delete(table: table, conditions: try whereClause())
    }

    /// `[WHERE cond [AND cond]…]`.
    private mutating func whereClause() throws(SimError) -> [Condition] {
        guard accept("where") else { return [] }
        var conditions: [Condition] = []
        repeat {
            let (column, position) = try identifier()
            if accept("is") {
                let not = accept("not")
                try expect("null")
                conditions.append(Condition(column: column, op: not ? .isNotNull : .isNull, value: nil, position: position))
                continue
            }
            guard index < tokens.count, case .symbol(let symbol) = peek.kind else {
                if index < tokens.count, let word = peek.word, ["like", "in", "between", "ilike", "not"].contains(word) {
                    throw .unsupported("\(word.uppercased()) is not supported by the simulator; use = <> < <= > >= or IS [NOT] NULL", position: peek.position)
                }
                throw unexpected()
            }
            let op: Condition.Operator
            switch symbol {
            case "=": op = .equal
            case "<>", "!=": op = .notEqual
            case "<": op = .less
            case "<=": op = .lessOrEqual
            case ">": op = .greater
            case ">=": op = .greaterOrEqual
            default: throw unexpected()
            }
            index += 1
            conditions.append(Condition(column: column, op: op, value: try literal(), position: position))
        } while accept("and")
        if index < tokens.count, peek.isWord("or") {
            throw .unsupported("OR is not supported by the simulator; join conditions with AND", position: peek.position)
        }
        return conditions
    }

    /// A literal: NULL, TRUE/FALSE, a signed number, a string, `ARRAY[…]`, optionally followed by
    /// a `::type` cast (accepted; the target column's type decides the conversion).
    private mutating func literal() throws(SimError) -> Literal {
        guard index < tokens.count else { throw unexpected() }
        let token = peek
        var result: Literal
        switch token.kind {
        case .word("null"):
            index += 1
            result = Literal(.null, position: token.position)
        case .word("true"):
            index += 1
            result = Literal(.bool(true), position: token.position)
        case .word("false"):
            index += 1
            result = Literal(.bool(false), position: token.position)
        case .word("array"):
            index += 1
            try expectSymbol("[")
            var elements: [String] = []
            if !acceptSymbol("]") {
                repeat {
                    // Refused before recursing, so `ARRAY[ARRAY[…` from the network cannot exhaust the stack.
                    if index < tokens.count, peek.isWord("array") {
                        throw .unsupported("nested arrays are not supported by the simulator", position: peek.position)
                    }
                    let element = try literal()
                    switch element.value {
                    case .null: elements.append("NULL")
                    case .array: throw .unsupported("nested arrays are not supported by the simulator", position: element.position)
                    case .bool, .number, .string: elements.append(Self.quoteArrayElement(element.text ?? ""))
                    }
                } while acceptSymbol(",")
                try expectSymbol("]")
            }
            result = Literal(.array("{" + elements.joined(separator: ",") + "}"), position: token.position)
        case .word(let word) where ["timestamp", "timestamptz", "date", "time", "uuid", "jsonb", "json", "interval", "numeric"].contains(word):
            // A typed literal: `DATE '2024-01-01'`.
            guard index + 1 < tokens.count, case .string(let s) = tokens[index + 1].kind else { throw unexpected() }
            index += 2
            result = Literal(.string(s), position: token.position)
        case .number(let n):
            index += 1
            result = Literal(.number(n), position: token.position)
        case .string(let s):
            index += 1
            result = Literal(.string(s), position: token.position)
        case .symbol("-"), .symbol("+"):
            index += 1
            guard index < tokens.count, case .number(let n) = peek.kind else { throw unexpected() }
            index += 1
            result = Literal(.number(token.isSymbol("-") ? "-" + n : n), position: token.position)
        case .word, .quoted, .symbol:
            if case .word = token.kind {
                throw .unsupported("expressions are not supported by the simulator; use a literal value", position: token.position)
            }
            throw unexpected()
        }
        while acceptSymbol("::") {
            _ = try dataType()
        }
        return result
    }

    /// Quotes an array element as PostgreSQL's array input expects.
    private static func quoteArrayElement(_ text: String) -> String {
        let needsQuotes = text.isEmpty || text.uppercased() == "NULL"
            || text.contains(where: { "{},\"\\ \t\n".contains($0) })
        guard needsQuotes else { return text }
        var out = "\""
        for character in text {
            if character == "\"" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out + "\""
    }

    private mutating func parseSelect() throws(SimError) -> Statement {
        index += 1
        // SELECT <literal>, … without FROM.
        if index < tokens.count, !peek.isSymbol("*"), isLiteralStart(peek) {
            var literals: [Literal] = []
            var names: [String?] = []
            repeat {
                literals.append(try literal())
                names.append(accept("as") ? try identifier().name : nil)
            } while acceptSymbol(",")
            if !atEnd, peek.isWord("from") {
                throw .unsupported("SELECT of literals FROM a relation is not supported by the simulator", position: peek.position)
            }
            return .selectLiterals(literals, names: names)
        }
        var columns: [String]?
        var columnPositions: [Int] = []
        if !acceptSymbol("*") {
            var names: [String] = []
            repeat {
                let (name, position) = try identifier()
                if index < tokens.count, peek.isSymbol("(") {
                    throw .unsupported("functions are not supported by the simulator", position: position)
                }
                // `t.col`: drop the qualifier.
                if acceptSymbol(".") {
                    let (column, columnPosition) = try identifier()
                    names.append(column)
                    columnPositions.append(columnPosition)
                } else {
                    names.append(name)
                    columnPositions.append(position)
                }
            } while acceptSymbol(",")
            columns = names
        }
        try expect("from")
        let (schema, table, tablePosition) = try qualifiedName()
        if index < tokens.count, peek.isWord("join") || peek.isWord("group") || peek.isWord("inner") || peek.isWord("left") {
            throw .unsupported("\(peek.display) is not supported by the simulator", position: peek.position)
        }
        let conditions = try whereClause()
        var orderBy: [(column: String, descending: Bool)] = []
        if accept("order") {
            try expect("by")
            repeat {
                let (column, _) = try identifier()
                let descending = accept("desc")
                if !descending { _ = accept("asc") }
                orderBy.append((column, descending))
            } while acceptSymbol(",")
        }
        var limit: Int?
        if accept("limit") {
            guard index < tokens.count, case .number(let n) = peek.kind, let value = Int(n) else { throw unexpected() }
            index += 1
            limit = value
        }
        return .select(Statement.Select(
            columns: columns, schema: schema, table: table, conditions: conditions, orderBy: orderBy, limit: limit,
            columnPositions: columnPositions, tablePosition: tablePosition))
    }

    private func isLiteralStart(_ token: Token) -> Bool {
        switch token.kind {
        case .number, .string: true
        case .symbol(let s): s == "-" || s == "+"
        case .word(let w): w == "null" || w == "true" || w == "false" || w == "array"
        case .quoted: false
        }
    }

    private mutating func parseShow() throws(SimError) -> Statement {
        index += 1
        if accept("columns") {
            try expect("from")
            let (_, table, _) = try qualifiedName()
            return .showColumns(table)
        }
        let (name, _) = try identifier()
        return .show(name)
    }

    private mutating func parseSet() throws(SimError) -> Statement {
        index += 1
        _ = accept("session") || accept("local")
        let (name, _) = try identifier()
        guard acceptSymbol("=") || accept("to") else { throw unexpected() }
        var words: [String] = []
        var negative = false
        while !atEnd {
            let token = peek
            index += 1
            switch token.kind {
            case .word(let w), .quoted(let w), .string(let w), .number(let w):
                words.append(negative ? "-" + w : w)
                negative = false
            case .symbol(","):
                continue
            case .symbol("-"):
                negative = true
            case .symbol(let s):
                throw .syntax("syntax error at or near \"\(s)\"", position: token.position)
            }
        }
        guard !words.isEmpty else { throw unexpected() }
        return .set(name: name, value: words.joined(separator: ", "))
    }

    /// SUBSCRIBE and COPY: the text up to the next top-level `;`, parsed later by ``SubscribeStatement``.
    private mutating func parseSubscribe() throws(SimError) -> Statement {
        let first = peek
        if first.isWord("copy") {
            // Only `COPY (SUBSCRIBE …) TO STDOUT` is served; COPY t FROM/TO is refused clearly.
            guard index + 2 < tokens.count, tokens[index + 1].isSymbol("("), tokens[index + 2].isWord("subscribe") else {
                throw .unsupported("COPY is supported only as COPY (SUBSCRIBE …) TO STDOUT", position: first.position)
            }
        }
        var depth = 0
        var last = index
        while index < tokens.count {
            let token = tokens[index]
            if token.isSymbol("(") { depth += 1 }
            if token.isSymbol(")") { depth -= 1 }
            if token.isSymbol(";") && depth <= 0 { break }
            last = index
            index += 1
        }
        let text = String(decoding: utf8[first.range.lowerBound..<tokens[last].range.upperBound], as: UTF8.self)
        return .subscribe(sql: text, characterOffset: first.position - 1)
    }
}
