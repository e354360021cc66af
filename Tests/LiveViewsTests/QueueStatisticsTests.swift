import Testing
@testable import LiveViews

/// The process-wide coalescing count moves when a source coalesces for a slow subscriber.
/// Other suites coalesce in parallel in this process, so the checks are lower bounds.
@Suite struct QueueStatisticsTests {
    @Test func aSlowSubscriberMovesTheProcessCount() async throws {
        let before = QueueStatistics.coalescedEvents
        let cache = SourceCache(schema: Fixtures.small)
        let slow = try await cache.subscribe(.all, options: SubscriptionOptions(capacity: 1, hardLimit: 10))
        // Ten updates of one row, nobody reading: past capacity they merge into one pending event.
        try await cache.apply(SourceBatch(timestamp: 1, changes: [.upsert(Fixtures.smallRow(1, group: 1))]))
        for score in 1...10 {
            try await cache.apply(SourceBatch(timestamp: UInt64(score + 1), changes: [
                .upsert(Fixtures.smallRow(1, group: 1, score: Int64(score))),
            ]))
        }
        var iterator = slow.makeAsyncIterator()
        let event = try #require(try await iterator.next())
        #expect(event.operation == .insert)
        #expect(event.row.value(at: 3) == .integer(10))
        #expect(slow.sink.poll() == nil)
        #expect(QueueStatistics.coalescedEvents - before >= 10)
    }
}
