import Foundation
import Synchronization
import Testing
@testable import Webhooks

/// Records every hook call, for assertions.
final class RecordingObserver: DeliveryObserver {
    struct Attempt: Equatable {
        var trigger: TriggerID
        var outcome: DeliveryOutcome
        var duration: Duration
        var sinceCreated: Duration
    }

    let enqueuedCounts = Mutex<[TriggerID: Int]>([:])
    let attempts = Mutex<[Attempt]>([])
    let backlogs = Mutex<[(pending: Int, deadLetters: Int)]>([])

    func enqueued(trigger: TriggerID, count: Int) { enqueuedCounts.withLock { $0[trigger, default: 0] += count } }
    func attempted(trigger: TriggerID, outcome: DeliveryOutcome, duration: Duration, sinceCreated: Duration) {
        attempts.withLock { $0.append(Attempt(trigger: trigger, outcome: outcome, duration: duration, sinceCreated: sinceCreated)) }
    }
    func backlog(pending: Int, deadLetters: Int) { backlogs.withLock { $0.append((pending, deadLetters)) } }

    var outcomes: [DeliveryOutcome] { attempts.withLock { $0.map(\.outcome) } }
    var lastBacklog: (pending: Int, deadLetters: Int)? { backlogs.withLock { $0.last } }
}

@Suite struct DeliveryObserverTests {
    let trigger = TriggerID(source: "trades", name: "big")

    @Test func reportsEnqueuesAttemptsByOutcomeAndTheBacklog() async throws {
        let inbox = Inbox(secret: DelivererTests.secret)
        await inbox.setScript([(500, nil)])
        let receiver = try await Receiver.start(inbox: inbox)
        let directory = TemporaryDirectory()
        let observer = RecordingObserver()
        let deliverer = Deliverer(
            outbox: try Outbox(directory: directory.path), configuration: DelivererTests().configuration(maxAttempts: 2),
            clock: ContinuousClock(), wallClockMillis: { Int64(Date().timeIntervalSince1970 * 1000) }, random: { 0.5 },
            observer: observer)
        try await deliverer.createTrigger(DelivererTests().stored(port: receiver.port))
        let first = samplePayload(key: 1, mz: 1)
        let second = samplePayload(key: 2, mz: 2)

        // Enqueued before sending starts: pending until then. The same event again is not new.
        try await deliverer.enqueue([first])
        #expect(observer.lastBacklog! == (1, 0))
        try await deliverer.enqueue([first])
        #expect(observer.enqueuedCounts.withLock { $0[trigger] } == 1)

        // One failure, then success: a retry and a delivery; nothing left pending.
        let run = Task { await deliverer.run() }
        #expect(await eventually { observer.outcomes == [.retrying, .delivered] })
        #expect(observer.lastBacklog! == (0, 0))
        let delivered = try #require(observer.attempts.withLock { $0.last })
        #expect(delivered.trigger == trigger)
        #expect(delivered.duration > .zero && delivered.duration < .seconds(5))
        // The sample events were created long ago: the latency runs from creation, not from the attempt.
        #expect(delivered.sinceCreated > .seconds(86_400))

        // Failing for good: a retry, then a dead letter, which the backlog shows until discarded.
        await inbox.setDefault(500)
        try await deliverer.enqueue([second])
        #expect(await eventually { observer.outcomes.count == 4 })
        #expect(observer.outcomes == [.retrying, .delivered, .retrying, .deadLettered])
        #expect(observer.lastBacklog! == (0, 1))
        #expect(observer.enqueuedCounts.withLock { $0[trigger] } == 2)
        try deliverer.discardDeadLetter(second.eventID)
        #expect(observer.lastBacklog! == (0, 0))

        run.cancel()
        await run.value
        await receiver.stop()
    }

    @Test func aRestartReportsWhatTheOutboxStillHolds() throws {
        let directory = TemporaryDirectory()
        let outbox = try Outbox(directory: directory.path)
        try outbox.saveTrigger(DelivererTests().stored(port: 9))
        _ = try outbox.enqueue([samplePayload(key: 1, mz: 1), samplePayload(key: 2, mz: 2)])
        let observer = RecordingObserver()
        _ = Deliverer(outbox: outbox, observer: observer)
        #expect(observer.lastBacklog! == (2, 0))
    }
}
