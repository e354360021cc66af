import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PGWire

/// One session with a PostgreSQL-compatible server, driven by PGWire's
/// ``ConnectionStateMachine`` over a SwiftNIO channel.
///
/// A connection lives inside ``withConnection(_:eventLoopGroup:_:)``: it is
/// opened, authenticated and handed to the closure, and closed with Terminate
/// when the closure returns. It is used by the task that opened it (it is not
/// `Sendable`); another task can stop a running query through a ``CancelHandle``.
///
/// Bytes are read from the socket only when the connection is asked for the
/// next message: a slow consumer of a COPY stream slows the socket reads, and
/// memory does not grow with the stream (the channel's inbound buffer is
/// bounded by a high/low watermark).
public final class PostgresConnection {
    /// What the server reported at startup (server_version, TimeZone, …) and the cancel key.
    public private(set) var session: ConnectionStateMachine.SessionInfo
    /// The configuration the connection was opened with.
    public let configuration: ConnectionConfiguration

    private var stateMachine: ConnectionStateMachine
    private var decoder: BackendMessageDecoder
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let channel: any Channel
    private let allocator: ByteBufferAllocator
    /// Notices the server sent during the last query (and at startup), oldest first, at most 100.
    public private(set) var notices: [Diagnostic] = []
    /// Set when the connection can no longer be used.
    private var failure: PostgresError?
    /// True while a COPY OUT stream is open; no other query may start.
    private var streaming = false
    /// The TLS failure seen by the pipeline, if any: it may surface to us only as a closed channel.
    private let tlsFailure = NIOLockedValueBox<(any Error)?>(nil)

    private init(
        configuration: ConnectionConfiguration,
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        channel: any Channel,
        nonce: String
    ) {
        self.configuration = configuration
        self.inbound = inbound
        self.outbound = outbound
        self.channel = channel
        self.allocator = channel.allocator
        self.decoder = BackendMessageDecoder(maximumMessageSize: configuration.maximumMessageSize)
        self.stateMachine = ConnectionStateMachine(configuration: .init(
            startup: configuration.startupParameters,
            password: configuration.password,
            tls: configuration.sslMode == .disable ? .disable : (configuration.sslMode == .prefer ? .prefer : .require),
            scramNonce: nonce))
        self.session = .init(parameters: [:], backendKey: nil)
    }

    /// Opens a connection, authenticates, runs `body` with it, then closes it.
    public static func withConnection<Result>(
        _ configuration: ConnectionConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let asyncChannel = try await Transport.connect(configuration, eventLoopGroup: eventLoopGroup)
        return try await asyncChannel.executeThenClose { inbound, outbound in
            var generator = SystemRandomNumberGenerator()
            let connection = PostgresConnection(
                configuration: configuration,
                inbound: inbound.makeAsyncIterator(),
                outbound: outbound,
                channel: asyncChannel.channel,
                nonce: SCRAMClient.makeNonce(using: &generator))
            try await connection.startup()
            do {
                let result = try await body(connection)
                await connection.terminate()
                return result
            } catch {
                await connection.terminate()
                throw error
            }
        }
    }

    /// A handle another task can use to cancel the query running on this connection.
    public var cancelHandle: CancelHandle? {
        session.backendKey.map { CancelHandle(configuration: configuration, key: $0) }
    }

    // MARK: Startup

