import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Totals shared by every connection's handler; handlers add their counts once per read burst.
final class Totals: Sendable {
    struct Counts {
        var messages = 0
        var bytes = 0
        var acked = 0
        var closed = 0
    }
    let counts = NIOLockedValueBox(Counts())
    var snapshot: Counts { counts.withLockedValue { $0 } }
}

/// Latency samples in ns (now − the label's commit stamp) while `recording`.
final class LatencyRecorder: Sendable {
    struct State {
        var recording = false
        var samples: [UInt64] = []
    }
    let state = NIOLockedValueBox(State())

    /// Finds `"label":"t<digits>` in a `next` payload.
    func record(_ buffer: ByteBuffer, at start: Int, length: Int) {
        let now = monotonicNanoseconds()
        guard let view = buffer.viewBytes(at: start, length: length),
              let found = view.firstRange(of: Array(#""label":"t"#.utf8)) else { return }
        var stamp: UInt64 = 0
        var index = found.upperBound
        while index < view.endIndex, view[index] >= 48, view[index] <= 57 {
            stamp = stamp &* 10 &+ UInt64(view[index] - 48)
            index += 1
        }
        guard stamp > 0, now >= stamp else { return }
        state.withLockedValue { if $0.recording { $0.samples.append(now - stamp) } }
    }
}

/// A raw graphql-transport-ws client on one NIO channel, lighter than a general WebSocket client
/// at thousands of connections: it parses frame headers in place, counts `next` frames
/// (text frames starting with `{"id"`), answers pings, and allocates nothing per frame.
final class LoadClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State { case handshake, open }
    private var state = State.handshake
    private var buffer = ByteBuffer()
    private var messages = 0
    private var bytes = 0
    private let subscriptions: [String]
    private let totals: Totals
    private let latency: LatencyRecorder?

    init(subscriptions: [String], totals: Totals, latency: LatencyRecorder? = nil) {
        self.subscriptions = subscriptions
        self.totals = totals
        self.latency = latency
    }

    func channelActive(context: ChannelHandlerContext) {
        let request = "GET /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        totals.counts.withLockedValue { $0.closed += 1 }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer.readableBytes == 0 {
            buffer = incoming
        } else {
            buffer.writeBuffer(&incoming)
        }
        if state == .handshake {
            let view = buffer.readableBytesView
            guard let end = view.firstRange(of: [13, 10, 13, 10]) else { return }
            buffer.moveReaderIndex(forwardBy: end.upperBound - view.startIndex)
            state = .open
            send(context: context, #"{"type":"connection_init"}"#)
        }
        while let next = nextFrame() {
            let (opcode, payloadStart, length) = next
            switch opcode {
            case 0x1:
                if length >= 5, buffer.getInteger(at: payloadStart, as: UInt32.self) == 0x7B22_6964 {  // {"id
                    messages += 1
                    bytes += length
                    latency?.record(buffer, at: payloadStart, length: length)
                } else if buffer.getString(at: payloadStart, length: length)?.contains("connection_ack") == true {
                    totals.counts.withLockedValue { $0.acked += 1 }
                    for subscription in subscriptions { send(context: context, subscription) }
                    context.flush()
                }
            case 0x9:
                let payload = buffer.getSlice(at: payloadStart, length: length) ?? ByteBuffer()
                context.writeAndFlush(wrapOutboundOut(frame(opcode: 0xA, payload: payload)), promise: nil)
            case 0x8:
                context.close(promise: nil)
            default:
                break
            }
            buffer.moveReaderIndex(to: payloadStart + length)
        }
        if buffer.readableBytes == 0 { buffer.clear() } else if buffer.readerIndex > 1 << 16 { buffer.discardReadBytes() }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard messages > 0 else { return }
        let (m, b) = (messages, bytes)
        messages = 0
        bytes = 0
        totals.counts.withLockedValue {
            $0.messages += m
            $0.bytes += b
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// The next complete server frame (unmasked, RFC 6455 §5.2): opcode, payload offset, length.
    private func nextFrame() -> (UInt8, Int, Int)? {
        let start = buffer.readerIndex
        guard let first = buffer.getInteger(at: start, as: UInt8.self),
              let second = buffer.getInteger(at: start + 1, as: UInt8.self) else { return nil }
        var length = Int(second & 0x7F)
        var header = 2
        if length == 126 {
            guard let extended = buffer.getInteger(at: start + 2, as: UInt16.self) else { return nil }
            length = Int(extended)
            header = 4
        } else if length == 127 {
            guard let extended = buffer.getInteger(at: start + 2, as: UInt64.self) else { return nil }
            length = Int(extended)
            header = 10
        }
        guard buffer.readableBytes >= header + length else { return nil }
        return (first & 0x0F, start + header, length)
    }

    private func send(context: ChannelHandlerContext, _ text: String) {
        context.write(wrapOutboundOut(frame(opcode: 0x1, payload: ByteBuffer(string: text))), promise: nil)
        context.flush()
    }

    /// A masked client frame; the all-zero mask key leaves the payload as is (RFC 6455 §5.3).
    private func frame(opcode: UInt8, payload: ByteBuffer) -> ByteBuffer {
        var frame = ByteBuffer()
        frame.writeInteger(UInt8(0x80 | opcode))
        if payload.readableBytes < 126 {
            frame.writeInteger(UInt8(0x80 | payload.readableBytes))
        } else {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(payload.readableBytes))
        }
        frame.writeInteger(UInt32(0))
        var payload = payload
        frame.writeBuffer(&payload)
        return frame
    }
}

enum LoadClient {
    /// Opens `connections` connections, each subscribing with `subscriptions(connection)`.
    static func connect(
        port: Int, connections: Int, group: MultiThreadedEventLoopGroup, totals: Totals, latency: LatencyRecorder? = nil,
        subscriptions: @escaping @Sendable (Int) -> [String]
    ) async throws -> [any Channel] {
        var channels: [any Channel] = []
        channels.reserveCapacity(connections)
        // In waves, so the listen backlog is not overrun.
        for wave in stride(from: 0, to: connections, by: 250) {
            let futures = (wave..<min(connections, wave + 250)).map { index in
                ClientBootstrap(group: group)
                    .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                    .connectTimeout(.seconds(120))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                LoadClientHandler(subscriptions: subscriptions(index), totals: totals, latency: latency))
                        }
                    }
                    .connect(host: "127.0.0.1", port: port)
            }
            for future in futures { channels.append(try await future.get()) }
        }
        return channels
    }

    static func subscribe(_ id: String, _ query: String) -> String {
        #"{"type":"subscribe","id":"\#(id)","payload":{"query":"\#(query)"}}"#
    }
}
