import Testing
@testable import LiveViews

extension TriggerSubscription {
    func take(_ count: Int) async throws -> [TriggerEvent] {
        var iterator = makeAsyncIterator()
        var events: [TriggerEvent] = []
        while events.count < count, let event = try await iterator.next() { events.append(event) }
        return events
    }
}

@Suite struct TriggerViewTests {
    typealias F = Fixtures

    func batch(_ timestamp: UInt64, _ changes: SourceChange...) -> SourceBatch {
        SourceBatch(timestamp: timestamp, changes: changes)
    }

    func score(_ op: String, _ value: Int64) -> Filter {
        F.filter(.object(["score": .object([op: .int(value)])]))
    }

    @Test func rowsAlreadyMatchingDoNotFire() async throws {
        let cache = SourceCache(schema: F.small)
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1, score: 100)), .upsert(F.smallRow(2, group: 1, score: 0))))
        let trigger = try await cache.createTrigger(fire: score("_gt", 50))
        try await cache.apply(batch(2, .upsert(F.smallRow(1, group: 1, score: 101)), .upsert(F.smallRow(2, group: 1, score: 60))))
        let events = try await trigger.take(1)
        #expect(events.map(\.kind) == [.fire])
        #expect(events[0].row.value(at: 0) == .integer(2))
        #expect(events[0].timestamp == 2)
        #expect(events[0].key == events[0].row.key)
    }

    @Test func optionFiresForExistingRows() async throws {
        let cache = SourceCache(schema: F.small)
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1, score: 100)), .upsert(F.smallRow(2, group: 1, score: 0))))
        let trigger = try await cache.createTrigger(fire: score("_gt", 50), options: TriggerOptions(fireForExistingRows: true))
        try await cache.apply(batch(2, .upsert(F.smallRow(3, group: 1, score: 70))))
        let events = try await trigger.take(2)
        #expect(events.map(\.kind) == [.fire, .fire])
        #expect(events.map { $0.row.value(at: 0) } == [.integer(1), .integer(3)])
        #expect(events.map(\.timestamp) == [1, 2])
    }

    @Test func withoutClearLeavesWhenFireTurnsFalse() async throws {
        let cache = SourceCache(schema: F.small)
        let trigger = try await cache.createTrigger(fire: score("_gt", 50))
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1, score: 60))))
        try await cache.apply(batch(2, .upsert(F.smallRow(1, group: 1, score: 70))))   // still in: nothing
        try await cache.apply(batch(3, .upsert(F.smallRow(1, group: 1, score: 10))))   // CLEAR
        try await cache.apply(batch(4, .upsert(F.smallRow(1, group: 1, score: 80))))   // FIRE again
        try await cache.apply(batch(5, .delete(key: [.integer(1)])))                   // CLEAR
        let events = try await trigger.take(4)
        #expect(events.map(\.kind) == [.fire, .clear, .fire, .clear])
        #expect(events.map(\.timestamp) == [1, 3, 4, 5])
        #expect(events[1].row.value(at: 3) == .integer(10))
    }

    @Test func clearConditionHoldsTheRowUntilItIsTrue() async throws {
        let cache = SourceCache(schema: F.small)
        let trigger = try await cache.createTrigger(fire: score("_gt", 90), clear: score("_lt", 50))
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1, score: 95))))  // FIRE
        try await cache.apply(batch(2, .upsert(F.smallRow(1, group: 1, score: 70))))  // fire false, clear false: stays
        try await cache.apply(batch(3, .upsert(F.smallRow(1, group: 1, score: 99))))  // still in: no second FIRE
        try await cache.apply(batch(4, .upsert(F.smallRow(1, group: 1, score: 40))))  // CLEAR
        try await cache.apply(batch(5, .upsert(F.smallRow(1, group: 1, score: 45))))  // out, fire false: nothing
        try await cache.apply(batch(6, .upsert(F.smallRow(1, group: 1, score: 91))))  // FIRE
        let events = try await trigger.take(3)
        #expect(events.map(\.kind) == [.fire, .clear, .fire])
        #expect(events.map(\.timestamp) == [1, 4, 6])
    }

    @Test func primedRowsCanStillClear() async throws {
        let cache = SourceCache(schema: F.small)
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1, score: 100))))
        let trigger = try await cache.createTrigger(fire: score("_gt", 50))
        try await cache.apply(batch(2, .upsert(F.smallRow(1, group: 1, score: 0))))
        let events = try await trigger.take(1)
        #expect(events.map(\.kind) == [.clear])
    }

    @Test func indexedTriggersOnlySeeTheirBucket() async throws {
        let cache = SourceCache(schema: F.small)
        let trigger = try await cache.createTrigger(fire: F.eq("group", 7))
        let before = await cache.evaluations
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1)), .upsert(F.smallRow(2, group: 7))))
        #expect(await cache.evaluations - before == 1)
        let events = try await trigger.take(1)
        #expect(events.first?.row.value(at: 0) == .integer(2))
    }

    @Test func cancelledTriggerIsRemoved() async throws {
        let cache = SourceCache(schema: F.small)
        let trigger = try await cache.createTrigger(fire: F.eq("group", 7))
        #expect(await cache.viewCount == 1)
        trigger.cancel()
        #expect(await cache.activeStreamCount() == 0)
        #expect(await cache.viewCount == 0)
    }
}