    private func startup() async throws {
        // A deadline for TLS and authentication: closing the channel ends every pending read.
        let timedOut = NIOLockedValueBox(false)
        let channel = self.channel
        let deadline = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(configuration.authenticationTimeout.nanoseconds))) {
            timedOut.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        do {
            try await perform(stateMachine.start())
            while !stateMachine.isReady {
                if stateMachine.awaitsSSLResponse {
                    let byte = try await readSSLResponse()
                    try await perform(stateMachine.sslResponse(byte))
                } else {
                    let message = try await nextMessage()
                    try await perform(stateMachine.received(message))
                }
            }
        } catch {
            if timedOut.withLockedValue({ $0 }) {
                throw PostgresError(
                    .timeout,
                    "connecting to \(configuration.host):\(configuration.port) did not finish authentication within \(configuration.authenticationTimeout)")
            }
            throw error
        }
    }

    /// Reads the single byte answering SSLRequest. Anything after it is refused:
    /// bytes sent before the TLS handshake could be injected by a man in the
    /// middle (CVE-2021-23222).
    private func readSSLResponse() async throws -> UInt8 {
        guard var chunk = try await inbound.next() else {
            throw PostgresError(.connectionClosed, "the server closed the connection in answer to the SSL request")
        }
        guard let byte = chunk.readInteger(as: UInt8.self) else {
            return try await readSSLResponse()
        }
        guard chunk.readableBytes == 0 else {
            throw PostgresError.protocolViolation("the server sent unexpected data after its answer to the SSL request")
        }
        return byte
    }

    private func startTLS() async throws {
        let tls = configuration.sslMode
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        switch tls {
        case .disable, .prefer, .require:
            tlsConfiguration.certificateVerification = .none
        case .verifyCA:
            tlsConfiguration.certificateVerification = .noHostnameVerification
        case .verifyFull:
            tlsConfiguration.certificateVerification = .fullVerification
        }
        if let path = configuration.sslRootCertificate, tls == .verifyCA || tls == .verifyFull {
            tlsConfiguration.trustRoots = .file(path)
        }
        do {
            let context = try NIOSSLContext(configuration: tlsConfiguration)
            // SNI must not carry an IP address; NIOSSL then checks the certificate against the peer's address.
            let hostname = Transport.isIPAddress(configuration.host) ? nil : configuration.host
            let channel = self.channel
            let recorder = tlsFailure
            try await channel.eventLoop.submit {
                let handler = try NIOSSLClientHandler(context: context, serverHostname: hostname)
                try channel.pipeline.syncOperations.addHandler(handler, position: .first)
                try channel.pipeline.syncOperations.addHandler(TLSFailureRecorder(box: recorder), position: .after(handler))
            }.get()
        } catch {
            throw PostgresError(.tls, "could not set up TLS: \(error)")
        }
        // NIOSSL holds our writes until the handshake completes; a failed handshake
        // surfaces as an error on the next read.
    }

    // MARK: Queries

    /// Runs a simple query and collects every result set (one per statement).
    ///
    /// Use ``copyOut(_:)`` for COPY … TO STDOUT; a COPY here is refused.
    public func simpleQuery(_ sql: String) async throws -> [QueryResult] {
        try checkUsable()
        notices.removeAll()
        try await perform(stateMachine.query(sql))
        var results: [QueryResult] = []
        var current: QueryResult?
        var copyRefused = false
        while true {
            let message = try await nextMessage()
            switch stateMachine.received(message) {
            case .rowDescription(let description):
                current = QueryResult(columns: description.columns, rows: [], commandTag: "")
            case .dataRow(let row):
                guard current != nil else { preconditionFailure("DataRow action without RowDescription") }
                current!.rows.append(row)
            case .commandComplete(let tag):
                var result = current ?? QueryResult(columns: [], rows: [], commandTag: "")
                result.commandTag = tag
                results.append(result)
                current = nil
            case .copyOutStarted:
                copyRefused = true
            case .copyData:
                break
            case .queryFinished(let error):
                if let error { throw error }
                if copyRefused {
                    throw PostgresError(.invalidState, "the query is a COPY … TO STDOUT; run it with copyOut(_:) to stream its data")
                }
                return results
            case let action:
                try await perform(action)
            }
        }
    }

    /// Runs a simple query and returns the last result set.
    public func query(_ sql: String) async throws -> QueryResult {
        let results = try await simpleQuery(sql)
        return results.last ?? QueryResult(columns: [], rows: [], commandTag: "")
    }

    /// Starts `COPY … TO STDOUT` (or Materialize's `COPY (SUBSCRIBE …) TO STDOUT`) and
    /// returns its data as an async sequence of CopyData payloads.
    ///
    /// The stream must be read to its end (or the connection closed) before
    /// another query runs. Reading is what pulls bytes from the socket.
    public func copyOut(_ sql: String) async throws -> CopyOutStream {
        try checkUsable()
        notices.removeAll()
        try await perform(stateMachine.query(sql))
        while true {
            let message = try await nextMessage()
            switch stateMachine.received(message) {
            case .copyOutStarted(let format):
                streaming = true
                return CopyOutStream(connection: self, format: format)
            case .rowDescription:
                // Drain the rows so the connection stays usable, then report the misuse.
                try await drainQuery()
                throw PostgresError(.invalidState, "the query returned rows, not a COPY OUT stream; use query(_:) for it")
            case .commandComplete:
                continue
            case .queryFinished(let error):
                throw error ?? PostgresError(.invalidState, "the query finished without starting a COPY OUT stream")
            case let action:
                try await perform(action)
            }
        }
    }

    /// The next CopyData payload of the open COPY stream, or `nil` at its end.
    func nextCopyData() async throws -> CopyOutStream.Event {
        while true {
            let message: BackendMessage
            do {
                message = try await nextMessage()
            } catch {
                streaming = false
                throw error
            }
            switch stateMachine.received(message) {
            case .copyData(let payload):
                return .data(payload)
            case .commandComplete(let tag):
                return .complete(tag: tag)
            case .queryFinished(let error):
                streaming = false
                if let error { throw error }
                return .finished
            case let action:
                try await perform(action)
            }
        }
    }

    private func drainQuery() async throws {
        while true {
            let message = try await nextMessage()
            switch stateMachine.received(message) {
            case .queryFinished:
                return
            case let action:
                try await perform(action)
            }
        }
    }

    private func checkUsable() throws {
        if let failure { throw failure }
        guard !streaming else {
            throw PostgresError(.invalidState, "a COPY stream is still open on this connection; read it to its end first")
        }
        guard stateMachine.isReady else {
            throw PostgresError(.invalidState, "the connection is not ready for a query")
        }
    }

    // MARK: I/O

    /// Decodes the next message, reading from the socket only when the decoder needs more bytes.
    private func nextMessage() async throws -> BackendMessage {
        while true {
            do {
                if let message = try decoder.next() { return message }
            } catch {
                try await perform(stateMachine.decodingFailed(error))
                preconditionFailure("decodingFailed must close the connection")
            }
            let chunk: ByteBuffer?
            do {
                chunk = try await inbound.next()
            } catch {
                try await perform(stateMachine.connectionClosed(error: transportError(error, "reading from")))
                preconditionFailure("connectionClosed must close the connection")
            }
            guard let chunk else {
                let tls = tlsFailure.withLockedValue { $0 }.map { transportError($0, "negotiating TLS with") }
                try await perform(stateMachine.connectionClosed(error: tls))
                preconditionFailure("connectionClosed must close the connection")
            }
            decoder.feed(Array(chunk.readableBytesView))
        }
    }

    /// Carries out an action of the state machine that is not a result for the caller.
    private func perform(_ action: ConnectionStateMachine.Action) async throws {
        switch action {
        case .none:
            return
        case .write(let bytes):
            try await write(bytes)
        case .startTLS:
            try await startTLS()
            try await perform(stateMachine.tlsEstablished())
        case .connected(let info):
            session = info
        case .notice(let diagnostic):
            if notices.count < 100 { notices.append(diagnostic) }
        case .notification:
            return
        case .writeAndClose(let bytes, let error):
            if !bytes.isEmpty { try? await write(bytes) }
            let reason = error ?? PostgresError(.connectionClosed, "the connection was closed")
            failure = failure ?? reason
            channel.close(promise: nil)
            throw reason
        case .rowDescription, .dataRow, .copyOutStarted, .copyData, .commandComplete, .queryFinished:
            preconditionFailure("result action \(action) reached perform()")
        }
    }

    private func write(_ bytes: [UInt8]) async throws {
        var buffer = allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        do {
            try await outbound.write(buffer)
        } catch {
            let reason = transportError(error, "writing to")
            failure = failure ?? reason
            throw reason
        }
    }

    /// Sends Terminate (when the session is healthy) before the channel closes.
    private func terminate() async {
        guard failure == nil else { return }
        if case .writeAndClose(let bytes, _) = stateMachine.close(), !bytes.isEmpty {
            try? await write(bytes)
        }
        failure = PostgresError(.invalidState, "the connection is closed")
    }

    /// Names a transport failure; TLS failures (a handshake or verification error
    /// surfaces on whichever read or write comes first) get the `.tls` code.
    private func transportError(_ error: any Error, _ doing: String) -> PostgresError {
        let peer = "\(configuration.host):\(configuration.port)"
        let error = tlsFailure.withLockedValue { $0 } ?? error
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return PostgresError(
                .tls,
                "TLS with \(peer) failed: \(error); check sslmode, the CA file (sslrootcert) and that the certificate names the host")
        }
        return PostgresError(.connectionClosed, "the connection failed while \(doing) \(peer): \(error)")
    }
}

/// The rows and tag of one statement of a simple query.
public struct QueryResult: Sendable {
    public var columns: [RowDescription.Column]
    public var rows: [DataRow]
    /// The CommandComplete tag, e.g. `SELECT 3`.
    public var commandTag: String
}

/// Remembers the first error NIOSSL reports, so a failed handshake is named as
/// a TLS failure even when the caller only sees the channel close.
private final class TLSFailureRecorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let box: NIOLockedValueBox<(any Error)?>

    init(box: NIOLockedValueBox<(any Error)?>) { self.box = box }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            box.withLockedValue { if $0 == nil { $0 = error } }
        }
        context.fireErrorCaught(error)
    }
}
