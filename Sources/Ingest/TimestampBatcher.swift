import LiveViews

/// Groups SUBSCRIBE rows into one batch per closed timestamp (sans-IO).
///
/// Rows are buffered until a progress row at P says nothing below P will arrive; then
/// every buffered timestamp below P is emitted as one batch each, in order, so no
/// consumer sees half a transaction (architecture.md, data flow 1). With SNAPSHOT, the
/// rows at the AS OF timestamp (the first progress row's) form the snapshot.
struct TimestampBatcher: Sendable {
    /// What a progress row closed.
    struct Closed: Sendable, Equatable {
        /// The snapshot, when this progress row completed it.
        var snapshot: SourceSnapshot?
        /// Batches of later timestamps, in timestamp order (empty timestamps are skipped).
        var batches: [SourceBatch]
        /// The progress timestamp: everything below it has now been emitted.
        var progress: UInt64
    }

    private let source: String
    /// Whether the rows at the first timestamp are a snapshot to emit as such.
    private let expectsSnapshot: Bool
    /// The AS OF timestamp, known from the first progress row.
    private var asOf: UInt64?
    private var snapshotDone: Bool
    /// The last progress timestamp seen.
    private(set) var progress: UInt64?
    /// Buffered changes of timestamps not yet closed, in arrival order (timestamps never decrease).
    private var pending: [(timestamp: UInt64, change: SourceChange)] = []

    init(source: String, expectsSnapshot: Bool) {
        self.source = source
        self.expectsSnapshot = expectsSnapshot
        self.snapshotDone = !expectsSnapshot
    }

    /// The number of buffered changes (the caller bounds it).
    var pendingCount: Int { pending.count }

    /// Takes one row. Returns what a progress row closed (`nil` while the snapshot is
    /// incomplete or for data rows); throws when the row breaks the SUBSCRIBE rules.
    mutating func add(_ row: SubscribeRow) throws(IngestError) -> Closed? {
        switch row {
        case .progress(let timestamp):
            return try close(at: timestamp)
        case .upsert(let timestamp, let values):
            try accept(timestamp)
            pending.append((timestamp, .upsert(values)))
        case .delete(let timestamp, let key):
            try accept(timestamp)
            pending.append((timestamp, .delete(key: key)))
        case .keyViolation(let timestamp, let key):
            throw IngestError(
                .keyViolation, source: source,
                "Materialize reports a key violation at timestamp \(timestamp) for key (\(key.map(\.description).joined(separator: ", "))): several rows share this primary key; declare a primary_key that is unique in the view")
        }
        return nil
    }

    private func accept(_ timestamp: UInt64) throws(IngestError) {
        if let progress, timestamp < progress {
            throw IngestError(
                .protocolViolation, source: source,
                "a row at timestamp \(timestamp) arrived after progress \(progress) closed it")
        }
        if let last = pending.last?.timestamp, timestamp < last {
            throw IngestError(
                .protocolViolation, source: source,
                "timestamps went back from \(last) to \(timestamp) within one batch")
        }
    }

    private mutating func close(at timestamp: UInt64) throws(IngestError) -> Closed? {
        if let progress, timestamp < progress {
            throw IngestError(
                .protocolViolation, source: source, "progress went back from \(progress) to \(timestamp)")
        }
        if asOf == nil {
            // The first row of a PROGRESS subscribe is a progress row at AS OF (protocol notes §3).
            asOf = timestamp
        }
        progress = timestamp
        var closed = Closed(snapshot: nil, batches: [], progress: timestamp)
        var index = 0
        if !snapshotDone, let asOf, timestamp > asOf {
            var rows: [[Value]] = []
            while index < pending.count, pending[index].timestamp <= asOf {
                if case .upsert(let values) = pending[index].change { rows.append(values) }
                index += 1
            }
            closed.snapshot = SourceSnapshot(timestamp: asOf, rows: rows)
            snapshotDone = true
        }
        guard snapshotDone else { return nil }
        while index < pending.count, pending[index].timestamp < timestamp {
            let batchTimestamp = pending[index].timestamp
            var changes: [SourceChange] = []
            while index < pending.count, pending[index].timestamp == batchTimestamp {
                changes.append(pending[index].change)
                index += 1
            }
            closed.batches.append(SourceBatch(timestamp: batchTimestamp, changes: changes))
        }
        pending.removeFirst(index)
        return closed
    }
}
