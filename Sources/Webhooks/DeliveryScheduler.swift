/// Which deliveries may start now. Sans-IO: the ``Deliverer`` reports events (added, finished,
/// time passed) and starts what this returns.
///
/// Deliveries of one (trigger, key) form a lane and go out one at a time in order, so a CLEAR
/// never overtakes its FIRE, and a lane waiting out a backoff holds back only its own key.
/// Lanes of different keys and triggers run concurrently up to ``maxInFlight`` in all and
/// ``maxInFlightPerTrigger`` per trigger, so one dead endpoint cannot take every slot.
///
/// At most ``maxScheduledPerTrigger`` deliveries of a trigger are held here; past that the
/// trigger is *spilled*: new deliveries stay only in the outbox (durable, never dropped) and are
/// loaded back in order (``refill(_:with:)``) once the backlog halves.
struct DeliveryScheduler<Instant: InstantProtocol>: Sendable {
    struct LaneKey: Hashable, Sendable {
        var trigger: TriggerID
        var key: String
    }

    struct Lane: Sendable {
        var queue: [String] = []
        var head = 0
        /// The head is in flight or waiting for its retry time.
        var active = false
        /// The lane is in `ready` or `parked`.
        var queued = false
        var isEmpty: Bool { head == queue.count }
    }

    struct Start: Sendable, Hashable {
        var lane: LaneKey
        var eventID: String
    }

    let maxInFlight: Int
    let maxInFlightPerTrigger: Int
    let maxScheduledPerTrigger: Int

    private(set) var lanes: [LaneKey: Lane] = [:]
    private var ready: [LaneKey] = []
    private var readyHead = 0
    private var parked: [TriggerID: [LaneKey]] = [:]
    private var waiting: [(at: Instant, lane: LaneKey)] = []
    private(set) var inFlight = 0
    private var inFlightByTrigger: [TriggerID: Int] = [:]
    private(set) var scheduledByTrigger: [TriggerID: Int] = [:]
    private(set) var spilled: Set<TriggerID> = []
    private var known: Set<String> = []

    init(maxInFlight: Int, maxInFlightPerTrigger: Int, maxScheduledPerTrigger: Int) {
        self.maxInFlight = max(1, maxInFlight)
        self.maxInFlightPerTrigger = max(1, maxInFlightPerTrigger)
        self.maxScheduledPerTrigger = max(1, maxScheduledPerTrigger)
    }

    /// Takes a delivery just made durable; `false` when the trigger is spilled (it stays in the
    /// outbox and comes back through ``refill(_:with:)``).
    @discardableResult
    mutating func add(eventID: String, trigger: TriggerID, key: String) -> Bool {
        guard !known.contains(eventID) else { return true }
        guard !spilled.contains(trigger), scheduledByTrigger[trigger, default: 0] < maxScheduledPerTrigger else {
            spilled.insert(trigger)
            return false
        }
        known.insert(eventID)
        scheduledByTrigger[trigger, default: 0] += 1
        let laneKey = LaneKey(trigger: trigger, key: key)
        var lane = lanes[laneKey] ?? Lane()
        lane.queue.append(eventID)
        if !lane.active, !lane.queued {
            lane.queued = true
            ready.append(laneKey)
        }
        lanes[laneKey] = lane
        return true
    }

    /// Marks a trigger spilled (at startup, so its pending deliveries are loaded by ``refill``).
    mutating func markSpilled(_ trigger: TriggerID) { spilled.insert(trigger) }

    /// Whether the spilled trigger's backlog has drained enough to load more from the outbox.
    func wantsRefill(_ trigger: TriggerID) -> Bool {
        spilled.contains(trigger) && scheduledByTrigger[trigger, default: 0] <= maxScheduledPerTrigger / 2
    }

