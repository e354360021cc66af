import Foundation
import LiveViews
import PGClient
import PGWire

/// The resilient SUBSCRIBE of each source: LiveViews' ``SourceFeed`` backed by Materialize.
///
/// Per source, one connection runs the query of ``SubscribeQuery``; rows are decoded
/// into typed changes and delivered one closed timestamp at a time. When the connection
/// drops or the server reports a retryable error, the feed reconnects with exponential
/// backoff and jitter and resumes `AS OF P-1` with `SNAPSHOT = false`, P being the last
/// progress timestamp received, so no change is lost or repeated. If the server cannot
/// serve that timestamp any more (compacted), the feed takes a fresh snapshot and
/// delivers it as a reset: the cache turns it into the exact difference. Errors that
/// reconnecting cannot fix (object missing, permission denied, wrong columns, key
/// violations) stop the source with a clear error.
///
/// Delivery is awaited, so the COPY stream is read no faster than the cache applies it.
public struct SubscribeFeed<C: Clock>: SourceFeed where C.Duration == Duration {
    public let connection: ConnectionConfiguration
    public let sources: [String: IngestSource]
    public let backoff: BackoffPolicy
    /// The most rows one timestamp (the snapshot included) may hold before the source stops:
    /// a batch is delivered whole, so it is held whole in memory until its timestamp closes.
    public let maximumBatchRows: Int
    private let clock: C
    private let observer: (any IngestObserver)?
    private let wallClockMilliseconds: @Sendable () -> UInt64
    private let randomUnit: @Sendable () -> Double

