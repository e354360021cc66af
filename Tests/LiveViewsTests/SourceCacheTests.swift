import Testing
@testable import LiveViews

/// A client's copy of a view, built only from the events it receives.
struct ClientTable {
    var rows: [[Value]: [Value]] = [:]
    var errors: [String] = []

    mutating func apply(_ event: ViewEvent) {
        let key = event.row.keyValues
        switch event.operation {
        case .insert:
            if rows[key] != nil { errors.append("INSERT of a present key \(key)") }
            rows[key] = event.row.values
        case .update:
            // Apply only the changed columns, as a client of UPDATE messages does.
            guard var row = rows[key] else {
                errors.append("UPDATE of an absent key \(key)")
                return
            }
            if event.changed.isEmpty { errors.append("UPDATE without changed columns for \(key)") }
            for column in event.changed { row[column] = event.row.value(at: column) }
            rows[key] = row
        case .delete:
            if rows[key] == nil { errors.append("DELETE of an absent key \(key)") }
            rows[key] = nil
        }
    }
}

extension Subscription {
    /// Reads exactly `count` events.
    func take(_ count: Int) async throws -> [ViewEvent] {
        var iterator = makeAsyncIterator()
        var events: [ViewEvent] = []
        while events.count < count, let event = try await iterator.next() { events.append(event) }
        return events
    }
}

@Suite struct SourceCacheTests {
    typealias F = Fixtures

    func batch(_ timestamp: UInt64, _ changes: SourceChange...) -> SourceBatch {
        SourceBatch(timestamp: timestamp, changes: changes)
    }

