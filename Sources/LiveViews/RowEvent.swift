/// What one applied change did to a source's rows (architecture.md, data flow 2).
///
/// Updates and deletes are enriched from the cache, so every event carries a full row.
public struct RowEvent: Sendable {
    public enum Kind: Sendable, Hashable {
        case insert
        /// A row whose key existed changed at least one column (compared with ``Value/isSame(as:)``).
        case update
        case delete
    }

    public let kind: Kind
    /// The new row for an insert or update; the last row for a delete.
    public let row: Row
    /// The row before an update; `nil` for inserts and deletes.
    public let previous: Row?
    /// The columns an update changed; empty for inserts and deletes.
    public let changed: ColumnSet
    /// Materialize's `mz_timestamp` of the batch, in milliseconds.
    public let timestamp: UInt64
    /// Whether the event comes from a re-snapshot (``SourceSnapshot``) rather than a batch.
    public let fromReset: Bool

    public var key: RowKey { row.key }
}
