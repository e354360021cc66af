import PGWire

/// One message of a recording, or raw bytes that are not one readable message.
///
/// Messages reuse PGWire's codec (``FrontendMessage``, ``BackendMessage``) so a recording encodes
/// exactly as our server and client would; the StartupMessage keeps its parameters in the order
/// sent, since clients differ in that order and the bytes must round-trip exactly.
/// https://www.postgresql.org/docs/current/protocol-message-formats.html
public enum RecordedMessage: Sendable, Hashable {
    /// StartupMessage for protocol 3.0, parameters in the order sent.
    case startup([StartupParameters.Parameter])
    /// SSLRequest: the server answers one byte.
    case sslRequest
    /// GSSENCRequest: the server answers one byte.
    case gssEncryptionRequest
    /// CancelRequest, sent on a connection of its own.
    case cancelRequest(BackendKeyData)
    /// A typed client message PGWire decodes: `Q`, `p` (password, SASL initial, SASL), `f`, `X`.
    case frontend(FrontendMessage)
    /// The single byte answering SSLRequest or GSSENCRequest: `S` (TLS follows) or `N`.
    case sslAnswer(UInt8)
    /// Any server message PGWire decodes.
    case backend(BackendMessage)
    /// Bytes shown in hex: an unknown or malformed message, or part of one cut off by a closed connection.
    case raw([UInt8])

    /// The exact bytes of the message on the wire.
    public var bytes: [UInt8] {
        var writer = ByteWriter()
        switch self {
        case .startup(let parameters):
            let start = writer.beginUntypedMessage()
            writer.writeInt32(FrontendMessage.protocolVersion30)
            for parameter in parameters {
                writer.writeCString(parameter.name)
                writer.writeCString(parameter.value)
            }
            writer.writeUInt8(0)
            writer.endMessage(at: start)
        case .sslRequest:
            FrontendMessage.sslRequest.encode(into: &writer)
        case .gssEncryptionRequest:
            FrontendMessage.gssEncryptionRequest.encode(into: &writer)
        case .cancelRequest(let key):
            FrontendMessage.cancelRequest(key).encode(into: &writer)
        case .frontend(let message):
            message.encode(into: &writer)
        case .sslAnswer(let byte):
            writer.writeUInt8(byte)
        case .backend(let message):
            message.encode(into: &writer)
        case .raw(let bytes):
            return bytes
        }
        return writer.bytes
    }

    /// Whether the message is sent untyped (no type byte), i.e. before or instead of the session proper.
    var isUntyped: Bool {
        switch self {
        case .startup, .sslRequest, .gssEncryptionRequest, .cancelRequest: true
        case .frontend, .sslAnswer, .backend, .raw: false
        }
    }
}

// MARK: - Text

extension RecordedMessage {
    /// The message as the text after `>`/`<` on its line.
    public var text: String {
        switch self {
        case .startup(let parameters):
            return (["startup"] + parameters.map { "\($0.name)=\(RecordingSyntax.word($0.value))" }).joined(separator: " ")
        case .sslRequest: return "ssl-request"
        case .gssEncryptionRequest: return "gss-request"
        case .cancelRequest(let key): return "cancel pid=\(key.processID) key=\(key.secretKey)"
        case .sslAnswer(let byte): return "ssl-answer \(String(decoding: [byte], as: UTF8.self))"
        case .raw(let bytes): return bytes.isEmpty ? "raw" : "raw \(RecordingSyntax.hex(bytes))"
        case .frontend(let message): return Self.text(of: message)
        case .backend(let message): return Self.text(of: message)
        }
    }

