import Foundation
@testable import Ingest
import LiveViews
import PGClient
import PGSim
import PGWire
import Synchronization
import Testing

/// Loopback plumbing shared by the resilience and replay tests: PGSim configurations, the
/// client configuration, a fast backoff, and waiting for a condition.
enum Loopback {
    /// Reconnects within milliseconds so tests with dozens of drops stay fast; no jitter keeps them deterministic.
    static let fastBackoff = BackoffPolicy(initial: .milliseconds(1), maximum: .milliseconds(20), multiplier: 2, jitter: 0)

    static func connection(port: Int) -> ConnectionConfiguration {
        ConnectionConfiguration(
            host: "127.0.0.1", port: port, user: "materialize", database: "materialize", sslMode: .disable,
            connectTimeout: .seconds(5), authenticationTimeout: .seconds(10))
    }

    /// PGSim with heartbeats too rare to fire during a test unless asked for.
    ///
    /// Why rare by default: a heartbeat claims a read timestamp *after* the subscribe last read
    /// the commit log, so a commit landing in between is emitted at the heartbeat's frontier
    /// rather than at its own timestamp (SubscribeStream's documented restamping). The stream is
    /// still consistent, but tests that compare every batch with the writer's commit at the same
    /// timestamp need commits to keep their timestamps.
    static func simConfiguration(heartbeat: Duration = .seconds(3600), faults: Faults = .none) -> SimServer.Configuration {
        SimServer.Configuration(session: .init(users: ["materialize": .trust]), heartbeatInterval: heartbeat, faults: faults)
    }

    /// A feed against `port` on the continuous clock.
    static func feed(
        port: Int, sources: [IngestSource], observer: (any IngestObserver)? = nil,
        backoff: BackoffPolicy = fastBackoff, maximumBatchRows: Int = 20_000_000,
        wallClockMilliseconds: (@Sendable () -> UInt64)? = nil
    ) -> SubscribeFeed<ContinuousClock> {
        if let wallClockMilliseconds {
            return SubscribeFeed(
                connection: connection(port: port), sources: sources, backoff: backoff,
                maximumBatchRows: maximumBatchRows, clock: ContinuousClock(),
                observer: observer, wallClockMilliseconds: wallClockMilliseconds, randomUnit: { 0.5 })
        }
        return SubscribeFeed(
            connection: connection(port: port), sources: sources, backoff: backoff,
            maximumBatchRows: maximumBatchRows, clock: ContinuousClock(),
            observer: observer, randomUnit: { 0.5 })
    }

    /// Polls `condition` every few milliseconds until it holds or `timeout` passes; whether it held.
    static func waitUntil(timeout: Duration = .seconds(30), _ condition: () async -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return await condition()
    }
}

/// The table the resilience tests write: `items(id int8 key, name text, qty int4, price float8, active bool)`.
enum Items {
    static let table = TableSchema(
        name: "items",
        columns: [
            .init(name: "id", type: .int8, notNull: true), .init(name: "name", type: .text),
            .init(name: "qty", type: .int4), .init(name: "price", type: .float8), .init(name: "active", type: .bool),
        ],
        primaryKey: [0])

    static let schema = try! SourceSchema(
        name: "items",
        columns: [
            .init(name: "id", type: .integer), .init(name: "name", type: .string), .init(name: "qty", type: .integer),
            .init(name: "price", type: .float), .init(name: "active", type: .boolean),
        ],
        primaryKey: ["id"])

    static let source = IngestSource(schema: schema)

    static func row(id: Int64, name: String, qty: Int32, price: Double, active: Bool) -> [Datum] {
        [.int64(id), .text(name), .int32(qty), .float64(price), .bool(active)]
    }

    /// A Catalog row as the typed values ingest decodes it into.
    static func values(_ row: [Datum]) -> [Value] {
        row.map { datum in
            switch datum {
            case .int64(let v): .integer(v)
            case .int32(let v): .integer(Int64(v))
            case .text(let v): .string(v)
            case .float64(let v): .float(v)
            case .bool(let v): .bool(v)
            case .null: .null
            default: preconditionFailure("Items has no column of this type: \(datum)")
            }
        }
    }

    static func id(_ row: [Datum]) -> Int64 {
        guard case .int64(let id) = row[0] else { preconditionFailure("items.id is int8") }
        return id
    }

