public import PGWire

/// The sans-IO output engine of one `SUBSCRIBE`: given the table's snapshot at AS OF and the
/// table's later commits, it returns exactly the backend messages Materialize sends
/// (materialize-subscribe.md §1a, §1b, §2, §3, §5, §6). It performs no I/O and reads no clock:
/// the server calls ``start()``, then ``apply(_:)`` per commit and ``heartbeat(upTo:)`` when
/// time passes, and ``finish(error:)`` on cancel or shutdown; it sends ReadyForQuery itself.
///
/// Timestamps: commits at or below AS OF are already in the snapshot and are skipped (so with
/// `SNAPSHOT = false` only times after AS OF are emitted, as in Materialize's `should_emit`).
/// Materialize never emits data below a frontier it has closed; should a commit arrive below
/// the current frontier (e.g. two commits in the same millisecond), its rows are emitted at the
/// frontier instead, exactly as a later oracle timestamp would have placed them.
public struct SubscribeStream: Sendable {
    /// Where rows go: DataRows (bare SUBSCRIBE in a simple query) or COPY OUT.
    enum Output: Sendable {
        case dataRows
        case copyText
        /// The encoder remembers whether the 19-byte header has gone out with the first tuple.
        case copyBinary(CopyBinaryEncoder)
    }

    /// The lifecycle: nothing sent yet, rows flowing, or ended (by error, cancel or completion).
    enum State: Sendable {
        case idle
        case streaming
        case finished
    }

    /// The output columns, in order (§2).
    public let columns: [RowDescription.Column]

    private var output: Output
    private var state: State = .idle
    private let progress: Bool
    private let emitSnapshot: Bool
    private let asOf: UInt64
    /// Table column index of each selected column, in selection order.
    private let projection: [Int]
    /// For ENVELOPE UPSERT: positions in `projection` of the key columns (KEY order) and of the rest.
    private let upsert: (key: [Int], values: [Int])?
    private let tableWidth: Int
    private var snapshotRows: [[Datum]]
    /// The least timestamp at which data may still be emitted; after start, one past the last
    /// emitted time or the last heartbeat. With PROGRESS it equals the last progress row's time.
    public private(set) var frontier: UInt64
    /// Whether ``finish(error:)`` has ended the stream; later events return nothing.
    public var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// Every row sent, progress rows included, for the `COPY n` / `SELECT n` tag (§7).
    public private(set) var rowCount = 0

    /// Resolves the statement against the table.
    ///
    /// - Parameters:
    ///   - asOf: the timestamp the server chose (honouring `statement.asOf`); snapshot rows carry it.
    ///   - snapshot: the table's rows as of `asOf`, in table column order.
    /// - Throws: 42703 for an unknown selected or key column, 42701 for a key column named twice,
    ///   42601 for an empty key, XX000 when a snapshot row does not match the table's width.
    public init(statement: SubscribeStatement, schema: TableSchema, asOf: UInt64, snapshot: [[Datum]]) throws(SimError) {
        var projection: [Int] = []
        if let names = statement.columns {
            for name in names {
                guard let index = schema.columnIndex(named: name) else { throw SimError.undefinedColumn(name) }
                projection.append(index)
            }
        } else {
            projection = Array(schema.columns.indices)
        }
        var upsert: (key: [Int], values: [Int])?
        if let keyNames = statement.upsertKey {
            guard !keyNames.isEmpty else {
                throw SimError(.syntax, sqlState: "42601", "ENVELOPE UPSERT needs at least one KEY column")
            }
            var key: [Int] = []
            for name in keyNames {
                guard let position = projection.firstIndex(where: { schema.columns[$0].name == name }) else {
                    throw SimError.undefinedColumn(name)
                }
                guard !key.contains(position) else {
                    throw SimError(.invalidStatement, sqlState: "42701", "column \"\(name)\" appears more than once in ENVELOPE UPSERT KEY")
                }
                key.append(position)
            }
            upsert = (key, projection.indices.filter { !key.contains($0) })
        }
        for row in snapshot where row.count != schema.columns.count {
            throw SimError(
                .invalidValue, sqlState: "XX000",
                "a snapshot row of \(schema.name) has \(row.count) values but the table has \(schema.columns.count) columns")
        }

        let format: Format = statement.copy == .binary ? .binary : .text
        var columns: [RowDescription.Column] = [
            // numeric(39,0): typmod ((39 << 16) | 0) + 4 (§2).
            .init(name: "mz_timestamp", dataType: .numeric, dataTypeSize: -1, typeModifier: 2_555_908, format: format)
        ]
        if statement.progress {
            columns.append(.init(name: "mz_progressed", dataType: .bool, dataTypeSize: 1, format: format))
        }
        func dataColumn(_ position: Int) -> RowDescription.Column {
            let column = schema.columns[projection[position]]
            return .init(name: column.name, dataType: column.type, dataTypeSize: Self.typlen(column.type), format: format)
        }
        if let upsert {
            columns.append(.init(name: "mz_state", dataType: .text, dataTypeSize: -1, format: format))
            columns += upsert.key.map(dataColumn)
            columns += upsert.values.map(dataColumn)
        } else {
            columns.append(.init(name: "mz_diff", dataType: .int8, dataTypeSize: 8, format: format))
            columns += projection.indices.map(dataColumn)
        }

        self.columns = columns
        switch statement.copy {
        case nil: output = .dataRows
        case .text: output = .copyText
        case .binary: output = .copyBinary(CopyBinaryEncoder())
        }
        self.progress = statement.progress
        self.emitSnapshot = statement.snapshot
        self.asOf = asOf
        self.projection = projection
        self.upsert = upsert
        self.tableWidth = schema.columns.count
        self.snapshotRows = statement.snapshot ? snapshot : []
        self.frontier = asOf
    }

