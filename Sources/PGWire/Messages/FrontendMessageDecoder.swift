/// Turns the bytes a server receives into ``FrontendMessage``s, without doing any I/O; used by our
/// test server so that it reads exactly what our client writes.
///
/// A connection starts with untyped messages (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP):
/// an SSLRequest or GSSENCRequest is followed by another untyped message (after the server's `N`,
/// or over TLS after its `S`), a CancelRequest ends the connection, and a StartupMessage switches
/// to typed messages. Framing, slicing and limits are those of ``BackendMessageDecoder``.
public struct FrontendMessageDecoder: Sendable {
    /// PostgreSQL refuses startup packets above 10 000 bytes (`MAX_STARTUP_PACKET_LENGTH`); so do we,
    /// so a client cannot make us reserve memory before it has even authenticated.
    public static let maximumStartupMessageSize = 10_000

    private enum Phase: Sendable {
        /// The next message is untyped.
        case startup
        /// StartupMessage received: messages carry a type byte.
        case typed
        /// A CancelRequest arrived: the client must send nothing more.
        case cancelled
    }

    /// The largest accepted length word (which counts itself) of a typed message.
    public let maximumMessageSize: Int
    /// What a `p` message means; the server sets it when it sends an authentication request and
    /// clears it (`nil`) when none is outstanding. It is not changed by the decoder.
    public var authenticationResponse: FrontendMessage.AuthenticationResponseKind?
    private var phase = Phase.startup
    private var frames = FrameAssembler()
    private var failure: PostgresError?

    public init(maximumMessageSize: Int = 64 << 20) {
        precondition(maximumMessageSize >= 4, "maximumMessageSize must be at least 4")
        self.maximumMessageSize = maximumMessageSize
    }

    /// Whether the next message is an untyped one (no StartupMessage yet).
    public var isAwaitingStartup: Bool {
        switch phase {
        case .startup: true
        case .typed, .cancelled: false
        }
    }

    /// Bytes received that no returned message has consumed yet.
    ///
    /// A server must check this is 0 right after decoding an SSLRequest or GSSENCRequest: bytes
    /// that arrived before the encryption handshake could have been injected (CVE-2021-23214).
    public var bufferedByteCount: Int { frames.bufferedByteCount }

    /// Whether an error has been thrown; every later call rethrows it.
    public var hasFailed: Bool { failure != nil }

    /// Hands the decoder the next chunk read from the connection; the chunk is not copied.
    /// The decoder holds whatever it is fed: bound memory by draining ``next()`` before reading more.
    public mutating func feed(_ chunk: [UInt8]) {
        frames.feed(chunk)
    }

    /// The next decoded message, or `nil` when more bytes are needed.
    public mutating func next() throws(PostgresError) -> FrontendMessage? {
        if let failure { throw failure }
        do throws(PostgresError) {
            switch phase {
            case .startup:
                guard
                    let frame = try frames.next(
                        typed: false, maximumLength: min(maximumMessageSize, Self.maximumStartupMessageSize),
                        advice: "PostgreSQL refuses startup packets this large too; send fewer or shorter parameters")
                else { return nil }
                let message = try FrontendMessage.decodeUntyped(payload: frame.payload)
                switch message {
                case .startup: phase = .typed
                case .cancelRequest: phase = .cancelled
                case .sslRequest, .gssEncryptionRequest: break
                case .password, .saslInitialResponse, .saslResponse, .query, .copyFail, .terminate:
                    preconditionFailure("decodeUntyped returned a typed message")
                }
                return message
            case .typed:
                guard
                    let frame = try frames.next(
                        typed: true, maximumLength: maximumMessageSize,
                        advice: "raise FrontendMessageDecoder(maximumMessageSize:) if messages this large are expected")
                else { return nil }
                return try FrontendMessage.decode(
                    type: frame.type, payload: frame.payload, authenticationResponse: authenticationResponse)
            case .cancelled:
                guard frames.bufferedByteCount == 0 else {
                    throw PostgresError.protocolViolation(
                        "\(frames.bufferedByteCount) bytes after a CancelRequest; the client must close the connection")
                }
                return nil
            }
        } catch {
            failure = error
            throw error
        }
    }
}
