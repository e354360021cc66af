/// The changes of one write transaction, all at one timestamp.
///
/// Materialize assigns every write a timestamp from its oracle, strictly increasing in the
/// EpochMilliseconds timeline (materialize-subscribe.md §2, §3); the simulator should do the same.
public struct Commit: Sendable, Hashable {
    /// Milliseconds since the Unix epoch.
    public var timestamp: UInt64
    public var changes: [RowChange]

    public init(timestamp: UInt64, changes: [RowChange]) {
        self.timestamp = timestamp
        self.changes = changes
    }
}
