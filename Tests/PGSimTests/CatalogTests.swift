import PGSim
import PGWire
import Synchronization
import Testing

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let value: Mutex<UInt64>
    init(_ start: UInt64) { value = Mutex(start) }
    var now: UInt64 { value.withLock { $0 } }
    func set(_ ms: UInt64) { value.withLock { $0 = ms } }
    func advance(_ ms: UInt64) { value.withLock { $0 += ms } }
    var function: Catalog.Clock { { self.now } }
}

@Suite struct CatalogTests {
    static let schema = TableSchema(
        name: "t", columns: [.init(name: "id", type: .int4, notNull: true), .init(name: "name", type: .text)], primaryKey: [0])

    @Test func commitsGetStrictlyIncreasingTimestampsFromTheClock() async throws {
        let clock = ManualClock(1_700_000_000_000)
        let catalog = Catalog(clock: clock.function)
        try await catalog.createTable(Self.schema)
        let first = try await catalog.insert(into: "t", rows: [[.int32(1), .text("a")], [.int32(2), .text("b")]])
        #expect(first > 1_700_000_000_000 - 1)
        // The clock does not move: the next commit is still later.
        let second = try await catalog.insert(into: "t", rows: [[.int32(3), .text("c")]])
        #expect(second == first + 1)
        clock.advance(5_000)
        let third = try await catalog.delete(from: "t", where: { $0[0] == .int32(1) })
        #expect(third.count == 1)
        #expect(third.timestamp == 1_700_000_005_000)
        #expect(try await catalog.rows(of: "t") == [[.int32(2), .text("b")], [.int32(3), .text("c")]])
    }

    @Test func duplicateKeyAndUnknownTable() async throws {
        let catalog = Catalog(clock: { 1000 })
        try await catalog.createTable(Self.schema)
        try await catalog.insert(into: "t", rows: [[.int32(1), .text("a")]])
        do {
            try await catalog.insert(into: "t", rows: [[.int32(2), .text("b")], [.int32(1), .text("dup")]])
            Issue.record("a duplicate key was accepted")
        } catch {
            #expect(error.sqlState == "23505")
        }
        // The failed statement changed nothing.
        #expect(try await catalog.rows(of: "t") == [[.int32(1), .text("a")]])
        await #expect(throws: SimError.self) { try await catalog.rows(of: "nope") }
        do {
            try await catalog.createTable(Self.schema)
            Issue.record("a duplicate table was accepted")
        } catch {
            #expect(error.sqlState == "42P07")
        }
    }

    @Test func snapshotAsOfUndoesLaterCommits() async throws {
        let clock = ManualClock(10_000)
        let catalog = Catalog(clock: clock.function, retention: 60_000)
        try await catalog.createTable(Self.schema)
        let t1 = try await catalog.insert(into: "t", rows: [[.int32(1), .text("a")]])
        clock.advance(1000)
        let t2 = try await catalog.update("t", where: { _ in true }, set: { [$0[0], .text("b")] }).timestamp
        clock.advance(1000)
        try await catalog.insert(into: "t", rows: [[.int32(2), .text("c")]])
        let atT1 = try await catalog.beginSubscribe(table: "t", asOf: t1, atLeast: false)
        #expect(atT1.asOf == t1)
        #expect(atT1.snapshot == [[.int32(1), .text("a")]])
        let atT2 = try await catalog.beginSubscribe(table: "t", asOf: t2, atLeast: false)
        #expect(atT2.snapshot == [[.int32(1), .text("b")]])
        // The commits after the AS OF are read from the log by position.
        guard case .commits(let commits, _) = await catalog.read(table: atT1.tableID, after: atT1.position) else {
            Issue.record("expected commits")
            return
        }
        #expect(commits.map(\.timestamp) == [t2, t2 + 1000])
    }

    @Test func asOfBeforeTheRetentionWindowIsRefused() async throws {
        let clock = ManualClock(100_000)
        let catalog = Catalog(clock: clock.function, retention: 10_000)
        try await catalog.createTable(Self.schema)
        let old = try await catalog.insert(into: "t", rows: [[.int32(1), .text("a")]])
        clock.advance(20_000)
        _ = await catalog.readTimestamp()
        do {
            _ = try await catalog.beginSubscribe(table: "t", asOf: old, atLeast: false)
            Issue.record("an AS OF before the horizon was accepted")
        } catch {
            #expect(error.sqlState == "22000")
            #expect(error.diagnostic.message == "could not find a valid timestamp for the query")
        }
        // AT LEAST moves forward instead.
        let moved = try await catalog.beginSubscribe(table: "t", asOf: old, atLeast: true)
        #expect(moved.asOf >= 120_000)
    }

    @Test func dropEndsReadersAndLogIsBounded() async throws {
        let catalog = Catalog(clock: { 5000 }, retention: 1_000_000, maximumLogEntries: 10)
        try await catalog.createTable(Self.schema)
        let start = try await catalog.beginSubscribe(table: "t", asOf: nil, atLeast: false)
        for i in 0..<20 { try await catalog.insert(into: "t", rows: [[.int32(Int32(i)), .null]]) }
        // The slow reader's position was trimmed: it is told, rather than memory growing.
        guard case .fellBehind(let diagnostic) = await catalog.read(table: start.tableID, after: start.position) else {
            Issue.record("expected fellBehind")
            return
        }
        #expect(diagnostic.sqlState == "53200")
        let fresh = try await catalog.beginSubscribe(table: "t", asOf: nil, atLeast: false)
        try await catalog.dropTable("t")
        guard case .dropped(let dropped) = await catalog.read(table: fresh.tableID, after: fresh.position) else {
            Issue.record("expected dropped")
            return
        }
        #expect(dropped == Diagnostic(severity: "ERROR", sqlState: "42704", message: "relation 'materialize.public.t' was dropped"))
    }

    @Test func writesClaimTimesAfterReads() async throws {
        let catalog = Catalog(clock: { 1000 })
        try await catalog.createTable(Self.schema)
        let subscribe = try await catalog.beginSubscribe(table: "t", asOf: 5000, atLeast: false)
        #expect(subscribe.asOf == 5000)
        let commit = try await catalog.insert(into: "t", rows: [[.int32(1), .null]])
        #expect(commit == 5001)
    }

    @Test func upsertReplacesByKey() async throws {
        let catalog = Catalog(clock: { 1000 })
        try await catalog.createTable(Self.schema)
        try await catalog.upsert(into: "t", rows: [[.int32(1), .text("a")], [.int32(2), .text("b")]])
        try await catalog.upsert(into: "t", rows: [[.int32(1), .text("z")]])
        #expect(try await catalog.rows(of: "t") == [[.int32(1), .text("z")], [.int32(2), .text("b")]])
    }
}
