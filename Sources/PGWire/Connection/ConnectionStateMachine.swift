/// The client side of one PostgreSQL connection, as a sans-IO state machine.
///
/// Events go in (bytes decoded into ``BackendMessage``s, the one-byte answer to
/// an SSLRequest, a query the user wants to run, the transport closing) and an
/// ``Action`` comes out saying what the transport must do. The machine does no
/// I/O, reads no clock and draws no random numbers: the SCRAM nonce is handed in.
///
/// It follows the message flow of
/// https://www.postgresql.org/docs/current/protocol-flow.html: startup, an
/// optional SSLRequest (the transport does the TLS handshake), authentication
/// (trust, cleartext, MD5, SCRAM-SHA-256), the parameter and key messages up to
/// the first ReadyForQuery, then simple queries whose results arrive as rows or
/// as a COPY OUT stream. Anything the server sends out of order is a protocol
/// violation that closes the connection.
public struct ConnectionStateMachine: Sendable {
    /// What the machine needs to know to open a session.
    public struct Configuration: Sendable {
        public var startup: StartupParameters
        /// The password for cleartext, MD5 and SCRAM; `nil` when none was given.
        public var password: String?
        public var tls: TLSMode
        /// The SCRAM client nonce (printable ASCII, no comma), drawn by the caller.
        public var scramNonce: String
        /// Whether a cleartext password may be sent without TLS. libpq allows it;
        /// we allow it too (Materialize self-managed asks for cleartext) unless told not to.
        public var allowCleartextWithoutTLS: Bool

        public init(
            startup: StartupParameters, password: String?, tls: TLSMode, scramNonce: String,
            allowCleartextWithoutTLS: Bool = true
        ) {
            self.startup = startup
            self.password = password
            self.tls = tls
            self.scramNonce = scramNonce
            self.allowCleartextWithoutTLS = allowCleartextWithoutTLS
        }
    }

    /// Whether to ask the server for TLS before the startup message.
    public enum TLSMode: Sendable, Hashable {
        /// Never send SSLRequest.
        case disable
        /// Send SSLRequest; go on in plain text if the server declines.
        case prefer
        /// Send SSLRequest; fail if the server declines.
        case require
    }

    /// What the transport must do after an event.
    public enum Action: Sendable, Hashable {
        /// Nothing to do; wait for the next message.
        case none
        /// Send these bytes.
        case write([UInt8])
        /// The server accepted SSLRequest: do the TLS handshake now, then call ``tlsEstablished()``.
        case startTLS
        /// The session is ready for queries (the first ReadyForQuery after authentication).
        case connected(SessionInfo)
        /// A result set starts; DataRows follow.
        case rowDescription(RowDescription)
        /// One row of the current result set.
        case dataRow(DataRow)
        /// A COPY OUT stream starts; CopyData follow.
        case copyOutStarted(CopyFormat)
        /// One CopyData payload of the current COPY OUT stream.
        case copyData(ArraySlice<UInt8>)
        /// One statement of the query finished (`SELECT 3`, `COPY 10`, or empty for an empty query).
        case commandComplete(tag: String)
        /// The query is over (ReadyForQuery); `error` is set when it failed.
        case queryFinished(error: PostgresError?)
        /// A notice or warning from the server; it does not change the flow.
        case notice(Diagnostic)
        /// A LISTEN/NOTIFY notification.
        case notification(processID: Int32, channel: String, payload: String)
        /// Send these bytes (may be empty), then close the connection; report `error` if set.
        case writeAndClose([UInt8], PostgresError?)
    }

    /// What the server told us during startup.
    public struct SessionInfo: Sendable, Hashable {
        public var parameters: [String: String]
        /// Needed to cancel a running query; absent if the server never sent it.
        public var backendKey: BackendKeyData?

        public init(parameters: [String: String], backendKey: BackendKeyData?) {
            self.parameters = parameters
            self.backendKey = backendKey
        }
    }

