public import PGWire

/// The sans-IO output engine of one `SUBSCRIBE`: given the table's snapshot and its commits, it
/// produces exactly the backend messages Materialize sends (materialize-subscribe.md §1a, §1b,
/// §2, §3, §5, §6). The server performs the I/O and sends ReadyForQuery itself.
public struct SubscribeStream: Sendable {
    public init(statement: SubscribeStatement, schema: TableSchema, asOf: UInt64, snapshot: [[Datum]]) throws(SimError) {
        // Placeholder until branch `subscribe` is merged (its version replaces this file).
        throw SimError.unsupported("SUBSCRIBE is not available in this build")
    }

    /// The messages that open the stream: the header, then the snapshot (and its progress rows).
    public mutating func start() -> [BackendMessage] { [] }

    /// The rows of one commit, then (with PROGRESS) a progress row at `commit.timestamp + 1`.
    public mutating func apply(_ commit: Commit) -> [BackendMessage] { [] }

    /// With PROGRESS, a progress row at `timestamp` when it advances the closed frontier.
    public mutating func heartbeat(upTo timestamp: UInt64) -> [BackendMessage] { [] }

    /// The end of the stream: the error, or (COPY) trailer, CopyDone and `COPY n` / `SELECT n`.
    public mutating func finish(error: Diagnostic?) -> [BackendMessage] { [] }
}
