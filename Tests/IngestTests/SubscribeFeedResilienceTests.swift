import Foundation
@testable import Ingest
import LiveViews
import PGClient
import PGSim
import PGWire
import Synchronization
import Testing

/// Issue 4's resilience requirements for ingest, over real loopback TCP against PGSim: random
/// drops, refused resumes, fatal and retryable server errors, backpressure and observer hooks.
@Suite struct SubscribeFeedResilienceTests {
    // MARK: 1. Random drops

    /// 100k changes while PGSim drops the connection at seeded random points: every change is
    /// delivered exactly once, one batch per commit, and the cache ends in the Catalog's rows.
    @Test(.timeLimit(.minutes(2)))
    func hundredThousandChangesSurviveRandomDrops() async throws {
        let catalog = Catalog(retention: 600_000)
        try await catalog.createTable(Items.table)
        var writer = ItemsWriter(catalog: catalog, seed: 42)
        try await writer.insert(2000)
        let faults = Faults(randomDrop: .init(maximumMessages: 4000, seed: 7))
        try await SimServer.withRunning(Loopback.simConfiguration(faults: faults), catalog: catalog) { server in
            let observer = RecordingObserver()
            let log = DeliveryLog()
            let cache = SourceCache(schema: Items.schema)
            let feed = Loopback.feed(port: server.port, sources: [Items.source], observer: observer)
            writer = try await withFeed(feed, source: Items.source, log: log, cache: cache) {
                var writer = writer
                // The snapshot first: a drop point is drawn per subscribe from 1...4000 rows, so a
                // snapshot that kept growing past that bound could never complete.
                let snapshotDelivered = await Loopback.waitUntil { !log.events.isEmpty }
                #expect(snapshotDelivered)
                var sizes = SplitMix(seed: 99)
                while writer.changes < 100_000 {
                    try await writer.step(size: 20 + Int(sizes.next() % 180))
                }
                let last = try #require(writer.log.last?.timestamp)
                let caughtUp = await Loopback.waitUntil(timeout: .seconds(100)) { (log.lastTimestamp ?? 0) >= last }
                #expect(caughtUp, "the feed did not catch up with the writer")
                return writer
            }
            #expect(writer.changes >= 100_000)
            #expect(writer.log.count > 400, "many commits")

            let seen = observer.snapshot
            print("random drops: \(writer.changes) changes in \(writer.log.count) commits, \(seen.reconnects.count) drops")
            #expect(seen.reconnects.count >= 20, "the seeded random drops fired \(seen.reconnects.count) times")
            #expect(seen.resnapshots.isEmpty)
            #expect(seen.failures.isEmpty)
            #expect(seen.delivered.filter(\.isSnapshot).count == 1, "one snapshot, however many drops")

            let problems = compareWithWriter(log.batches, writer: writer)
            #expect(problems.isEmpty, "\(problems)")

            var table = KeyedTable()
            for batch in log.batches { table.apply(batch) }
            let catalogRows = try await Items.catalogState(catalog)
            // Compared as Bools: a failing dictionary comparison would print every row.
            #expect(Bool(table.rows == catalogRows), "the delivered batches do not rebuild the Catalog's rows")
            #expect(Bool(writer.typedState == catalogRows), "the writer's model drifted from the Catalog")
            let cached = await cacheState(cache)
            #expect(Bool(cached == catalogRows), "the SourceCache's rows differ from the Catalog's")
            #expect(catalogRows.count > 1000)
        }
    }

    // MARK: 2. Compaction fallback

