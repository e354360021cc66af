/// Hooks for metrics and logs: what each source's ingest does.
///
/// Called from the ingest task; implementations must be quick and must not block
/// (count, log, or hand off).
public protocol IngestObserver: Sendable {
    /// COPY rows and their bytes arrived (including progress rows).
    func received(source: String, rows: Int, bytes: Int)
    /// A batch of one timestamp was delivered to the cache; a snapshot counts as one batch.
    func delivered(source: String, timestamp: UInt64, changes: Int, isSnapshot: Bool)
    /// A progress row closed `timestamp`; `lagMilliseconds` is the wall clock minus it.
    func progressed(source: String, timestamp: UInt64, lagMilliseconds: Int64)
    /// The connection was lost or refused; ingest reconnects after `delay`.
    func reconnecting(source: String, attempt: Int, delay: Duration, reason: String)
    /// The server could not resume at the last timestamp; ingest takes a fresh snapshot.
    func resnapshotting(source: String, reason: String)
    /// The source stopped for good.
    func failed(source: String, error: IngestError)
}

extension IngestObserver {
    public func received(source: String, rows: Int, bytes: Int) {}
    public func delivered(source: String, timestamp: UInt64, changes: Int, isSnapshot: Bool) {}
    public func progressed(source: String, timestamp: UInt64, lagMilliseconds: Int64) {}
    public func reconnecting(source: String, attempt: Int, delay: Duration, reason: String) {}
    public func resnapshotting(source: String, reason: String) {}
    public func failed(source: String, error: IngestError) {}
}