    /// The Catalog's current rows keyed by id.
    static func catalogState(_ catalog: Catalog, table: String = "items") async throws -> [Int64: [Value]] {
        var state: [Int64: [Value]] = [:]
        for row in try await catalog.rows(of: table) { state[id(row)] = values(row) }
        return state
    }
}

/// A source's rows as a consumer rebuilds them from feed events, keyed by the (single) id column.
struct KeyedTable: Equatable {
    var rows: [Int64: [Value]] = [:]

    static func key(_ values: [Value]) -> Int64 {
        guard case .integer(let id) = values.first else { preconditionFailure("the first key value is an integer id") }
        return id
    }

    mutating func apply(_ change: SourceChange) {
        switch change {
        case .upsert(let values): rows[Self.key(values)] = values
        case .delete(let key): rows.removeValue(forKey: Self.key(key))
        }
    }

    mutating func apply(_ batch: SourceBatch) {
        for change in batch.changes { apply(change) }
    }

    mutating func reset(_ snapshot: SourceSnapshot) {
        rows = [:]
        for row in snapshot.rows { rows[Self.key(row)] = row }
    }

    /// A batch's changes as "key → final row (nil: deleted)", the upsert envelope's meaning.
    static func effect(_ changes: [SourceChange]) -> [Int64: [Value]?] {
        var effect: [Int64: [Value]?] = [:]
        for change in changes {
            switch change {
            case .upsert(let values): effect[key(values)] = .some(values)
            case .delete(let keyValues): effect[key(keyValues)] = .some(nil)
            }
        }
        return effect
    }
}

/// The cache's rows keyed by id.
func cacheState(_ cache: SourceCache) async -> [Int64: [Value]] {
    var state: [Int64: [Value]] = [:]
    for row in await cache.rows() { state[KeyedTable.key(row.keyValues)] = row.values }
    return state
}

/// Every event a feed delivered, in order, for checking afterwards.
final class DeliveryLog: Sendable {
    private let state = Mutex<[SourceFeedEvent]>([])

    func append(_ event: SourceFeedEvent) { state.withLock { $0.append(event) } }
    var events: [SourceFeedEvent] { state.withLock { $0 } }

    var batches: [SourceBatch] {
        events.compactMap { if case .batch(let batch) = $0 { batch } else { nil } }
    }

    var lastTimestamp: UInt64? {
        state.withLock { events in
            for event in events.reversed() {
                switch event {
                case .batch(let batch): return batch.timestamp
                case .reset(let snapshot): return snapshot.timestamp
                case .failed: continue
                }
            }
            return nil
        }
    }

    var failures: [LiveViewsError] {
        events.compactMap { if case .failed(let error) = $0 { error } else { nil } }
    }
}

/// An ``IngestObserver`` that records every call.
final class RecordingObserver: IngestObserver {
    struct Reconnect: Sendable {
        var attempt: Int
        var delay: Duration
        var reason: String
    }

    struct State: Sendable {
        var receivedRows = 0
        var receivedBytes = 0
        var receivedCalls = 0
        var delivered: [(timestamp: UInt64, changes: Int, isSnapshot: Bool)] = []
        var progressed: [(timestamp: UInt64, lag: Int64)] = []
        var reconnects: [Reconnect] = []
        var resnapshots: [String] = []
        var failures: [IngestError] = []
    }

    private let state = Mutex(State())

    var snapshot: State { state.withLock { $0 } }

    func received(source: String, rows: Int, bytes: Int) {
        state.withLock {
            $0.receivedRows += rows
            $0.receivedBytes += bytes
            $0.receivedCalls += 1
        }
    }

    func delivered(source: String, timestamp: UInt64, changes: Int, isSnapshot: Bool) {
        state.withLock { $0.delivered.append((timestamp, changes, isSnapshot)) }
    }

    func progressed(source: String, timestamp: UInt64, lagMilliseconds: Int64) {
        state.withLock { $0.progressed.append((timestamp, lagMilliseconds)) }
    }

    func reconnecting(source: String, attempt: Int, delay: Duration, reason: String) {
        state.withLock { $0.reconnects.append(Reconnect(attempt: attempt, delay: delay, reason: reason)) }
    }

    func resnapshotting(source: String, reason: String) {
        state.withLock { $0.resnapshots.append(reason) }
    }

    func failed(source: String, error: IngestError) {
        state.withLock { $0.failures.append(error) }
    }
}

