import Foundation
@testable import Ingest
import LiveViews
import PGClient
import PGSim
import PGWire
import Synchronization
import Testing

/// SubscribeFeed against recorded sessions served by `ReplayServer`: the sessions were captured
/// once from PGSim through `CaptureProxy` (run with `FIXTURE_UPDATE=1` to capture them again)
/// and are committed as `Fixtures/sessions/ingest-*.pgrec`.
@Suite(.serialized) struct SubscribeFeedReplayTests {
    /// The captured Catalog's clock: fixed, so the recorded timestamps are too.
    static let base: UInt64 = 1_700_000_000_000

    static func item(_ id: Int64, _ name: String?, _ qty: Int64, _ price: Double, _ active: Bool) -> [Value] {
        [.integer(id), name.map(Value.string) ?? .null, .integer(qty), .float(price), .bool(active)]
    }

    static func datums(_ values: [Value]) -> [Datum] {
        values.enumerated().map { index, value in
            switch (index, value) {
            case (0, .integer(let v)): .int64(v)
            case (2, .integer(let v)): .int32(Int32(v))
            case (_, .string(let v)): .text(v)
            case (_, .float(let v)): .float64(v)
            case (_, .bool(let v)): .bool(v)
            default: .null
            }
        }
    }

    static let apple = item(1, "apple", 10, 1.5, true)
    static let banana = item(2, "banana", 20, 0.25, false)
    static let cherry = item(3, "cherry", 30, 12, true)
    static let banana2 = item(2, "banana", 25, 0.3, false)
    static let odd = item(4, "tab\there \\ \"quoted\"", 40, -1.5, true)
    static let nameless = item(5, nil, 50, 1e21, false)
    static let apple2 = item(1, "apple", 11, 1.5, true)

    /// What the captured sessions deliver: the snapshot, an upsert of two keys (one new), an
    /// update, then a delete.
    static let expectedBatches: [SourceBatch] = [
        SourceBatch(timestamp: base + 1, changes: [.upsert(apple), .upsert(banana), .upsert(cherry)]),
        SourceBatch(timestamp: base + 2, changes: [.upsert(banana2), .upsert(odd), .upsert(nameless)]),
        SourceBatch(timestamp: base + 3, changes: [.upsert(apple2)]),
        SourceBatch(timestamp: base + 4, changes: [.delete(key: [.integer(3)])]),
    ]

    // MARK: Replay

    @Test(.timeLimit(.minutes(2)), arguments: ["ingest-snapshot-updates.pgrec", "ingest-split-reads.pgrec"])
    func replayDeliversTheRecordedBatches(name: String) async throws {
        let recording = try IngestFixtures.recording(name)
        let observer = RecordingObserver()
        let log = DeliveryLog()
        let outcomes = try await withReplay(recording) { port in
            let feed = Loopback.feed(port: port, sources: [Items.source], observer: observer)
            try await withFeed(feed, source: Items.source, log: log) {
                #expect(await Loopback.waitUntil { log.batches.count >= Self.expectedBatches.count })
                // The heartbeats at the end of the recording close nothing new but move progress on.
                #expect(await Loopback.waitUntil { observer.snapshot.progressed.last?.timestamp == Self.base + 6000 })
            }
        }
        #expect(log.batches == Self.expectedBatches)
        #expect(log.failures.isEmpty)
        let seen = observer.snapshot
        #expect(seen.reconnects.isEmpty)
        #expect(seen.progressed.map(\.timestamp).suffix(2) == [Self.base + 5000, Self.base + 6000])
        #expect(outcomes.allSatisfy { $0.mismatch == nil }, "\(outcomes)")
    }

    /// The split fixture really cuts rows of one timestamp across TCP reads.
    @Test func splitFixtureCutsMessages() throws {
        let recording = try IngestFixtures.recording("ingest-split-reads.pgrec")
        let stream = try recording.stream(.serverToClient)
        let whole = try IngestFixtures.recording("ingest-snapshot-updates.pgrec").stream(.serverToClient)
        #expect(stream.bytes == whole.bytes, "the same bytes, only read differently")
        // Some read ends inside a CopyData message of the timestamp with three rows.
        let text = try IngestFixtures.text("ingest-split-reads.pgrec")
        #expect(text.contains("< chunk +7"))
    }

