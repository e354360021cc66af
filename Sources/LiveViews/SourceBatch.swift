/// One transaction of a source as Materialize closed it: every change at one `mz_timestamp`.
///
/// The ingest layer buffers the rows of one timestamp until a progress row closes it and
/// hands them over as one batch, so no consumer ever sees half a transaction
/// (architecture.md, data flow 1).
public struct SourceBatch: Sendable, Hashable {
    /// Materialize's `mz_timestamp` of the transaction, in milliseconds.
    public var timestamp: UInt64
    public var changes: [SourceChange]

    public init(timestamp: UInt64, changes: [SourceChange]) {
        self.timestamp = timestamp
        self.changes = changes
    }
}

/// One change of a batch.
public enum SourceChange: Sendable, Hashable {
    /// The full row, in schema column order: inserts it or replaces the row with its key.
    case upsert([Value])
    /// Removes the row whose primary key is `key` (values in primary-key order).
    case delete(key: [Value])
}

/// A full set of rows that replaces a source's state, used when ingest must re-snapshot
/// (after a lost connection that cannot resume `AS OF`). Consumers see only the difference.
public struct SourceSnapshot: Sendable, Hashable {
    public var timestamp: UInt64
    /// Full rows in schema column order, at most one per key (a later one replaces an earlier one).
    public var rows: [[Value]]

    public init(timestamp: UInt64, rows: [[Value]]) {
        self.timestamp = timestamp
        self.rows = rows
    }
}
