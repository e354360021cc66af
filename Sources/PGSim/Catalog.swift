import Foundation
public import PGWire

/// The simulator's database: in-memory tables, a commit log with timestamps, and the wake-ups
/// running subscribes wait on.
///
/// Timestamps follow Materialize's EpochMilliseconds timeline (materialize-subscribe.md §3): every
/// statement that changes data commits all its changes at ONE timestamp,
/// `max(clock(), last + 1)`, so timestamps strictly increase even when the injected clock stalls.
/// Reads (a subscribe's AS OF, a heartbeat) also claim a timestamp, so no later write can land at
/// or below a time a reader has already been told is complete.
///
/// History is kept for a retention window (the "compaction horizon"): an AS OF older than
/// `now - retention` is refused, as Materialize refuses reads before a collection's `since`.
/// Subscribes read the log by position ( ``read(table:after:limit:)`` ), so a slow subscriber
/// costs no memory of its own: the log is bounded by the window and by ``maximumLogEntries``, and
/// a subscriber whose position was trimmed away is told it fell behind.
public actor Catalog {
    /// Milliseconds since the Unix epoch; injected so tests control time.
    public typealias Clock = @Sendable () -> UInt64

    /// One entry of the commit log.
    public enum LogEntry: Sendable {
        /// A commit to the table created with this identity.
        case commit(tableID: UInt64, Commit)
        /// The table was dropped; its subscribes end with 42704.
        case dropped(tableID: UInt64, name: String)
    }

    /// What a subscriber gets from ``read(table:after:limit:)``.
    public enum ReadResult: Sendable {
        /// Commits of the table after the position (possibly none) and the position to read after next.
        case commits([Commit], next: Int)
        /// The table was dropped: end the subscribe with this error.
        case dropped(Diagnostic)
        /// The subscriber's position was trimmed from the log.
        case fellBehind(Diagnostic)
    }

    struct Table: Sendable {
        var id: UInt64
        var schema: TableSchema
        /// Rows by internal row id, in insertion order of ids.
        var rows: [UInt64: [Datum]] = [:]
        /// Primary key values → row id (only for tables with a primary key).
        var keys: [[Datum]: UInt64] = [:]
        var createdAt: UInt64
    }

    private let clock: Clock
    /// How long history is kept, in milliseconds.
    public let retention: UInt64
    /// An upper bound on the log's length whatever the retention, so memory stays bounded under
    /// a write storm; a subscriber that falls this far behind is ended with 53200.
    public let maximumLogEntries: Int

    private var tables: [String: Table] = [:]
    private var nextTableID: UInt64 = 1
    private var nextRowID: UInt64 = 1
    /// The highest timestamp handed out, to a write or to a reader.
    public private(set) var lastTimestamp: UInt64 = 0
    /// The log, oldest first; `log[i]` has position `logStart + i`.
    private var log: [(timestamp: UInt64, entry: LogEntry)] = []
    private var logHead = 0
    private var logStart = 0
    /// The oldest readable timestamp: commits below it have been compacted away.
    public private(set) var since: UInt64 = 0
    /// Wake-ups of running subscribes: one buffered signal each, so a burst of commits costs nothing.
    private var waiters: [UInt64: AsyncStream<Void>.Continuation] = [:]
    private var nextWaiterID: UInt64 = 1

    /// - Parameters:
    ///   - clock: milliseconds since the epoch (default: the system clock).
    ///   - retention: the compaction window in milliseconds.
    ///   - maximumLogEntries: the log's hard bound.
    public init(clock: @escaping Clock = Catalog.systemClock, retention: UInt64 = 60_000, maximumLogEntries: Int = 100_000) {
        precondition(maximumLogEntries > 0, "maximumLogEntries must be positive")
        self.clock = clock
        self.retention = retention
        self.maximumLogEntries = maximumLogEntries
    }

    /// The wall clock in milliseconds since the Unix epoch.
    public static let systemClock: Clock = {
        UInt64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    // MARK: Reading

    /// The schema of a table, or `nil`.
    public func schema(of table: String) -> TableSchema? { tables[table]?.schema }

    /// Every table's schema, by name.
    public var schemas: [TableSchema] { tables.values.sorted { $0.id < $1.id }.map(\.schema) }

    /// The current rows of a table in insertion order; throws 42P01 for an unknown table.
    public func rows(of table: String) throws(SimError) -> [[Datum]] {
        let t = try lookup(table)
        return t.rows.keys.sorted().compactMap { t.rows[$0] }
    }

    /// A timestamp for a read now: `max(clock(), last)`; later writes get a larger one.
    public func readTimestamp() -> UInt64 {
        let now = max(clock(), lastTimestamp)
        lastTimestamp = now
        compact(now: now)
        return now
    }

    /// Everything a subscribe needs to start: the schema, the table's identity, the chosen AS OF,
    /// the snapshot at that time, and the log position to read commits after.
    ///
    /// - Parameters:
    ///   - asOf: the requested time; `nil` means now.
    ///   - atLeast: `AS OF AT LEAST`: a later time may be chosen (we choose now if later).
    public func beginSubscribe(
        table: String, asOf: UInt64?, atLeast: Bool
    ) throws(SimError) -> (schema: TableSchema, tableID: UInt64, asOf: UInt64, snapshot: [[Datum]], position: Int) {
        let t = try lookup(table)
        let now = readTimestamp()
        var chosen = asOf ?? now
        if atLeast { chosen = max(chosen, now) }
        guard chosen >= since else {
            throw Catalog.asOfTooOld(chosen, since: since)
        }
        if chosen > lastTimestamp {
            // A future AS OF: no write may land at or below it any more.
            lastTimestamp = chosen
        }
        // Undo the commits after `chosen`, newest first, to get the snapshot at `chosen`.
        var multiset: [[Datum]: Int] = [:]
        var order: [[Datum]] = []
        for id in t.rows.keys.sorted() {
            guard let row = t.rows[id] else { continue }
            if multiset[row] == nil { order.append(row) }
            multiset[row, default: 0] += 1
        }
        var cursor = log.count - 1
        while cursor >= logHead, log[cursor].timestamp > chosen {
            if case .commit(let id, let commit) = log[cursor].entry, id == t.id {
                for change in commit.changes.reversed() {
                    if let after = change.after {
                        multiset[after, default: 0] -= 1
                    }
                    if let before = change.before {
                        if multiset[before] == nil || multiset[before] == 0 { order.append(before) }
                        multiset[before, default: 0] += 1
                    }
                }
            }
            cursor -= 1
        }
        let position = logStart + (cursor + 1 - logHead)
        var snapshot: [[Datum]] = []
        for row in order {
            let count = multiset[row] ?? 0
            guard count > 0 else { continue }
            for _ in 0..<count { snapshot.append(row) }
            multiset[row] = 0
        }
        return (t.schema, t.id, chosen, snapshot, position)
    }

    /// The commits of table `tableID` after log position `position` (at most `limit` log entries
    /// are scanned), or the end of the subscribe when the table was dropped or the position trimmed.
    public func read(table tableID: UInt64, after position: Int, limit: Int = 1024) -> ReadResult {
        if position < logStart {
            return .fellBehind(Diagnostic(
                severity: "ERROR", sqlState: "53200",
                message: "subscribe fell behind: the simulator's commit log was compacted past its position; resubscribe"))
        }
        var commits: [Commit] = []
        var index = logHead + (position - logStart)
        let end = min(log.count, index + limit)
        while index < end {
            switch log[index].entry {
            case .commit(let id, let commit):
                if id == tableID { commits.append(commit) }
            case .dropped(let id, let name):
                if id == tableID {
                    return .dropped(Diagnostic(
                        severity: "ERROR", sqlState: "42704", message: "relation 'materialize.public.\(name)' was dropped"))
                }
            }
            index += 1
        }
        return .commits(commits, next: logStart + (index - logHead))
    }

    /// Registers a wake-up: the stream yields after every commit (and when ``wake(_:)`` is
    /// called), holding at most one pending signal. Call ``removeWaiter(_:)`` when done.
    public func addWaiter() -> (id: UInt64, signals: AsyncStream<Void>) {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = nextWaiterID
        nextWaiterID += 1
        waiters[id] = continuation
        return (id, stream)
    }

    public func removeWaiter(_ id: UInt64) {
        waiters.removeValue(forKey: id)?.finish()
    }

    /// Wakes one waiter (a cancel or a heartbeat).
    public func wake(_ id: UInt64) {
        waiters[id]?.yield()
    }

    // MARK: Changing data

    /// Creates a table; 42P07 if the name is taken.
    public func createTable(_ schema: TableSchema, ifNotExists: Bool = false) throws(SimError) {
        if tables[schema.name] != nil {
            if ifNotExists { return }
            throw SimError(.invalidStatement, sqlState: "42P07", "relation \"materialize.public.\(schema.name)\" already exists")
        }
        guard !schema.columns.isEmpty else {
            throw SimError(.invalidStatement, sqlState: "42601", "a table needs at least one column")
        }
        tables[schema.name] = Table(id: nextTableID, schema: schema, createdAt: readTimestamp())
        nextTableID += 1
    }

    /// Drops a table; its running subscribes end with `relation '…' was dropped` (42704).
    public func dropTable(_ name: String, ifExists: Bool = false) throws(SimError) {
        guard let table = tables.removeValue(forKey: name) else {
            if ifExists { return }
            throw Catalog.undefinedTable(name)
        }
        let timestamp = nextCommitTimestamp()
        append(timestamp, .dropped(tableID: table.id, name: name))
    }

    /// Inserts whole rows (values in column order); 23505 if a primary key is taken. Returns the
    /// commit timestamp.
    @discardableResult
    public func insert(into table: String, rows: [[Datum]]) throws(SimError) -> UInt64 {
        try commit(table) { (t: inout Table) throws(SimError) -> [RowChange] in
            var changes: [RowChange] = []
            for row in rows {
                try Catalog.check(row, against: t.schema)
                changes.append(.insert(row))
            }
            return changes
        }
    }

    /// Inserts rows, or replaces the row with the same primary key (the demo's "upsert").
    @discardableResult
    public func upsert(into table: String, rows: [[Datum]]) throws(SimError) -> UInt64 {
        try commit(table) { (t: inout Table) throws(SimError) -> [RowChange] in
            guard !t.schema.primaryKey.isEmpty else {
                throw SimError(.invalidStatement, sqlState: "0A000", "upsert needs a table with a primary key; \(t.schema.name) has none")
            }
            var changes: [RowChange] = []
            var replaced: [[Datum]: Int] = [:]
            for row in rows {
                try Catalog.check(row, against: t.schema)
                let key = t.schema.primaryKey.map { row[$0] }
                if let earlier = replaced[key] {
                    // Two rows for one key in one call: the last wins.
                    changes[earlier].after = row
                } else if let id = t.keys[key], let old = t.rows[id] {
                    replaced[key] = changes.count
                    changes.append(.update(from: old, to: row))
                } else {
                    replaced[key] = changes.count
                    changes.append(.insert(row))
                }
            }
            return changes
        }
    }

    /// Updates every row matching `predicate` with `transform`; returns the count and timestamp.
    @discardableResult
    public func update(
        _ table: String, where predicate: @Sendable ([Datum]) -> Bool, set transform: @Sendable ([Datum]) -> [Datum]
    ) throws(SimError) -> (count: Int, timestamp: UInt64) {
        var count = 0
        let timestamp = try commit(table) { (t: inout Table) throws(SimError) -> [RowChange] in
            var changes: [RowChange] = []
            for id in t.rows.keys.sorted() {
                guard let row = t.rows[id], predicate(row) else { continue }
                let new = transform(row)
                try Catalog.check(new, against: t.schema)
                changes.append(.update(from: row, to: new))
            }
            count = changes.count
            return changes
        }
        return (count, timestamp)
    }

    /// Deletes every row matching `predicate`; returns the count and timestamp.
    @discardableResult
    public func delete(from table: String, where predicate: @Sendable ([Datum]) -> Bool) throws(SimError) -> (count: Int, timestamp: UInt64) {
        var count = 0
        let timestamp = try commit(table) { (t: inout Table) throws(SimError) -> [RowChange] in
            var changes: [RowChange] = []
            for id in t.rows.keys.sorted() {
                guard let row = t.rows[id], predicate(row) else { continue }
                changes.append(.delete(row))
            }
            count = changes.count
            return changes
        }
        return (count, timestamp)
    }

    // MARK: Internals

    private func lookup(_ name: String) throws(SimError) -> Table {
        guard let table = tables[name] else { throw Catalog.undefinedTable(name) }
        return table
    }

    static func undefinedTable(_ name: String) -> SimError {
        SimError(.undefinedTable, sqlState: "42P01", "unknown catalog item '\(name)'")
    }

    static func asOfTooOld(_ asOf: UInt64, since: UInt64) -> SimError {
        SimError(
            .invalidValue, sqlState: "22000", "could not find a valid timestamp for the query",
            detail: "AS OF \(asOf) is before the compaction horizon \(since)",
            hint: "resume from a newer timestamp, or subscribe without AS OF to get a fresh snapshot")
    }

    /// Checks arity and NOT NULL.
    private static func check(_ row: [Datum], against schema: TableSchema) throws(SimError) {
        guard row.count == schema.columns.count else {
            throw SimError(.invalidValue, sqlState: "42601", "\(schema.name) has \(schema.columns.count) columns but a row has \(row.count) values")
        }
        for (value, column) in zip(row, schema.columns) where column.notNull && value.isNull {
            throw SimError(.invalidValue, sqlState: "23502", "null value in column \"\(column.name)\" violates not-null constraint")
        }
    }

    /// Runs `body` to compute a table's changes, applies them (checking keys), and logs one commit.
    /// Nothing changes if `body` or a key check throws.
    private func commit(_ name: String, _ body: (inout Table) throws(SimError) -> [RowChange]) throws(SimError) -> UInt64 {
        var table = try lookup(name)
        let changes = try body(&table)
        guard !changes.isEmpty else { return lastTimestamp }
        var working = table
        for change in changes {
            try Catalog.apply(change, to: &working, nextRowID: &nextRowID)
        }
        tables[name] = working
        let timestamp = nextCommitTimestamp()
        append(timestamp, .commit(tableID: table.id, Commit(timestamp: timestamp, changes: changes)))
        return timestamp
    }

    private static func apply(_ change: RowChange, to table: inout Table, nextRowID: inout UInt64) throws(SimError) {
        let keyColumns = table.schema.primaryKey
        var reuseID: UInt64?
        if let before = change.before {
            let id: UInt64?
            if !keyColumns.isEmpty {
                id = table.keys[keyColumns.map { before[$0] }]
            } else {
                id = table.rows.first(where: { $0.value == before })?.key
            }
            guard let id else { preconditionFailure("a change removes a row the table does not hold") }
            table.rows.removeValue(forKey: id)
            if !keyColumns.isEmpty { table.keys.removeValue(forKey: keyColumns.map { before[$0] }) }
            reuseID = id
        }
        if let after = change.after {
            if !keyColumns.isEmpty {
                let key = keyColumns.map { after[$0] }
                if table.keys[key] != nil {
                    let shown = key.map { $0.textBytes().map { String(decoding: $0, as: UTF8.self) } ?? "NULL" }.joined(separator: ", ")
                    let names = keyColumns.map { table.schema.columns[$0].name }.joined(separator: ", ")
                    throw SimError(
                        .invalidValue, sqlState: "23505",
                        "duplicate key value violates unique constraint \"\(table.schema.name)_pkey\"",
                        detail: "Key (\(names))=(\(shown)) already exists.")
                }
            }
            // An update keeps the row's place in insertion order.
            let id = reuseID ?? nextRowID
            if reuseID == nil { nextRowID += 1 }
            table.rows[id] = after
            if !keyColumns.isEmpty { table.keys[keyColumns.map { after[$0] }] = id }
        }
    }

    private func nextCommitTimestamp() -> UInt64 {
        let timestamp = max(clock(), lastTimestamp + 1)
        lastTimestamp = timestamp
        return timestamp
    }

    private func append(_ timestamp: UInt64, _ entry: LogEntry) {
        log.append((timestamp, entry))
        compact(now: timestamp)
        for waiter in waiters.values { waiter.yield() }
    }

    /// Moves `since` to `now - retention` and drops log entries below it (and beyond the bound).
    private func compact(now: UInt64) {
        let horizon = now > retention ? now - retention : 0
        if horizon > since { since = horizon }
        while logHead < log.count, log[logHead].timestamp < since || log.count - logHead > maximumLogEntries {
            if log[logHead].timestamp >= since {
                // Trimmed for the bound: history before this entry is gone too.
                since = log[logHead].timestamp
            }
            logHead += 1
            logStart += 1
        }
        if logHead > 1024 && logHead * 2 > log.count {
            log.removeFirst(logHead)
            logHead = 0
        }
    }
}