    /// A retryable error mid-stream: the batches closed before it are delivered, the half-sent
    /// timestamp is not, and the feed reconnects (the replay then refuses the resume query).
    @Test(.timeLimit(.minutes(2)))
    func replayedErrorReconnectsAfterTheClosedBatches() async throws {
        let recording = try IngestFixtures.recording("ingest-error-mid-stream.pgrec")
        let observer = RecordingObserver()
        let log = DeliveryLog()
        _ = try await withReplay(recording) { port in
            let feed = Loopback.feed(port: port, sources: [Items.source], observer: observer)
            try await withFeed(feed, source: Items.source, log: log) {
                #expect(await Loopback.waitUntil { observer.snapshot.reconnects.count >= 2 })
            }
        }
        #expect(log.batches == Array(Self.expectedBatches.prefix(3)))
        #expect(log.failures.isEmpty)
        let reasons = observer.snapshot.reconnects.map(\.reason)
        #expect(reasons.first?.contains("target replica failed or was dropped") == true, "\(reasons)")
        // The second connection asked to resume after the last closed timestamp.
        #expect(reasons.dropFirst().first?.contains("AS OF \(Self.base + 3)") == true, "\(reasons)")
    }

    // MARK: Capture (FIXTURE_UPDATE=1)

    /// Captures the fixtures from PGSim through CaptureProxy. The split-reads fixture is the
    /// first one with its server chunk lines replaced by cuts inside the rows of one timestamp.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FIXTURE_UPDATE"] == "1", "set FIXTURE_UPDATE=1 to capture"))
    func captureFixtures() async throws {
        let plain = try await Self.capture(faults: .none, heartbeats: true)
        try IngestFixtures.write(
            "ingest-snapshot-updates.pgrec",
            header: """
                # Captured from PGSim through CaptureProxy by SubscribeFeedReplayTests.captureFixtures
                # (FIXTURE_UPDATE=1): SubscribeFeed's initial ENVELOPE UPSERT subscribe of items, with
                # a snapshot of three rows, an upsert of two keys plus a new one, an update, a delete,
                # then two heartbeats (progress only).
                """, plain)
        try IngestFixtures.write(
            "ingest-split-reads.pgrec",
            header: """
                # ingest-snapshot-updates.pgrec with its reads cut differently (edited by
                # SubscribeFeedReplayTests.captureFixtures): the three rows of the second timestamp
                # and its progress row arrive in reads that end inside messages.
                """, try Self.splitReads(plain))
        let failing = try await Self.capture(
            faults: Faults(error: .init(afterMessages: 12, sqlState: "XX000", message: "target replica failed or was dropped")),
            heartbeats: false)
        try IngestFixtures.write(
            "ingest-error-mid-stream.pgrec",
            header: """
                # Captured from PGSim (FIXTURE_UPDATE=1): the same subscribe, ended by XX000 `target
                # replica failed or was dropped` right after the delete row, before its progress row.
                """, failing)
    }