    /// Where the connection is in the protocol flow.
    enum State: Sendable {
        /// Nothing sent yet.
        case initial
        /// SSLRequest sent; waiting for the single byte `S` or `N`.
        case awaitingSSLResponse
        /// `S` received; the transport is doing the TLS handshake.
        case negotiatingTLS
        /// StartupMessage sent; waiting for an authentication request.
        case startupSent(tlsActive: Bool)
        /// Cleartext or MD5 password sent; waiting for AuthenticationOk or an error.
        case passwordSent
        /// SCRAM in progress.
        case scram(SCRAMClient, tlsActive: Bool)
        /// SCRAM finished and the server's signature verified; waiting for AuthenticationOk.
        case scramVerified
        /// Authenticated; collecting ParameterStatus and BackendKeyData until ReadyForQuery.
        case authenticated(SessionInfo)
        /// Idle and ready for a query.
        case ready(SessionInfo)
        /// A simple query is running.
        case query(SessionInfo, QueryState)
        /// Terminate was sent, or the connection failed; nothing more happens.
        case closed
    }

    /// Where a simple query is.
    enum QueryState: Sendable, Hashable {
        /// Sent; no result yet (or between the results of a multi-statement query).
        case awaitingResult(error: PostgresError?)
        /// Between RowDescription and CommandComplete.
        case rows(error: PostgresError?)
        /// Between CopyOutResponse and CopyDone (or an error).
        case copyOut(error: PostgresError?)
        /// COPY IN was refused with CopyFail; waiting for the server's error and ReadyForQuery.
        case refusedCopyIn
    }

    private(set) var state: State = .initial
    private let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Whether the transport must read a single raw byte (the answer to SSLRequest)
    /// instead of a framed message.
    public var awaitsSSLResponse: Bool {
        if case .awaitingSSLResponse = state { return true }
        return false
    }

    /// Whether a query can be sent now.
    public var isReady: Bool {
        if case .ready = state { return true }
        return false
    }

    /// Whether the connection has ended.
    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// The session parameters and cancel key, once connected.
    public var session: SessionInfo? {
        switch state {
        case .ready(let info), .query(let info, _): info
        default: nil
        }
    }

    // MARK: Startup

    /// The transport connected: send SSLRequest or the StartupMessage.
    public mutating func start() -> Action {
        guard case .initial = state else {
            preconditionFailure("start() called twice")
        }
        switch configuration.tls {
        case .disable:
            return sendStartup(tlsActive: false)
        case .prefer, .require:
            state = .awaitingSSLResponse
            return .write(encode(.sslRequest))
        }
    }

    /// The server answered SSLRequest with one byte.
    public mutating func sslResponse(_ byte: UInt8) -> Action {
        guard case .awaitingSSLResponse = state else {
            return fail(.protocolViolation("received an SSL response byte outside TLS negotiation"))
        }
        switch byte {
        case UInt8(ascii: "S"):
            state = .negotiatingTLS
            return .startTLS
        case UInt8(ascii: "N"):
            if configuration.tls == .require {
                return fail(PostgresError(
                    .tls,
                    "the server does not accept TLS connections, but sslmode requires TLS; enable ssl on the server or use sslmode=prefer or disable"))
            }
            return sendStartup(tlsActive: false)
        case UInt8(ascii: "E"):
            // Servers older than 7.0 answer with an ErrorResponse; the connection is unusable.
            return fail(PostgresError(.tls, "the server answered the SSL request with an error; it is too old or not a PostgreSQL server"))
        default:
            return fail(.protocolViolation(
                "the server answered the SSL request with byte 0x\(String(byte, radix: 16)); expected 'S' or 'N' — is this a PostgreSQL-compatible server?"))
        }
    }

    /// The transport finished the TLS handshake.
    public mutating func tlsEstablished() -> Action {
        guard case .negotiatingTLS = state else {
            preconditionFailure("tlsEstablished() without startTLS")
        }
        return sendStartup(tlsActive: true)
    }

    private mutating func sendStartup(tlsActive: Bool) -> Action {
        state = .startupSent(tlsActive: tlsActive)
        return .write(encode(.startup(configuration.startup)))
    }

