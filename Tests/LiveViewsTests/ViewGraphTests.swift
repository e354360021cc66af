import Testing
@testable import LiveViews

@Suite struct ViewGraphTests {
    typealias F = Fixtures

    @Test func updatesAreRoutedThroughBothOldAndNewValues() async throws {
        let cache = SourceCache(schema: F.small)
        try await cache.apply(SourceBatch(timestamp: 1, changes: [.upsert(F.smallRow(1, group: 1))]))
        let one = try await cache.subscribe(F.eq("group", 1))
        let two = try await cache.subscribe(F.eq("group", 2))
        let three = try await cache.subscribe(F.eq("group", 3))
        let before = await cache.evaluations
        try await cache.apply(SourceBatch(timestamp: 2, changes: [.upsert(F.smallRow(1, group: 2))]))
        #expect(await cache.evaluations - before == 2)
        let left = try await one.take(2)
        #expect(left.map(\.operation) == [.insert, .delete])
        let entered = try await two.take(1)
        #expect(entered.map(\.operation) == [.insert])
        _ = three
    }

    @Test func inFiltersAreIndexedUnderEveryValue() async throws {
        let cache = SourceCache(schema: F.small)
        let subscription = try await cache.subscribe(F.filter(.object(["group": .object(["_in": .list([.int(4), .int(5)])])])))
        for group in 0..<50 { _ = try await cache.subscribe(F.eq("group", Int64(group + 100))) }
        let before = await cache.evaluations
        try await cache.apply(SourceBatch(timestamp: 1, changes: [
            .upsert(F.smallRow(1, group: 4)), .upsert(F.smallRow(2, group: 5)), .upsert(F.smallRow(3, group: 6)),
        ]))
        #expect(await cache.evaluations - before == 2)
        let events = try await subscription.take(2)
        #expect(events.map { $0.row.value(at: 0) } == [.integer(1), .integer(2)])
    }

    @Test func costPerEventDoesNotGrowWithUnaffectedViews() async throws {
        let cache = SourceCache(schema: F.small)
        var subscriptions: [Subscription] = []
        for group in 0..<1000 { subscriptions.append(try await cache.subscribe(F.eq("group", Int64(group)))) }
        let before = await cache.evaluations
        try await cache.apply(SourceBatch(timestamp: 1, changes: (0..<100).map { .upsert(F.smallRow(Int64($0), group: Int64($0 % 7))) }))
        try await cache.apply(SourceBatch(timestamp: 2, changes: (0..<100).map { .upsert(F.smallRow(Int64($0), group: Int64($0 % 5))) }))
        // 100 inserts reach one view each; 100 updates reach at most two views each.
        #expect(await cache.evaluations - before <= 300)
    }

    /// 10k subscribers over 1k distinct `_eq` filters, checked against the truth.
    @Test func tenThousandSubscribersOverAThousandFilters() async throws {
        let cache = SourceCache(schema: F.small)
        var subscriptions: [(group: Int64, stream: Subscription)] = []
        for index in 0..<10_000 {
            let group = Int64(index % 1000)
            subscriptions.append((group, try await cache.subscribe(F.eq("group", group))))
        }
        #expect(await cache.viewCount == 1000)
        var generator = SeededGenerator(seed: 42)
        for timestamp in 1...20 {
            var changes: [SourceChange] = []
            for _ in 0..<200 {
                let id = Int64.random(in: 0..<2000, using: &generator)
                if Int.random(in: 0..<5, using: &generator) == 0 {
                    changes.append(.delete(key: [.integer(id)]))
                } else {
                    changes.append(.upsert(F.smallRow(id, group: Int64.random(in: 0..<1000, using: &generator),
                                                      score: Int64(timestamp))))
                }
            }
            try await cache.apply(SourceBatch(timestamp: UInt64(timestamp), changes: changes))
        }
        let rows = await cache.rows()
        var truth: [Int64: [[Value]: [Value]]] = [:]
        for row in rows {
            guard case .integer(let group) = row.value(at: 1) else { continue }
            truth[group, default: [:]][row.keyValues] = row.values
        }
        // The streams have no end, so read what is queued: cancel after draining via a sentinel.
        try await cache.apply(SourceBatch(timestamp: 100, changes: (0..<1000).map {
            .upsert(F.smallRow(Int64(10_000 + $0), group: Int64($0)))
        }))
        for (group, stream) in subscriptions {
            var client = ClientTable()
            for try await event in stream {
                if event.row.value(at: 0) == .integer(10_000 + group) { break }
                client.apply(event)
            }
            #expect(client.errors.isEmpty)
            #expect(client.rows == (truth[group] ?? [:]))
        }
    }
}