    /// Runs PGSim behind a CaptureProxy and the feed against the proxy; returns the recording of
    /// the first connection.
    static func capture(faults: Faults, heartbeats: Bool) async throws -> SessionRecording {
        let clockBox = ClockBox()
        let catalog = Catalog(clock: { clockBox.now }, retention: 100_000_000)
        try await catalog.createTable(Items.table)
        try await catalog.insert(into: "items", rows: [apple, banana, cherry].map(datums))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-capture-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let paths = Locked<[String]>([])
        try await SimServer.withRunning(Loopback.simConfiguration(heartbeat: heartbeats ? .milliseconds(50) : .seconds(3600), faults: faults), catalog: catalog) { server in
            let proxy = CaptureProxy(listenPort: 0, upstreamHost: "127.0.0.1", upstreamPort: server.port, outputDirectory: directory)
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await proxy.run(onListening: { continuation.yield($0) }, onRecorded: { path in paths.withLock { $0.append(path) } })
                }
                var iterator = ports.makeAsyncIterator()
                let port = try #require(await iterator.next())
                let observer = RecordingObserver()
                let log = DeliveryLog()
                let feed = Loopback.feed(port: port, sources: [Items.source], observer: observer)
                try await withFeed(feed, source: Items.source, log: log) {
                    #expect(await Loopback.waitUntil { log.batches.count == 1 })
                    try await catalog.upsert(into: "items", rows: [banana2, odd, nameless].map(datums))
                    #expect(await Loopback.waitUntil { log.batches.count == 2 })
                    _ = try await catalog.update(
                        "items", where: { $0.first == .int64(1) }, set: { _ in datums(apple2) })
                    #expect(await Loopback.waitUntil { log.batches.count == 3 })
                    _ = try await catalog.delete(from: "items", where: { $0.first == .int64(3) })
                    #expect(await Loopback.waitUntil { log.batches.count == 4 })
                    if heartbeats {
                        clockBox.now = base + 5000
                        #expect(await Loopback.waitUntil { observer.snapshot.progressed.last?.timestamp == base + 5000 })
                        clockBox.now = base + 6000
                        #expect(await Loopback.waitUntil { observer.snapshot.progressed.last?.timestamp == base + 6000 })
                    }
                }
                #expect(log.batches == expectedBatches)
                #expect(await Loopback.waitUntil { !paths.withLock(\.isEmpty) })
                try await Task.sleep(for: .milliseconds(200))
                group.cancelAll()
            }
        }
        let first = try #require(paths.withLock { $0.sorted().first })
        return try SessionRecording(parsing: String(contentsOfFile: first, encoding: .utf8))
    }

    /// The recording with the server's reads re-cut: one read up to the second timestamp's
    /// first row, then cuts 7 bytes into it, inside the next row's length and payload, and one
    /// byte into the progress row that closes the timestamp.
    static func splitReads(_ recording: SessionRecording) throws -> SessionRecording {
        var entries: [SessionRecording.Entry] = []
        var secondTimestampRows = 0
        let second = Array(String(base + 2).utf8)
        let closing = Array(String(base + 3).utf8)
        for entry in recording.entries {
            if case .chunk(.serverToClient, _) = entry { continue }
            if case .message(.serverToClient, let message) = entry, case .backend(.copyData(let payload)) = message {
                if payload.starts(with: second + Array("\tf\t".utf8)) {
                    secondTimestampRows += 1
                    switch secondTimestampRows {
                    case 1: entries.append(.chunk(.serverToClient, offsets: [7]))
                    case 2: entries.append(.chunk(.serverToClient, offsets: [2, 20]))
                    default: entries.append(.chunk(.serverToClient, offsets: [30]))
                    }
                } else if payload.starts(with: closing + Array("\tt\t".utf8)) {
                    entries.append(.chunk(.serverToClient, offsets: [1]))
                }
            }
            entries.append(entry)
        }
        guard secondTimestampRows == 3 else {
            throw IngestError(.protocolViolation, source: "fixture", "expected three rows at \(base + 2), found \(secondTimestampRows)")
        }
        return SessionRecording(entries: entries)
    }

    /// Serves `recording` while `body` runs; returns how each connection ended.
    func withReplay(_ recording: SessionRecording, _ body: (Int) async throws -> Void) async throws -> [ReplayServer.Outcome] {
        let server = try ReplayServer(recording: recording)
        let outcomes = Locked<[ReplayServer.Outcome]>([])
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.run(onListening: { continuation.yield($0) }, onSessionEnd: { outcome in outcomes.withLock { $0.append(outcome) } })
            }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(port)
            group.cancelAll()
        }
        return outcomes.withLock { $0 }
    }
}

/// A settable millisecond clock for the captured Catalog.
final class ClockBox: Sendable {
    private let value = Atomic<UInt64>(SubscribeFeedReplayTests.base)
    var now: UInt64 {
        get { value.load(ordering: .relaxed) }
        set { value.store(newValue, ordering: .relaxed) }
    }
}

/// The recorded sessions in `Fixtures/sessions`.
enum IngestFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sessions")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    static func recording(_ name: String) throws -> SessionRecording {
        try SessionRecording(parsing: try text(name))
    }

    /// Writes a recording with a comment header; the secret key of BackendKeyData varies per capture.
    static func write(_ name: String, header: String, _ recording: SessionRecording) throws {
        let text = header + "\n" + recording.text
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
}