    // MARK: Events

    /// The messages that open the stream (§1a/§1b), then (§3) with PROGRESS a progress row at
    /// AS OF, the snapshot rows all at AS OF, and with PROGRESS a progress row at AS OF + 1.
    public mutating func start() -> [BackendMessage] {
        guard case .idle = state else { preconditionFailure("SubscribeStream.start() called twice") }
        state = .streaming
        var messages: [BackendMessage] = []
        switch output {
        case .dataRows:
            messages.append(.rowDescription(RowDescription(columns: columns)))
            messages.append(.noticeResponse(Diagnostic(
                severity: "NOTICE", sqlState: "01000",
                message: "streaming SUBSCRIBE rows directly requires a client that does not buffer output")))
        case .copyText, .copyBinary:
            let format: Format = if case .copyBinary = output { .binary } else { .text }
            messages.append(.copyOutResponse(CopyFormat(format: format, columnFormats: Array(repeating: format, count: columns.count))))
        }
        if progress { messages.append(progressRow(at: asOf)) }
        if emitSnapshot {
            let updates = snapshotRows.map { (row: $0, diff: 1) }
            snapshotRows = []
            emitUpdates(updates, at: asOf, into: &messages)
        }
        advanceFrontier(to: asOf &+ 1, into: &messages)
        return messages
    }

    /// One commit's rows at its timestamp (consolidated and sorted, §2/§3), then with PROGRESS
    /// a progress row at timestamp + 1. Commits at or below AS OF produce nothing.
    public mutating func apply(_ commit: Commit) -> [BackendMessage] {
        switch state {
        case .idle: preconditionFailure("SubscribeStream.apply(_:) before start()")
        case .finished: return []
        case .streaming: break
        }
        guard commit.timestamp > asOf else { return [] }
        let time = max(commit.timestamp, frontier)
        var updates: [(row: [Datum], diff: Int)] = []
        updates.reserveCapacity(commit.changes.count * 2)
        for change in commit.changes {
            if let before = change.before { updates.append((checked(before), -1)) }
            if let after = change.after { updates.append((checked(after), 1)) }
        }
        var messages: [BackendMessage] = []
        emitUpdates(updates, at: time, into: &messages)
        advanceFrontier(to: time &+ 1, into: &messages)
        return messages
    }

    /// Closes every time below `timestamp`: with PROGRESS a progress row at `timestamp` when
    /// that is beyond the last one (progress times strictly increase, §3); otherwise nothing.
    public mutating func heartbeat(upTo timestamp: UInt64) -> [BackendMessage] {
        guard case .streaming = state else { return [] }
        var messages: [BackendMessage] = []
        advanceFrontier(to: timestamp, into: &messages)
        return messages
    }

