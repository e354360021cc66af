/// Splits a `COPY … TO STDOUT` text stream into rows, whatever the CopyData boundaries.
///
/// Materialize sends exactly one row per CopyData (materialize-subscribe.md §1b), but the
/// protocol does not promise it: a payload may hold several rows, or a row may span payloads.
/// Sans-IO: ``append(_:)`` each CopyData payload, then call ``nextRow()`` until it returns
/// `nil`; at CopyDone call ``finish()``. When each payload is whole rows, rows are slices of the
/// payloads and nothing is copied.
public struct CopyTextDecoder: Sendable {
    /// Rows longer than this are refused (a row is buffered whole before it is returned).
    public let maximumRowSize: Int
    /// When set, every row must have this many fields.
    public let columnCount: Int?

    private var buffer: ArraySlice<UInt8> = []
    /// Bytes at the start of `buffer` known to hold no unescaped newline.
    private var searched = 0
    /// Whether `buffer[searched - 1]` is a backslash escaping the byte at `searched`.
    private var pendingEscape = false

    public init(columnCount: Int? = nil, maximumRowSize: Int = 256 << 20) {
        precondition(maximumRowSize > 0)
        self.columnCount = columnCount
        self.maximumRowSize = maximumRowSize
    }

    /// Whether a partial row is buffered.
    public var hasPartialRow: Bool { !buffer.isEmpty }

    /// Adds one CopyData payload.
    public mutating func append(_ payload: ArraySlice<UInt8>) {
        if buffer.isEmpty {
            buffer = payload
        } else {
            buffer.append(contentsOf: payload)
        }
    }

    /// Adds one CopyData payload.
    public mutating func append(_ payload: [UInt8]) {
        append(payload[...])
    }

    /// The next complete row, or `nil` when more data is needed.
    public mutating func nextRow() throws(PostgresError) -> CopyTextRow? {
        guard !buffer.isEmpty else { return nil }
        if searched > 0, !findNewline() {
            try checkSize()
            return nil
        }
        switch CopyTextRow.scan(buffer) {
        case .row(let row, let next):
            buffer = buffer[next...]
            if buffer.isEmpty { buffer = [] }  // release the payload's storage
            searched = 0
            pendingEscape = false
            if let columnCount, row.count != columnCount {
                throw PostgresError.protocolViolation("COPY text row has \(row.count) fields, expected \(columnCount)")
            }
            return row
        case .incomplete(let escape):
            searched = buffer.count
            pendingEscape = escape
            try checkSize()
            return nil
        }
    }

    /// Call at CopyDone: throws when a row was left without its newline.
    public func finish() throws(PostgresError) {
        guard buffer.isEmpty else {
            throw PostgresError.protocolViolation("COPY text data ended inside a row (\(buffer.count) bytes without a newline)")
        }
    }

    /// Continues the newline search past `searched`; true when an unescaped newline exists.
    private mutating func findNewline() -> Bool {
        var index = buffer.startIndex + searched
        if pendingEscape { index += 1 }
        while index < buffer.endIndex {
            let byte = buffer[index]
            if byte == 0x0A { return true }
            index += byte == 0x5C ? 2 : 1
        }
        pendingEscape = index > buffer.endIndex
        searched = buffer.count
        return false
    }

    private func checkSize() throws(PostgresError) {
        if buffer.count > maximumRowSize {
            throw PostgresError(.messageTooLarge, "COPY text row exceeds \(maximumRowSize) bytes without a newline; raise maximumRowSize if such rows are expected")
        }
    }
}
