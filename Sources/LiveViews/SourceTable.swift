/// The rows of one source and the rules that turn batches into ``RowEvent``s.
///
/// A sans-IO core: the ``SourceCache`` actor owns one and performs what it returns.
/// Rows are kept as a `Set<RowKey>` whose elements are the packed rows themselves, hashed
/// by their key region, so a row costs its packed bytes plus one reference.
struct SourceTable {
    let layout: RowLayout
    private(set) var rows: Set<RowKey> = []
    /// The timestamp of the last applied batch or snapshot.
    private(set) var timestamp: UInt64?

    init(schema: SourceSchema) {
        self.layout = RowLayout(schema: schema)
    }

    var count: Int { rows.count }

    func row(_ stored: RowKey) -> Row { Row(bytes: stored.bytes, layout: layout) }

    /// The row whose primary key is `key`.
    func row(forKey key: [Value]) throws(LiveViewsError) -> Row? {
        let probe = RowKey(bytes: try layout.encodeKey(key))
        guard let index = rows.firstIndex(of: probe) else { return nil }
        return row(rows[index])
    }

    private enum Packed {
        case upsert(ContiguousArray<UInt8>)
        case delete(RowKey)
    }

    /// Applies one batch, all or nothing: every change is checked before any is applied.
    ///
    /// Upserts that change no value produce no event; deletes of absent keys produce none.
    mutating func apply(_ batch: SourceBatch) throws(LiveViewsError) -> [RowEvent] {
        try checkTimestamp(batch.timestamp)
        var packed: [Packed] = []
        packed.reserveCapacity(batch.changes.count)
        for change in batch.changes {
            switch change {
            case .upsert(let values): packed.append(.upsert(try layout.encode(values)))
            case .delete(let key): packed.append(.delete(RowKey(bytes: try layout.encodeKey(key))))
            }
        }
        timestamp = batch.timestamp
        var events: [RowEvent] = []
        events.reserveCapacity(packed.count)
        for change in packed {
            switch change {
            case .upsert(let bytes):
                if let event = upsert(bytes, timestamp: batch.timestamp, fromReset: false) { events.append(event) }
            case .delete(let key):
                if let old = rows.remove(key) {
                    events.append(RowEvent(kind: .delete, row: row(old), previous: nil, changed: ColumnSet(),
                                           timestamp: batch.timestamp, fromReset: false))
                }
            }
        }
        return events
    }

    private mutating func upsert(_ bytes: ContiguousArray<UInt8>, timestamp: UInt64, fromReset: Bool) -> RowEvent? {
        let new = RowKey(bytes: bytes)
        guard let old = rows.update(with: new) else {
            return RowEvent(kind: .insert, row: row(new), previous: nil, changed: ColumnSet(),
                            timestamp: timestamp, fromReset: fromReset)
        }
        let changed = bytes.withUnsafeBytes { newRaw in
            old.bytes.withUnsafeBytes { oldRaw in layout.changedColumns(oldRaw, newRaw) }
        }
        guard !changed.isEmpty else {
            // Keep the stored bytes that views and subscribers already share.
            rows.update(with: old)
            return nil
        }
        return RowEvent(kind: .update, row: row(new), previous: row(old), changed: changed,
                        timestamp: timestamp, fromReset: fromReset)
    }

    /// Replaces every row with `snapshot`'s and returns only the difference as events.
    mutating func reset(to snapshot: SourceSnapshot) throws(LiveViewsError) -> [RowEvent] {
        try checkTimestamp(snapshot.timestamp)
        var incoming: Set<RowKey> = []
        incoming.reserveCapacity(snapshot.rows.count)
        for values in snapshot.rows {
            incoming.update(with: RowKey(bytes: try layout.encode(values)))
        }
        timestamp = snapshot.timestamp
        var events: [RowEvent] = []
        for old in rows where !incoming.contains(old) {
            events.append(RowEvent(kind: .delete, row: row(old), previous: nil, changed: ColumnSet(),
                                   timestamp: snapshot.timestamp, fromReset: true))
        }
        for old in events { rows.remove(old.row.key) }
        for new in incoming {
            if let event = upsert(new.bytes, timestamp: snapshot.timestamp, fromReset: true) { events.append(event) }
        }
        return events
    }

    private func checkTimestamp(_ next: UInt64) throws(LiveViewsError) {
        if let timestamp, next < timestamp {
            throw LiveViewsError(
                .invalidBatch,
                "source '\(layout.schema.name)': batch timestamp \(next) is older than the last applied \(timestamp); Materialize timestamps never go back, so the feed must re-snapshot")
        }
    }
}