    // MARK: Messages

    /// A message arrived from the server.
    public mutating func received(_ message: BackendMessage) -> Action {
        // Messages that may arrive at any time (protocol-flow.html, "Asynchronous Operations").
        switch message {
        case .noticeResponse(let diagnostic):
            return .notice(diagnostic)
        case .notificationResponse(let processID, let channel, let payload):
            return .notification(processID: processID, channel: channel, payload: payload)
        case .parameterStatus(let name, let value):
            return parameterStatus(name: name, value: value)
        default:
            break
        }

        switch state {
        case .initial, .awaitingSSLResponse, .negotiatingTLS:
            return unexpected(message, "before the startup message was sent")
        case .startupSent(let tlsActive):
            return authenticationRequest(message, tlsActive: tlsActive)
        case .passwordSent:
            if case .authentication(.ok) = message {
                state = .authenticated(SessionInfo(parameters: [:], backendKey: nil))
                return .none
            }
            return authenticationFailure(message)
        case .scram(var client, let tlsActive):
            return scramStep(message, client: &client, tlsActive: tlsActive)
        case .scramVerified:
            if case .authentication(.ok) = message {
                state = .authenticated(SessionInfo(parameters: [:], backendKey: nil))
                return .none
            }
            return authenticationFailure(message)
        case .authenticated(var info):
            switch message {
            case .backendKeyData(let key):
                info.backendKey = key
                state = .authenticated(info)
                return .none
            case .readyForQuery:
                state = .ready(info)
                return .connected(info)
            case .errorResponse(let diagnostic):
                return fail(.server(diagnostic))
            default:
                return unexpected(message, "while the session was starting")
            }
        case .ready:
            if case .errorResponse(let diagnostic) = message {
                // A FATAL error outside a query: the server is closing the session
                // (shutdown, pg_terminate_backend, idle timeout).
                return fail(.server(diagnostic))
            }
            return unexpected(message, "while no query was running")
        case .query(let info, let queryState):
            return queryMessage(message, info: info, queryState: queryState)
        case .closed:
            return .none
        }
    }

    private mutating func parameterStatus(name: String, value: String) -> Action {
        switch state {
        case .authenticated(var info):
            info.parameters[name] = value
            state = .authenticated(info)
        case .ready(var info):
            info.parameters[name] = value
            state = .ready(info)
        case .query(var info, let queryState):
            info.parameters[name] = value
            state = .query(info, queryState)
        default:
            break
        }
        return .none
    }

    // MARK: Authentication

    private mutating func authenticationRequest(_ message: BackendMessage, tlsActive: Bool) -> Action {
        guard case .authentication(let request) = message else {
            return authenticationFailure(message)
        }
        switch request {
        case .ok:
            // trust: no password asked.
            state = .authenticated(SessionInfo(parameters: [:], backendKey: nil))
            return .none
        case .cleartextPassword:
            guard let password = configuration.password else { return missingPassword("cleartext") }
            guard tlsActive || configuration.allowCleartextWithoutTLS else {
                return fail(PostgresError(
                    .authentication,
                    "the server asks for the password in clear text over an unencrypted connection; use sslmode=require"))
            }
            state = .passwordSent
            return .write(encode(.password(password)))
        case .md5Password(let salt):
            guard let password = configuration.password else { return missingPassword("md5") }
            state = .passwordSent
            let digest = MD5.postgresPassword(user: configuration.startup.user, password: password, salt: salt)
            return .write(encode(.password(digest)))
        case .sasl(let mechanisms):
            guard mechanisms.contains("SCRAM-SHA-256") else {
                return fail(PostgresError(
                    .unsupported,
                    "the server offers SASL mechanisms \(mechanisms.joined(separator: ", ")); tycostream supports SCRAM-SHA-256 only (channel binding is not used)"))
            }
            guard let password = configuration.password else { return missingPassword("SCRAM-SHA-256") }
            let client = SCRAMClient(password: password, nonce: configuration.scramNonce)
            let first = client.clientFirstMessage()
            state = .scram(client, tlsActive: tlsActive)
            return .write(encode(.saslInitialResponse(mechanism: "SCRAM-SHA-256", data: first)))
        case .kerberosV5, .gss, .gssContinue, .sspi:
            return fail(PostgresError(
                .unsupported,
                "the server asks for \(request.methodName) authentication, which tycostream does not support; configure the user for scram-sha-256, md5 or password in pg_hba.conf"))
        case .saslContinue, .saslFinal:
            return unexpected(message, "before SASL authentication started")
        }
    }