    /// The resume is refused (AS OF before the compaction horizon): the feed re-snapshots, the
    /// cache turns the reset into the exact difference, and a subscriber's event stream,
    /// applied to a table, is consistent (no insert of a present key, no update or delete of an
    /// absent one) and ends in the Catalog's rows.
    @Test(.timeLimit(.minutes(2)))
    func refusedResumeResnapshotsExactly() async throws {
        let catalog = Catalog(retention: 600_000)
        try await catalog.createTable(Items.table)
        var writer = ItemsWriter(catalog: catalog, seed: 11)
        try await writer.insert(500)
        // The initial subscribe sends 502 rows (progress, snapshot, progress); the drop lands in
        // the commits that follow, and every AS OF is refused, so the reconnect must re-snapshot.
        let faults = Faults(drop: .init(afterMessages: 650), refuseAsOfBefore: .max)
        try await SimServer.withRunning(Loopback.simConfiguration(faults: faults), catalog: catalog) { server in
            let observer = RecordingObserver()
            let log = DeliveryLog()
            let cache = SourceCache(schema: Items.schema)
            let subscription = try await cache.subscribe(.all)
            let subscriber = SubscriberTable()
            let resetTimestamps = Locked<[UInt64]>([])
            let feed = Loopback.feed(port: server.port, sources: [Items.source], observer: observer)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await event in subscription { subscriber.apply(event) }
                }
                writer = try await withFeed(
                    feed, source: Items.source, log: log, cache: cache,
                    deliverHook: { event in
                        if case .reset(let snapshot) = event { resetTimestamps.withLock { $0.append(snapshot.timestamp) } }
                    }
                ) {
                    var writer = writer
                    #expect(await Loopback.waitUntil { !log.events.isEmpty })
                    for _ in 0..<50 { try await writer.step(size: 10) }
                    #expect(await Loopback.waitUntil { !resetTimestamps.withLock(\.isEmpty) }, "no reset was delivered")
                    for _ in 0..<50 { try await writer.step(size: 10) }
                    let last = try #require(writer.log.last?.timestamp)
                    #expect(await Loopback.waitUntil { (log.lastTimestamp ?? 0) >= last })
                    let final = writer.typedState
                    #expect(await Loopback.waitUntil { subscriber.rows == final }, "the subscriber did not reach the final rows")
                    return writer
                }
                subscription.cancel()
                group.cancelAll()
            }
            let seen = observer.snapshot
            #expect(seen.resnapshots.count == 1)
            #expect(seen.resnapshots.first?.contains("could not find a valid timestamp") == true)
            #expect(seen.failures.isEmpty)

            // The reset is the writer's state at its timestamp, and the events around it chain up.
            let resets = log.events.compactMap { if case .reset(let snapshot) = $0 { snapshot } else { nil } }
            let reset = try #require(resets.first)
            #expect(resets.count == 1)
            var resetRows: [Int64: [Value]] = [:]
            for row in reset.rows { resetRows[KeyedTable.key(row)] = row }
            #expect(resetRows == writer.state(at: reset.timestamp, initial: [:]))
            var timestamps: [UInt64] = []
            for event in log.events {
                switch event {
                case .batch(let batch): timestamps.append(batch.timestamp)
                case .reset(let snapshot): timestamps.append(snapshot.timestamp)
                case .failed: Issue.record("the source failed")
                }
            }
            #expect(timestamps == timestamps.sorted() && Set(timestamps).count == timestamps.count)
            // Batches after the reset are exactly the commits after it.
            let after = log.batches.filter { $0.timestamp > reset.timestamp }
            let expected = writer.log.filter { $0.timestamp > reset.timestamp }
            #expect(after.map(\.timestamp) == expected.map(\.timestamp))
            #expect(zip(after, expected).allSatisfy { KeyedTable.effect($0.changes) == $1.effect })

