import NIOCore
import NIOPosix
import NIOSSL
import PGWire

/// Cancels the query running on a connection, from any task.
///
/// Cancellation is a CancelRequest sent on a new connection with the
/// session's BackendKeyData (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-CANCELING-REQUESTS).
/// The server never answers it; the running query then fails with SQLSTATE
/// 57014 on its own connection. It is a request: the query may finish first.
public struct CancelHandle: Sendable, Hashable {
    public let configuration: ConnectionConfiguration
    public let key: BackendKeyData

    public func cancel(eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        var writer = ByteWriter(capacity: 16)
        FrontendMessage.cancelRequest(key).encode(into: &writer)
        let request = writer.bytes
        // CancelRequest goes over plain TCP, as libpq does before PostgreSQL 17:
        // it carries only the key, and every server accepts it so.
        var plain = configuration
        plain.sslMode = .disable
        let channel = try await Transport.connect(plain, eventLoopGroup: eventLoopGroup)
        try await channel.executeThenClose { inbound, outbound in
            var buffer = channel.channel.allocator.buffer(capacity: request.count)
            buffer.writeBytes(request)
            try await outbound.write(buffer)
            // The server closes the connection once it has read the request.
            for try await _ in inbound {}
        }
    }
}
