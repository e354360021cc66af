/// The one error type of the wire protocol stack (PGWire and the PGClient transport).
///
/// `code` says what kind of failure it is; `diagnostic` carries the server's
/// ErrorResponse when the server reported it, so a user sees the SQLSTATE,
/// message, detail and hint exactly as sent. Messages say what to do next.
public struct PostgresError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An extensible set of failure kinds; other modules may add their own.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The server sent an ErrorResponse; see ``PostgresError/diagnostic``.
        public static let server = Code("server")
        /// The server sent bytes that break the protocol (bad length, unknown message, bad field).
        public static let protocolViolation = Code("protocolViolation")
        /// A message exceeded the configured maximum size.
        public static let messageTooLarge = Code("messageTooLarge")
        /// The server asked for something this client deliberately does not do (COPY IN, GSSAPI…).
        public static let unsupported = Code("unsupported")
        /// Authentication failed or could not be completed (wrong password, server proof mismatch…).
        public static let authentication = Code("authentication")
        /// A value could not be decoded as its declared type.
        public static let invalidValue = Code("invalidValue")
        /// The API was used out of order (a query while another runs, a closed connection…).
        public static let invalidState = Code("invalidState")
        /// The connection closed or failed at the transport level.
        public static let connectionClosed = Code("connectionClosed")
        /// TLS could not be negotiated or verified.
        public static let tls = Code("tls")
        /// A connect, authentication or query deadline passed.
        public static let timeout = Code("timeout")
        /// Configuration given by the user (a URL, an option) is invalid.
        public static let configuration = Code("configuration")
    }

    public var code: Code
    /// What happened, in words a user can act on.
    public var message: String
    /// The server's ErrorResponse, when the server reported the failure.
    public var diagnostic: Diagnostic?

    public init(_ code: Code, _ message: String, diagnostic: Diagnostic? = nil) {
        self.code = code
        self.message = message
        self.diagnostic = diagnostic
    }

    /// An error reported by the server in an ErrorResponse.
    public static func server(_ diagnostic: Diagnostic) -> PostgresError {
        PostgresError(.server, diagnostic.message, diagnostic: diagnostic)
    }

    /// A protocol violation by the peer; the connection cannot continue.
    public static func protocolViolation(_ message: String) -> PostgresError {
        PostgresError(.protocolViolation, message)
    }

    /// The SQLSTATE of the server's error, if any.
    public var sqlState: String? { diagnostic?.sqlState }

    /// The server's own words for server errors; otherwise our message, with the
    /// server's severity and SQLSTATE appended when it reported the failure.
    public var description: String {
        guard let diagnostic else { return message }
        if code == .server { return diagnostic.description }
        return "\(message) (\(diagnostic.severity ?? "ERROR") \(diagnostic.sqlState ?? "?????"))"
    }
}
