/// How a trigger persisted by an earlier run picks up where it left off.
///
/// The trigger remembers which keys it had fired for and not cleared (by the caller's stable
/// names for keys). Resuming compares that with the current rows, so the transitions that
/// happened while nobody watched are not lost: a row that matches `fire` now but was not
/// matching FIREs; a row that was matching and has since met the clear condition CLEARs; a
/// key that was matching and has no row any more is reported in ``TriggerStart/vanished``
/// for the caller to CLEAR (the cache no longer knows its values).
public struct TriggerResume: Sendable {
    /// Names of the keys that were matching (fired, not cleared).
    public var previouslyMatching: Set<String>
    /// The caller's stable name of a row's key, as in `previouslyMatching`.
    public var keyName: @Sendable (Row) -> String

    public init(previouslyMatching: Set<String>, keyName: @escaping @Sendable (Row) -> String) {
        self.previouslyMatching = previouslyMatching
        self.keyName = keyName
    }
}

/// A trigger just attached to a source, with what its priming found.
///
/// The trigger's live events follow in ``events``; ``catchUp`` are the transitions found while
/// priming (not also in ``events``), so the caller can make them and the new ``matching`` set
/// durable in one write before it reads on.
public struct TriggerStart: Sendable {
    /// Live FIRE/CLEAR events after the priming.
    public let events: TriggerSubscription
    /// The source's timestamp the trigger was primed at.
    public let timestamp: UInt64
    /// FIRE for rows already matching (``TriggerOptions/fireForExistingRows``, or rows newly
    /// matching when resuming) and CLEAR for resumed rows that left, stamped ``timestamp``.
    public let catchUp: [TriggerEvent]
    /// The rows the trigger considers matching after the priming.
    public let matching: [Row]
    /// Resuming: previously matching keys that have no row now (deleted meanwhile).
    public let vanished: Set<String>
}
