import Synchronization

/// Process-wide counts kept by the subscriber queues, for `/metrics`.
///
/// A process-wide counter rather than one per ``SourceCache``: the queues are created by the
/// cache but merge on the source's thread under their own lock, and a global relaxed atomic
/// costs one relaxed add per merge without threading a reference through every queue.
/// It is only touched when a queue coalesces (a subscriber behind, or one with a coalescing
/// window), never on the path of a subscriber that keeps up.
public enum QueueStatistics {
    static let coalesced = Atomic<Int>(0)

    /// Events not delivered on their own since the process started because a subscriber's
    /// queue merged them with the pending event of the same key (two events becoming one
    /// count 1, an insert and a delete cancelling out count 2): how many intermediate states
    /// slow subscribers (and those with a coalescing window) were spared.
    public static var coalescedEvents: Int { coalesced.load(ordering: .relaxed) }

    static func countCoalesced(_ events: Int) {
        if events > 0 { coalesced.add(events, ordering: .relaxed) }
    }
}
