import Foundation
import GraphQLAPI
import LiveViews
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
@testable import Server

/// Runs the server's application in-process on a free loopback port, over one `SourceCache`
/// per source (no database), for the duration of `body`.
enum TestServer {
    static let schema = """
        enums:
          tier: [low, mid, high]
        sources:
          items:
            primary_key: id
            columns:
              id: Integer
              label: String
              tier: tier
        """

    struct Caches: SubscriptionHub {
        let caches: [String: SourceCache]

        func subscribe(source: String, filter: Filter, options: SubscriptionOptions) async throws(LiveViewsError) -> Subscription {
            guard let cache = caches[source] else { preconditionFailure("test schema has no source \(source)") }
            return try await cache.subscribe(filter, options: options)
        }

        func status() async -> [SourceStatus] {
            var statuses: [SourceStatus] = []
            for (name, cache) in caches.sorted(by: { $0.key < $1.key }) {
                statuses.append(SourceStatus(
                    name: name, isRunning: true, timestamp: await cache.timestamp, rowCount: await cache.rowCount,
                    viewCount: await cache.viewCount))
            }
            return statuses
        }
    }

    /// The `items` cache holds rows 1 "one" low and 2 "two" high.
    ///
    /// - Parameter logger: the server's logger; by default one that logs only critical records.
    static func with<T: Sendable>(
        ui: Bool = false, maximumConnections: Int = 10_000, subscriptionOptions: SubscriptionOptions = SubscriptionOptions(),
        logger: Logger? = nil,
        _ body: @Sendable (_ port: Int, _ items: SourceCache) async throws -> T
    ) async throws -> T {
        let api = try APISchema(file: SchemaFile(yaml: schema))
        let items = SourceCache(schema: api.file.sources[0].schema)
        try await items.reset(to: SourceSnapshot(timestamp: 1, rows: [
            [.integer(1), .string("one"), .string("low")], [.integer(2), .string("two"), .string("high")],
        ]))
        let service = try GraphQLService(api: api, hub: Caches(caches: ["items": items]), subscriptionOptions: subscriptionOptions)
        let logger = logger ?? {
            var logger = Logger(label: "ServerTests")
            logger.logLevel = .critical
            return logger
        }()
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let application = TycostreamServer.application(
            service: service, options: .init(host: "127.0.0.1", port: 0, ui: ui, maximumConnections: maximumConnections),
            logger: logger
        ) { channel in
            portSink.yield(channel.localAddress?.port ?? 0)
            portSink.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [application], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestFailure("the server did not start") }
            let result: T
            do {
                result = try await body(port, items)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A minimal HTTP/1.1 and WebSocket (RFC 6455) client over one TCP connection, written out
/// by hand so tests see exactly the status lines, headers and frames the server sends.
struct RawClient {
    var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    var buffer = ByteBuffer()

    static func connect<T: Sendable>(port: Int, _ body: (inout RawClient) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var client = RawClient(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&client)
        }
    }

    struct Head {
        let status: Int
        let headers: [String: String]  // names lower-cased
    }

    /// Reads more bytes; `false` at end of stream.
    mutating func fill() async throws -> Bool {
        guard var more = try await inbound.next() else { return false }
        buffer.writeBuffer(&more)
        return true
    }

    mutating func readHead() async throws -> Head {
        while true {
            let view = buffer.readableBytesView
            if let end = view.firstRange(of: Array("\r\n\r\n".utf8)) {
                let text = String(decoding: view[view.startIndex..<end.lowerBound], as: UTF8.self)
                buffer.moveReaderIndex(forwardBy: end.upperBound - view.startIndex)
                var lines = text.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestFailure("bad status line: \(text)") }
                var headers: [String: String] = [:]
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                return Head(status: status, headers: headers)
            }
            guard try await fill() else { throw TestFailure("connection closed before the response head") }
        }
    }

    /// One request with `Connection: close`; the body is read to the end of the stream.
    mutating func get(_ path: String, headers: [String: String] = [:]) async throws -> (Head, String) {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try await outbound.write(ByteBuffer(string: request + "\r\n"))
        let head = try await readHead()
        while try await fill() {}
        return (head, buffer.readString(length: buffer.readableBytes) ?? "")
    }

    /// The WebSocket opening handshake; the head of the server's answer.
    mutating func upgrade(_ path: String = "/graphql", protocols: [String]?) async throws -> Head {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        if let protocols { request += "Sec-WebSocket-Protocol: \(protocols.joined(separator: ", "))\r\n" }
        try await outbound.write(ByteBuffer(string: request + "\r\n"))
        return try await readHead()
    }

    /// Sends a masked text frame (clients must mask, RFC 6455 §5.3).
    func send(_ text: String) async throws {
        let payload = Array(text.utf8)
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        var frame = ByteBuffer()
        frame.writeInteger(UInt8(0x81))
        if payload.count < 126 {
            frame.writeInteger(UInt8(0x80 | payload.count))
        } else {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(payload.count))
        }
        frame.writeBytes(mask)
        frame.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        try await outbound.write(frame)
    }

    enum Frame: Equatable {
        case text(String)
        case close(code: UInt16?, reason: String)
        case other(opcode: UInt8)
    }

    /// The next frame from the server (unmasked); `nil` at end of stream.
    mutating func receive() async throws -> Frame? {
        while true {
            if let frame = parseFrame() { return frame }
            guard try await fill() else { return nil }
        }
    }

    /// Reads until a text frame or close, skipping pings and the like.
    mutating func receiveMessage() async throws -> Frame? {
        while let frame = try await receive() {
            if case .other = frame { continue }
            return frame
        }
        return nil
    }

    private mutating func parseFrame() -> Frame? {
        var view = buffer
        guard let first = view.readInteger(as: UInt8.self), let second = view.readInteger(as: UInt8.self) else { return nil }
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let extended = view.readInteger(as: UInt16.self) else { return nil }
            length = Int(extended)
        } else if length == 127 {
            guard let extended = view.readInteger(as: UInt64.self) else { return nil }
            length = Int(extended)
        }
        guard let payload = view.readBytes(length: length) else { return nil }
        buffer = view
        switch first & 0x0F {
        case 0x1: return .text(String(decoding: payload, as: UTF8.self))
        case 0x8:
            guard payload.count >= 2 else { return .close(code: nil, reason: "") }
            return .close(code: UInt16(payload[0]) << 8 | UInt16(payload[1]), reason: String(decoding: payload.dropFirst(2), as: UTF8.self))
        case let opcode: return .other(opcode: opcode)
        }
    }
}
