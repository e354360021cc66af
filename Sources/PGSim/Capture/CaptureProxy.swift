import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PGWire

/// A loopback proxy between a client and a real server that records each connection to a file.
///
/// Bytes pass both ways unchanged, except that the proxy answers the client's SSLRequest (and
/// GSSENCRequest) with `N` itself, so the client leg is plaintext and can be recorded; with
/// ``UpstreamTLS`` the proxy makes its own SSLRequest and TLS handshake to the upstream
/// (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SSL). Each received
/// chunk is recorded (by ``CaptureRecorder``) before it is forwarded, so the file's order is causal.
public struct CaptureProxy: Sendable {
    /// How the proxy reaches the upstream server.
    public enum UpstreamTLS: Sendable, Hashable {
        /// Plain TCP.
        case disable
        /// TLS without certificate checks (sslmode=require).
        case require
        /// TLS with a certificate that chains to the CA file (or the system roots) and names the host.
        case verifyFull(caFile: String?)
    }

    public var listenHost: String
    public var listenPort: Int
    public var upstreamHost: String
    public var upstreamPort: Int
    public var upstreamTLS: UpstreamTLS
    /// Where the recordings go, one `session-…-N.pgrec` per client connection.
    public var outputDirectory: String
    /// Whether passwords and SCRAM proofs are written as recorded rather than replaced by `*`.
    public var keepsSecrets: Bool

    public init(
        listenHost: String = "127.0.0.1", listenPort: Int, upstreamHost: String, upstreamPort: Int,
        upstreamTLS: UpstreamTLS = .disable, outputDirectory: String, keepsSecrets: Bool = false
    ) {
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.upstreamHost = upstreamHost
        self.upstreamPort = upstreamPort
        self.upstreamTLS = upstreamTLS
        self.outputDirectory = outputDirectory
        self.keepsSecrets = keepsSecrets
    }