    private mutating func scramStep(_ message: BackendMessage, client: inout SCRAMClient, tlsActive: Bool) -> Action {
        switch message {
        case .authentication(.saslContinue(let data)):
            do {
                let final = try client.receiveServerFirst(data)
                state = .scram(client, tlsActive: tlsActive)
                return .write(encode(.saslResponse(data: final)))
            } catch {
                return fail(error)
            }
        case .authentication(.saslFinal(let data)):
            do {
                try client.receiveServerFinal(data)
                state = .scramVerified
                return .none
            } catch {
                return fail(error)
            }
        case .authentication(.ok):
            // The server must prove it knows the password before we accept the session (RFC 5802 §5).
            return fail(PostgresError(
                .authentication,
                "the server accepted the login without proving it knows the password (no SCRAM server signature); refusing the connection"))
        default:
            return authenticationFailure(message)
        }
    }

    private mutating func authenticationFailure(_ message: BackendMessage) -> Action {
        if case .errorResponse(let diagnostic) = message {
            var error = PostgresError.server(diagnostic)
            if diagnostic.sqlState == "28P01" || diagnostic.sqlState == "28000" {
                error.code = .authentication
                error.message = "authentication failed for user '\(configuration.startup.user)': \(diagnostic.message); check the user name and password"
            }
            return fail(error)
        }
        return unexpected(message, "during authentication")
    }

    private mutating func missingPassword(_ method: String) -> Action {
        fail(PostgresError(
            .authentication,
            "the server requires \(method) password authentication for user '\(configuration.startup.user)', but no password was given"))
    }

    // MARK: Queries

    /// Send a simple query. Only valid when ``isReady``.
    public mutating func query(_ sql: String) -> Action {
        guard case .ready(let info) = state else {
            preconditionFailure("query() while not ready; check isReady first")
        }
        state = .query(info, .awaitingResult(error: nil))
        return .write(encode(.query(sql)))
    }

    private mutating func queryMessage(_ message: BackendMessage, info: SessionInfo, queryState: QueryState) -> Action {
        switch (queryState, message) {
        case (.awaitingResult(let error), .rowDescription(let description)):
            state = .query(info, .rows(error: error))
            return .rowDescription(description)
        case (.awaitingResult(let error), .copyOutResponse(let format)):
            state = .query(info, .copyOut(error: error))
            return .copyOutStarted(format)
        case (.awaitingResult, .commandComplete(let tag)):
            // Statements without rows (SET, CREATE, INSERT…).
            return .commandComplete(tag: tag)
        case (.awaitingResult, .emptyQueryResponse):
            return .commandComplete(tag: "")
        case (.awaitingResult, .copyInResponse):
            state = .query(info, .refusedCopyIn)
            return .write(encode(.copyFail(message: "tycostream does not send COPY FROM STDIN data")))
        case (.awaitingResult, .copyBothResponse):
            return fail(PostgresError(
                .unsupported, "the server started a COPY BOTH (replication) stream, which tycostream does not support"))

        case (.rows(let error), .dataRow(let row)):
            state = .query(info, .rows(error: error))
            return .dataRow(row)
        case (.rows(let error), .commandComplete(let tag)):
            state = .query(info, .awaitingResult(error: error))
            return .commandComplete(tag: tag)

        case (.copyOut, .copyData(let data)):
            return .copyData(data)
        case (.copyOut(let error), .copyDone):
            state = .query(info, .awaitingResult(error: error))
            return .none

        case (.awaitingResult, .errorResponse(let diagnostic)),
            (.rows, .errorResponse(let diagnostic)),
            (.copyOut, .errorResponse(let diagnostic)):
            // An error ends the statement (and, in COPY OUT, the stream without CopyDone);
            // the server follows with ReadyForQuery, which reports it.
            if diagnostic.isFatal { return fail(.server(diagnostic)) }
            state = .query(info, .awaitingResult(error: .server(diagnostic)))
            return .none
        case (.refusedCopyIn, .errorResponse(let diagnostic)):
            if diagnostic.isFatal { return fail(.server(diagnostic)) }
            state = .query(info, .awaitingResult(error: PostgresError(
                .unsupported,
                "the query started COPY FROM STDIN, which tycostream does not support; use COPY … TO STDOUT",
                diagnostic: diagnostic)))
            return .none

        case (.awaitingResult(let error), .readyForQuery):
            state = .ready(info)
            return .queryFinished(error: error)

        default:
            return unexpected(message, "while a query was running")
        }
    }

