import CoreMetrics
import Webhooks

/// The webhook delivery series. Not labelled by trigger: triggers come and go at run time, and a
/// deleted trigger's series would linger; per-trigger state is in the GraphQL `status` field.
final class WebhookMetrics: Sendable {
    /// Events made durable in the outbox.
    let enqueued: Counter
    /// Attempts by how they ended: `delivered`, `retry` (failed, will try again), `dead_letter`.
    let attempts: [DeliveryOutcome: Counter]
    /// Each POST, from the address check to the answer.
    let attemptDuration: Timer
    /// From the event's creation to its successful delivery, retries included.
    let deliveryLatency: Timer
    let pending: Gauge
    let deadLetters: Gauge

    init(factory: any MetricsFactory) {
        enqueued = Counter(label: "tycostream_webhook_events_enqueued_total", factory: factory)
        var attempts: [DeliveryOutcome: Counter] = [:]
        for outcome in DeliveryOutcome.allCases {
            attempts[outcome] = Counter(
                label: "tycostream_webhook_attempts_total", dimensions: [("outcome", outcome.rawValue)], factory: factory)
        }
        self.attempts = attempts
        attemptDuration = Timer(label: "tycostream_webhook_attempt_duration_seconds", factory: factory)
        deliveryLatency = Timer(label: "tycostream_webhook_delivery_latency_seconds", factory: factory)
        pending = Gauge(label: "tycostream_webhook_pending", factory: factory)
        deadLetters = Gauge(label: "tycostream_webhook_dead_letters", factory: factory)
    }
}
