import NIOCore
import NIOPosix
import PGWire

/// Serves a recorded session over loopback to every client that connects (each gets the whole
/// recording), driving one ``ReplaySession`` per connection.
///
/// The replay honours the recorded read boundaries: each recorded chunk is one write and flush.
public struct ReplayServer: Sendable {
    /// How one connection ended.
    public struct Outcome: Sendable, Hashable {
        /// Why the replay stopped early, if the client's messages differed from the recording.
        public var mismatch: CaptureError?
        /// Whether every recorded step was performed.
        public var isComplete: Bool
        /// Whether the connection was a CancelRequest, accepted and closed.
        public var wasCancelRequest: Bool
    }

    public let recording: SessionRecording
    public let host: String
    public let port: Int
    /// Lets SCRAM run for real when a client's nonce is not the recorded one.
    public let password: String?

    /// Checks the recording can be planned (its chunk lines are valid) before anything listens.
    public init(recording: SessionRecording, host: String = "127.0.0.1", port: Int = 0, password: String? = nil) throws(CaptureError) {
        _ = try ReplaySession(recording: recording, password: password)
        self.recording = recording
        self.host = host
        self.port = port
        self.password = password
    }

    /// Listens and serves until the task is cancelled, or, with `once`, until the first session
    /// that is not a CancelRequest has ended.
    ///
    /// - Parameters:
    ///   - onListening: called with the bound port (useful with port 0).
    ///   - onSessionEnd: called when each connection ends.
    public func run(
        once: Bool = false,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onListening: @Sendable (Int) -> Void = { _ in },
        onSessionEnd: @escaping @Sendable (Outcome) -> Void = { _ in }
    ) async throws {
        let server = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        onListening(server.channel.localAddress?.port ?? port)
        let serverChannel = server.channel
        let recording = self.recording
        let password = self.password
        try await withTaskCancellationHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask {
                            let outcome = await Self.serve(connection, recording: recording, password: password)
                            onSessionEnd(outcome)
                            if once, !outcome.wasCancelRequest { serverChannel.close(promise: nil) }
                        }
                    }
                }
            }
        } onCancel: {
            serverChannel.close(promise: nil)
        }
    }

    static func serve(
        _ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, recording: SessionRecording, password: String?
    ) async -> Outcome {
        guard var session = try? ReplaySession(recording: recording, password: password) else {
            preconditionFailure("the recording was planned when the server was made")
        }
        var mismatch: CaptureError?
        do {
            try await connection.executeThenClose { inbound, outbound in
                func perform(_ output: ReplaySession.Output) async throws -> Bool {
                    for write in output.writes {
                        try await outbound.write(ByteBuffer(bytes: write))
                    }
                    if let error = output.mismatch { mismatch = error }
                    return output.close
                }
                if try await perform(session.start()) { return }
                for try await chunk in inbound {
                    if try await perform(session.received(chunk.readableBytesView)) { return }
                }
            }
        } catch {
            // The client went away; the outcome says how far the replay got.
        }
        return Outcome(mismatch: mismatch, isComplete: session.isComplete, wasCancelRequest: session.wasCancelRequest)
    }
}
