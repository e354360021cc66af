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
/// ``SourceRegistry`` calls ``start(_:)`` when a source is first used and iterates the
/// sequence in a child task of its `run()`; it stops the source by cancelling that task, so
/// the sequence must end promptly when its iterating task is cancelled.
public protocol SourceFeed: Sendable {
    associatedtype Events: AsyncSequence, Sendable where Events.Element == SourceFeedEvent

    /// Starts the upstream subscription of `schema`'s source.
    func start(_ schema: SourceSchema) -> Events
}
