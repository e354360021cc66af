public import PGWire

/// The server side of one connection's protocol, without I/O: bytes in, actions out.
///
/// It follows https://www.postgresql.org/docs/current/protocol-flow.html as Materialize does
/// (materialize-subscribe.md §4): SSLRequest and GSSENCRequest are answered `N`; a StartupMessage
/// (protocol 3.0) is authenticated per user with SCRAM-SHA-256 (RFC 5802/7677), a cleartext
/// password, or trust; then AuthenticationOk, Materialize's ParameterStatus set in its order,
/// BackendKeyData, the welcome notice and ReadyForQuery. A simple Query becomes an
/// ``Action/execute(_:)`` for the driver, which calls ``queryFinished(status:)`` when done; bytes
/// that arrive meanwhile are buffered (up to a bound) and handled after.
///
/// Extended-protocol messages get a 0A000 ErrorResponse once, are skipped until Sync, and Sync
/// gets ReadyForQuery, as PostgreSQL skips after an error; the session goes on. Malformed bytes
/// get a FATAL 08P01 and a close: bad input from the network never traps.
public struct ServerSession: Sendable {
    /// How a user authenticates.
    public enum Authentication: Sendable, Hashable {
        /// No password (Materialize's default for self-managed).
        case trust
        /// AuthenticationCleartextPassword (Materialize Cloud and self-managed Password).
        case cleartext(password: String)
        /// SASL SCRAM-SHA-256 (Materialize's `Sasl` authenticator).
        case scram(SCRAMCredentials)
    }

    /// What the session answers at startup.
    public struct Configuration: Sendable {
        /// Users by name; an unlisted user is refused (28000) unless ``unknownUsers`` is set.
        public var users: [String: Authentication]
        /// How users not in ``users`` authenticate, or `nil` to refuse them.
        public var unknownUsers: Authentication?
        /// The `mz_version` parameter and the welcome notice's version.
        public var mzVersion: String
        /// The largest client message accepted (its length word), after startup.
        public var maximumMessageSize: Int
        /// How many bytes may be pipelined while a statement runs before the client is cut off.
        public var maximumBufferedBytes: Int

        public init(
            users: [String: Authentication] = ["materialize": .trust], unknownUsers: Authentication? = nil,
            mzVersion: String = "v0.147.0 (5f5b4d0e1)", maximumMessageSize: Int = 16 << 20,
            maximumBufferedBytes: Int = 1 << 20
        ) {
            self.users = users
            self.unknownUsers = unknownUsers
            self.mzVersion = mzVersion
            self.maximumMessageSize = maximumMessageSize
            self.maximumBufferedBytes = maximumBufferedBytes
        }
    }

    /// What the client asked for at startup, once authenticated.
    public struct Startup: Sendable, Hashable {
        public var user: String
        public var database: String
        public var applicationName: String
        public var cluster: String
        public var welcomeMessage: Bool
        /// Other `options` settings (`--name=value` / `-c name=value`), lower-cased names.
        public var settings: [String: String]

        /// The session variables the executor starts with, as reported at startup.
        public func variables(mzVersion: String) -> [String: String] {
            var variables = settings
            for (name, value) in ServerSession.parameters(self, mzVersion: mzVersion) {
                variables[name.lowercased()] = value
            }
            return variables
        }
    }

    /// One thing the driver must do, in order.
    public enum Action: Sendable, Hashable {
        /// Write these bytes (encoded messages, or the single `N` answering an SSLRequest).
        case write([UInt8])
        /// Run this query string; then call ``queryFinished(status:)``.
        case execute(String)
        /// The connection is a CancelRequest for this key: cancel the matching session's
        /// statement (if the key matches; never answered), then close.
        case cancel(BackendKeyData)
        /// Close the connection (after the writes before it).
        case close
    }

    enum State: Sendable {
        /// Untyped messages: SSLRequest, GSSENCRequest, CancelRequest or StartupMessage.
        case awaitingStartup
        /// AuthenticationCleartextPassword sent.
        case awaitingPassword(Startup, expected: String)
        /// AuthenticationSASL sent.
        case awaitingSASLInitial(Startup, SCRAMServer)
        /// AuthenticationSASLContinue sent.
        case awaitingSASLFinal(Startup, SCRAMServer)
        /// ReadyForQuery sent: queries are accepted.
        case ready(Startup)
        /// A query is with the driver; incoming bytes wait in the buffer.
        case executing(Startup)
        /// Extended-protocol messages are skipped until Sync.
        case skippingUntilSync(Startup)
        /// Closed or about to be: nothing more is read.
        case closed
    }

