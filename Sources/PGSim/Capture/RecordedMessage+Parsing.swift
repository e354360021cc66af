import PGWire

extension RecordedMessage {
    /// Reads the text after `>`/`<` (see ``text``); errors say what the line should look like.
    init(parsing line: ArraySlice<UInt8>, direction: SessionRecording.Direction) throws(CaptureError) {
        let tokens = try RecordingSyntax.tokenize(line)
        guard let head = tokens.first, head.key == nil, !head.quoted else {
            throw CaptureError(.syntax, "a message line starts with its type, e.g. `> Q \"SELECT 1\"` or `< Z I`")
        }
        var arguments = Arguments(tokens: Array(tokens.dropFirst()), message: head.text)
        if head.text == "raw" {
            self = .raw(try RecordingSyntax.parseHex(arguments.tokens))
            return
        }
        switch direction {
        case .clientToServer: self = try Self.parseFrontend(head.text, &arguments)
        case .serverToClient: self = try Self.parseBackend(head.text, &arguments)
        }
        try arguments.finish()
    }

    private static func parseFrontend(_ head: String, _ arguments: inout Arguments) throws(CaptureError) -> RecordedMessage {
        switch head {
        case "startup":
            var parameters: [StartupParameters.Parameter] = []
            while let token = arguments.next() {
                guard let key = token.key else {
                    throw CaptureError(.syntax, "startup parameters are name=value, e.g. `startup user=materialize database=materialize`")
                }
                parameters.append(.init(name: key, value: try arguments.string(token, "the value of \(key)")))
            }
            return .startup(parameters)
        case "ssl-request": return .sslRequest
        case "gss-request": return .gssEncryptionRequest
        case "cancel":
            let pid = try arguments.integer(named: "pid", as: Int32.self)
            let key = try arguments.integer(named: "key", as: Int32.self)
            return .cancelRequest(BackendKeyData(processID: pid, secretKey: key))
        case "Q": return .frontend(.query(try arguments.positionalString("the query")))
        case "X": return .frontend(.terminate)
        case "f": return .frontend(.copyFail(message: try arguments.positionalString("the failure message")))
        case "p":
            let kind = try arguments.positionalString("the kind: password, sasl-initial or sasl")
            switch kind {
            case "password": return .frontend(.password(try arguments.positionalString("the password")))
            case "sasl-initial":
                let mechanism = try arguments.positionalString("the mechanism")
                return .frontend(.saslInitialResponse(mechanism: mechanism, data: try arguments.positionalBytes("the client-first-message")))
            case "sasl": return .frontend(.saslResponse(data: try arguments.positionalBytes("the client-final-message")))
            default:
                throw CaptureError(.syntax, "`p \(kind)` is unknown; write `p password \"…\"`, `p sasl-initial SCRAM-SHA-256 \"n,,n=,r=…\"` or `p sasl \"c=biws,r=…,p=…\"`")
            }
        default:
            throw CaptureError(.syntax,
                "unknown client message `\(head)`; known: startup, ssl-request, gss-request, cancel, Q, p, f, X, raw")
        }
    }

