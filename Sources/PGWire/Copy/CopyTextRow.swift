/// One row of `COPY … TO STDOUT` text format, kept as the slice it arrived in.
///
/// Fields are split on TAB when the row is built (one pass, one small array of field ends);
/// a field is unescaped only when read, and only if it holds a backslash, so a row without
/// escapes is decoded without copying. Format: https://www.postgresql.org/docs/current/sql-copy.html
/// ("Text Format"): `\b \f \n \r \t \v \\`, octal `\N`…`\NNN`, hex `\xH`/`\xHH`, any other
/// escaped byte is itself, and a field that is exactly `\N` is NULL.
public struct CopyTextRow: Sendable, Hashable {
    /// The row's bytes without its terminating newline.
    public let bytes: ArraySlice<UInt8>
    /// Per field, the index (in `bytes`) one past its last byte.
    @usableFromInline let ends: [Int]

    /// Builds a row from one CopyData payload, which must be exactly one row ending in `\n`.
    public init(_ payload: ArraySlice<UInt8>) throws(PostgresError) {
        guard case .row(let row, let next) = CopyTextRow.scan(payload) else {
            throw PostgresError.protocolViolation("COPY text row does not end with a newline (\(payload.count) bytes); the server must end every row with \\n")
        }
        guard next == payload.endIndex else {
            throw PostgresError.protocolViolation("COPY text payload holds more than one row; use CopyTextDecoder for such streams")
        }
        self = row
    }

    /// Builds a row from one CopyData payload.
    public init(_ payload: [UInt8]) throws(PostgresError) {
        try self.init(payload[...])
    }

    init(bytes: ArraySlice<UInt8>, ends: [Int]) {
        self.bytes = bytes
        self.ends = ends
    }

    enum ScanResult {
        /// A row and the index just past its newline.
        case row(CopyTextRow, next: Int)
        /// No unescaped newline yet; whether the last byte is a backslash still escaping the next.
        case incomplete(pendingEscape: Bool)
    }

    /// Finds the first row in `bytes`: splits fields on unescaped TABs up to the first unescaped LF.
    static func scan(_ bytes: ArraySlice<UInt8>) -> ScanResult {
        let base = bytes.startIndex
        var ends: [Int] = []
        ends.reserveCapacity(16)
        return bytes.withUnsafeBufferPointer { buffer -> ScanResult in
            var index = 0
            let count = buffer.count
            while index < count {
                let byte = buffer[index]
                if byte == 0x5C {  // backslash: the next byte is data, whatever it is
                    index += 2
                    continue
                }
                if byte == 0x09 {
                    ends.append(base + index)
                } else if byte == 0x0A {
                    ends.append(base + index)
                    return .row(CopyTextRow(bytes: bytes[base..<base + index], ends: ends), next: base + index + 1)
                }
                index += 1
            }
            return .incomplete(pendingEscape: index > count)
        }
    }

    /// The number of fields.
    @inlinable public var count: Int { ends.count }

    /// Field `index` exactly as sent (still escaped).
    @inlinable
    public func rawField(_ index: Int) -> ArraySlice<UInt8> {
        precondition(index >= 0 && index < ends.count, "field \(index) out of range 0..<\(ends.count)")
        let start = index == 0 ? bytes.startIndex : ends[index - 1] + 1
        return bytes[start..<ends[index]]
    }

    /// Whether field `index` is NULL (exactly `\N`).
    @inlinable
    public func isNull(_ index: Int) -> Bool {
        let raw = rawField(index)
        return raw.count == 2 && raw[raw.startIndex] == 0x5C && raw[raw.startIndex + 1] == UInt8(ascii: "N")
    }

    /// Field `index` unescaped, or `nil` for NULL. Shares the row's storage when there is nothing to unescape.
    public func field(_ index: Int) -> ArraySlice<UInt8>? {
        if isNull(index) { return nil }
        let raw = rawField(index)
        guard raw.contains(0x5C) else { return raw }
        return CopyTextRow.unescape(raw)[...]
    }

    /// Decodes field `index` from its text form as `type`; NULL becomes ``Datum/null``.
    public func decode(_ index: Int, as type: TypeOID) throws(PostgresError) -> Datum {
        guard let field = field(index) else { return .null }
        return try Datum(text: field, type: type)
    }

    /// Every field, unescaped (`nil` for NULL).
    public var fields: [ArraySlice<UInt8>?] {
        (0..<count).map { field($0) }
    }

    static func unescape(_ raw: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var index = raw.startIndex
        let end = raw.endIndex
        while index < end {
            let byte = raw[index]
            index += 1
            guard byte == 0x5C, index < end else {
                out.append(byte)
                continue
            }
            let escaped = raw[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = Int(escaped - 0x30)
                var digits = 1
                while digits < 3, index < end, raw[index] >= 0x30, raw[index] <= 0x37 {
                    value = value * 8 + Int(raw[index] - 0x30)
                    index += 1
                    digits += 1
                }
                out.append(UInt8(truncatingIfNeeded: value))
            case UInt8(ascii: "x"):
                guard index < end, let high = hexValue(raw[index]) else {
                    out.append(escaped)
                    continue
                }
                index += 1
                var value = high
                if index < end, let low = hexValue(raw[index]) {
                    value = value << 4 | low
                    index += 1
                }
                out.append(value)
            default:
                out.append(escaped)
            }
        }
        return out
    }
}