    public let configuration: Configuration
    /// The key this session announces in BackendKeyData.
    public let key: BackendKeyData
    private let nonce: String
    private(set) var state: State = .awaitingStartup
    private var buffer: [UInt8] = []
    private var readIndex = 0

    /// - Parameter nonce: the server's SCRAM nonce part (injected for deterministic tests).
    public init(configuration: Configuration, key: BackendKeyData, nonce: String) {
        self.configuration = configuration
        self.key = key
        self.nonce = nonce
    }

    /// The startup values once authenticated.
    public var startup: Startup? {
        switch state {
        case .ready(let s), .executing(let s), .skippingUntilSync(let s): s
        case .awaitingStartup, .awaitingPassword, .awaitingSASLInitial, .awaitingSASLFinal, .closed: nil
        }
    }

    /// Whether the session has closed (or asked to).
    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    // MARK: Events

    /// Bytes from the client. Processes every whole message available, unless a query is executing.
    public mutating func receive(_ bytes: [UInt8]) -> [Action] {
        if case .closed = state { return [] }
        if readIndex > 0 && readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
        if case .executing = state {
            if buffer.count - readIndex > configuration.maximumBufferedBytes {
                return fatal("08P01", "more than \(configuration.maximumBufferedBytes) bytes were sent while a statement was running")
            }
            return []
        }
        return process()
    }

    /// The driver finished the query of the last ``Action/execute(_:)`` (having written its results).
    public mutating func queryFinished(status: TransactionStatus) -> [Action] {
        guard case .executing(let startup) = state else { return [] }
        state = .ready(startup)
        var actions: [Action] = [.write(BackendMessage.readyForQuery(status).encoded())]
        actions.append(contentsOf: process())
        return actions
    }

    // MARK: Processing

    private mutating func process() -> [Action] {
        var actions: [Action] = []
        while true {
            switch state {
            case .closed, .executing:
                compact()
                return actions
            case .awaitingStartup:
                guard let payload = nextUntyped(&actions) else { compact(); return actions }
                actions.append(contentsOf: handleUntyped(payload))
            case .awaitingPassword, .awaitingSASLInitial, .awaitingSASLFinal, .ready, .skippingUntilSync:
                guard let (type, payload) = nextTyped(&actions) else { compact(); return actions }
                actions.append(contentsOf: handleTyped(type, payload))
            }
        }
    }

