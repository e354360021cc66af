/// A delivery waiting to be made (or retried).
public struct PendingDelivery: Sendable, Hashable {
    public let payload: WebhookPayload
    /// Order of enqueueing: deliveries of one key go out in this order.
    public let sequence: UInt64
    /// Attempts made so far.
    public internal(set) var attempts: Int

    public var trigger: TriggerID { TriggerID(source: payload.source, name: payload.triggerName) }
}

/// A delivery given up on; it can be retried (``Outbox/reviveDeadLetter(_:)``) or discarded.
public struct DeadLetter: Sendable, Hashable {
    public let payload: WebhookPayload
    public let attempts: Int
    public let reason: String
    public let atMillis: Int64

    public var trigger: TriggerID { TriggerID(source: payload.source, name: payload.triggerName) }
}

/// The outbox's contents: the replay of its log records. Sans-IO, so replay, compaction and
/// crash recovery are tested without files.
struct OutboxState: Sendable {
    var triggers: [TriggerID: StoredTrigger] = [:]
    var pending: [String: PendingDelivery] = [:]
    var dead: [String: DeadLetter] = [:]
    var matching: [TriggerID: Set<String>] = [:]
    var checkpoints: [TriggerID: UInt64] = [:]
    var nextSequence: UInt64 = 0

    /// Applies one record; records naming something already gone change nothing.
    mutating func apply(_ record: OutboxRecord) {
        switch record {
        case .trigger(let trigger):
            triggers[trigger.id] = trigger
        case .triggerDeleted(let id):
            triggers[id] = nil
            matching[id] = nil
            checkpoints[id] = nil
            pending = pending.filter { $0.value.trigger != id }
            dead = dead.filter { $0.value.trigger != id }
        case .enqueued(let payload):
            let id = TriggerID(source: payload.source, name: payload.triggerName)
            switch payload.eventType {
            case .fire: matching[id, default: []].insert(payload.keyText)
            case .clear: matching[id]?.remove(payload.keyText)
            }
            checkpoints[id] = max(checkpoints[id] ?? 0, payload.mzTimestamp)
            // The same transition replayed (catch-up after a restart) is one delivery.
            guard pending[payload.eventID] == nil, dead[payload.eventID] == nil else { return }
            pending[payload.eventID] = PendingDelivery(payload: payload, sequence: nextSequence, attempts: 0)
            nextSequence += 1
        case .attempted(let eventID, let attempts):
            pending[eventID]?.attempts = attempts
        case .delivered(let eventID):
            pending[eventID] = nil
        case .deadLettered(let eventID, let reason, let atMillis):
            guard let delivery = pending.removeValue(forKey: eventID) else { return }
            dead[eventID] = DeadLetter(payload: delivery.payload, attempts: delivery.attempts, reason: reason, atMillis: atMillis)
        case .revived(let eventID):
            guard let letter = dead.removeValue(forKey: eventID) else { return }
            pending[eventID] = PendingDelivery(payload: letter.payload, sequence: nextSequence, attempts: 0)
            nextSequence += 1
        case .discarded(let eventID):
            dead[eventID] = nil
        case .checkpoint(let id, let timestamp):
            checkpoints[id] = max(checkpoints[id] ?? 0, timestamp)
        case .matching(let id, let keys):
            matching[id] = Set(keys)
        }
    }

    /// Pending deliveries in enqueue order, optionally of one trigger.
    func pendingInOrder(of trigger: TriggerID? = nil) -> [PendingDelivery] {
        pending.values.filter { trigger == nil || $0.trigger == trigger }.sorted { $0.sequence < $1.sequence }
    }

    /// Records that rebuild this state from nothing (pending in order, so the order survives).
    func snapshot() -> [OutboxRecord] {
        var records: [OutboxRecord] = []
        for id in triggers.keys.sorted() {
            if let trigger = triggers[id] { records.append(.trigger(trigger)) }
        }
        // Dead letters first go through pending (enqueue, attempts, dead) to keep one code path.
        for letter in dead.values.sorted(by: { $0.atMillis < $1.atMillis }) {
            records.append(.enqueued(letter.payload))
            records.append(.attempted(eventID: letter.payload.eventID, attempts: letter.attempts))
            records.append(.deadLettered(eventID: letter.payload.eventID, reason: letter.reason, atMillis: letter.atMillis))
        }
        for delivery in pendingInOrder() {
            records.append(.enqueued(delivery.payload))
            if delivery.attempts > 0 { records.append(.attempted(eventID: delivery.payload.eventID, attempts: delivery.attempts)) }
        }
        // Last: the enqueues above touched the keys and checkpoints; these set them exactly.
        for id in Set(matching.keys).union(checkpoints.keys).sorted() {
            records.append(.matching(id, (matching[id] ?? []).sorted()))
            if let checkpoint = checkpoints[id] { records.append(.checkpoint(id, checkpoint)) }
        }
        return records
    }
}