    private static func text(of message: FrontendMessage) -> String {
        switch message {
        case .query(let sql): "Q \(RecordingSyntax.quote(Array(sql.utf8)))"
        case .password(let password): "p password \(RecordingSyntax.quote(Array(password.utf8)))"
        case .saslInitialResponse(let mechanism, let data):
            "p sasl-initial \(RecordingSyntax.positional(mechanism)) \(RecordingSyntax.quote(data))"
        case .saslResponse(let data): "p sasl \(RecordingSyntax.quote(data))"
        case .copyFail(let text): "f \(RecordingSyntax.quote(Array(text.utf8)))"
        case .terminate: "X"
        // Untyped messages are cases of RecordedMessage itself; encode them as raw if they get here.
        case .startup, .sslRequest, .gssEncryptionRequest, .cancelRequest:
            "raw \(RecordingSyntax.hex(message.encoded()))"
        }
    }

    private static func text(of message: BackendMessage) -> String {
        switch message {
        case .authentication(let authentication):
            switch authentication {
            case .ok: return "R ok"
            case .kerberosV5: return "R kerberos"
            case .cleartextPassword: return "R cleartext"
            case .md5Password(let salt): return "R md5 salt=\(salt)"
            case .gss: return "R gss"
            case .gssContinue(let data): return "R gss-continue \(RecordingSyntax.quote(data))"
            case .sspi: return "R sspi"
            case .sasl(let mechanisms): return (["R SASL"] + mechanisms.map(RecordingSyntax.positional)).joined(separator: " ")
            case .saslContinue(let data): return "R SASL-continue \(RecordingSyntax.quote(data))"
            case .saslFinal(let data): return "R SASL-final \(RecordingSyntax.quote(data))"
            }
        case .backendKeyData(let key): return "K pid=\(key.processID) key=\(key.secretKey)"
        case .parameterStatus(let name, let value):
            return "S \(RecordingSyntax.positional(name)) \(RecordingSyntax.positional(value))"
        case .readyForQuery(let status): return "Z \(String(decoding: [status.rawValue], as: UTF8.self))"
        case .rowDescription(let description):
            var parts = ["T"]
            for (index, column) in description.columns.enumerated() {
                if index > 0 { parts.append("|") }
                parts.append(RecordingSyntax.positional(column.name))
                parts.append("type=\(column.dataType.rawValue)")
                parts.append("size=\(column.dataTypeSize)")
                if column.typeModifier != -1 { parts.append("mod=\(column.typeModifier)") }
                if column.tableOID != 0 { parts.append("table=\(column.tableOID)") }
                if column.columnAttributeNumber != 0 { parts.append("attnum=\(column.columnAttributeNumber)") }
                if column.format == .binary { parts.append("format=binary") }
            }
            return parts.joined(separator: " ")
        case .dataRow(let row):
            return (["D"] + row.map { value in value.map { RecordingSyntax.quote($0) } ?? "NULL" }).joined(separator: " ")
        case .commandComplete(let tag): return "C \(RecordingSyntax.quote(Array(tag.utf8)))"
        case .emptyQueryResponse: return "I"
        case .errorResponse(let diagnostic): return "E" + diagnosticText(diagnostic)
        case .noticeResponse(let diagnostic): return "N" + diagnosticText(diagnostic)
        case .notificationResponse(let processID, let channel, let payload):
            return "A pid=\(processID) \(RecordingSyntax.positional(channel)) \(RecordingSyntax.quote(Array(payload.utf8)))"
        case .copyOutResponse(let format): return "H" + formatText(format)
        case .copyInResponse(let format): return "G" + formatText(format)
        case .copyBothResponse(let format): return "W" + formatText(format)
        case .copyData(let bytes): return "d \(RecordingSyntax.quote(bytes))"
        case .copyDone: return "c"
        }
    }

    private static func diagnosticText(_ diagnostic: Diagnostic) -> String {
        diagnostic.fields.map { " \($0.field)=\(RecordingSyntax.word($0.value))" }.joined()
    }

    private static func formatText(_ format: CopyFormat) -> String {
        let columns = format.columnFormats.map { $0 == .text ? "text" : "binary" }.joined(separator: ",")
        return " format=\(format.format == .text ? "text" : "binary") columns=\(RecordingSyntax.word(columns))"
    }
}
