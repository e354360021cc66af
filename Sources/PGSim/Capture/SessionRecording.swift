import PGWire

/// A recorded Postgres-wire session: every message each way, in the order seen, with the TCP read
/// boundaries ("chunks") of each direction, as text that people read and edit (see `Fixtures/README.md`).
///
/// The recording is the model of that text, line for line: entry `i` is line `i + 1`, so errors
/// found later (a chunk offset past its message, a replay mismatch) name the line to fix. Each
/// direction's byte stream is the concatenation of its messages' bytes; `chunk` entries cut it
/// into the reads the recorder saw, which may end inside a message.
public struct SessionRecording: Sendable, Hashable {
    /// Which way a message travelled.
    public enum Direction: Sendable, Hashable, CaseIterable {
        /// `>` in the text.
        case clientToServer
        /// `<` in the text.
        case serverToClient

        /// The line prefix: `>` or `<`.
        public var symbol: Character {
            switch self {
            case .clientToServer: ">"
            case .serverToClient: "<"
            }
        }
    }

    /// One line of the recording.
    public enum Entry: Sendable, Hashable {
        /// `# text`: the text after `#`, kept so a hand-written fixture keeps its explanations.
        case comment(String)
        /// An empty line, kept so a rendered fixture keeps its grouping.
        case blank
        /// One message (or raw bytes) sent in `direction`.
        case message(Direction, RecordedMessage)
        /// `chunk +a +b…`: a read of `direction` starts `a` (then `b`…) bytes into the next message
        /// of that direction; `[0]` (written `chunk`) is a read starting with that message.
        case chunk(Direction, offsets: [Int])
    }

    public var entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    /// The bytes of one direction and where its reads ended.
    public struct Stream: Sendable, Hashable {
        /// Every byte sent in the direction, in order.
        public var bytes: [UInt8]
        /// The start offsets of the reads after the first, strictly increasing and inside `bytes`.
        public var boundaries: [Int]

        /// The reads, in order: `bytes` cut at `boundaries` (one read when there are none).
        public var chunks: [ArraySlice<UInt8>] {
            var result: [ArraySlice<UInt8>] = []
            var start = 0
            for boundary in boundaries {
                result.append(bytes[start..<boundary])
                start = boundary
            }
            if start < bytes.count || result.isEmpty { result.append(bytes[start...]) }
            return result
        }
    }

    /// The exact bytes sent in `direction` and their read boundaries.
    ///
    /// Throws when a `chunk` line's offset does not fall inside the next message of its direction
    /// (or before it), naming the line.
    public func stream(_ direction: Direction) throws(CaptureError) -> Stream {
        var bytes: [UInt8] = []
        var boundaries: [Int] = []
        var pending: [(offsets: [Int], line: Int)] = []
        for (index, entry) in entries.enumerated() {
            switch entry {
            case .comment, .blank:
                continue
            case .chunk(let chunkDirection, let offsets):
                guard chunkDirection == direction else { continue }
                pending.append((offsets, index + 1))
            case .message(let messageDirection, let message):
                guard messageDirection == direction else { continue }
                let encoded = message.bytes
                for (offsets, line) in pending {
                    for offset in offsets {
                        guard offset >= 0, offset < max(encoded.count, 1) else {
                            throw CaptureError(
                                .chunkBoundary,
                                "chunk offset +\(offset) is not inside the next message, which has \(encoded.count) bytes; "
                                    + "use an offset from 0 to \(max(encoded.count - 1, 0))",
                                line: line)
                        }
                        let absolute = bytes.count + offset
                        guard absolute > (boundaries.last ?? 0) else {
                            guard absolute == 0 || absolute == boundaries.last else {
                                throw CaptureError(
                                    .chunkBoundary, "chunk offsets must increase; +\(offset) comes after a later one",
                                    line: line)
                            }
                            continue  // a read starting the stream, or said twice: nothing to cut
                        }
                        boundaries.append(absolute)
                    }
                }
                pending.removeAll()
                bytes.append(contentsOf: encoded)
            }
        }
        for (offsets, line) in pending where offsets != [0] {
            throw CaptureError(
                .chunkBoundary, "chunk +\(offsets.map(String.init).joined(separator: " +")) has no later message to split",
                line: line)
        }
        return Stream(bytes: bytes, boundaries: boundaries)
    }

    /// The messages of one direction with their line numbers.
    public func messages(_ direction: Direction) -> [(line: Int, message: RecordedMessage)] {
        entries.enumerated().compactMap { index, entry in
            guard case .message(let messageDirection, let message) = entry, messageDirection == direction else {
                return nil
            }
            return (index + 1, message)
        }
    }
}