    private static func parseBackend(_ head: String, _ arguments: inout Arguments) throws(CaptureError) -> RecordedMessage {
        let message: BackendMessage
        switch head {
        case "ssl-answer":
            let answer = try arguments.positionalBytes("the answer byte, S or N")
            guard answer.count == 1 else { throw CaptureError(.syntax, "ssl-answer takes one character, S or N") }
            return .sslAnswer(answer[0])
        case "R": message = .authentication(try parseAuthentication(&arguments))
        case "K":
            message = .backendKeyData(BackendKeyData(
                processID: try arguments.integer(named: "pid", as: Int32.self),
                secretKey: try arguments.integer(named: "key", as: Int32.self)))
        case "S":
            message = .parameterStatus(
                name: try arguments.positionalString("the parameter name"),
                value: try arguments.positionalString("the parameter value"))
        case "Z":
            let status = try arguments.positionalString("the transaction status I, T or E")
            guard status.utf8.count == 1, let value = TransactionStatus(rawValue: status.utf8.first!) else {
                throw CaptureError(.syntax, "`Z \(status)`: the status is I (idle), T (in transaction) or E (failed)")
            }
            message = .readyForQuery(value)
        case "T": message = .rowDescription(try parseRowDescription(&arguments))
        case "D":
            var writer = ByteWriter()
            var count = 0
            while let token = arguments.next() {
                guard token.key == nil else { throw CaptureError(.syntax, "DataRow values are \"quoted\" or NULL") }
                count += 1
                if !token.quoted && token.value == Array("NULL".utf8) {
                    writer.writeInt32(-1)
                } else if token.quoted {
                    writer.writeInt32(Int32(token.value.count))
                    writer.writeBytes(token.value)
                } else {
                    throw CaptureError(.syntax, "DataRow value \(token.text) must be quoted (or be NULL)")
                }
            }
            guard count <= Int(Int16.max) else { throw CaptureError(.syntax, "a DataRow holds at most 32767 values") }
            message = .dataRow(DataRow(columnCount: count, bytes: writer.bytes[...]))
        case "C": message = .commandComplete(tag: try arguments.positionalString("the command tag"))
        case "I": message = .emptyQueryResponse
        case "E": message = .errorResponse(try parseDiagnostic(&arguments))
        case "N": message = .noticeResponse(try parseDiagnostic(&arguments))
        case "A":
            message = .notificationResponse(
                processID: try arguments.integer(named: "pid", as: Int32.self),
                channel: try arguments.positionalString("the channel"),
                payload: try arguments.positionalString("the payload"))
        case "H": message = .copyOutResponse(try parseCopyFormat(&arguments))
        case "G": message = .copyInResponse(try parseCopyFormat(&arguments))
        case "W": message = .copyBothResponse(try parseCopyFormat(&arguments))
        case "d": message = .copyData(try arguments.positionalBytes("the data")[...])
        case "c": message = .copyDone
        default:
            throw CaptureError(.syntax,
                "unknown server message `\(head)`; known: ssl-answer, R, K, S, Z, T, D, C, I, E, N, A, H, G, W, d, c, raw")
        }
        return .backend(message)
    }

    private static func parseAuthentication(_ arguments: inout Arguments) throws(CaptureError) -> Authentication {
        let kind = try arguments.positionalString("the request: ok, cleartext, md5, SASL, SASL-continue, SASL-final…")
        switch kind {
        case "ok": return .ok
        case "kerberos": return .kerberosV5
        case "cleartext": return .cleartextPassword
        case "md5": return .md5Password(salt: try arguments.integer(named: "salt", as: UInt32.self))
        case "gss": return .gss
        case "gss-continue": return .gssContinue(data: try arguments.positionalBytes("the data"))
        case "sspi": return .sspi
        case "SASL":
            var mechanisms: [String] = []
            while let token = arguments.next() { mechanisms.append(try arguments.string(token, "a mechanism")) }
            return .sasl(mechanisms: mechanisms)
        case "SASL-continue": return .saslContinue(data: try arguments.positionalBytes("the server-first-message"))
        case "SASL-final": return .saslFinal(data: try arguments.positionalBytes("the server-final-message"))
        default:
            throw CaptureError(.syntax,
                "`R \(kind)` is unknown; known: ok, cleartext, md5 salt=N, SASL MECH…, SASL-continue \"…\", SASL-final \"…\", kerberos, gss, gss-continue, sspi")
        }
    }

    private static func parseRowDescription(_ arguments: inout Arguments) throws(CaptureError) -> RowDescription {
        var columns: [RowDescription.Column] = []
        while let nameToken = arguments.next() {
            if !columns.isEmpty {
                guard nameToken.key == nil, !nameToken.quoted, nameToken.value == [UInt8(ascii: "|")] else {
                    throw CaptureError(.syntax, "columns of T are separated by `|`")
                }
                guard let next = arguments.next() else { throw CaptureError(.syntax, "a column name must follow `|`") }
                columns.append(try parseColumn(name: next, &arguments))
            } else {
                columns.append(try parseColumn(name: nameToken, &arguments))
            }
        }
        return RowDescription(columns: columns)
    }

    private static func parseColumn(name: RecordingSyntax.Token, _ arguments: inout Arguments) throws(CaptureError) -> RowDescription.Column {
        guard name.key == nil else {
            throw CaptureError(.syntax, "a T column starts with its name, e.g. `T id type=23 size=4 | name type=25 size=-1`")
        }
        var column = RowDescription.Column(name: name.text, dataType: TypeOID(0), dataTypeSize: 0)
        var sawType = false
        var sawSize = false
        while let token = arguments.peek(), let key = token.key {
            _ = arguments.next()
            switch key {
            case "type": column.dataType = TypeOID(try Arguments.integer(token, as: UInt32.self)); sawType = true
            case "size": column.dataTypeSize = try Arguments.integer(token, as: Int16.self); sawSize = true
            case "mod": column.typeModifier = try Arguments.integer(token, as: Int32.self)
            case "table": column.tableOID = try Arguments.integer(token, as: UInt32.self)
            case "attnum": column.columnAttributeNumber = try Arguments.integer(token, as: Int16.self)
            case "format":
                switch token.text {
                case "text": column.format = .text
                case "binary": column.format = .binary
                default: throw CaptureError(.syntax, "format is text or binary, not \(token.text)")
                }
            default:
                throw CaptureError(.syntax, "unknown column attribute \(key)=; known: type, size, mod, table, attnum, format")
            }
        }
        guard sawType, sawSize else {
            throw CaptureError(.syntax, "column \(name.text) needs type= (the OID) and size= (typlen)")
        }
        return column
    }