            let catalogRows = try await Items.catalogState(catalog)
            let cached = await cacheState(cache)
            #expect(Bool(cached == catalogRows))
            #expect(Bool(subscriber.rows == catalogRows))
            #expect(subscriber.inconsistencies.isEmpty, "\(subscriber.inconsistencies.prefix(5))")
            #expect(subscriber.resetEvents > 0, "the reset reached the subscriber as a difference")
        }
    }

    // MARK: 3. Errors

    /// A missing relation (42P01) stops the source after one attempt with a message naming it.
    @Test(.timeLimit(.minutes(2)))
    func missingRelationFailsOnce() async throws {
        try await SimServer.withRunning(Loopback.simConfiguration()) { server in
            let source = IngestSource(schema: Items.schema, object: "no_such_items")
            let observer = RecordingObserver()
            let log = DeliveryLog()
            // run returns by itself: a spinning feed would hit the time limit.
            try await Loopback.feed(port: server.port, sources: [source], observer: observer)
                .run(source.schema) { log.append($0) }
            let failure = try #require(log.failures.first)
            #expect(log.events.count == 1)
            #expect(failure.code == .sourceFailed)
            #expect(failure.message.contains("source 'items'"), "\(failure.message)")
            #expect(failure.message.contains("no_such_items"), "\(failure.message)")
            let seen = observer.snapshot
            #expect(seen.reconnects.isEmpty, "one attempt, no reconnect")
            #expect(seen.failures.count == 1)
            #expect(seen.failures.first?.underlying?.sqlState == "42P01")
        }
    }

    /// A timestamp larger than the configured bound stops the source instead of exhausting memory.
    @Test(.timeLimit(.minutes(2)))
    func oversizedBatchStopsTheSource() async throws {
        let catalog = Catalog()
        try await catalog.createTable(Items.table)
        try await catalog.insert(into: Items.table.name, rows: (1...50).map { Items.row(id: Int64($0), name: "n\($0)", qty: 1, price: 1.5, active: true) })
        try await SimServer.withRunning(Loopback.simConfiguration(), catalog: catalog) { server in
            let source = IngestSource(schema: Items.schema)
            let log = DeliveryLog()
            try await Loopback.feed(port: server.port, sources: [source], maximumBatchRows: 10)
                .run(source.schema) { log.append($0) }
            let failure = try #require(log.failures.first)
            #expect(log.events.count == 1, "nothing of the oversized snapshot is delivered")
            #expect(failure.message.contains("more than 10 rows"), "\(failure.message)")
        }
    }

    /// A schema column the relation lacks (42703) stops the source after one attempt.
    @Test(.timeLimit(.minutes(2)))
    func missingColumnFailsOnce() async throws {
        let catalog = Catalog()
        try await catalog.createTable(Items.table)
        try await SimServer.withRunning(Loopback.simConfiguration(), catalog: catalog) { server in
            let schema = try SourceSchema(
                name: "items",
                columns: Items.schema.columns + [.init(name: "colour", type: .string)], primaryKey: ["id"])
            let source = IngestSource(schema: schema)
            let observer = RecordingObserver()
            let log = DeliveryLog()
            try await Loopback.feed(port: server.port, sources: [source], observer: observer)
                .run(schema) { log.append($0) }
            let failure = try #require(log.failures.first)
            #expect(log.events.count == 1)
            #expect(failure.message.contains("source 'items'"), "\(failure.message)")
            #expect(failure.message.contains("colour"), "\(failure.message)")
            let seen = observer.snapshot
            #expect(seen.reconnects.isEmpty)
            #expect(seen.failures.first?.underlying?.sqlState == "42703")
        }
    }

    /// A retryable error in the middle of the stream (a subscribe that fell behind, a failed
    /// replica) reconnects once and resumes where it was: no change lost or repeated.
    @Test(
        .timeLimit(.minutes(2)),
        arguments: [
            ("53200", "subscribe fell behind: buffered bytes exceeded subscribe_max_buffered_bytes"),
            ("XX000", "target replica failed or was dropped"),
        ])
    func midStreamRetryableErrorResumes(sqlState: String, message: String) async throws {
        let catalog = Catalog(retention: 600_000)
        try await catalog.createTable(Items.table)
        var writer = ItemsWriter(catalog: catalog, seed: 23)
        try await writer.insert(200)
        let faults = Faults(error: .init(afterMessages: 320, sqlState: sqlState, message: message))
        try await SimServer.withRunning(Loopback.simConfiguration(faults: faults), catalog: catalog) { server in
            let observer = RecordingObserver()
            let log = DeliveryLog()
            let feed = Loopback.feed(port: server.port, sources: [Items.source], observer: observer)
            writer = try await withFeed(feed, source: Items.source, log: log) {
                var writer = writer
                #expect(await Loopback.waitUntil { !log.events.isEmpty })
                for _ in 0..<40 { try await writer.step(size: 10) }
                let last = try #require(writer.log.last?.timestamp)
                #expect(await Loopback.waitUntil { (log.lastTimestamp ?? 0) >= last })
                return writer
            }
            let seen = observer.snapshot
            #expect(seen.reconnects.count == 1)
            #expect(seen.reconnects.first?.reason.contains(message) == true, "\(seen.reconnects.map(\.reason))")
            #expect(seen.resnapshots.isEmpty)
            #expect(seen.failures.isEmpty)
            let problems = compareWithWriter(log.batches, writer: writer)
            #expect(problems.isEmpty, "\(problems)")
            var table = KeyedTable()
            for batch in log.batches { table.apply(batch) }
            let catalogRows = try await Items.catalogState(catalog)
            #expect(Bool(table.rows == catalogRows))
        }
    }

    // MARK: 4. Backpressure

    /// A consumer that delivers slowly stops the feed's reads: with 100k wide rows committed,
    /// the feed has pulled only what the consumer took plus the socket buffers, so PGSim's
    /// subscribe waits for writability instead of everything piling up in the client. Once the
    /// consumer speeds up, everything arrives, exactly.
    @Test(.timeLimit(.minutes(2)))
    func slowConsumerStopsTheReads() async throws {
        let catalog = Catalog(retention: 600_000)
        try await catalog.createTable(Items.table)
        var writer = ItemsWriter(catalog: catalog, seed: 5, padding: String(repeating: "x", count: 200))
        let slow = Flag(true)
        try await SimServer.withRunning(Loopback.simConfiguration(), catalog: catalog) { server in
            let observer = RecordingObserver()
            let log = DeliveryLog()
            let feed = Loopback.feed(port: server.port, sources: [Items.source], observer: observer)
            writer = try await withFeed(
                feed, source: Items.source, log: log,
                deliverHook: { _ in if slow.isSet { try await Task.sleep(for: .milliseconds(100)) } }
            ) {
                var writer = writer
                #expect(await Loopback.waitUntil { !log.events.isEmpty })
                for _ in 0..<200 { try await writer.insert(500) }
                let pending = writer.changes
                try await Task.sleep(for: .seconds(2))
                let first = observer.snapshot
                try await Task.sleep(for: .seconds(1))
                let second = observer.snapshot
                let deliveredRows = second.delivered.reduce(0) { $0 + $1.changes }
                let bytesPerRow = second.receivedBytes / max(1, second.receivedRows)
                print("backpressure: committed \(pending) rows (~\(pending * bytesPerRow / 1_000_000) MB); after 3 s the feed had received \(second.receivedRows) rows (\(second.receivedBytes / 1000) kB), delivered \(deliveredRows)")
                #expect(pending == 100_000)
                #expect(second.receivedRows < pending / 2, "the feed kept reading while its consumer was slow")
                // In one second the slow consumer takes about 10 batches of 500 rows; the feed
                // reads no faster than that, give or take what the socket buffers held.
                #expect(second.receivedRows - first.receivedRows < 20_000)
                slow.set(false)
                let last = try #require(writer.log.last?.timestamp)
                #expect(await Loopback.waitUntil(timeout: .seconds(60)) { (log.lastTimestamp ?? 0) >= last })
                return writer
            }
            let problems = compareWithWriter(log.batches, writer: writer)
            #expect(problems.isEmpty, "\(problems)")
        }
    }

    // MARK: 6. Observer

    /// Every hook fires with the right values: rows and bytes received, batches delivered (the
    /// snapshot flagged), progress with its lag against the injected wall clock, one reconnect.
    @Test(.timeLimit(.minutes(2)))
    func observerHooksFire() async throws {
        let base: UInt64 = 1_700_000_000_000
        let catalog = Catalog(clock: { base }, retention: 600_000)
        try await catalog.createTable(Items.table)
        var writer = ItemsWriter(catalog: catalog, seed: 3)
        try await writer.insert(100)
        let faults = Faults(drop: .init(afterMessages: 150))
        try await SimServer.withRunning(Loopback.simConfiguration(faults: faults), catalog: catalog) { server in
            let observer = RecordingObserver()
            let log = DeliveryLog()
            let wall = base + 60_000
            let feed = Loopback.feed(
                port: server.port, sources: [Items.source], observer: observer, wallClockMilliseconds: { wall })
            writer = try await withFeed(feed, source: Items.source, log: log) {
                var writer = writer
                #expect(await Loopback.waitUntil { !log.events.isEmpty })
                for _ in 0..<20 { try await writer.step(size: 10) }
                let last = try #require(writer.log.last?.timestamp)
                #expect(await Loopback.waitUntil { (log.lastTimestamp ?? 0) >= last })
                return writer
            }
            let seen = observer.snapshot
            // PGSim sends one row per CopyData: every call reports one row and its message bytes.
            #expect(seen.receivedRows == seen.receivedCalls)
            #expect(seen.receivedRows > 100 + writer.log.count)
            #expect(seen.receivedBytes > seen.receivedRows * 30)
            // delivered: one call per delivered batch, the first one the snapshot.
            let batches = log.batches
            #expect(seen.delivered.count == batches.count)
            #expect(seen.delivered.first?.isSnapshot == true)
            #expect(seen.delivered.first?.changes == 100)
            #expect(seen.delivered.dropFirst().allSatisfy { !$0.isSnapshot })
            #expect(seen.delivered.map(\.timestamp) == batches.map(\.timestamp))
            #expect(seen.delivered.map(\.changes) == batches.map(\.changes.count))
            // progressed: strictly increasing, lag = wall clock - progress.
            #expect(!seen.progressed.isEmpty)
            #expect(zip(seen.progressed, seen.progressed.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp })
            #expect(seen.progressed.allSatisfy { $0.lag == Int64(wall) - Int64($0.timestamp) })
            #expect(seen.progressed.last.map { $0.timestamp > writer.log.last!.timestamp } == true)
            // reconnecting: the one drop.
            #expect(seen.reconnects.count == 1)
            #expect(seen.reconnects.first?.attempt == 1)
            #expect(seen.reconnects.first.map { $0.delay > .zero && $0.delay <= .milliseconds(1) } == true)
            #expect(compareWithWriter(batches, writer: writer).isEmpty)
        }
    }

    /// A refused resume reports `resnapshotting`; a fatal error reports `failed`.
    @Test(.timeLimit(.minutes(2)))
    func observerSeesResnapshotAndFailure() async throws {
        let catalog = Catalog(retention: 600_000)
        try await catalog.createTable(Items.table)
        var writer = ItemsWriter(catalog: catalog, seed: 4)
        try await writer.insert(50)
        let faults = Faults(drop: .init(afterMessages: 60), refuseAsOfBefore: .max)
        try await SimServer.withRunning(Loopback.simConfiguration(faults: faults), catalog: catalog) { server in
            let observer = RecordingObserver()
            let log = DeliveryLog()
            let feed = Loopback.feed(port: server.port, sources: [Items.source], observer: observer)
            try await withFeed(feed, source: Items.source, log: log) {
                #expect(await Loopback.waitUntil { !log.events.isEmpty })
                for _ in 0..<5 { try await writer.step(size: 10) }
                // Wait for the reset itself, so the re-snapshot's subscribe is running when the table goes.
                #expect(await Loopback.waitUntil {
                    log.events.contains { if case .reset = $0 { true } else { false } }
                })
                // Dropping the table ends the subscribe with 42704 "was dropped": fatal.
                try await catalog.dropTable("items")
                #expect(await Loopback.waitUntil { !log.failures.isEmpty })
            }
            let seen = observer.snapshot
            #expect(seen.resnapshots.count == 1)
            #expect(seen.failures.count == 1)
            #expect(seen.failures.first?.underlying?.sqlState == "42704")
            #expect(log.failures.first?.message.contains("was dropped") == true)
        }
    }
}