    /// Ends the stream. With an error: only the ErrorResponse (no CopyDone, §1b/§6). Otherwise
    /// (COPY) the binary trailer in its own CopyData, CopyDone and `COPY n`, or (bare) `SELECT n`.
    /// The server sends ReadyForQuery. Further calls of any event return nothing.
    public mutating func finish(error: Diagnostic?) -> [BackendMessage] {
        switch state {
        case .finished: return []
        case .idle:
            guard error != nil else { preconditionFailure("SubscribeStream.finish(error: nil) before start()") }
        case .streaming: break
        }
        state = .finished
        if let error { return [.errorResponse(error)] }
        switch output {
        case .dataRows:
            return [.commandComplete(tag: "SELECT \(rowCount)")]
        case .copyText:
            return [.copyDone, .commandComplete(tag: "COPY \(rowCount)")]
        case .copyBinary(var encoder):
            let trailer = encoder.trailer()
            output = .copyBinary(encoder)
            return [.copyData(trailer[...]), .copyDone, .commandComplete(tag: "COPY \(rowCount)")]
        }
    }

    // MARK: Rows

    private func checked(_ row: [Datum]) -> [Datum] {
        precondition(row.count == tableWidth, "a commit row has \(row.count) values; the table has \(tableWidth) columns")
        return row
    }

    private mutating func advanceFrontier(to time: UInt64, into messages: inout [BackendMessage]) {
        guard time > frontier else { return }
        frontier = time
        if progress { messages.append(progressRow(at: time)) }
    }

    /// One consolidated update: the projected row, its encoded fields (the consolidation key,
    /// so rows that look identical to the client cancel) and the summed diff.
    private struct Update {
        var values: [Datum]
        var fields: [[UInt8]?]
        var diff: Int
    }

    /// Consolidates `updates`, then emits them at `time` per the envelope (§2).
    private mutating func emitUpdates(_ updates: [(row: [Datum], diff: Int)], at time: UInt64, into messages: inout [BackendMessage]) {
        guard !updates.isEmpty else { return }
        var consolidated: [Update] = []
        var indexByFields: [[[UInt8]?]: Int] = [:]
        for (row, diff) in updates {
            let values = projection.map { row[$0] }
            let fields = values.map(encode)
            if let index = indexByFields[fields] {
                consolidated[index].diff += diff
            } else {
                indexByFields[fields] = consolidated.count
                consolidated.append(Update(values: values, fields: fields, diff: diff))
            }
        }
        consolidated.removeAll { $0.diff == 0 }
        if let upsert {
            emitUpsert(consolidated, key: upsert.key, values: upsert.values, at: time, into: &messages)
        } else {
            consolidated.sort { Self.order($0.values, $0.fields, $1.values, $1.fields) < 0 }
            let timestamp = timestampField(time)
            for update in consolidated {
                var fields: [[UInt8]?] = [timestamp]
                fields.reserveCapacity(columns.count)
                if progress { fields.append(boolField(false)) }
                fields.append(int8Field(Int64(update.diff)))
                fields += update.fields
                messages.append(row(fields))
            }
        }
    }

    /// ENVELOPE UPSERT: one row per key, keys ascending (§2's table of states).
    private mutating func emitUpsert(_ updates: [Update], key: [Int], values: [Int], at time: UInt64, into messages: inout [BackendMessage]) {
        var groups: [(key: [Datum], fields: [[UInt8]?], updates: [Update])] = []
        var groupByKey: [[[UInt8]?]: Int] = [:]
        for update in updates {
            let keyFields = key.map { update.fields[$0] }
            if let index = groupByKey[keyFields] {
                groups[index].updates.append(update)
            } else {
                groupByKey[keyFields] = groups.count
                groups.append((key.map { update.values[$0] }, keyFields, [update]))
            }
        }
        groups.sort { Self.order($0.key, $0.fields, $1.key, $1.fields) < 0 }
        let timestamp = timestampField(time)
        for group in groups {
            let sorted = group.updates.sorted { $0.diff < $1.diff }
            let state: String
            var newValues: Update?
            if sorted.count == 1, sorted[0].diff == 1 {
                (state, newValues) = ("upsert", sorted[0])
            } else if sorted.count == 1, sorted[0].diff == -1 {
                state = "delete"
            } else if sorted.count == 2, sorted[0].diff == -1, sorted[1].diff == 1 {
                (state, newValues) = ("upsert", sorted[1])
            } else {
                state = "key_violation"
            }
            var fields: [[UInt8]?] = [timestamp]
            fields.reserveCapacity(columns.count)
            if progress { fields.append(boolField(false)) }
            fields.append(Array(state.utf8))
            fields += group.fields
            if let newValues {
                fields += values.map { newValues.fields[$0] }
            } else {
                fields += repeatElement(nil, count: values.count)
            }
            messages.append(row(fields))
        }
    }