    private mutating func compact() {
        if readIndex > 4096 && readIndex * 2 > buffer.count {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
    }

    private func readLength(at index: Int) -> Int {
        Int(Int32(bitPattern: UInt32(buffer[index]) << 24 | UInt32(buffer[index + 1]) << 16
            | UInt32(buffer[index + 2]) << 8 | UInt32(buffer[index + 3])))
    }

    /// The next untyped frame's payload, `nil` if incomplete; a bad length closes the session.
    private mutating func nextUntyped(_ actions: inout [Action]) -> ArraySlice<UInt8>? {
        guard buffer.count - readIndex >= 4 else { return nil }
        let length = readLength(at: readIndex)
        guard length >= 8, length <= FrontendMessageDecoder.maximumStartupMessageSize else {
            actions.append(contentsOf: fatal("08P01", "invalid length of startup packet"))
            return nil
        }
        guard buffer.count - readIndex >= length else { return nil }
        let payload = buffer[(readIndex + 4)..<(readIndex + length)]
        readIndex += length
        return payload
    }

    /// The next typed frame, `nil` if incomplete; a bad length closes the session.
    private mutating func nextTyped(_ actions: inout [Action]) -> (UInt8, ArraySlice<UInt8>)? {
        guard buffer.count - readIndex >= 5 else { return nil }
        let type = buffer[readIndex]
        let length = readLength(at: readIndex + 1)
        guard length >= 4, length <= configuration.maximumMessageSize else {
            actions.append(contentsOf: fatal("08P01", "invalid message length \(length) for message type '\(Self.describe(type))'"))
            return nil
        }
        guard buffer.count - readIndex >= length + 1 else { return nil }
        let payload = buffer[(readIndex + 5)..<(readIndex + 1 + length)]
        readIndex += length + 1
        return (type, payload)
    }

    private static func describe(_ type: UInt8) -> String {
        (0x20..<0x7F).contains(type) ? String(UnicodeScalar(type)) : "0x" + String(type, radix: 16)
    }

    private mutating func handleUntyped(_ payload: ArraySlice<UInt8>) -> [Action] {
        let message: FrontendMessage
        do {
            message = try FrontendMessage.decodeUntyped(payload: payload)
        } catch {
            let code = error.code == .unsupported ? "0A000" : "08P01"
            return fatal(code, error.message)
        }
        switch message {
        case .sslRequest, .gssEncryptionRequest:
            // CVE-2021-23214: bytes sent before the answer could have been injected by a
            // man in the middle; PostgreSQL refuses them too.
            guard readIndex == buffer.count else {
                return fatal("08P01", "received unencrypted data after SSL request")
            }
            return [.write([UInt8(ascii: "N")])]
        case .cancelRequest(let key):
            state = .closed
            return [.cancel(key), .close]
        case .startup(let parameters):
            return startAuthentication(parameters)
        case .password, .saslInitialResponse, .saslResponse, .query, .copyFail, .terminate:
            preconditionFailure("decodeUntyped returned a typed message")
        }
    }

    private mutating func startAuthentication(_ parameters: StartupParameters) -> [Action] {
        let startup = Self.startup(from: parameters)
        guard let method = configuration.users[parameters.user] ?? configuration.unknownUsers else {
            return fatal("28000", "role \"\(parameters.user)\" does not exist")
        }
        switch method {
        case .trust:
            return authenticated(startup)
        case .cleartext(let password):
            state = .awaitingPassword(startup, expected: password)
            return [.write(BackendMessage.authentication(.cleartextPassword).encoded())]
        case .scram(let credentials):
            state = .awaitingSASLInitial(startup, SCRAMServer(credentials: credentials, nonce: nonce))
            return [.write(BackendMessage.authentication(.sasl(mechanisms: ["SCRAM-SHA-256"])).encoded())]
        }
    }

    private mutating func handleTyped(_ type: UInt8, _ payload: ArraySlice<UInt8>) -> [Action] {
        let responseKind: FrontendMessage.AuthenticationResponseKind?
        switch state {
        case .awaitingPassword: responseKind = .password
        case .awaitingSASLInitial: responseKind = .saslInitialResponse
        case .awaitingSASLFinal: responseKind = .saslResponse
        case .ready, .skippingUntilSync, .executing, .awaitingStartup, .closed: responseKind = nil
        }
        // Extended protocol and stray COPY messages: refused or ignored, the session goes on.
        if responseKind == nil {
            switch type {
            case UInt8(ascii: "P"), UInt8(ascii: "B"), UInt8(ascii: "D"), UInt8(ascii: "E"), UInt8(ascii: "H"),
                UInt8(ascii: "C"), UInt8(ascii: "F"):
                guard case .ready(let startup) = state else { return [] }  // already skipping
                state = .skippingUntilSync(startup)
                return [.write(BackendMessage.errorResponse(Diagnostic(
                    severity: "ERROR", sqlState: "0A000",
                    message: "the extended query protocol is not supported by the simulator; use simple queries")).encoded())]
            case UInt8(ascii: "S"):
                guard case .skippingUntilSync(let startup) = state else {
                    return [.write(BackendMessage.readyForQuery(.idle).encoded())]
                }
                state = .ready(startup)
                return [.write(BackendMessage.readyForQuery(.idle).encoded())]
            case UInt8(ascii: "d"), UInt8(ascii: "c"), UInt8(ascii: "f"):
                return []  // PostgreSQL ignores COPY messages outside COPY IN.
            default:
                if case .skippingUntilSync = state, type != UInt8(ascii: "X") { return [] }
            }
        }
        let message: FrontendMessage
        do {
            message = try FrontendMessage.decode(type: type, payload: payload, authenticationResponse: responseKind)
        } catch {
            return fatal(error.code == .unsupported ? "0A000" : "08P01", error.message)
        }
        switch (state, message) {
        case (_, .terminate):
            state = .closed
            return [.close]
        case (.ready(let startup), .query(let sql)):
            state = .executing(startup)
            return [.execute(sql)]
        case (.awaitingPassword(let startup, let expected), .password(let password)):
            guard password == expected else { return passwordFailed(startup.user) }
            return authenticated(startup)
        case (.awaitingSASLInitial(let startup, var scram), .saslInitialResponse(let mechanism, let data)):
            guard mechanism == "SCRAM-SHA-256" else {
                return fatal("28000", "SASL authentication mechanism \(mechanism) is not supported; use SCRAM-SHA-256")
            }
            do {
                let serverFirst = try scram.receiveClientFirst(data)
                state = .awaitingSASLFinal(startup, scram)
                return [.write(BackendMessage.authentication(.saslContinue(data: serverFirst)).encoded())]
            } catch {
                if data.first == UInt8(ascii: "p") { return fatal("08P01", "channel binding not supported") }
                return fatal("08P01", error.message)
            }
        case (.awaitingSASLFinal(let startup, var scram), .saslResponse(let data)):
            do {
                let serverFinal = try scram.receiveClientFinal(data)
                var actions: [Action] = [.write(BackendMessage.authentication(.saslFinal(data: serverFinal)).encoded())]
                actions.append(contentsOf: authenticated(startup))
                return actions
            } catch {
                return passwordFailed(startup.user)
            }
        default:
            return fatal("08P01", "unexpected message '\(Self.describe(type))' from the client at this point of the protocol")
        }
    }

    private mutating func passwordFailed(_ user: String) -> [Action] {
        fatal("28P01", "password authentication failed for user \"\(user)\"")
    }

    /// An ErrorResponse with severity FATAL, then close.
    private mutating func fatal(_ sqlState: String, _ message: String) -> [Action] {
        state = .closed
        return [
            .write(BackendMessage.errorResponse(Diagnostic(severity: "FATAL", sqlState: sqlState, message: message)).encoded()),
            .close,
        ]
    }

    /// AuthenticationOk, ParameterStatus ×13, BackendKeyData, the welcome notice, ReadyForQuery.
    private mutating func authenticated(_ startup: Startup) -> [Action] {
        state = .ready(startup)
        var writer = ByteWriter(capacity: 512)
        BackendMessage.authentication(.ok).encode(into: &writer)
        for (name, value) in Self.parameters(startup, mzVersion: configuration.mzVersion) {
            BackendMessage.parameterStatus(name: name, value: value).encode(into: &writer)
        }
        BackendMessage.backendKeyData(key).encode(into: &writer)
        if startup.welcomeMessage {
            BackendMessage.noticeResponse(Diagnostic(
                severity: "NOTICE", sqlState: "00000", message: welcomeText(startup))).encode(into: &writer)
        }
        BackendMessage.readyForQuery(.idle).encode(into: &writer)
        return [.write(writer.bytes)]
    }

    /// Materialize's notify set in its order (materialize-subscribe.md §4).
    static func parameters(_ startup: Startup, mzVersion: String) -> [(String, String)] {
        [
            ("application_name", startup.applicationName),
            ("client_encoding", "UTF8"),
            ("DateStyle", "ISO, MDY"),
            ("integer_datetimes", "on"),
            ("server_version", "9.5.0"),
            ("standard_conforming_strings", "on"),
            ("TimeZone", "UTC"),
            ("IntervalStyle", "postgres"),
            ("cluster", startup.cluster),
            ("cluster_replica", startup.settings["cluster_replica"] ?? ""),
            ("database", startup.database),
            ("search_path", startup.settings["search_path"] ?? "public"),
            ("mz_version", mzVersion),
        ]
    }

    private func welcomeText(_ startup: Startup) -> String {
        let version = configuration.mzVersion.split(separator: " ").first.map(String.init) ?? configuration.mzVersion
        return """
            connected to Materialize \(version)
              Org ID: 00000000-0000-0000-0000-000000000000
              Region: local/pgsim
              User: \(startup.user)
              Cluster: \(startup.cluster)
              Database: \(startup.database)
              Schema: \(startup.settings["search_path"] ?? "public")
              Session UUID: 00000000-0000-0000-0000-\(String(UInt32(bitPattern: key.processID), radix: 16).leftPadded(to: 12))

            Issue a SQL query to get started. Need help?
              View documentation: https://materialize.com/s/docs
              Join our Slack community: https://materialize.com/s/chat
            """
    }

    /// Reads `options` as Materialize does: `--name=value` and `-c name=value` (`-cname=value`).
    static func startup(from parameters: StartupParameters) -> Startup {
        var settings: [String: String] = [:]
        if let options = parameters.options {
            let words = options.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            var index = 0
            while index < words.count {
                var word = words[index]
                index += 1
                if word == "-c" {
                    guard index < words.count else { break }
                    word = words[index]
                    index += 1
                } else if word.hasPrefix("--") {
                    word.removeFirst(2)
                } else if word.hasPrefix("-c") {
                    word.removeFirst(2)
                } else {
                    continue
                }
                guard let equals = word.firstIndex(of: "=") else { continue }
                let name = word[..<equals].lowercased().replacingHyphens()
                settings[name] = String(word[word.index(after: equals)...])
            }
        }
        for parameter in parameters.other {
            settings[parameter.name.lowercased()] = parameter.value
        }
        let welcome = settings["welcome_message"].map { !["off", "false", "0", "no"].contains($0.lowercased()) } ?? true
        return Startup(
            user: parameters.user, database: parameters.database ?? "materialize",
            applicationName: parameters.applicationName ?? "", cluster: settings["cluster"] ?? "quickstart",
            welcomeMessage: welcome, settings: settings)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }

    fileprivate func replacingHyphens() -> String {
        String(map { $0 == "-" ? "_" : $0 })
    }
}