/// A subscriber's view of the rows, rebuilt from its events, with a record of every event that
/// does not fit the rows seen so far (a gap or a duplicate).
final class SubscriberTable: Sendable {
    private struct State {
        var rows: [Int64: [Value]] = [:]
        var inconsistencies: [String] = []
        var resetEvents = 0
    }

    private let state = Mutex(State())

    var rows: [Int64: [Value]] { state.withLock { $0.rows } }
    var inconsistencies: [String] { state.withLock { $0.inconsistencies } }
    var resetEvents: Int { state.withLock { $0.resetEvents } }

    func apply(_ event: ViewEvent) {
        let key = KeyedTable.key(event.row.keyValues)
        state.withLock { state in
            if event.fromReset { state.resetEvents += 1 }
            switch event.operation {
            case .insert:
                if state.rows[key] != nil { state.inconsistencies.append("insert of present key \(key)") }
                state.rows[key] = event.row.values
            case .update:
                if state.rows[key] == nil { state.inconsistencies.append("update of absent key \(key)") }
                if let previous = event.previous, state.rows[key] != previous.values {
                    state.inconsistencies.append("update of \(key) from a row the subscriber never saw")
                }
                state.rows[key] = event.row.values
            case .delete:
                if state.rows.removeValue(forKey: key) == nil { state.inconsistencies.append("delete of absent key \(key)") }
            }
        }
    }
}
