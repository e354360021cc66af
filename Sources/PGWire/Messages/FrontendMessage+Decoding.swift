extension FrontendMessage {
    /// What a `p` message carries. The byte alone does not say: PasswordMessage, SASLInitialResponse
    /// and SASLResponse share it, and only the server knows which authentication request it sent
    /// (https://www.postgresql.org/docs/current/protocol-message-formats.html).
    public enum AuthenticationResponseKind: Sendable, Hashable {
        /// After AuthenticationCleartextPassword or AuthenticationMD5Password.
        case password
        /// After AuthenticationSASL.
        case saslInitialResponse
        /// After AuthenticationSASLContinue.
        case saslResponse
    }

    /// Decodes an untyped message (what follows its length word): StartupMessage, SSLRequest,
    /// GSSENCRequest or CancelRequest, told apart by the Int32 code that starts them.
    ///
    /// Only protocol 3.0 is accepted; a newer 3.x is `.unsupported`, anything else a protocol violation.
    public static func decodeUntyped(payload: ArraySlice<UInt8>) throws(PostgresError) -> FrontendMessage {
        var reader = PayloadReader(payload, message: "startup packet")
        let code = try reader.int32("the protocol version or request code")
        switch code {
        case protocolVersion30:
            return .startup(try decodeStartupParameters(&reader))
        case sslRequestCode:
            try reader.finish()
            return .sslRequest
        case gssEncryptionRequestCode:
            try reader.finish()
            return .gssEncryptionRequest
        case cancelRequestCode:
            var cancel = PayloadReader(payload.dropFirst(4), message: "CancelRequest")
            let processID = try cancel.int32("the process ID")
            let secretKey = try cancel.int32("the secret key")
            try cancel.finish()
            return .cancelRequest(BackendKeyData(processID: processID, secretKey: secretKey))
        default:
            let major = code >> 16
            let minor = code & 0xFFFF
            if major == 3 {
                throw PostgresError(
                    .unsupported,
                    "protocol version 3.\(minor) (code \(code)) is not supported; connect with protocol 3.0")
            }
            if major == 1234 {
                throw .protocolViolation("unknown request code 1234/\(minor) (\(code)) in a startup packet")
            }
            throw .protocolViolation(
                "unknown protocol version \(major).\(minor) (code \(code)) in a startup packet; "
                    + "expected 3.0 (196608), an SSLRequest, a GSSENCRequest or a CancelRequest")
        }
    }

    /// Name/value pairs ended by an empty name; `user` is required and no name may repeat.
    private static func decodeStartupParameters(_ reader: inout PayloadReader) throws(PostgresError) -> StartupParameters {
        var user: String?
        var database: String?
        var applicationName: String?
        var options: String?
        var other: [StartupParameters.Parameter] = []
        var seen: Set<String> = []
        while true {
            let name = try reader.cString("a parameter name")
            if name.isEmpty { break }
            let value = try reader.cString("the value of parameter \(name)")
            guard seen.insert(name).inserted else {
                throw reader.violation("parameter \(name) is sent twice")
            }
            switch name {
            case "user": user = value
            case "database": database = value
            case "application_name": applicationName = value
            case "options": options = value
            default: other.append(StartupParameters.Parameter(name: name, value: value))
            }
        }
        try reader.finish()
        guard let user else {
            throw reader.violation("no user parameter; a StartupMessage must name the user")
        }
        return StartupParameters(
            user: user, database: database, applicationName: applicationName, options: options, other: other)
    }

    /// Decodes a typed message from the client (the payload after the type byte and length word).
    ///
    /// - Parameter authenticationResponse: what a `p` message means now; `nil` when the server has
    ///   no authentication request outstanding, which makes a `p` message a protocol violation.
    public static func decode(
        type: UInt8, payload: ArraySlice<UInt8>, authenticationResponse: AuthenticationResponseKind?
    ) throws(PostgresError) -> FrontendMessage {
        switch type {
        case UInt8(ascii: "Q"):
            var reader = PayloadReader(payload, message: "Query ('Q')")
            let sql = try reader.cString("the query string")
            try reader.finish()
            return .query(sql)
        case UInt8(ascii: "p"):
            switch authenticationResponse {
            case .password:
                var reader = PayloadReader(payload, message: "PasswordMessage ('p')")
                let password = try reader.cString("the password")
                try reader.finish()
                return .password(password)
            case .saslInitialResponse:
                var reader = PayloadReader(payload, message: "SASLInitialResponse ('p')")
                let mechanism = try reader.cString("the mechanism name")
                let length = try reader.int32("the length of the initial response")
                let data: [UInt8]
                if length == -1 {
                    data = []
                } else if length < 0 {
                    throw reader.violation("the initial response has length \(length); only -1 (none) may be negative")
                } else {
                    data = Array(try reader.bytes(Int(length), "the initial response"))
                }
                try reader.finish()
                return .saslInitialResponse(mechanism: mechanism, data: data)
            case .saslResponse:
                return .saslResponse(data: Array(payload))
            case nil:
                throw .protocolViolation(
                    "unexpected authentication response ('p') from the client: no authentication request is outstanding")
            }
        case UInt8(ascii: "f"):
            var reader = PayloadReader(payload, message: "CopyFail ('f')")
            let message = try reader.cString("the failure message")
            try reader.finish()
            return .copyFail(message: message)
        case UInt8(ascii: "X"):
            try PayloadReader(payload, message: "Terminate ('X')").finish()
            return .terminate
        default:
            if let name = unsupportedName(type) {
                throw PostgresError(
                    .unsupported,
                    "\(name) (\(FrameAssembler.describeType(type))) is not supported: this server speaks the simple query protocol only")
            }
            throw .protocolViolation("unexpected \(FrameAssembler.describeType(type)) from the client")
        }
    }

    /// Client messages that exist in the protocol but that this codec deliberately does not model.
    private static func unsupportedName(_ type: UInt8) -> String? {
        switch type {
        case UInt8(ascii: "P"): "Parse"
        case UInt8(ascii: "B"): "Bind"
        case UInt8(ascii: "D"): "Describe"
        case UInt8(ascii: "E"): "Execute"
        case UInt8(ascii: "S"): "Sync"
        case UInt8(ascii: "H"): "Flush"
        case UInt8(ascii: "C"): "Close"
        case UInt8(ascii: "F"): "FunctionCall"
        case UInt8(ascii: "d"): "CopyData"
        case UInt8(ascii: "c"): "CopyDone"
        default: nil
        }
    }
}