/// SplitMix64: a small seeded generator so the writers' workloads are the same on every run.
struct SplitMix: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Applies a seeded mix of inserts, upserts, updates and deletes to `items`, one Catalog call
/// (one commit) at a time, and keeps its own log of what each commit changed: the writer's
/// truth that delivered batches are compared with.
struct ItemsWriter {
    /// One commit: its timestamp and its effect per key (nil: the row was deleted).
    struct Entry: Sendable {
        var timestamp: UInt64
        var effect: [Int64: [Value]?]
    }

    let catalog: Catalog
    private var generator: SplitMix
    private(set) var state: [Int64: [Datum]] = [:]
    private(set) var log: [Entry] = []
    /// Row-level changes applied so far (an update counts once).
    private(set) var changes = 0
    private var nextID: Int64 = 1
    private let padding: String

    /// - Parameter padding: appended to every name, to make rows wider.
    init(catalog: Catalog, seed: UInt64, padding: String = "") {
        self.catalog = catalog
        self.generator = SplitMix(seed: seed)
        self.padding = padding
    }

    private mutating func newRow() -> [Datum] {
        let id = nextID
        nextID += 1
        return freshValues(id: id, version: 0)
    }

    private mutating func freshValues(id: Int64, version: Int32) -> [Datum] {
        let qty = Int32(truncatingIfNeeded: generator.next() % 1000) &+ version
        let price = Double(generator.next() % 100_000) / 4
        return Items.row(id: id, name: "item-\(id)-v\(version)\(padding)", qty: qty, price: price, active: generator.next() % 2 == 0)
    }

    private mutating func existingIDs(_ count: Int) -> [Int64] {
        guard !state.isEmpty else { return [] }
        let ids = Array(state.keys)
        var chosen = Set<Int64>()
        for _ in 0..<count { chosen.insert(ids[Int(generator.next() % UInt64(ids.count))]) }
        return Array(chosen)
    }

    /// Records a commit: the effect on each touched key, skipping keys whose row did not change.
    private mutating func record(_ timestamp: UInt64, touched: [Int64], after: [Int64: [Datum]?]) {
        var effect: [Int64: [Value]?] = [:]
        for id in touched {
            let before = state[id]
            let new = after[id] ?? nil
            if before != new { effect[id] = .some(new.map(Items.values)) }
            if let new { state[id] = new } else { state.removeValue(forKey: id) }
        }
        if !effect.isEmpty { log.append(Entry(timestamp: timestamp, effect: effect)) }
    }

    /// Inserts `count` new rows in one commit.
    mutating func insert(_ count: Int) async throws {
        let rows = (0..<count).map { _ in newRow() }
        let timestamp = try await catalog.insert(into: "items", rows: rows)
        changes += rows.count
        record(timestamp, touched: rows.map(Items.id), after: Dictionary(uniqueKeysWithValues: rows.map { (Items.id($0), $0) }))
    }

    /// One random commit of about `size` changes; the mix leans to inserts while the table is small.
    mutating func step(size: Int) async throws {
        let roll = generator.next() % 100
        let small = state.count < 500
        switch roll {
        case _ where small || roll < 30:
            try await insert(size)
        case 30..<60:
            // Upsert: mostly existing keys (new values), some new keys; two rows for one key in one call.
            var rows: [[Datum]] = []
            for id in existingIDs(size * 3 / 4) {
                rows.append(freshValues(id: id, version: Int32(generator.next() % 50) + 1))
            }
            for _ in 0..<(size - rows.count) { rows.append(newRow()) }
            if let first = rows.first {
                rows.append(freshValues(id: Items.id(first), version: 99))
            }
            let timestamp = try await catalog.upsert(into: "items", rows: rows)
            var after: [Int64: [Datum]?] = [:]
            for row in rows { after[Items.id(row)] = .some(row) }
            changes += after.count
            record(timestamp, touched: Array(after.keys), after: after)
        case 60..<80:
            let ids = Set(existingIDs(size))
            let bump = Int32(generator.next() % 7) + 1
            let result = try await catalog.update(
                "items", where: { ids.contains(Items.id($0)) },
                set: { row in
                    var row = row
                    if case .int32(let qty) = row[2] { row[2] = .int32(qty &+ bump) }
                    if case .bool(let active) = row[4] { row[4] = .bool(!active) }
                    return row
                })
            var after: [Int64: [Datum]?] = [:]
            for id in ids {
                guard var row = state[id] else { continue }
                if case .int32(let qty) = row[2] { row[2] = .int32(qty &+ bump) }
                if case .bool(let active) = row[4] { row[4] = .bool(!active) }
                after[id] = .some(row)
            }
            changes += result.count
            record(result.timestamp, touched: Array(ids), after: after)
        default:
            let ids = Set(existingIDs(size))
            let result = try await catalog.delete(from: "items", where: { ids.contains(Items.id($0)) })
            changes += result.count
            record(result.timestamp, touched: Array(ids), after: Dictionary(uniqueKeysWithValues: ids.map { ($0, nil) }))
        }
    }