    /// Loads a spilled trigger's pending deliveries (the outbox's, in enqueue order); the trigger
    /// stops being spilled when all of them fit.
    mutating func refill(_ trigger: TriggerID, with pending: [PendingDelivery]) {
        spilled.remove(trigger)
        for delivery in pending where !known.contains(delivery.payload.eventID) {
            if !add(eventID: delivery.payload.eventID, trigger: trigger, key: delivery.payload.keyText) { return }
        }
    }

    /// The deliveries to start now, within the concurrency limits.
    mutating func start() -> [Start] {
        var starts: [Start] = []
        while inFlight < maxInFlight, readyHead < ready.count {
            let laneKey = ready[readyHead]
            readyHead += 1
            guard var lane = lanes[laneKey] else { continue }
            lane.queued = false
            guard !lane.active, !lane.isEmpty else {
                lanes[laneKey] = lane
                continue
            }
            if inFlightByTrigger[laneKey.trigger, default: 0] >= maxInFlightPerTrigger {
                lane.queued = true
                parked[laneKey.trigger, default: []].append(laneKey)
                lanes[laneKey] = lane
                continue
            }
            lane.active = true
            lanes[laneKey] = lane
            inFlight += 1
            inFlightByTrigger[laneKey.trigger, default: 0] += 1
            starts.append(Start(lane: laneKey, eventID: lane.queue[lane.head]))
        }
        if readyHead > 64, readyHead * 2 > ready.count {
            ready.removeFirst(readyHead)
            readyHead = 0
        }
        return starts
    }

    /// How an attempt ended for the scheduler.
    enum Completion: Sendable {
        /// Delivered, dead-lettered or dropped: the lane moves on.
        case done
        /// The head stays; the lane waits until `at`.
        case retry(at: Instant)
    }

    mutating func finish(_ start: Start, _ completion: Completion) {
        inFlight -= 1
        inFlightByTrigger[start.lane.trigger, default: 1] -= 1
        if let parkedLanes = parked.removeValue(forKey: start.lane.trigger) {
            ready.append(contentsOf: parkedLanes)
        }
        guard var lane = lanes[start.lane] else { return }
        switch completion {
        case .done:
            lane.head += 1
            known.remove(start.eventID)
            scheduledByTrigger[start.lane.trigger, default: 1] -= 1
            lane.active = false
            if lane.isEmpty {
                if !lane.queued { lanes[start.lane] = nil } else { lanes[start.lane] = Lane(queued: true) }
                return
            }
            if lane.head > 32, lane.head * 2 > lane.queue.count {
                lane.queue.removeFirst(lane.head)
                lane.head = 0
            }
            if !lane.queued {
                lane.queued = true
                ready.append(start.lane)
            }
            lanes[start.lane] = lane
        case .retry(let at):
            waiting.append((at, start.lane))
            lanes[start.lane] = lane
        }
    }

    /// Releases the lanes whose retry time has come.
    mutating func wake(now: Instant) {
        var still: [(at: Instant, lane: LaneKey)] = []
        for entry in waiting {
            guard entry.at <= now else {
                still.append(entry)
                continue
            }
            guard var lane = lanes[entry.lane] else { continue }
            lane.active = false
            if !lane.queued, !lane.isEmpty {
                lane.queued = true
                ready.append(entry.lane)
            }
            lanes[entry.lane] = lane
        }
        waiting = still
    }

    /// The earliest retry time still ahead.
    var nextWake: Instant? { waiting.map(\.at).min() }

    /// Forgets a deleted trigger's lanes (in-flight attempts finish and are ignored).
    mutating func remove(_ trigger: TriggerID) {
        for (laneKey, lane) in lanes where laneKey.trigger == trigger {
            for eventID in lane.queue[lane.head...] { known.remove(eventID) }
            lanes[laneKey] = nil
        }
        waiting.removeAll { $0.lane.trigger == trigger }
        parked[trigger] = nil
        scheduledByTrigger[trigger] = nil
        spilled.remove(trigger)
    }
}
