import Foundation
import Ingest
import LiveViews
import PGClient
import PGSim
import PGWire

/// The ingest snapshot over loopback: PGSim serves a table of ROWS rows (a few mixed columns),
/// a SubscribeFeed takes its snapshot (COPY text, ENVELOPE UPSERT, PROGRESS) into a SourceCache.
/// Prints the time to the snapshot being applied, rows/s and MB/s (CopyData bytes as received).
///
/// Usage: IngestBench [ROWS]   (default 1000000)
@main
struct IngestBench {
    static func main() async throws {
        try await run()
    }

    final class Counter: IngestObserver, @unchecked Sendable {
        // Guarded by `lock`: the observer is called from the ingest task, read from main.
        private let lock = NSLock()
        private var rows = 0
        private var bytes = 0
        func received(source: String, rows: Int, bytes: Int) {
            lock.withLock {
                self.rows += rows
                self.bytes += bytes
            }
        }
        var totals: (rows: Int, bytes: Int) { lock.withLock { (rows, bytes) } }
    }

    nonisolated static func run() async throws {
        let rows = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000
        let table = TableSchema(
            name: "bench",
            columns: [
                .init(name: "id", type: .int8, notNull: true), .init(name: "name", type: .text),
                .init(name: "qty", type: .int4), .init(name: "price", type: .float8), .init(name: "active", type: .bool),
                .init(name: "at", type: .timestamptz),
            ],
            primaryKey: [0])
        let schema = try SourceSchema(
            name: "bench",
            columns: [
                .init(name: "id", type: .integer), .init(name: "name", type: .string), .init(name: "qty", type: .integer),
                .init(name: "price", type: .float), .init(name: "active", type: .boolean), .init(name: "at", type: .timestamp),
            ],
            primaryKey: ["id"])
        let catalog = Catalog(retention: 3_600_000, maximumLogEntries: 1_000_000)
        try await catalog.createTable(table)
        let base: Int64 = 757_382_400_000_000  // 2024-01-01 in µs since 2000-01-01
        var start = 0
        while start < rows {
            let end = min(rows, start + 10_000)
            var batch: [[Datum]] = []
            batch.reserveCapacity(end - start)
            for i in start..<end {
                let id = Int64(i)
                let row: [Datum] = [
                    .int64(id), .text("name-" + String(i)), .int32(Int32(i % 1000)), .float64(Double(i) * 1.5),
                    .bool(i % 2 == 0), .timestamptz(base + id * 1_000_000),
                ]
                batch.append(row)
            }
            try await catalog.insert(into: "bench", rows: batch)
            start = end
        }
        FileHandle.standardError.write(Data("table bench: \(rows) rows\n".utf8))

        let configuration = SimServer.Configuration(
            session: .init(users: ["materialize": .trust]), heartbeatInterval: .seconds(3600))
        try await SimServer.withRunning(configuration, catalog: catalog) { server in
            let counter = Counter()
            let feed = SubscribeFeed(
                connection: ConnectionConfiguration(
                    host: "127.0.0.1", port: server.port, user: "materialize", database: "materialize", sslMode: .disable),
                sources: [IngestSource(schema: schema)], clock: ContinuousClock(), observer: counter)
            let cache = SourceCache(schema: schema)
            let clock = ContinuousClock()
            let began = clock.now
            let (done, signal) = AsyncStream<Void>.makeStream()
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await feed.run(schema) { event in
                            switch event {
                            case .batch(let batch):
                                try await cache.apply(batch)
                                signal.yield()
                            case .reset(let snapshot): try await cache.reset(to: snapshot)
                            case .failed(let error): throw error
                            }
                        }
                    } catch {
                        FileHandle.standardError.write(Data("ingest failed: \(error)\n".utf8))
                    }
                    signal.finish()
                }
                var iterator = done.makeAsyncIterator()
                _ = await iterator.next()
                group.cancelAll()
            }
            let elapsed = clock.now - began
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let cached = await cache.rowCount
            let (received, bytes) = counter.totals
            guard cached == rows else {
                FileHandle.standardError.write(Data("the cache holds \(cached) rows, expected \(rows)\n".utf8))
                exit(1)
            }
            print(String(
                format: "{\"bench\":\"ingest-snapshot\",\"rows\":%d,\"copy_rows\":%d,\"bytes\":%d,\"seconds\":%.3f,\"rows_per_s\":%.0f,\"mb_per_s\":%.1f}",
                rows, received, bytes, seconds, Double(rows) / seconds, Double(bytes) / seconds / 1e6))
        }
    }
}