    @Test func subscriberGetsCurrentRowsThenLiveEvents() async throws {
        let cache = SourceCache(schema: F.small)
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1)), .upsert(F.smallRow(2, group: 2))))
        let subscription = try await cache.subscribe(F.eq("group", 1))
        try await cache.apply(batch(2, .upsert(F.smallRow(3, group: 1))))
        let events = try await subscription.take(2)
        #expect(events.map(\.operation) == [.insert, .insert])
        #expect(events.map { $0.row.value(at: 0) } == [.integer(1), .integer(3)])
        #expect(events.map(\.timestamp) == [1, 2])
    }

    @Test func everyViewTransition() async throws {
        let cache = SourceCache(schema: F.small)
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1)), .upsert(F.smallRow(2, group: 2))))
        let subscription = try await cache.subscribe(F.eq("group", 1))
        try await cache.apply(batch(2,
            .upsert(F.smallRow(1, group: 1, score: 5)),   // visible, still matching → UPDATE
            .upsert(F.smallRow(2, group: 2, score: 5)),   // not visible, not matching → nothing
            .upsert(F.smallRow(2, group: 1, score: 5)),   // not visible, now matching → INSERT
            .upsert(F.smallRow(1, group: 3, score: 5)),   // visible, no longer matching → DELETE
            .delete(key: [.integer(2)]),                  // visible, deleted → DELETE
            .delete(key: [.integer(1)]),                  // not visible, deleted → nothing
            .upsert(F.smallRow(9, group: 1))))            // sentinel
        let events = try await subscription.take(6)
        #expect(events.map(\.operation) == [.insert, .update, .insert, .delete, .delete, .insert])
        #expect(events.map { $0.row.value(at: 0) } == [.integer(1), .integer(1), .integer(2), .integer(1), .integer(2), .integer(9)])
        #expect(events[1].changed == ColumnSet([3]))
        // DELETE carries the row as the subscriber last saw it.
        #expect(events[3].row.value(at: 1) == .integer(1))
    }

    @Test func unchangedUpsertsProduceNothing() async throws {
        let cache = SourceCache(schema: F.small)
        let subscription = try await cache.subscribe(.all)
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1))))
        try await cache.apply(batch(2, .upsert(F.smallRow(1, group: 1))))
        try await cache.apply(batch(3, .upsert(F.smallRow(2, group: 1))))
        let events = try await subscription.take(2)
        #expect(events.map(\.operation) == [.insert, .insert])
        #expect(events.map(\.timestamp) == [1, 3])
    }

    @Test func projectionSkipsUpdatesOfColumnsNotCarried() async throws {
        let cache = SourceCache(schema: F.small)
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1))))
        let subscription = try await cache.subscribe(.all, options: SubscriptionOptions(columns: ColumnSet([2])))
        try await cache.apply(batch(2, .upsert(F.smallRow(1, group: 1, score: 4))))
        try await cache.apply(batch(3, .upsert(F.smallRow(1, group: 1, name: "b", score: 4))))
        let events = try await subscription.take(2)
        #expect(events.map(\.operation) == [.insert, .update])
        #expect(events[1].timestamp == 3)
    }

    @Test func identicalFiltersShareOneView() async throws {
        let cache = SourceCache(schema: F.small)
        let a = F.filter(.object(["group": .object(["_eq": .int(1)]), "score": .object(["_gt": .int(0)])]))
        let b = F.filter(.object(["score": .object(["_gt": .int(0)]), "group": .object(["_eq": .int(1)])]))
        let first = try await cache.subscribe(a)
        let second = try await cache.subscribe(b)
        let third = try await cache.subscribe(F.eq("group", 2))
        #expect(await cache.viewCount == 2)
        #expect(await cache.activeStreamCount() == 3)
        first.cancel()
        #expect(await cache.activeStreamCount() == 2)
        #expect(await cache.viewCount == 2)
        second.cancel()
        #expect(await cache.activeStreamCount() == 1)
        #expect(await cache.viewCount == 1)
        _ = third
    }

    @Test func droppingASubscriptionUnsubscribes() async throws {
        let cache = SourceCache(schema: F.small)
        do {
            _ = try await cache.subscribe(F.eq("group", 1))
        }
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1))))
        #expect(await cache.viewCount == 0)
    }

    @Test func updateTouchingNoColumnReadKeepsVisibility() async throws {
        let cache = SourceCache(schema: F.small)
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1)), .upsert(F.smallRow(2, group: 2))))
        let subscription = try await cache.subscribe(F.eq("group", 1))
        try await cache.apply(batch(2, .upsert(F.smallRow(1, group: 1, score: 1)), .upsert(F.smallRow(2, group: 2, score: 1))))
        try await cache.apply(batch(3, .upsert(F.smallRow(3, group: 1))))
        let events = try await subscription.take(3)
        #expect(events.map(\.operation) == [.insert, .update, .insert])
        #expect(events.map { $0.row.value(at: 0) } == [.integer(1), .integer(1), .integer(3)])
    }

    @Test func lateJoinersUnderConcurrentBatchesSeeNoGapNoDuplicate() async throws {
        let cache = SourceCache(schema: F.small)
        let batches = 200
        try await withThrowingTaskGroup(of: ClientTable?.self) { group in
            group.addTask {
                for index in 0..<batches {
                    let id = Int64(index % 37)
                    try await cache.apply(SourceBatch(timestamp: UInt64(index + 1), changes: [
                        .upsert(F.smallRow(id, group: Int64(index % 3), score: Int64(index))),
                        .delete(key: [.integer(Int64((index * 7) % 37))]),
                    ]))
                    if index % 10 == 0 { await Task.yield() }
                }
                // The sentinel must arrive live (a snapshot has no order), so wait for every joiner.
                while await cache.activeStreamCount() < 20 { await Task.yield() }
                try await cache.apply(SourceBatch(timestamp: UInt64(batches + 1), changes: [.upsert(F.smallRow(1000, group: 0))]))
                return nil
            }
            for joiner in 0..<20 {
                group.addTask {
                    for _ in 0..<(joiner * 3) { await Task.yield() }
                    let subscription = try await cache.subscribe(F.eq("group", 0))
                    var client = ClientTable()
                    for try await event in subscription {
                        client.apply(event)
                        if event.row.value(at: 0) == .integer(1000) { break }
                    }
                    return client
                }
            }
            var finals: [ClientTable] = []
            for try await client in group { if let client { finals.append(client) } }
            #expect(finals.count == 20)
            let truth = Dictionary(uniqueKeysWithValues: await cache.rows()
                .filter { $0.value(at: 1) == .integer(0) }.map { ($0.keyValues, $0.values) })
            for client in finals {
                #expect(client.errors.isEmpty)
                #expect(client.rows == truth)
            }
        }
    }

    @Test func failureEndsEveryStreamWithTheReason() async throws {
        let cache = SourceCache(schema: F.small)
        let subscription = try await cache.subscribe(.all)
        let trigger = try await cache.createTrigger(fire: F.eq("group", 1))
        await cache.fail(LiveViewsError(.sourceFailed, "connection lost"))
        var iterator = subscription.makeAsyncIterator()
        let error = await #expect(throws: LiveViewsError.self) { _ = try await iterator.next() }
        #expect(error?.code == .sourceFailed)
        #expect(try await iterator.next() == nil)
        var triggerIterator = trigger.makeAsyncIterator()
        await #expect(throws: LiveViewsError.self) { _ = try await triggerIterator.next() }
        await #expect(throws: LiveViewsError.self) { try await cache.subscribe(.all) }
        await #expect(throws: LiveViewsError.self) { try await cache.apply(batch(1)) }
    }

    @Test func failureWakesAWaitingConsumer() async throws {
        let cache = SourceCache(schema: F.small)
        let subscription = try await cache.subscribe(.all)
        async let outcome: LiveViewsError? = {
            do {
                for try await _ in subscription {}
                return nil
            } catch {
                return error as? LiveViewsError
            }
        }()
        try await Task.sleep(for: .milliseconds(20))
        await cache.fail(LiveViewsError(.sourceFailed, "gone"))
        #expect(await outcome?.code == .sourceFailed)
    }

    @Test func resetReachesSubscribersAsTheDifference() async throws {
        let cache = SourceCache(schema: F.small)
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1)), .upsert(F.smallRow(2, group: 1))))
        let subscription = try await cache.subscribe(F.eq("group", 1))
        try await cache.reset(to: SourceSnapshot(timestamp: 5, rows: [F.smallRow(2, group: 1, score: 3), F.smallRow(3, group: 1)]))
        var client = ClientTable()
        let events = try await subscription.take(5)
        events.forEach { client.apply($0) }
        #expect(events.prefix(2).allSatisfy { !$0.fromReset })
        #expect(events.dropFirst(2).allSatisfy { $0.fromReset && $0.timestamp == 5 })
        #expect(client.errors.isEmpty)
        #expect(client.rows == [[.integer(2)]: F.smallRow(2, group: 1, score: 3), [.integer(3)]: F.smallRow(3, group: 1)])
    }

    @Test func overflowEndsOnlyTheSlowSubscriber() async throws {
        let cache = SourceCache(schema: F.small)
        let slow = try await cache.subscribe(.all, options: SubscriptionOptions(capacity: 2, hardLimit: 4))
        let fast = try await cache.subscribe(.all, options: SubscriptionOptions(capacity: 2, hardLimit: 4))
        var fastClient = ClientTable()
        for id in 0..<10 {
            try await cache.apply(batch(UInt64(id + 1), .upsert(F.smallRow(Int64(id), group: 1))))
            for event in try await fast.take(1) { fastClient.apply(event) }
        }
        #expect(fastClient.rows.count == 10)
        #expect(slow.isEnded)
        var iterator = slow.makeAsyncIterator()
        let error = await #expect(throws: LiveViewsError.self) { _ = try await iterator.next() }
        #expect(error?.code == .subscriberOverflow)
        #expect(await cache.activeStreamCount() == 1)
    }

    @Test func slowSubscriberIsCoalescedToTheExactState() async throws {
        let cache = SourceCache(schema: F.small)
        let slow = try await cache.subscribe(.all, options: SubscriptionOptions(capacity: 2, hardLimit: 3))
        for round in 0..<50 {
            try await cache.apply(batch(UInt64(round + 1),
                .upsert(F.smallRow(Int64(round % 3), group: 1, score: Int64(round))),
                .delete(key: [.integer(Int64((round + 1) % 3))])))
        }
        try await cache.apply(batch(100, .upsert(F.smallRow(99, group: 1))))
        var client = ClientTable()
        var received = 0
        for try await event in slow {
            received += 1
            client.apply(event)
            if event.row.value(at: 0) == .integer(99) { break }
        }
        #expect(received <= 4)
        #expect(client.errors.isEmpty)
        let truth = Dictionary(uniqueKeysWithValues: await cache.rows().map { ($0.keyValues, $0.values) })
        #expect(client.rows == truth)
    }

    @Test func coalescingWindowReleasesOncePerInterval() async throws {
        let clock = ManualClock()
        let cache = SourceCache(schema: F.small)
        try await cache.apply(batch(1, .upsert(F.smallRow(1, group: 1))))
        let subscription = try await cache.subscribe(
            .all, options: SubscriptionOptions(window: CoalescingWindow(.milliseconds(100), clock: clock)))
        var iterator = subscription.makeAsyncIterator()
        #expect(try await iterator.next()?.operation == .insert)
        for score in 1...5 {
            try await cache.apply(batch(UInt64(score + 1), .upsert(F.smallRow(1, group: 1, score: Int64(score)))))
        }
        try await cache.apply(batch(10, .upsert(F.smallRow(2, group: 1))))
        async let next = iterator.next()
        await clock.waitForSleepers(1)
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .milliseconds(100))
        let update = try await next
        #expect(update?.operation == .update)
        #expect(update?.row.value(at: 3) == .integer(5))
        #expect(update?.changed == ColumnSet([3]))
        var rest = subscription.makeAsyncIterator()
        let insert = try await rest.next()
        #expect(insert?.operation == .insert)
        #expect(insert?.row.value(at: 0) == .integer(2))
    }

    @Test func cancellingTheConsumerTaskEndsTheStream() async throws {
        let cache = SourceCache(schema: F.small)
        let subscription = try await cache.subscribe(.all)
        let task = Task {
            var count = 0
            for try await _ in subscription { count += 1 }
            return count
        }
        try await Task.sleep(for: .milliseconds(20))
        task.cancel()
        #expect(try await task.value == 0)
        #expect(subscription.isEnded)
        #expect(await cache.activeStreamCount() == 0)
    }
}
