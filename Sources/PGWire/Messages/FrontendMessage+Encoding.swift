extension FrontendMessage {
    /// The protocol version of StartupMessage: 3.0 (major 3 in the high 16 bits, minor 0).
    public static let protocolVersion30: Int32 = 196608
    /// The request code of SSLRequest (1234 << 16 | 5679).
    public static let sslRequestCode: Int32 = 80877103
    /// The request code of GSSENCRequest (1234 << 16 | 5680).
    public static let gssEncryptionRequestCode: Int32 = 80877104
    /// The request code of CancelRequest (1234 << 16 | 5678).
    public static let cancelRequestCode: Int32 = 80877102

    /// Appends the message as the client sends it
    /// (https://www.postgresql.org/docs/current/protocol-message-formats.html).
    ///
    /// Strings must not contain NUL: the protocol cannot carry it, and the server would read the
    /// string as ending there.
    public func encode(into writer: inout ByteWriter) {
        switch self {
        case .startup(let parameters):
            let start = writer.beginUntypedMessage()
            writer.writeInt32(Self.protocolVersion30)
            Self.writeParameter("user", parameters.user, into: &writer)
            if let database = parameters.database {
                Self.writeParameter("database", database, into: &writer)
            }
            if let applicationName = parameters.applicationName {
                Self.writeParameter("application_name", applicationName, into: &writer)
            }
            if let options = parameters.options {
                Self.writeParameter("options", options, into: &writer)
            }
            for parameter in parameters.other {
                Self.writeParameter(parameter.name, parameter.value, into: &writer)
            }
            writer.writeUInt8(0)
            writer.endMessage(at: start)
        case .sslRequest:
            let start = writer.beginUntypedMessage()
            writer.writeInt32(Self.sslRequestCode)
            writer.endMessage(at: start)
        case .gssEncryptionRequest:
            let start = writer.beginUntypedMessage()
            writer.writeInt32(Self.gssEncryptionRequestCode)
            writer.endMessage(at: start)
        case .cancelRequest(let key):
            let start = writer.beginUntypedMessage()
            writer.writeInt32(Self.cancelRequestCode)
            writer.writeInt32(key.processID)
            writer.writeInt32(key.secretKey)
            writer.endMessage(at: start)
        case .password(let password):
            let start = writer.beginMessage(UInt8(ascii: "p"))
            writer.writeCString(password)
            writer.endMessage(at: start)
        case .saslInitialResponse(let mechanism, let data):
            let start = writer.beginMessage(UInt8(ascii: "p"))
            writer.writeCString(mechanism)
            // -1 says "no initial response"; an empty one cannot be told apart, so we send -1 for it.
            writer.writeInt32(data.isEmpty ? -1 : Int32(data.count))
            writer.writeBytes(data)
            writer.endMessage(at: start)
        case .saslResponse(let data):
            let start = writer.beginMessage(UInt8(ascii: "p"))
            writer.writeBytes(data)
            writer.endMessage(at: start)
        case .query(let sql):
            let start = writer.beginMessage(UInt8(ascii: "Q"))
            writer.writeCString(sql)
            writer.endMessage(at: start)
        case .copyFail(let message):
            let start = writer.beginMessage(UInt8(ascii: "f"))
            writer.writeCString(message)
            writer.endMessage(at: start)
        case .terminate:
            writer.endMessage(at: writer.beginMessage(UInt8(ascii: "X")))
        }
    }

    /// The encoded bytes of this one message.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        encode(into: &writer)
        return writer.bytes
    }

    private static func writeParameter(_ name: String, _ value: String, into writer: inout ByteWriter) {
        writer.writeCString(name)
        writer.writeCString(value)
    }
}
