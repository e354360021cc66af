import CoreMetrics
import Ingest

/// Ingest's hooks as per-source series. Each call is a dictionary lookup under a lock and a
/// few atomic adds, cheap enough for the ingest task (once per read, batch or progress row).
extension ServerMetrics: IngestObserver {
    public func received(source: String, rows: Int, bytes: Int) {
        let metrics = self.source(source)
        metrics.rowsReceived.increment(by: rows)
        metrics.bytesReceived.increment(by: bytes)
    }

    public func delivered(source: String, timestamp: UInt64, changes: Int, isSnapshot: Bool) {
        let metrics = self.source(source)
        metrics.batches.increment()
        metrics.changes.increment(by: changes)
    }

    public func progressed(source: String, timestamp: UInt64, lagMilliseconds: Int64) {
        // A clock behind the database's gives a negative lag; report none rather than nonsense.
        self.source(source).lag.record(max(lagMilliseconds, 0))
    }

    public func reconnecting(source: String, attempt: Int, delay: Duration, reason: String) {
        self.source(source).reconnects.increment()
    }

    public func resnapshotting(source: String, reason: String) {
        self.source(source).resnapshots.increment()
    }

    public func failed(source: String, error: IngestError) {
        self.source(source).failures.increment()
    }
}
