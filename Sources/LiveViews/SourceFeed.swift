/// What a source's upstream delivers: closed transactions, re-snapshots and failures.
public enum SourceFeedEvent: Sendable {
    case batch(SourceBatch)
    /// A full re-snapshot (after a reconnect that could not resume `AS OF`).
    case reset(SourceSnapshot)
    /// The upstream failed for good; consumers are told and must resubscribe.
    case failed(LiveViewsError)
}

/// The ingest side of a source, implemented by the ingest layer (a resilient `SUBSCRIBE`
/// session, architecture.md data flow 1) and by tests.
///
/// ``SourceRegistry`` calls ``run(_:deliver:)`` in a child task of its `run()` when a source
/// is first used, and stops the source by cancelling that task. The feed hands every event to
/// `deliver` and awaits it, so a busy cache slows the upstream read instead of queueing
/// (backpressure reaches the socket), and the upstream connection can live in the feed's own
/// structured scope for as long as `run` runs.
public protocol SourceFeed: Sendable {
    /// Runs the upstream subscription of `schema`'s source until it ends, fails for good
    /// (after delivering `.failed`), or the calling task is cancelled (then it returns promptly).
    func run(_ schema: SourceSchema, deliver: @escaping @Sendable (SourceFeedEvent) async throws -> Void) async throws
}
