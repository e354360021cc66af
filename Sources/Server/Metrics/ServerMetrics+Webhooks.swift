import Metrics
import Webhooks

/// The deliverer's hooks as webhook series: a few atomic adds per attempt.
extension ServerMetrics: DeliveryObserver {
    public func enqueued(trigger: TriggerID, count: Int) {
        webhooks.enqueued.increment(by: count)
    }

    public func attempted(trigger: TriggerID, outcome: DeliveryOutcome, duration: Duration, sinceCreated: Duration) {
        webhooks.attempts[outcome]?.increment()
        webhooks.attemptDuration.record(duration: duration)
        if outcome == .delivered { webhooks.deliveryLatency.record(duration: sinceCreated) }
    }

    public func backlog(pending: Int, deadLetters: Int) {
        webhooks.pending.record(pending)
        webhooks.deadLetters.record(deadLetters)
    }
}
