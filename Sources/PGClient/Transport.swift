import NIOCore
import NIOPosix
import PGWire

/// Opens TCP channels for connections and cancel requests.
enum Transport {
    /// How many received chunks may wait unread before the channel stops reading the socket.
    static let backPressure = NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark(lowWatermark: 2, highWatermark: 8)

    static func connect(
        _ configuration: ConnectionConfiguration, eventLoopGroup: any EventLoopGroup
    ) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(.nanoseconds(Int64(configuration.connectTimeout.nanoseconds)))
            .channelOption(.socketOption(.so_keepalive), value: configuration.tcpKeepalive ? 1 : 0)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
        do {
            return try await bootstrap.connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: backPressure))
                }
            }
        } catch {
            if case ChannelError.connectTimeout = error {
                throw PostgresError(
                    .timeout, "could not connect to \(configuration.host):\(configuration.port) within \(configuration.connectTimeout)")
            }
            throw PostgresError(
                .connectionClosed,
                "could not connect to \(configuration.host):\(configuration.port): \(error); check that the server is running and accepts TCP connections")
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