    private static func order(_ a: [Datum], _ aFields: [[UInt8]?], _ b: [Datum], _ bFields: [[UInt8]?]) -> Int {
        let order = Datum.subscribeOrder(a, b)
        if order != 0 { return order }
        for (x, y) in zip(aFields, bFields) {
            switch (x, y) {
            case (nil, nil): continue
            case (nil, _): return 1
            case (_, nil): return -1
            case (let x?, let y?):
                let order = Datum.compareBytes(x, y)
                if order != 0 { return order }
            }
        }
        return 0
    }

    /// `mz_timestamp = time`, `mz_progressed = t`, every other column NULL (§2).
    private mutating func progressRow(at time: UInt64) -> BackendMessage {
        var fields: [[UInt8]?] = [timestampField(time), boolField(true)]
        fields += repeatElement(nil, count: columns.count - 2)
        return row(fields)
    }

    // MARK: Encoding

    private var isBinary: Bool {
        if case .copyBinary = output { return true }
        return false
    }

    private func encode(_ value: Datum) -> [UInt8]? {
        isBinary ? value.binaryBytes() : value.textBytes()
    }

    /// `mz_timestamp` is numeric(39,0): a plain decimal integer in text (§2).
    private func timestampField(_ time: UInt64) -> [UInt8] {
        isBinary ? Numeric(time).binaryBytes() : Self.decimal(time)
    }

    private func boolField(_ value: Bool) -> [UInt8] {
        isBinary ? [value ? 1 : 0] : [value ? UInt8(ascii: "t") : UInt8(ascii: "f")]
    }

    private func int8Field(_ value: Int64) -> [UInt8] {
        if isBinary {
            let bits = UInt64(bitPattern: value)
            return (0..<8).map { UInt8(truncatingIfNeeded: bits >> (56 - 8 * $0)) }
        }
        return value < 0 ? [UInt8(ascii: "-")] + Self.decimal(value.magnitude) : Self.decimal(UInt64(value))
    }

    private static func decimal(_ value: UInt64) -> [UInt8] {
        var digits: [UInt8] = []
        digits.reserveCapacity(20)
        var rest = value
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        digits.reverse()
        return digits
    }

    /// One output row as the message Materialize uses: a DataRow, or one CopyData per row (§1b).
    private mutating func row(_ fields: [[UInt8]?]) -> BackendMessage {
        rowCount += 1
        switch output {
        case .dataRows:
            var writer = ByteWriter(capacity: fields.reduce(0) { $0 + 4 + ($1?.count ?? 0) })
            for field in fields {
                if let field {
                    writer.writeInt32(Int32(clamping: field.count))
                    writer.writeBytes(field)
                } else {
                    writer.writeInt32(-1)
                }
            }
            return .dataRow(DataRow(columnCount: fields.count, bytes: writer.bytes[...]))
        case .copyText:
            var out: [UInt8] = []
            out.reserveCapacity(fields.reduce(1) { $0 + 1 + ($1?.count ?? 2) })
            for (index, field) in fields.enumerated() {
                if index > 0 { out.append(0x09) }
                if let field {
                    CopyTextEncoder.appendEscaped(field[...], to: &out)
                } else {
                    out.append(0x5C)
                    out.append(UInt8(ascii: "N"))
                }
            }
            out.append(0x0A)
            return .copyData(out[...])
        case .copyBinary(var encoder):
            let payload = encoder.encode(fields: fields)
            output = .copyBinary(encoder)
            return .copyData(payload[...])
        }
    }

    /// `pg_type.typlen` for the RowDescription: fixed widths, -1 for variable-length types.
    static func typlen(_ type: TypeOID) -> Int16 {
        switch type {
        case .bool, .char: 1
        case .int2: 2
        case .int4, .float4, .date, .oid: 4
        case .int8, .float8, .time, .timestamp, .timestamptz, .mzTimestamp: 8
        case .timetz: 12
        case .interval, .uuid: 16
        case .name: 64
        default: -1
        }
    }
}
