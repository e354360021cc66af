/// Cuts a stream of received chunks into protocol frames, shared by both message decoders.
///
/// A frame that lies entirely inside one received chunk is returned as a slice of that chunk,
/// so the common case copies nothing. Only a frame that straddles chunks is assembled, into one
/// array reserved to the frame's full size as soon as its length word is known: a 64 MiB row
/// arriving in 64 KiB reads is copied once, never re-copied as it grows.
///
/// Frames are either typed (a type byte, then an Int32 length counting itself and the body) or
/// untyped (only the length; StartupMessage, SSLRequest, GSSENCRequest and CancelRequest), see
/// https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-MESSAGE-CONCEPTS.
struct FrameAssembler: Sendable {
    /// The chunk being read and the index of its first unread byte.
    private var current: [UInt8] = []
    private var index = 0
    /// Chunks fed while `current` still had unread bytes, oldest first, from `queueHead` on.
    private var queue: [[UInt8]] = []
    private var queueHead = 0
    /// The bytes of a frame that straddles chunks (header included), and its full size once known
    /// (0 while the header itself is incomplete).
    private var assembly: [UInt8] = []
    private var assemblyTarget = 0
    /// Bytes held that no frame has returned yet.
    private(set) var bufferedByteCount = 0

    init() {}

    mutating func feed(_ chunk: [UInt8]) {
        guard !chunk.isEmpty else { return }
        bufferedByteCount += chunk.count
        if index == current.count && queueHead == queue.count {
            current = chunk
            index = 0
            if !queue.isEmpty {
                queue.removeAll(keepingCapacity: true)
                queueHead = 0
            }
        } else {
            queue.append(chunk)
        }
    }

    /// Returns the next whole frame, or `nil` when more bytes are needed.
    ///
    /// - Parameters:
    ///   - typed: whether the frame starts with a type byte.
    ///   - maximumLength: the largest acceptable length word (which counts itself).
    ///   - advice: what a user can do about a `.messageTooLarge` error, ending its message.
    @inline(__always)
    mutating func next(
        typed: Bool, maximumLength: Int, advice: String
    ) throws(PostgresError) -> (type: UInt8, payload: ArraySlice<UInt8>)? {
        let headerSize = typed ? 5 : 4
        // Fast path: the whole frame is inside the current chunk.
        if assembly.isEmpty {
            let available = current.count - index
            if available >= headerSize {
                let type: UInt8 = typed ? current[index] : 0
                let l = index + headerSize - 4
                let length = Int(
                    Int32(bitPattern: UInt32(current[l]) << 24 | UInt32(current[l + 1]) << 16
                        | UInt32(current[l + 2]) << 8 | UInt32(current[l + 3])))
                try Self.check(length: length, type: type, typed: typed, maximum: maximumLength, advice: advice)
                let frameSize = length + headerSize - 4
                if available >= frameSize {
                    let payload = current[(index + headerSize)..<(index + frameSize)]
                    index += frameSize
                    bufferedByteCount -= frameSize
                    return (type, payload)
                }
            }
        }
        return try assemble(typed: typed, maximumLength: maximumLength, advice: advice)
    }

    /// The slow path: gathers a frame that straddles chunks into `assembly`.
    private mutating func assemble(
        typed: Bool, maximumLength: Int, advice: String
    ) throws(PostgresError) -> (type: UInt8, payload: ArraySlice<UInt8>)? {
        let headerSize = typed ? 5 : 4
        while true {
            if index == current.count {
                // Move on to the next queued chunk, if any.
                guard queueHead < queue.count else { return nil }
                current = queue[queueHead]
                queue[queueHead] = []
                queueHead += 1
                index = 0
                if queueHead == queue.count {
                    queue.removeAll(keepingCapacity: true)
                    queueHead = 0
                }
            }
            if assembly.isEmpty {
                let available = current.count - index
                if available >= headerSize {
                    // A fresh frame at the start of a chunk (or after a queued one): try the fast path.
                    let type: UInt8 = typed ? current[index] : 0
                    let l = index + headerSize - 4
                    let length = Int(
                        Int32(bitPattern: UInt32(current[l]) << 24 | UInt32(current[l + 1]) << 16
                            | UInt32(current[l + 2]) << 8 | UInt32(current[l + 3])))
                    try Self.check(
                        length: length, type: type, typed: typed, maximum: maximumLength, advice: advice)
                    let frameSize = length + headerSize - 4
                    if available >= frameSize {
                        let payload = current[(index + headerSize)..<(index + frameSize)]
                        index += frameSize
                        bufferedByteCount -= frameSize
                        return (type, payload)
                    }
                    assemblyTarget = frameSize
                    assembly.reserveCapacity(frameSize)
                } else {
                    assemblyTarget = 0
                    assembly.reserveCapacity(headerSize)
                }
            }
            if assemblyTarget == 0 {
                // Complete the header first, so the full size can be reserved once.
                let take = min(headerSize - assembly.count, current.count - index)
                assembly.append(contentsOf: current[index..<(index + take)])
                index += take
                guard assembly.count == headerSize else { continue }
                let type: UInt8 = typed ? assembly[0] : 0
                let l = headerSize - 4
                let length = Int(
                    Int32(bitPattern: UInt32(assembly[l]) << 24 | UInt32(assembly[l + 1]) << 16
                        | UInt32(assembly[l + 2]) << 8 | UInt32(assembly[l + 3])))
                try Self.check(length: length, type: type, typed: typed, maximum: maximumLength, advice: advice)
                assemblyTarget = length + headerSize - 4
                assembly.reserveCapacity(assemblyTarget)
            }
            let take = min(assemblyTarget - assembly.count, current.count - index)
            if take > 0 {
                assembly.append(contentsOf: current[index..<(index + take)])
                index += take
            }
            if assembly.count == assemblyTarget {
                let frame = assembly
                assembly = []
                assemblyTarget = 0
                bufferedByteCount -= frame.count
                return (typed ? frame[0] : 0, frame[headerSize...])
            }
        }
    }

    /// Rejects a length word below the minimum (it counts itself) or above the limit.
    @inline(__always)
    private static func check(
        length: Int, type: UInt8, typed: Bool, maximum: Int, advice: String
    ) throws(PostgresError) {
        if length < 4 {
            throw .protocolViolation(
                "invalid length \(length) for \(typed ? Self.describeType(type) : "an untyped message"): "
                    + "a length counts its own 4 bytes, so it is at least 4; the stream is corrupt")
        }
        if length > maximum {
            throw PostgresError(
                .messageTooLarge,
                "\(typed ? Self.describeType(type) : "an untyped message") of \(length) bytes exceeds "
                    + "the maximum of \(maximum) bytes; \(advice)")
        }
    }
}

extension FrameAssembler {
    /// Names a message type byte for errors: `'D' (0x44)`, or `0x01` when not printable.
    static func describeType(_ type: UInt8) -> String {
        let hex = Self.hexByte(type)
        if type >= 0x21 && type <= 0x7E {
            return "message type '\(Character(Unicode.Scalar(type)))' (\(hex))"
        }
        return "message type \(hex)"
    }

    /// `0x4A`: a byte in hex without Foundation.
    static func hexByte(_ byte: UInt8) -> String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
        return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
    }
}