    /// The rows as of `timestamp`: replaying the log over `initial` (the rows before the first logged commit).
    func state(at timestamp: UInt64, initial: [Int64: [Value]]) -> [Int64: [Value]] {
        var rows = initial
        for entry in log where entry.timestamp <= timestamp {
            for (id, row) in entry.effect {
                if let row { rows[id] = row } else { rows.removeValue(forKey: id) }
            }
        }
        return rows
    }

    var typedState: [Int64: [Value]] { state.mapValues(Items.values) }
}

/// Runs `feed` for `source` in a child task while `body` runs, then cancels it; every event
/// goes to `log` and, if given, to `cache`.
func withFeed<R: Sendable>(
    _ feed: SubscribeFeed<ContinuousClock>, source: IngestSource, log: DeliveryLog, cache: SourceCache? = nil,
    deliverHook: (@Sendable (SourceFeedEvent) async throws -> Void)? = nil,
    _ body: () async throws -> R
) async throws -> R {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            try await feed.run(source.schema) { event in
                try await deliverHook?(event)
                if let cache {
                    switch event {
                    case .batch(let batch): try await cache.apply(batch)
                    case .reset(let snapshot): try await cache.reset(to: snapshot)
                    case .failed(let error): await cache.fail(error)
                    }
                }
                log.append(event)
            }
        }
        do {
            let result = try await body()
            group.cancelAll()
            do {
                try await group.waitForAll()
            } catch is CancellationError {
                // A delivery that was sleeping when the feed was cancelled.
            }
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// A flag shared with a `@Sendable` delivery closure.
final class Flag: Sendable {
    private let value: Atomic<Bool>
    init(_ initial: Bool) { value = Atomic(initial) }
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set(_ new: Bool) { value.store(new, ordering: .relaxed) }
}

/// Compares what a feed delivered with the writer's log: a snapshot first (equal to the
/// writer's state at its timestamp), then exactly one batch per later non-empty commit, at the
/// commit's timestamp and with the commit's effect. Returns the problems found (empty: exact).
func compareWithWriter(_ batches: [SourceBatch], writer: ItemsWriter, initial: [Int64: [Value]] = [:]) -> [String] {
    guard let snapshot = batches.first else { return ["no batch was delivered"] }
    var problems: [String] = []
    for (earlier, later) in zip(batches, batches.dropFirst()) where later.timestamp <= earlier.timestamp {
        problems.append("timestamps do not strictly increase: \(earlier.timestamp) then \(later.timestamp)")
        break
    }
    var snapshotRows: [Int64: [Value]] = [:]
    for change in snapshot.changes {
        guard case .upsert(let values) = change else {
            problems.append("the snapshot holds a delete")
            continue
        }
        snapshotRows[KeyedTable.key(values)] = values
    }
    if snapshotRows != writer.state(at: snapshot.timestamp, initial: initial) {
        problems.append("the snapshot at \(snapshot.timestamp) differs from the writer's rows at that time")
    }
    let expected = writer.log.filter { $0.timestamp > snapshot.timestamp }
    let delivered = batches.dropFirst()
    if expected.count != delivered.count {
        problems.append("\(delivered.count) batches after the snapshot, expected \(expected.count) commits")
    }
    for (entry, batch) in zip(expected, delivered) {
        if entry.timestamp != batch.timestamp {
            problems.append("batch at \(batch.timestamp) where the next commit is at \(entry.timestamp)")
            break
        }
        if KeyedTable.effect(batch.changes) != entry.effect {
            problems.append("the batch at \(batch.timestamp) differs from the commit at that timestamp")
            break
        }
    }
    return problems
}

/// A value shared with `@Sendable` callbacks (a `Mutex` cannot be captured by an escaping closure).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    var value: Value { mutex.withLock { $0 } }
}
