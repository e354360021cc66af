import Synchronization
import Testing
@testable import LiveViews

/// A feed the test drives: each start opens a stream whose continuation the test holds.
final class TestFeed: SourceFeed {
    private struct State {
        var starts: [String: Int] = [:]
        var stops: [String: Int] = [:]
        var sinks: [String: AsyncStream<SourceFeedEvent>.Continuation] = [:]
    }

    private let state = Mutex(State())

    func run(_ schema: SourceSchema, deliver: @escaping @Sendable (SourceFeedEvent) async throws -> Void) async throws {
        let (stream, sink) = AsyncStream.makeStream(of: SourceFeedEvent.self, bufferingPolicy: .bufferingOldest(64))
        let name = schema.name
        sink.onTermination = { [weak self] _ in self?.state.withLock { $0.stops[name, default: 0] += 1 } }
        state.withLock {
            $0.starts[name, default: 0] += 1
            $0.sinks[name] = sink
        }
        for await event in stream {
            try await deliver(event)
            if case .failed = event { return }
        }
    }

    func starts(_ name: String) -> Int { state.withLock { $0.starts[name] ?? 0 } }
    func stops(_ name: String) -> Int { state.withLock { $0.stops[name] ?? 0 } }

    func send(_ name: String, _ event: SourceFeedEvent) {
        _ = state.withLock { $0.sinks[name] }?.yield(event)
    }
}

