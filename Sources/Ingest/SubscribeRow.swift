import LiveViews
import PGWire

/// One decoded row of an `ENVELOPE UPSERT … WITH (PROGRESS)` SUBSCRIBE.
enum SubscribeRow: Sendable, Hashable {
    /// Nothing more below this timestamp will arrive (`mz_progressed = t`).
    case progress(UInt64)
    /// `mz_state = upsert`: the full row in schema column order.
    case upsert(UInt64, [Value])
    /// `mz_state = delete`: the key in primary-key order.
    case delete(UInt64, key: [Value])
    /// `mz_state = key_violation`: several rows share the key.
    case keyViolation(UInt64, key: [Value])

    /// Decodes one COPY text row with `layout`.
    init(_ row: CopyTextRow, layout: SubscribeLayout) throws(IngestError) {
        guard row.count == layout.fieldCount else {
            throw IngestError(
                .layoutMismatch, source: layout.source,
                "a SUBSCRIBE row has \(row.count) fields, expected \(layout.fieldCount)")
        }
        guard let timestampBytes = row.field(0), let timestamp = Self.parseTimestamp(timestampBytes) else {
            throw IngestError(
                .protocolViolation, source: layout.source,
                "mz_timestamp '\(Self.preview(row.rawField(0)))' is not a non-negative integer")
        }
        guard let progressed = row.field(1), progressed.count == 1 else {
            throw IngestError(.protocolViolation, source: layout.source, "mz_progressed is missing or not a boolean")
        }
        if progressed.first == UInt8(ascii: "t") {
            self = .progress(timestamp)
            return
        }
        guard progressed.first == UInt8(ascii: "f") else {
            throw IngestError(.protocolViolation, source: layout.source, "mz_progressed '\(Self.preview(progressed))' is not t or f")
        }
        guard let state = row.field(2) else {
            throw IngestError(.protocolViolation, source: layout.source, "a data row has no mz_state")
        }
        switch Array(state) {
        case Array("upsert".utf8):
            var values: [Value] = []
            values.reserveCapacity(layout.fieldOfColumn.count)
            for (column, field) in layout.fieldOfColumn.enumerated() {
                values.append(try Self.value(row, field: field, column: column, layout: layout))
            }
            self = .upsert(timestamp, values)
        case Array("delete".utf8):
            self = .delete(timestamp, key: try Self.key(row, layout: layout))
        case Array("key_violation".utf8):
            self = .keyViolation(timestamp, key: try Self.key(row, layout: layout))
        default:
            throw IngestError(
                .protocolViolation, source: layout.source,
                "unknown mz_state '\(Self.preview(state))'; expected upsert, delete or key_violation")
        }
    }

    private static func key(_ row: CopyTextRow, layout: SubscribeLayout) throws(IngestError) -> [Value] {
        var key: [Value] = []
        key.reserveCapacity(layout.keyFields.count)
        for (position, field) in layout.keyFields.enumerated() {
            key.append(try value(row, field: field, column: layout.keyColumns[position], layout: layout))
        }
        return key
    }

    private static func value(_ row: CopyTextRow, field: Int, column: Int, layout: SubscribeLayout) throws(IngestError) -> Value {
        guard let bytes = row.field(field) else { return .null }
        guard let value = layout.decoders[column].decode(bytes) else {
            throw IngestError(
                .invalidValue, source: layout.source,
                "'\(preview(bytes))' is not a valid \(layout.decoders[column].type) value; check the column's type in the schema file",
                column: layout.columnNames[column])
        }
        return value
    }

    /// mz_timestamp is a numeric(39,0) printed as a plain integer (protocol notes §2).
    static func parseTimestamp(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        guard !bytes.isEmpty, bytes.count <= 20 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }

    static func preview(_ bytes: ArraySlice<UInt8>) -> String {
        let text = String(decoding: bytes.prefix(40), as: UTF8.self)
        return bytes.count > 40 ? text + "…" : text
    }
}
