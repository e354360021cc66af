import PGWire

/// The data of a running `COPY … TO STDOUT`, one CopyData payload per element.
///
/// PostgreSQL and Materialize send one row per CopyData message; decode the
/// payloads with PGWire's `CopyTextRow` or `CopyBinaryDecoder`. Iterating pulls
/// bytes from the socket, so a slow consumer slows the server rather than
/// growing memory. The sequence ends when the server ends the COPY; an
/// ErrorResponse in the middle of the stream is thrown from `next()`.
public struct CopyOutStream: AsyncSequence {
    public typealias Element = ArraySlice<UInt8>

    /// The overall and per-column formats from CopyOutResponse.
    public let format: CopyFormat
    private let connection: PostgresConnection

    init(connection: PostgresConnection, format: CopyFormat) {
        self.connection = connection
        self.format = format
    }

    /// What the connection produced next while streaming.
    enum Event {
        case data(ArraySlice<UInt8>)
        case complete(tag: String)
        case finished
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let connection: PostgresConnection
        var done = false
        /// The CommandComplete tag (`COPY n`) once the stream ended normally.
        public private(set) var commandTag: String?

        public mutating func next() async throws -> ArraySlice<UInt8>? {
            while !done {
                switch try await connection.nextCopyData() {
                case .data(let payload):
                    return payload
                case .complete(let tag):
                    commandTag = tag
                case .finished:
                    done = true
                }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(connection: connection)
    }
}