/// Polls `condition` until it holds (or gives up after about two seconds).
func eventually(_ condition: () async -> Bool) async -> Bool {
    for _ in 0..<2000 {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return false
}

@Suite struct SourceRegistryTests {
    typealias F = Fixtures

    func withRegistry(eager: Set<String> = [],
                      _ body: (SourceRegistry<TestFeed, ManualClock>, TestFeed, ManualClock) async throws -> Void) async throws {
        let feed = TestFeed()
        let clock = ManualClock()
        let registry = SourceRegistry(schemas: [F.small], feed: feed, clock: clock, idleGrace: .seconds(30), eager: eager)
        let runner = Task { await registry.run() }
        try await body(registry, feed, clock)
        runner.cancel()
        await runner.value
    }

    @Test func startsOnFirstUseAndFeedsSubscribers() async throws {
        try await withRegistry { registry, feed, _ in
            #expect(await !registry.isRunning("small"))
            let subscription = try await registry.subscribe(source: "small", filter: .all)
            let second = try await registry.subscribe(source: "small", filter: F.eq("group", 1))
            #expect(await eventually { feed.starts("small") == 1 })
            feed.send("small", .batch(SourceBatch(timestamp: 1, changes: [.upsert(F.smallRow(1, group: 1))])))
            let events = try await subscription.take(1)
            #expect(events.first?.operation == .insert)
            #expect(try await second.take(1).first?.row.value(at: 0) == .integer(1))
            #expect(feed.starts("small") == 1)
        }
    }

    @Test func unknownSourceIsAnError() async throws {
        try await withRegistry { registry, _, _ in
            let error = await #expect(throws: LiveViewsError.self) {
                try await registry.subscribe(source: "nope", filter: .all)
            }
            #expect(error?.message.contains("nope") == true)
        }
    }

    @Test func stopsAfterTheIdleGracePeriod() async throws {
        try await withRegistry { registry, feed, clock in
            let subscription = try await registry.subscribe(source: "small", filter: .all)
            #expect(await eventually { feed.starts("small") == 1 })
            subscription.cancel()
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(29))
            #expect(await registry.isRunning("small"))
            clock.advance(by: .seconds(1))
            #expect(await eventually { await !registry.isRunning("small") })
            #expect(await eventually { feed.stops("small") == 1 })
            // Used again: started afresh.
            _ = try await registry.subscribe(source: "small", filter: .all)
            #expect(await eventually { feed.starts("small") == 2 })
        }
    }

    @Test func aNewSubscriberDuringTheGracePeriodKeepsTheSource() async throws {
        try await withRegistry { registry, feed, clock in
            let first = try await registry.subscribe(source: "small", filter: .all)
            #expect(await eventually { feed.starts("small") == 1 })
            first.cancel()
            await clock.waitForSleepers(1)
            let second = try await registry.subscribe(source: "small", filter: .all)
            clock.advance(by: .seconds(60))
            try await Task.sleep(for: .milliseconds(20))
            #expect(await registry.isRunning("small"))
            #expect(feed.stops("small") == 0)
            feed.send("small", .batch(SourceBatch(timestamp: 1, changes: [.upsert(F.smallRow(1, group: 1))])))
            #expect(try await second.take(1).count == 1)
        }
    }

    @Test func feedFailureReachesConsumersAndTheNextUseRestarts() async throws {
        try await withRegistry { registry, feed, _ in
            let subscription = try await registry.subscribe(source: "small", filter: .all)
            #expect(await eventually { feed.starts("small") == 1 })
            // A trigger attaches once the source has its first batch.
            async let attached = registry.createTrigger(source: "small", fire: F.eq("group", 1))
            try await Task.sleep(for: .milliseconds(20))
            feed.send("small", .batch(SourceBatch(timestamp: 1, changes: [.upsert(F.smallRow(1, group: 2))])))
            let trigger = try await attached
            _ = try await subscription.take(1)
            feed.send("small", .failed(LiveViewsError(.sourceFailed, "replication slot dropped")))
            var iterator = subscription.makeAsyncIterator()
            let error = await #expect(throws: LiveViewsError.self) { _ = try await iterator.next() }
            #expect(error?.code == .sourceFailed)
            var triggerIterator = trigger.makeAsyncIterator()
            await #expect(throws: LiveViewsError.self) { _ = try await triggerIterator.next() }
            #expect(await eventually { await !registry.isRunning("small") })
            _ = try await registry.subscribe(source: "small", filter: .all)
            #expect(await eventually { feed.starts("small") == 2 })
        }
    }

    @Test func resetFromTheFeedReachesSubscribers() async throws {
        try await withRegistry { registry, feed, _ in
            let subscription = try await registry.subscribe(source: "small", filter: .all)
            #expect(await eventually { feed.starts("small") == 1 })
            feed.send("small", .batch(SourceBatch(timestamp: 1, changes: [.upsert(F.smallRow(1, group: 1))])))
            feed.send("small", .reset(SourceSnapshot(timestamp: 9, rows: [F.smallRow(2, group: 1)])))
            let events = try await subscription.take(3)
            #expect(events.map(\.operation).sorted { "\($0)" < "\($1)" } == [.delete, .insert, .insert])
            #expect(events.dropFirst().allSatisfy { $0.fromReset })
        }
    }

    @Test func eagerSourcesStartAtOnceAndStayWhileIdle() async throws {
        try await withRegistry(eager: ["small"]) { registry, feed, clock in
            #expect(await eventually { feed.starts("small") == 1 })
            let subscription = try await registry.subscribe(source: "small", filter: .all)
            subscription.cancel()
            try await Task.sleep(for: .milliseconds(20))
            clock.advance(by: .seconds(120))
            try await Task.sleep(for: .milliseconds(20))
            #expect(await registry.isRunning("small"))
            #expect(clock.sleeperCount == 0)
        }
    }

    @Test func shutdownStopsEverySource() async throws {
        let feed = TestFeed()
        let registry = SourceRegistry(schemas: [F.small], feed: feed, clock: ManualClock(), idleGrace: .seconds(1))
        let runner = Task { await registry.run() }
        let subscription = try await registry.subscribe(source: "small", filter: .all)
        #expect(await eventually { feed.starts("small") == 1 })
        runner.cancel()
        await runner.value
        var iterator = subscription.makeAsyncIterator()
        let error = await #expect(throws: LiveViewsError.self) { _ = try await iterator.next() }
        #expect(error?.code == .stopped)
        #expect(await eventually { feed.stops("small") == 1 })
        await #expect(throws: LiveViewsError.self) { try await registry.subscribe(source: "small", filter: .all) }
    }
}
