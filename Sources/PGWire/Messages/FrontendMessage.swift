/// A message from the client, as defined in
/// https://www.postgresql.org/docs/current/protocol-message-formats.html.
///
/// The same type is decoded by our test server (PGSim), so both sides share one codec.
public enum FrontendMessage: Sendable, Hashable {
    /// StartupMessage (protocol 3.0), untyped.
    case startup(StartupParameters)
    /// SSLRequest (code 80877103), untyped; the server answers one byte `S` or `N`.
    case sslRequest
    /// GSSENCRequest (code 80877104), untyped; the server answers one byte `G` or `N`.
    /// Only our test server decodes it (to answer `N`): this client never asks for GSSAPI.
    case gssEncryptionRequest
    /// CancelRequest (code 80877102), untyped, sent on a fresh connection.
    case cancelRequest(BackendKeyData)
    /// `p` PasswordMessage: a cleartext password or the `md5…` digest.
    case password(String)
    /// `p` SASLInitialResponse: the chosen mechanism and the client-first-message.
    case saslInitialResponse(mechanism: String, data: [UInt8])
    /// `p` SASLResponse: the client-final-message.
    case saslResponse(data: [UInt8])
    /// `Q` simple Query.
    case query(String)
    /// `f` CopyFail: abort a COPY IN with this message (how we refuse COPY IN).
    case copyFail(message: String)
    /// `X` Terminate.
    case terminate
}

/// The parameters of a StartupMessage.
///
/// `options` carries command-line style settings; Materialize reads
/// `--cluster=name` from it (see the protocol notes, §4).
public struct StartupParameters: Sendable, Hashable {
    public var user: String
    public var database: String?
    public var applicationName: String?
    public var options: String?
    /// Any other run-time parameters, sent in this order after the named ones.
    public var other: [Parameter]

    public struct Parameter: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
        user: String, database: String? = nil, applicationName: String? = nil,
        options: String? = nil, other: [Parameter] = []
    ) {
        self.user = user
        self.database = database
        self.applicationName = applicationName
        self.options = options
        self.other = other
    }
}
