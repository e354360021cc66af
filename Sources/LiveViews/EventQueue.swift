/// A subscriber's bounded queue of pending events: a sans-IO core that ``EventStream``
/// drives under a lock (architecture.md, data flow 5; conventions "Bounded everywhere").
///
/// Up to `capacity` pending events are kept as they are. Past it, pending events are
/// coalesced per key (each new event merges with the pending one of its key), so the
/// final state stays exact. When more than `hardLimit` distinct keys are pending even so,
/// the queue overflows and the subscriber is ended: dropping events would corrupt its state.
/// The initial rows of a subscription do not count against the limits (they are in memory
/// anyway); what accumulates beyond them does.
struct EventQueue<Event: Sendable> {
    /// How two pending events of one key combine: the merged event, or `nil` for nothing.
    typealias Merge = @Sendable (Event, Event) -> Event?

    private var slots: [Event?] = []
    private var head = 0
    private(set) var count = 0
    /// Events not delivered on their own because they were merged (see ``QueueStatistics``).
    private(set) var coalescedCount = 0
    /// Position of each key's pending event while coalescing; `nil` when not coalescing.
    private var positions: [RowKey: Int]?
    private var allowance = 0
    let capacity: Int
    let hardLimit: Int
    private let key: @Sendable (Event) -> RowKey
    private let merge: Merge?
    /// Coalesce from the first event (used with a coalescing window).
    private let alwaysCoalesce: Bool

    enum PushResult: Equatable {
        case queued
        /// More than `hardLimit` events are pending: end the subscriber.
        case overflow
    }

    init(capacity: Int, hardLimit: Int, alwaysCoalesce: Bool = false,
         key: @escaping @Sendable (Event) -> RowKey, merge: Merge?) {
        precondition(capacity > 0 && hardLimit >= capacity, "queue limits must satisfy 0 < capacity <= hardLimit")
        self.capacity = capacity
        self.hardLimit = hardLimit
        self.key = key
        self.merge = merge
        self.alwaysCoalesce = alwaysCoalesce && merge != nil
        if self.alwaysCoalesce { positions = [:] }
    }

    var isEmpty: Bool { count == 0 }

    /// Queues the initial rows of a subscription, outside the limits.
    mutating func pushInitial(_ events: [Event]) {
        for event in events { _ = push(event, checked: false) }
        allowance += events.count
    }

    mutating func push(_ event: Event) -> PushResult {
        push(event, checked: true)
    }

    private mutating func push(_ event: Event, checked: Bool) -> PushResult {
        if positions != nil, let merge {
            let eventKey = key(event)
            if let position = positions?[eventKey], let pending = slots[position] {
                // Two events become one, or none when they cancel out.
                if let merged = merge(pending, event) {
                    slots[position] = merged
                    countCoalesced(1)
                } else {
                    slots[position] = nil
                    positions?[eventKey] = nil
                    count -= 1
                    countCoalesced(2)
                }
                return .queued
            }
            slots.append(event)
            positions?[eventKey] = slots.count - 1
            count += 1
        } else {
            slots.append(event)
            count += 1
            if checked, count - allowance > capacity, merge != nil {
                coalesceAll()
            }
        }
        if checked, count - allowance > hardLimit { return .overflow }
        return .queued
    }

    /// Merges every pending event into the first pending event of its key and starts
    /// coalescing new ones.
    private mutating func coalesceAll() {
        guard let merge else { return }
        var compacted: [Event?] = []
        compacted.reserveCapacity(count)
        var positions: [RowKey: Int] = [:]
        for index in head..<slots.count {
            guard let event = slots[index] else { continue }
            let eventKey = key(event)
            if let position = positions[eventKey], let pending = compacted[position] {
                if let merged = merge(pending, event) {
                    compacted[position] = merged
                } else {
                    compacted[position] = nil
                    positions[eventKey] = nil
                }
            } else {
                compacted.append(event)
                positions[eventKey] = compacted.count - 1
            }
        }
        // As in `push`: every event that is not delivered on its own counts.
        countCoalesced(count - positions.count)
        slots = compacted
        head = 0
        count = positions.count
        self.positions = positions
    }

    private mutating func countCoalesced(_ events: Int) {
        coalescedCount += events
        QueueStatistics.countCoalesced(events)
    }

    /// The oldest pending event.
    mutating func pop() -> Event? {
        while head < slots.count {
            let event = slots[head]
            slots[head] = nil
            head += 1
            guard let event else { continue }
            count -= 1
            if allowance > 0 { allowance -= 1 }
            if positions != nil { positions?[key(event)] = nil }
            compactIfDrained()
            return event
        }
        compactIfDrained()
        return nil
    }

    /// Every pending event, oldest first.
    mutating func popAll() -> [Event] {
        var events: [Event] = []
        events.reserveCapacity(count)
        while let event = pop() { events.append(event) }
        return events
    }

    private mutating func compactIfDrained() {
        if count == 0 {
            slots.removeAll(keepingCapacity: slots.capacity <= 4096)
            head = 0
            allowance = 0
            positions = alwaysCoalesce ? [:] : nil
        } else if head >= 1024, head * 2 >= slots.count {
            slots.removeFirst(head)
            if let old = positions {
                var shifted: [RowKey: Int] = [:]
                shifted.reserveCapacity(old.count)
                for (key, position) in old { shifted[key] = position - head }
                positions = shifted
            }
            head = 0
        }
    }
}
