import Foundation
import GraphQLAPI
import Hummingbird
import HummingbirdWebSocket
import Ingest
import LiveViews
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket
import PGClient
import PGSim
import PGWire
import Server
import ServiceLifecycle

/// The server side of FanoutBench, run in a child process so that its CPU and RSS are its own.
///
/// `tycostream`: the full path — PGSim (in-process, loopback) → SubscribeFeed → SourceRegistry →
/// GraphQLService → TycostreamServer.application. `bare`: a Hummingbird WebSocket route that
/// answers `connection_init`, remembers subscription ids and sends every change, already encoded,
/// to every subscription as a graphql-transport-ws `next` frame: no GraphQL, views or cache.
///
/// Both print `ready PORT` on stdout when they accept subscriptions, then drive `rate`
/// upserts per second over a table of `rows` rows (ticks of 10 ms) until killed.
enum BenchServer {
    static let yaml = """
        sources:
          items:
            primary_key: id
            columns:
              id: Integer
              label: String
              qty: Integer
        """

    static func logger() -> Logger {
        var logger = Logger(label: "FanoutBench")
        logger.logLevel = .critical
        return logger
    }

    static func announce(_ port: Int) {
        print("ready \(port)")
        fflush(nil)
    }

    /// A change's label: `t` and CLOCK_MONOTONIC in ns when the change is committed, so the
    /// client (another process on the same machine) can measure the latency the server adds.
    static func stamp() -> String { "t" + String(monotonicNanoseconds()) }