    /// - Parameters:
    ///   - connection: where Materialize is (set `options` to `--cluster=name` to choose a cluster).
    ///   - clock: the clock backoff delays sleep on (a test clock in tests).
    ///   - wallClockMilliseconds: milliseconds since the Unix epoch, for the lag metric.
    ///   - randomUnit: a random number in [0, 1) for backoff jitter.
    public init(
        connection: ConnectionConfiguration, sources: [IngestSource], backoff: BackoffPolicy = BackoffPolicy(),
        maximumBatchRows: Int = 20_000_000, clock: C, observer: (any IngestObserver)? = nil,
        wallClockMilliseconds: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) },
        randomUnit: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.connection = connection
        self.sources = Dictionary(sources.map { ($0.schema.name, $0) }, uniquingKeysWith: { _, last in last })
        self.backoff = backoff
        self.maximumBatchRows = maximumBatchRows
        self.clock = clock
        self.observer = observer
        self.wallClockMilliseconds = wallClockMilliseconds
        self.randomUnit = randomUnit
    }

    /// Where a source's subscription stands across reconnects.
    struct Position: Sendable {
        /// Every change below this timestamp has been delivered.
        var progress: UInt64?
        /// The server refused to resume: the next subscription takes a fresh snapshot.
        var mustResnapshot = false
        /// Failed attempts since data last flowed.
        var attempt = 0

        var query: (IngestSource) -> String {
            { source in
                if let progress, !mustResnapshot { return SubscribeQuery.resume(source, from: progress) }
                return SubscribeQuery.initial(source)
            }
        }
    }

    /// A delivery to the cache failed: not a database problem, so it is not retried.
    private struct DeliveryFailed: Error {
        let underlying: any Error
    }

    public func run(_ schema: SourceSchema, deliver: @escaping @Sendable (SourceFeedEvent) async throws -> Void) async throws {
        guard let source = sources[schema.name] else {
            let error = IngestError(.database, source: schema.name, "no database object is configured for this source")
            observer?.failed(source: schema.name, error: error)
            try await deliver(.failed(error.asSourceFailure))
            return
        }
        var position = Position()
        while !Task.isCancelled {
            do {
                try await stream(source, position: &position, deliver: deliver)
            } catch let failure as DeliveryFailed {
                throw failure.underlying
            } catch {
                if Task.isCancelled || error is CancellationError { return }
                switch Disposition(error, source: source.schema.name) {
                case .fatal(let reason):
                    observer?.failed(source: source.schema.name, error: reason)
                    try await deliver(.failed(reason.asSourceFailure))
                    return
                case .resnapshot(let reason):
                    position.mustResnapshot = true
                    observer?.resnapshotting(source: source.schema.name, reason: reason)
                    // A refused AS OF is answered at once; reconnecting immediately is safe.
                    position.attempt += 1
                    if position.attempt > 1 { try await sleep(attempt: position.attempt - 1, source: source, reason: reason) }
                case .retry(let reason):
                    try await sleep(attempt: position.attempt, source: source, reason: reason)
                    position.attempt += 1
                }
            }
        }
    }

    private func sleep(attempt: Int, source: IngestSource, reason: String) async throws {
        let delay = backoff.delay(attempt: attempt, randomUnit: randomUnit())
        observer?.reconnecting(source: source.schema.name, attempt: attempt + 1, delay: delay, reason: reason)
        do {
            try await clock.sleep(for: delay)
        } catch {
            throw CancellationError()
        }
    }

    /// One connection's life: subscribe, stream, deliver. Returns only by throwing.
    private func stream(
        _ source: IngestSource, position: inout Position,
        deliver: @escaping @Sendable (SourceFeedEvent) async throws -> Void
    ) async throws {
        let name = source.schema.name
        let query = position.query(source)
        let resnapshot = position.mustResnapshot
        let initial = position.progress == nil
        var progress = position.progress
        var attempt = position.attempt
        var snapshotDelivered = !(initial || resnapshot)
        defer {
            position.progress = progress
            position.attempt = attempt
            if snapshotDelivered { position.mustResnapshot = false }
        }
        try await PostgresConnection.withConnection(connection) { connection in
            let stream = try await connection.copyOut(query)
            let layout = try SubscribeLayout(source, format: stream.format)
            var decoder = CopyTextDecoder(columnCount: layout.fieldCount)
            var batcher = TimestampBatcher(source: name, expectsSnapshot: initial || resnapshot)
            for try await payload in stream {
                decoder.append(payload)
                var rows = 0
                while let row = try decoder.nextRow() {
                    rows += 1
                    guard let closed = try batcher.add(SubscribeRow(row, layout: layout)) else {
                        if batcher.pendingCount > maximumBatchRows {
                            throw IngestError(
                                .batchTooLarge, source: name,
                                "one timestamp holds more than \(maximumBatchRows) rows; a batch is applied whole, so it is held in memory until it closes. Raise the limit (INGEST_MAX_BATCH_ROWS) if the machine has the memory, or narrow the source")
                        }
                        continue
                    }
                    if let snapshot = closed.snapshot {
                        // The first subscription loads an empty cache; a re-snapshot replaces the
                        // old state and the cache delivers only the difference.
                        let event: SourceFeedEvent = resnapshot
                            ? .reset(snapshot)
                            : .batch(SourceBatch(timestamp: snapshot.timestamp, changes: snapshot.rows.map { .upsert($0) }))
                        try await deliverOrFail(event, deliver)
                        observer?.delivered(source: name, timestamp: snapshot.timestamp, changes: snapshot.rows.count, isSnapshot: true)
                        snapshotDelivered = true
                    }
                    for batch in closed.batches {
                        try await deliverOrFail(.batch(batch), deliver)
                        observer?.delivered(source: name, timestamp: batch.timestamp, changes: batch.changes.count, isSnapshot: false)
                    }
                    // A resumed subscription starts with progress at AS OF = P-1: never move back.
                    if snapshotDelivered, closed.progress > (progress ?? 0) {
                        progress = closed.progress
                        attempt = 0
                        let now = wallClockMilliseconds()
                        observer?.progressed(
                            source: name, timestamp: closed.progress,
                            lagMilliseconds: Int64(bitPattern: now &- closed.progress))
                    }
                }
                observer?.received(source: name, rows: rows, bytes: payload.count + 5)
            }
            throw IngestError(.database, source: name, "the SUBSCRIBE stream ended; reconnecting")
        }
    }

    private func deliverOrFail(_ event: SourceFeedEvent, _ deliver: @Sendable (SourceFeedEvent) async throws -> Void) async throws {
        do {
            try await deliver(event)
        } catch {
            throw DeliveryFailed(underlying: error)
        }
    }
}
