/// Turns the bytes a client receives into ``BackendMessage``s, without doing any I/O.
///
/// Feed every chunk read from the socket with ``feed(_:)``, then call ``next()`` until it returns
/// `nil` (more bytes needed). A message lying inside one chunk is a slice of that chunk, so DataRow
/// and CopyData reach the caller without a copy; a message straddling chunks is assembled once into
/// an array reserved to its full size (see ``FrameAssembler``). Framing follows
/// https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-MESSAGE-CONCEPTS.
///
/// After any error the decoder stays failed and rethrows it: a stream whose framing or content we
/// misread cannot be resynchronised.
public struct BackendMessageDecoder: Sendable {
    /// The largest accepted length word (which counts itself); larger messages are refused.
    public let maximumMessageSize: Int
    private var frames = FrameAssembler()
    private var failure: PostgresError?

    /// - Parameter maximumMessageSize: the largest message accepted, 64 MiB by default. A single
    ///   row or COPY line larger than this fails the connection with `.messageTooLarge`.
    public init(maximumMessageSize: Int = 64 << 20) {
        precondition(maximumMessageSize >= 4, "maximumMessageSize must be at least 4")
        self.maximumMessageSize = maximumMessageSize
    }

    /// Bytes received that no returned message has consumed yet.
    ///
    /// A client must check this is 0 right after reading the server's one-byte answer to an
    /// SSLRequest: bytes sent before the TLS handshake could have been injected (CVE-2021-23222).
    public var bufferedByteCount: Int { frames.bufferedByteCount }

    /// Whether an error has been thrown; every later call rethrows it.
    public var hasFailed: Bool { failure != nil }

    /// Hands the decoder the next chunk read from the connection; the chunk is not copied.
    /// The decoder holds whatever it is fed: bound memory by draining ``next()`` before reading more.
    public mutating func feed(_ chunk: [UInt8]) {
        frames.feed(chunk)
    }

    /// The next whole message's type byte and payload (after the length word), or `nil` when more
    /// bytes are needed. Only the framing is checked: use it to skip or forward messages unread.
    public mutating func nextFrame() throws(PostgresError) -> (type: UInt8, payload: ArraySlice<UInt8>)? {
        if let failure { throw failure }
        do throws(PostgresError) {
            return try frames.next(
                typed: true, maximumLength: maximumMessageSize,
                advice: "raise BackendMessageDecoder(maximumMessageSize:) if messages this large are expected")
        } catch {
            failure = error
            throw error
        }
    }

    /// The next decoded message, or `nil` when more bytes are needed.
    public mutating func next() throws(PostgresError) -> BackendMessage? {
        guard let frame = try nextFrame() else { return nil }
        do throws(PostgresError) {
            return try BackendMessage.decode(type: frame.type, payload: frame.payload)
        } catch {
            failure = error
            throw error
        }
    }
}
