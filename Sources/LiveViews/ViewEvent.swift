/// What a subscriber of a view sees: a row entering, changing in, or leaving the view
/// (architecture.md, data flow 4).
///
/// A view fans one value out to all its subscribers (no per-subscriber work), so a later
/// layer can encode it once per (view, projection) and share the bytes.
public struct ViewEvent: Sendable {
    public enum Operation: Sendable, Hashable {
        case insert
        case update
        case delete
    }

    public let operation: Operation
    /// INSERT/UPDATE: the row as it is now. DELETE: the row as the subscriber last saw it.
    public let row: Row
    /// UPDATE: the row as the subscriber last saw it (coalescing keeps it that way).
    public let previous: Row?
    /// UPDATE: the columns that differ from `previous`; empty otherwise.
    public let changed: ColumnSet
    /// Materialize's `mz_timestamp` (ms) of the batch that caused the event; for the initial
    /// rows, the timestamp of the last applied batch (0 before the first).
    public let timestamp: UInt64
    /// Whether the event comes from a source re-snapshot (the source reset).
    public let fromReset: Bool

    public var key: RowKey { row.key }

    init(_ operation: Operation, row: Row, previous: Row? = nil, changed: ColumnSet = ColumnSet(),
         timestamp: UInt64, fromReset: Bool = false) {
        self.operation = operation
        self.row = row
        self.previous = previous
        self.changed = changed
        self.timestamp = timestamp
        self.fromReset = fromReset
    }

    /// The coalescing rules of a slow subscriber's queue (older `self`, then `newer`, same key):
    /// INSERT+UPDATE → INSERT of the new row; UPDATE+UPDATE → UPDATE with the union of changed
    /// columns; UPDATE+DELETE → DELETE of the row the subscriber saw; INSERT+DELETE → nothing;
    /// DELETE+INSERT → UPDATE of the columns that differ, or nothing. The final state stays exact.
    func merged(with newer: ViewEvent) -> ViewEvent? {
        switch (operation, newer.operation) {
        case (.insert, .update), (.insert, .insert):
            return ViewEvent(.insert, row: newer.row, timestamp: newer.timestamp, fromReset: newer.fromReset)
        case (.insert, .delete):
            return nil
        case (.update, .update):
            return ViewEvent(.update, row: newer.row, previous: previous, changed: changed.union(newer.changed),
                             timestamp: newer.timestamp, fromReset: newer.fromReset)
        case (.update, .delete):
            return ViewEvent(.delete, row: previous ?? row, timestamp: newer.timestamp, fromReset: newer.fromReset)
        case (.delete, .insert), (.update, .insert):
            let seen = operation == .delete ? row : (previous ?? row)
            let changed = newer.row.changedColumns(from: seen)
            if changed.isEmpty { return nil }
            return ViewEvent(.update, row: newer.row, previous: seen, changed: changed,
                             timestamp: newer.timestamp, fromReset: newer.fromReset)
        case (.delete, .update), (.delete, .delete):
            // A view never sends these after a DELETE; keep the older, which the client can apply.
            return self
        }
    }
}