    // MARK: Closing

    /// The user closes the connection: send Terminate.
    public mutating func close() -> Action {
        switch state {
        case .closed:
            return .none
        case .ready, .query, .authenticated:
            state = .closed
            return .writeAndClose(encode(.terminate), nil)
        default:
            state = .closed
            return .writeAndClose([], nil)
        }
    }

    /// The transport lost the connection (EOF or an I/O error).
    public mutating func connectionClosed(error: PostgresError?) -> Action {
        if case .closed = state { return .none }
        let reason: PostgresError
        if let error {
            reason = error
        } else {
            switch state {
            case .query:
                reason = PostgresError(.connectionClosed, "the server closed the connection while a query was running")
            case .ready:
                reason = PostgresError(.connectionClosed, "the server closed the connection")
            default:
                reason = PostgresError(.connectionClosed, "the server closed the connection during startup")
            }
        }
        state = .closed
        return .writeAndClose([], reason)
    }

    /// The transport could not decode the server's bytes.
    public mutating func decodingFailed(_ error: PostgresError) -> Action {
        fail(error)
    }

    private mutating func fail(_ error: PostgresError) -> Action {
        state = .closed
        return .writeAndClose([], error)
    }

    private mutating func unexpected(_ message: BackendMessage, _ context: String) -> Action {
        if case .errorResponse(let diagnostic) = message {
            return fail(.server(diagnostic))
        }
        return fail(.protocolViolation("unexpected \(message.name) message from the server \(context)"))
    }

    private func encode(_ message: FrontendMessage) -> [UInt8] {
        var writer = ByteWriter()
        message.encode(into: &writer)
        return writer.bytes
    }
}

extension Authentication {
    /// A readable name for error messages.
    var methodName: String {
        switch self {
        case .ok: "ok"
        case .kerberosV5: "Kerberos V5"
        case .cleartextPassword: "cleartext password"
        case .md5Password: "MD5 password"
        case .gss, .gssContinue: "GSSAPI"
        case .sspi: "SSPI"
        case .sasl: "SASL"
        case .saslContinue: "SASL continue"
        case .saslFinal: "SASL final"
        }
    }
}

extension BackendMessage {
    /// The message's name as in the protocol documentation, for error messages.
    public var name: String {
        switch self {
        case .authentication: "Authentication"
        case .backendKeyData: "BackendKeyData"
        case .parameterStatus: "ParameterStatus"
        case .readyForQuery: "ReadyForQuery"
        case .rowDescription: "RowDescription"
        case .dataRow: "DataRow"
        case .commandComplete: "CommandComplete"
        case .emptyQueryResponse: "EmptyQueryResponse"
        case .errorResponse: "ErrorResponse"
        case .noticeResponse: "NoticeResponse"
        case .notificationResponse: "NotificationResponse"
        case .copyOutResponse: "CopyOutResponse"
        case .copyInResponse: "CopyInResponse"
        case .copyBothResponse: "CopyBothResponse"
        case .copyData: "CopyData"
        case .copyDone: "CopyDone"
        }
    }
}