    /// Runs `body` every 10 ms with the number of changes due in that tick, from the moment a
    /// line arrives on stdin (the client has connected and subscribed everything: a saturated
    /// server would otherwise starve its own accept loop).
    static func drive(rate: Int, _ body: (_ count: Int, _ tick: Int) async throws -> Void) async throws {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                _ = readLine()
                continuation.resume()
            }.start()
        }
        guard rate > 0 else {
            while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
            return
        }
        let clock = ContinuousClock()
        let start = clock.now
        var sent = 0
        var tick = 0
        while !Task.isCancelled {
            tick += 1
            try await clock.sleep(until: start + .milliseconds(10 * tick))
            let due = Int(Double(rate) * Double(tick) / 100) - sent
            guard due > 0 else { continue }
            try await body(due, tick)
            sent += due
        }
    }

    // MARK: tycostream

    struct RegistryService<Feed: SourceFeed>: Service {
        let registry: SourceRegistry<Feed, ContinuousClock>
        func run() async throws {
            await cancelWhenGracefulShutdown { await registry.run() }
        }
    }

    static func tycostream(rows: Int, rate: Int) async throws {
        let api = try APISchema(file: SchemaFile(yaml: yaml))
        let schema = api.file.sources[0].schema
        let catalog = Catalog(retention: 3_600_000, maximumLogEntries: max(1_000_000, rows + 100_000))
        try await catalog.createTable(TableSchema(
            name: "items",
            columns: [.init(name: "id", type: .int8, notNull: true), .init(name: "label", type: .text), .init(name: "qty", type: .int4)],
            primaryKey: [0]))
        var start = 0
        while start < rows {
            let end = min(rows, start + 10_000)
            try await catalog.insert(into: "items", rows: (start..<end).map { [.int64(Int64($0)), .text("item-\($0)"), .int32(0)] })
            start = end
        }
        let logger = logger()
        let simConfiguration = SimServer.Configuration(session: .init(users: ["materialize": .trust]), heartbeatInterval: .seconds(1))
        try await SimServer.withRunning(simConfiguration, catalog: catalog) { sim in
            let feed = SubscribeFeed(
                connection: ConnectionConfiguration(
                    host: "127.0.0.1", port: sim.port, user: "materialize", database: "materialize", sslMode: .disable),
                sources: [IngestSource(schema: schema)], clock: ContinuousClock())
            let registry = SourceRegistry(
                schemas: [schema], feed: feed, clock: ContinuousClock(), idleGrace: .seconds(3600), eager: ["items"])
            let service = try GraphQLService(api: api, hub: registry)
            var webSocket = WSConfiguration()
            webSocket.maximumActiveOperations = 1000
            let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
            let application = TycostreamServer.application(
                service: service, options: .init(host: "127.0.0.1", port: 0, webSocket: webSocket), logger: logger
            ) { channel in
                portSink.yield(channel.localAddress?.port ?? 0)
                portSink.finish()
            }
            let group = ServiceGroup(configuration: .init(
                services: [.init(service: RegistryService(registry: registry)), .init(service: application)], logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var iterator = ports.makeAsyncIterator()
                guard let port = await iterator.next() else { throw BenchFailure("the server did not start") }
                // Ready when the snapshot is in the cache.
                while true {
                    let status = await registry.status()
                    if let items = status.first, items.isRunning, items.rowCount == rows { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                announce(port)
                try await drive(rate: rate) { count, tick in
                    var changes: [[Datum]] = []
                    changes.reserveCapacity(count)
                    for index in 0..<count {
                        let id = (tick &* 7919 &+ index) % max(rows, 1)
                        changes.append([.int64(Int64(id)), .text(stamp()), .int32(Int32(truncatingIfNeeded: tick))])
                    }
                    try await catalog.upsert(into: "items", rows: changes)
                }
                tasks.cancelAll()
            }
        }
    }

    // MARK: bare broadcaster

    /// Every connection's outbox; the driver yields each encoded change to all of them.
    final class Broadcaster: Sendable {
        let outboxes = NIOLockedValueBox<[Int: AsyncStream<ByteBuffer>.Continuation]>([:])
        let nextID = NIOLockedValueBox(0)

        func add(_ continuation: AsyncStream<ByteBuffer>.Continuation) -> Int {
            let id = nextID.withLockedValue { value in
                value += 1
                return value
            }
            outboxes.withLockedValue { $0[id] = continuation }
            return id
        }

        func remove(_ id: Int) { _ = outboxes.withLockedValue { $0.removeValue(forKey: id) } }

        func send(_ payload: ByteBuffer) {
            for continuation in outboxes.withLockedValue({ Array($0.values) }) { continuation.yield(payload) }
        }
    }

    static func bare(rows: Int, rate: Int) async throws {
        let broadcaster = Broadcaster()
        let router = Router(context: BasicWebSocketRequestContext.self)
        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        webSocketRouter.ws("/graphql") { _, _ in
            .upgrade([.secWebSocketProtocol: "graphql-transport-ws"])
        } onUpgrade: { inbound, outbound, _ in
            let ids = NIOLockedValueBox<[[UInt8]]>([])
            let (outbox, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingNewest(1024))
            let key = broadcaster.add(continuation)
            defer { broadcaster.remove(key) }
            await withTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    for await payload in outbox {
                        for prefix in ids.withLockedValue({ $0 }) {
                            var buffer = ByteBufferAllocator().buffer(capacity: prefix.count + payload.readableBytes + 1)
                            buffer.writeBytes(prefix)
                            buffer.writeImmutableBuffer(payload)
                            buffer.writeInteger(UInt8(ascii: "}"))
                            do {
                                try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: buffer)))
                            } catch {
                                return
                            }
                        }
                    }
                }
                do {
                    for try await message in inbound.messages(maxSize: 1 << 16) {
                        guard case .text(let text) = message,
                              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                              let type = object["type"] as? String
                        else { continue }
                        if type == "connection_init" {
                            try await outbound.write(.text(#"{"type":"connection_ack"}"#))
                        } else if type == "subscribe", let id = object["id"] as? String {
                            ids.withLockedValue { $0.append(Array(#"{"id":"\#(id)","type":"next","payload":"#.utf8)) }
                        }
                    }
                } catch {}
                continuation.finish()
                tasks.cancelAll()
            }
        }
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: webSocketRouter),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "bare"),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? 0)
                portSink.finish()
            },
            logger: logger())
        let group = ServiceGroup(configuration: .init(services: [application], logger: logger()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw BenchFailure("the server did not start") }
            announce(port)
            try await drive(rate: rate) { count, tick in
                for index in 0..<count {
                    let id = (tick &* 7919 &+ index) % max(rows, 1)
                    let qty = Int32(truncatingIfNeeded: tick)
                    // The shape and size of tycostream's payload for the same change.
                    let json = #"{"data":{"items":{"operation":"UPDATE","data":{"id":\#(id),"label":"\#(stamp())","qty":\#(qty)}}}}"#
                    broadcaster.send(ByteBuffer(string: json))
                }
            }
            tasks.cancelAll()
        }
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
