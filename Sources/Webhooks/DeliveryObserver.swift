/// How one delivery attempt ended, as ``DeliveryPolicy`` decided.
public enum DeliveryOutcome: String, Sendable, CaseIterable {
    /// The receiver answered 2xx; the delivery is done.
    case delivered
    /// The attempt failed and the delivery waits for another.
    case retrying = "retry"
    /// The attempt failed for the last time (or was refused for good); the delivery is a dead letter.
    case deadLettered = "dead_letter"
}

/// Hooks for metrics: what the ``Deliverer`` does.
///
/// Called on the deliverer's actor, except ``backlog(pending:deadLetters:)`` after
/// ``Deliverer/discardDeadLetter(_:)``, which runs on the caller's task; implementations must be
/// quick, must not block (count, or hand off) and must accept calls from any task.
public protocol DeliveryObserver: Sendable {
    /// Events of `trigger` were made durable and scheduled (new deliveries only: an event id
    /// already in the outbox is not counted again).
    func enqueued(trigger: TriggerID, count: Int)
    /// One POST ended.
    ///
    /// - Parameters:
    ///   - duration: the attempt, from the address check to the receiver's answer (or the failure).
    ///   - sinceCreated: from the event's creation to the end of this attempt; for `.delivered`
    ///     this is the end-to-end delivery latency, retries and outbox waits included.
    func attempted(trigger: TriggerID, outcome: DeliveryOutcome, duration: Duration, sinceCreated: Duration)
    /// What the outbox holds now: deliveries waiting (queued, in flight or between retries) and
    /// dead letters. Reported after every change to either.
    func backlog(pending: Int, deadLetters: Int)
}

extension DeliveryObserver {
    public func enqueued(trigger: TriggerID, count: Int) {}
    public func attempted(trigger: TriggerID, outcome: DeliveryOutcome, duration: Duration, sinceCreated: Duration) {}
    public func backlog(pending: Int, deadLetters: Int) {}
}
