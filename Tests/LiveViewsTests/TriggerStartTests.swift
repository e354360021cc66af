import Testing
@testable import LiveViews

/// Resuming a persisted trigger (``TriggerResume``), ``TriggerStart`` and ``SourceCache/loaded()``.
@Suite struct TriggerStartTests {
    typealias F = Fixtures

    func batch(_ timestamp: UInt64, _ changes: SourceChange...) -> SourceBatch {
        SourceBatch(timestamp: timestamp, changes: changes)
    }

    func score(_ op: String, _ value: Int64) -> Filter {
        F.filter(.object(["score": .object([op: .int(value)])]))
    }

    /// The id column's value as the key name.
    static let keyName: @Sendable (Row) -> String = { row in "\(row.value(at: 0))" }

    func name(_ id: Int64) -> String { "\(Value.integer(id))" }

    @Test func resumingFiresNewlyMatchingAndClearsRowsThatLeft() async throws {
        let cache = SourceCache(schema: F.small)
        try await cache.apply(batch(7,
            .upsert(F.smallRow(1, group: 1, score: 95)),   // was matching, still: stays, no event
            .upsert(F.smallRow(2, group: 1, score: 95)),   // was not: FIRE
            .upsert(F.smallRow(3, group: 1, score: 70)),   // was matching, fire false, clear false: stays
            .upsert(F.smallRow(4, group: 1, score: 10)),   // was matching, clear true: CLEAR
            .upsert(F.smallRow(5, group: 1, score: 10))))  // neither: nothing
        let resume = TriggerResume(previouslyMatching: [name(1), name(3), name(4), name(6)], keyName: Self.keyName)
        let start = try await cache.startTrigger(fire: score("_gt", 90), clear: score("_lt", 50), resume: resume)
        #expect(start.timestamp == 7)
        #expect(start.catchUp.map(\.kind) == [.fire, .clear] || start.catchUp.map(\.kind) == [.clear, .fire])
        let byKind = Dictionary(grouping: start.catchUp, by: \.kind)
        #expect(byKind[.fire]?.map { $0.row.value(at: 0) } == [.integer(2)])
        #expect(byKind[.clear]?.map { $0.row.value(at: 0) } == [.integer(4)])
        #expect(start.catchUp.allSatisfy { $0.timestamp == 7 })
        #expect(Set(start.matching.map { $0.value(at: 0) }) == [.integer(1), .integer(2), .integer(3)])
        #expect(start.vanished == [name(6)])

        // Live from there on, with the resumed visibility: row 3 is in and clears at score < 50.
        try await cache.apply(batch(8, .upsert(F.smallRow(3, group: 1, score: 40)), .upsert(F.smallRow(4, group: 1, score: 99))))
        let events = try await start.events.take(2)
        #expect(events.map(\.kind) == [.clear, .fire])
        #expect(events.map { $0.row.value(at: 0) } == [.integer(3), .integer(4)])
    }

    @Test func startWithoutResumeReturnsTheMatchingRowsSilently() async throws {
        let cache = SourceCache(schema: F.small)
        try await cache.apply(batch(3, .upsert(F.smallRow(1, group: 1, score: 95)), .upsert(F.smallRow(2, group: 1, score: 5))))
        let quiet = try await cache.startTrigger(fire: score("_gt", 90))
        #expect(quiet.catchUp.isEmpty)
        #expect(quiet.matching.map { $0.value(at: 0) } == [.integer(1)])
        #expect(quiet.vanished.isEmpty)
        let loud = try await cache.startTrigger(fire: score("_gt", 90), options: TriggerOptions(fireForExistingRows: true))
        #expect(loud.catchUp.map(\.kind) == [.fire])
        #expect(loud.catchUp.first?.timestamp == 3)
    }

    @Test func nextBatchTakesWhatIsQueued() async throws {
        let cache = SourceCache(schema: F.small)
        let start = try await cache.startTrigger(fire: score("_gt", 90))
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1, score: 95)), .upsert(F.smallRow(2, group: 1, score: 95)),
                                    .upsert(F.smallRow(3, group: 1, score: 95))))
        let first = try await start.events.nextBatch(limit: 2)
        #expect(first.map { $0.row.value(at: 0) } == [.integer(1), .integer(2)])
        let second = try await start.events.nextBatch(limit: 10)
        #expect(second.map { $0.row.value(at: 0) } == [.integer(3)])
        start.events.cancel()
        #expect(try await start.events.nextBatch(limit: 10).isEmpty)
    }

    @Test func loadedWaitsForTheFirstBatch() async throws {
        let cache = SourceCache(schema: F.small)
        let waiter = Task { try await cache.loaded() }
        try await Task.sleep(for: .milliseconds(20))
        #expect(await cache.timestamp == nil)
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1, score: 1))))
        try await waiter.value
        try await cache.loaded()  // already loaded: returns at once
    }

    @Test func loadedThrowsWhenTheSourceFails() async throws {
        let cache = SourceCache(schema: F.small)
        let waiter = Task { try await cache.loaded() }
        try await Task.sleep(for: .milliseconds(20))
        await cache.fail(LiveViewsError(.sourceFailed, "gone"))
        await #expect(throws: LiveViewsError.self) { try await waiter.value }
    }

    @Test func cancellingAWaiterEndsIt() async throws {
        let cache = SourceCache(schema: F.small)
        let waiter = Task { try await cache.loaded() }
        try await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        let error = await #expect(throws: LiveViewsError.self) { try await waiter.value }
        #expect(error?.code == .stopped)
    }
}
