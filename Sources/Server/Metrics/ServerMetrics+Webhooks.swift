import CoreMetrics
import Webhooks

/// The deliverer's hooks as webhook series: a few atomic adds per attempt.
extension ServerMetrics: DeliveryObserver {
    public func enqueued(trigger: TriggerID, count: Int) {
        webhooks.enqueued.increment(by: count)
    }

    public func attempted(trigger: TriggerID, outcome: DeliveryOutcome, duration: Duration, sinceCreated: Duration) {
        webhooks.attempts[outcome]?.increment()
        webhooks.attemptDuration.recordNanoseconds(Self.nanoseconds(duration))
        if outcome == .delivered { webhooks.deliveryLatency.recordNanoseconds(Self.nanoseconds(sinceCreated)) }
    }

    public func backlog(pending: Int, deadLetters: Int) {
        webhooks.pending.record(pending)
        webhooks.deadLetters.record(deadLetters)
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