    private static func parseDiagnostic(_ arguments: inout Arguments) throws(CaptureError) -> Diagnostic {
        var fields: [(field: Diagnostic.Field, value: String)] = []
        while let token = arguments.next() {
            guard let key = token.key, key.utf8.count == 1 else {
                throw CaptureError(.syntax, "E and N fields are CODE=value with a one-letter code, e.g. `S=ERROR C=57014 M=\"…\"`")
            }
            fields.append((Diagnostic.Field(key.utf8.first!), try arguments.string(token, "field \(key)")))
        }
        return Diagnostic(fields: fields)
    }

    private static func parseCopyFormat(_ arguments: inout Arguments) throws(CaptureError) -> CopyFormat {
        func format(_ text: Substring) throws(CaptureError) -> Format {
            switch text {
            case "text": return .text
            case "binary": return .binary
            default: throw CaptureError(.syntax, "a COPY format is text or binary, not `\(text)`")
            }
        }
        let overall = try format(Substring(try arguments.named("format")))
        let list = try arguments.named("columns")
        var columns: [Format] = []
        if !list.isEmpty {
            for part in list.split(separator: ",", omittingEmptySubsequences: false) { columns.append(try format(part)) }
        }
        return CopyFormat(format: overall, columnFormats: columns)
    }
}

/// The tokens after a message's type, consumed in order.
private struct Arguments {
    var tokens: [RecordingSyntax.Token]
    var index = 0
    let message: String

    init(tokens: [RecordingSyntax.Token], message: String) {
        self.tokens = tokens
        self.message = message
    }

    func peek() -> RecordingSyntax.Token? { index < tokens.count ? tokens[index] : nil }

    mutating func next() -> RecordingSyntax.Token? {
        defer { index += 1 }
        return peek()
    }

    /// A token's value as UTF-8 text (protocol strings cannot hold other bytes or NUL).
    func string(_ token: RecordingSyntax.Token, _ what: String) throws(CaptureError) -> String {
        guard let text = String(validating: token.value, as: UTF8.self), !token.value.contains(0) else {
            throw CaptureError(.syntax, "\(what) of `\(message)` must be UTF-8 text without NUL; use a raw line for other bytes")
        }
        return text
    }

    mutating func positionalBytes(_ what: String) throws(CaptureError) -> [UInt8] {
        guard let token = next(), token.key == nil else {
            throw CaptureError(.syntax, "`\(message)` needs \(what)")
        }
        return token.value
    }

    mutating func positionalString(_ what: String) throws(CaptureError) -> String {
        guard let token = next(), token.key == nil else {
            throw CaptureError(.syntax, "`\(message)` needs \(what)")
        }
        return try string(token, what)
    }

    mutating func named(_ key: String) throws(CaptureError) -> String {
        guard let token = next(), token.key == key else {
            throw CaptureError(.syntax, "`\(message)` needs \(key)=… here")
        }
        return try string(token, key)
    }

    mutating func integer<Value: FixedWidthInteger>(named key: String, as type: Value.Type) throws(CaptureError) -> Value {
        guard let token = next(), token.key == key else {
            throw CaptureError(.syntax, "`\(message)` needs \(key)=NUMBER here")
        }
        return try Self.integer(token, as: type)
    }

    static func integer<Value: FixedWidthInteger>(_ token: RecordingSyntax.Token, as type: Value.Type) throws(CaptureError) -> Value {
        guard !token.quoted, let value = Value(token.text) else {
            throw CaptureError(.syntax, "\(token.key ?? "value")=\(token.text) is not a whole number in range for \(Value.self)")
        }
        return value
    }

    func finish() throws(CaptureError) {
        guard index >= tokens.count else {
            throw CaptureError(.syntax, "unexpected `\(tokens[index].key.map { "\($0)=" } ?? "")\(tokens[index].text)` at the end of `\(message)`")
        }
    }
}
