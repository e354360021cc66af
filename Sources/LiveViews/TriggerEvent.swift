/// What a trigger emits (architecture.md, data flow 7).
public struct TriggerEvent: Sendable {
    public enum Kind: Sendable, Hashable {
        /// The row entered the trigger: `fire` became true.
        case fire
        /// The row left: `fire` is false and `clear` (if any) is true, or the row was deleted.
        case clear
    }

    public let kind: Kind
    /// The full row (for a deleted row, its last values).
    public let row: Row
    /// Materialize's `mz_timestamp` (ms) of the batch.
    public let timestamp: UInt64

    public var key: RowKey { row.key }
}
