/// Decodes a `COPY … TO STDOUT (FORMAT BINARY)` stream from its CopyData payloads.
///
/// Sans-IO: ``append(_:)`` each payload, then call ``nextRow()`` until it returns `nil`. The
/// header (11-byte signature, Int32 flags, Int32 extension length and the extension) is checked
/// and skipped; tuples follow until the Int16 `-1` trailer, after which any byte is an error.
/// Materialize sends the header together with the first tuple and the trailer alone
/// (materialize-subscribe.md §1b), but any split is accepted.
/// Format: https://www.postgresql.org/docs/current/sql-copy.html ("Binary Format").
public struct CopyBinaryDecoder: Sendable {
    /// `PGCOPY\n\377\r\n\0`.
    public static let signature: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]

    private enum State: Sendable {
        /// Waiting for the whole header.
        case header
        /// Reading tuples; the field count of the first one once seen.
        case tuples(fieldCount: Int?)
        /// The trailer was read.
        case finished
    }

    /// Tuples (and the header extension) larger than this are refused.
    public let maximumTupleSize: Int
    /// When set, every tuple must have this many fields.
    public let columnCount: Int?

    private var state: State = .header
    private var buffer: ArraySlice<UInt8> = []

    public init(columnCount: Int? = nil, maximumTupleSize: Int = 256 << 20) {
        precondition(maximumTupleSize > 0)
        self.columnCount = columnCount
        self.maximumTupleSize = maximumTupleSize
    }

    /// Whether the trailer has been read.
    public var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// Adds one CopyData payload. Data after the trailer is a protocol violation.
    public mutating func append(_ payload: ArraySlice<UInt8>) throws(PostgresError) {
        if case .finished = state, !payload.isEmpty {
            throw PostgresError.protocolViolation("COPY binary data after the trailer (\(payload.count) bytes)")
        }
        if buffer.isEmpty {
            buffer = payload
        } else {
            buffer.append(contentsOf: payload)
        }
    }

    /// Adds one CopyData payload.
    public mutating func append(_ payload: [UInt8]) throws(PostgresError) {
        try append(payload[...])
    }

    /// The next tuple, or `nil` when more data is needed or the trailer was read.
    public mutating func nextRow() throws(PostgresError) -> CopyBinaryRow? {
        while true {
            switch state {
            case .finished:
                return nil
            case .header:
                guard try readHeader() else { return nil }
                state = .tuples(fieldCount: nil)
            case .tuples(let fieldCount):
                var reader = ByteReader(buffer)
                guard let count = reader.readInt16() else { return nil }
                if count == -1 {
                    guard reader.isAtEnd else {
                        throw PostgresError.protocolViolation("COPY binary data after the trailer (\(reader.remaining) bytes)")
                    }
                    buffer = []
                    state = .finished
                    return nil
                }
                guard count >= 0 else { throw PostgresError.protocolViolation("COPY binary tuple has field count \(count)") }
                if let expected = columnCount ?? fieldCount, Int(count) != expected {
                    throw PostgresError.protocolViolation("COPY binary tuple has \(count) fields, expected \(expected)")
                }
                let fieldsStart = reader.index
                var offsets: [Int] = []
                offsets.reserveCapacity(Int(count))
                for _ in 0..<count {
                    let offset = reader.index
                    guard let length = reader.readInt32() else { return try incomplete() }
                    if length == -1 {
                        offsets.append(offset)
                        continue
                    }
                    guard length >= 0 else { throw PostgresError.protocolViolation("COPY binary field has length \(length)") }
                    guard Int(length) <= maximumTupleSize else { throw tooLarge() }
                    guard reader.readBytes(Int(length)) != nil else { return try incomplete() }
                    offsets.append(offset)
                }
                let row = CopyBinaryRow(bytes: buffer[fieldsStart..<reader.index], offsets: offsets)
                buffer = buffer[reader.index...]
                if buffer.isEmpty { buffer = [] }
                state = .tuples(fieldCount: Int(count))
                return row
            }
        }
    }

    /// Call at CopyDone: throws unless the trailer arrived (or nothing at all did) and no bytes are left.
    public func finish() throws(PostgresError) {
        switch state {
        case .finished:
            return
        case .header where buffer.isEmpty:
            return
        case .header, .tuples:
            throw PostgresError.protocolViolation("COPY binary data ended without its trailer (\(buffer.count) bytes pending)")
        }
    }

    private func incomplete() throws(PostgresError) -> CopyBinaryRow? {
        if buffer.count > maximumTupleSize { throw tooLarge() }
        return nil
    }

    private func tooLarge() -> PostgresError {
        PostgresError(.messageTooLarge, "COPY binary tuple exceeds \(maximumTupleSize) bytes; raise maximumTupleSize if such rows are expected")
    }

    /// Consumes the header when all of it is buffered; checks whatever part has arrived.
    private mutating func readHeader() throws(PostgresError) -> Bool {
        let signature = CopyBinaryDecoder.signature
        for (offset, byte) in buffer.prefix(signature.count).enumerated() where byte != signature[offset] {
            throw PostgresError.protocolViolation("COPY binary data does not start with the PGCOPY signature; is the COPY really FORMAT BINARY?")
        }
        var reader = ByteReader(buffer)
        guard reader.readBytes(signature.count) != nil, let flags = reader.readUInt32() else { return false }
        if flags & (1 << 16) != 0 {
            throw PostgresError.protocolViolation("COPY binary data includes OIDs (header flag bit 16), which this decoder does not support")
        }
        if flags & 0xFFFF_0000 != 0 {
            throw PostgresError.protocolViolation("COPY binary header has unknown critical flags 0x\(String(flags, radix: 16))")
        }
        guard let extensionLength = reader.readInt32() else { return false }
        guard extensionLength >= 0, Int(extensionLength) <= maximumTupleSize else {
            throw PostgresError.protocolViolation("COPY binary header extension length \(extensionLength) is invalid")
        }
        guard reader.readBytes(Int(extensionLength)) != nil else { return false }
        buffer = buffer[reader.index...]
        if buffer.isEmpty { buffer = [] }
        return true
    }
}