    /// Listens and proxies until the task is cancelled.
    ///
    /// - Parameters:
    ///   - onListening: called with the bound port (useful with port 0).
    ///   - onRecorded: called with a recording's path once its connection has closed.
    public func run(
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onListening: @Sendable (Int) -> Void = { _ in },
        onRecorded: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws {
        do {
            try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw CaptureError(.io, "cannot create the output directory \(outputDirectory): \(error)")
        }
        let server = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: listenHost, port: listenPort) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        onListening(server.channel.localAddress?.port ?? listenPort)
        let serverChannel = server.channel
        let counter = NIOLockedValueBox(0)
        let proxy = self
        try await withTaskCancellationHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        let number = counter.withLockedValue { value in
                            value += 1
                            return value
                        }
                        group.addTask {
                            if let path = await proxy.proxy(connection, number: number, eventLoopGroup: eventLoopGroup) {
                                onRecorded(path)
                            }
                        }
                    }
                }
            }
        } onCancel: {
            serverChannel.close(promise: nil)
        }
    }

    /// Proxies one client connection; returns the recording's path.
    private func proxy(
        _ client: NIOAsyncChannel<ByteBuffer, ByteBuffer>, number: Int, eventLoopGroup: any EventLoopGroup
    ) async -> String? {
        let stamp = Self.timestamp()
        let path = (outputDirectory as NSString).appendingPathComponent("session-\(stamp)-\(number).pgrec")
        guard let file = try? RecordingFile(path: path, redactsSecrets: !keepsSecrets) else {
            client.channel.close(promise: nil)
            return nil
        }
        await file.comment(" Captured by tycostream capture from \(upstreamHost):\(upstreamPort) at \(stamp), connection \(number).")
        let upstream: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        var upstreamInbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        do {
            (upstream, upstreamInbound) = try await connectUpstream(eventLoopGroup: eventLoopGroup)
        } catch {
            await file.comment(" Could not reach the upstream: \(error)")
            let diagnostic = Diagnostic(severity: "FATAL", sqlState: "08006", message: "capture proxy: \(error)")
            _ = try? await client.executeThenClose { _, outbound in
                try await outbound.write(ByteBuffer(bytes: BackendMessage.errorResponse(diagnostic).encoded()))
            }
            await file.close()
            return path
        }
        let clientChannel = client.channel
        let upstreamChannel = upstream.channel
        do {
            try await client.executeThenClose { clientInbound, clientOutbound in
                try await upstream.executeThenClose { _, upstreamOutbound in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        // Client to upstream, answering SSLRequest/GSSENCRequest locally.
                        group.addTask {
                            var pending: [UInt8] = []
                            var negotiating = true
                            do {
                                for try await chunk in clientInbound {
                                    let bytes = Array(chunk.readableBytesView)
                                    await file.record(bytes, from: .clientToServer)
                                    guard negotiating else {
                                        try await upstreamOutbound.write(chunk)
                                        continue
                                    }
                                    pending += bytes
                                    while negotiating, pending.count >= 8 {
                                        if Self.isEncryptionRequest(pending) {
                                            pending.removeFirst(8)
                                            await file.record([UInt8(ascii: "N")], from: .serverToClient)
                                            try await clientOutbound.write(ByteBuffer(bytes: [UInt8(ascii: "N")]))
                                        } else {
                                            negotiating = false
                                        }
                                    }
                                    if !negotiating, !pending.isEmpty {
                                        try await upstreamOutbound.write(ByteBuffer(bytes: pending))
                                        pending.removeAll()
                                    }
                                }
                            } catch {
                                // The client's side failed; closing both ends the session.
                            }
                            upstreamChannel.close(promise: nil)
                        }
                        // Upstream to client.
                        do {
                            while let chunk = try await upstreamInbound.next() {
                                await file.record(Array(chunk.readableBytesView), from: .serverToClient)
                                try await clientOutbound.write(chunk)
                            }
                        } catch {
                            // As above.
                        }
                        clientChannel.close(promise: nil)
                        try await group.waitForAll()
                    }
                }
            }
        } catch {
            await file.comment(" The connection ended with an error: \(error)")
        }
        await file.close()
        return path
    }

    /// SSLRequest (80877103) or GSSENCRequest (80877104): length 8 and the request code.
    static func isEncryptionRequest(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 8, bytes[0...3] == [0, 0, 0, 8] else { return false }
        let code = Int32(bitPattern: UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7]))
        return code == FrontendMessage.sslRequestCode || code == FrontendMessage.gssEncryptionRequestCode
    }

    private func connectUpstream(
        eventLoopGroup: any EventLoopGroup
    ) async throws -> (NIOAsyncChannel<ByteBuffer, ByteBuffer>, NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) {
        let channel = try await ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(.seconds(10))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: upstreamHost, port: upstreamPort) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        var inbound = channel.inbound.makeAsyncIterator()
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch upstreamTLS {
        case .disable:
            return (channel, inbound)
        case .require:
            configuration.certificateVerification = .none
        case .verifyFull(let caFile):
            configuration.certificateVerification = .fullVerification
            if let caFile { configuration.trustRoots = .file(caFile) }
        }
        try await channel.outbound.write(ByteBuffer(bytes: FrontendMessage.sslRequest.encoded()))
        guard var answer = try await inbound.next(), let byte = answer.readInteger(as: UInt8.self) else {
            throw CaptureError(.io, "the upstream closed the connection in answer to the SSL request")
        }
        guard byte == UInt8(ascii: "S") else {
            channel.channel.close(promise: nil)
            throw CaptureError(.io, "the upstream \(upstreamHost):\(upstreamPort) does not accept TLS; drop --upstream-tls")
        }
        guard answer.readableBytes == 0 else {
            channel.channel.close(promise: nil)
            throw CaptureError(.io, "the upstream sent data after its answer to the SSL request (CVE-2021-23222)")
        }
        let context = try NIOSSLContext(configuration: configuration)
        let hostname = (try? SocketAddress(ipAddress: upstreamHost, port: 0)) == nil ? upstreamHost : nil
        let nioChannel = channel.channel
        try await nioChannel.eventLoop.submit {
            let handler = try NIOSSLClientHandler(context: context, serverHostname: hostname)
            try nioChannel.pipeline.syncOperations.addHandler(handler, position: .first)
        }.get()
        return (channel, inbound)
    }

    private static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: Date())
    }
}

/// One recording being written: the recorder and the open file, owned by one actor so both
/// directions' chunks are recorded in the order they were read.
actor RecordingFile {
    private var recorder: CaptureRecorder
    private let handle: FileHandle

    init(path: String, redactsSecrets: Bool) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw CaptureError(.io, "cannot create \(path); check the output directory is writable") }
        self.handle = handle
        self.recorder = CaptureRecorder(redactsSecrets: redactsSecrets)
    }

    func record(_ bytes: [UInt8], from direction: SessionRecording.Direction) {
        write(recorder.record(bytes, from: direction))
    }

    func comment(_ text: String) {
        write([.comment(text.split(whereSeparator: \.isNewline).joined(separator: " "))])
    }

    func close() {
        write(recorder.finish())
        try? handle.close()
    }

    private func write(_ entries: [SessionRecording.Entry]) {
        guard !entries.isEmpty else { return }
        var text = ""
        for entry in entries {
            text += SessionRecording.line(entry)
            text += "\n"
        }
        try? handle.write(contentsOf: Array(text.utf8))
    }
}
