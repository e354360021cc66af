extension SessionRecording {
    /// Reads a recording; every line becomes one entry, and errors carry the 1-based line number.
    ///
    /// Leading and trailing spaces and a trailing CR are ignored; `#` starts a comment only at the
    /// start of a line (payloads may hold `#`). Chunk offsets are checked here too.
    public init(parsing text: String) throws(CaptureError) {
        var entries: [Entry] = []
        let bytes = Array(text.utf8)
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        for (index, rawLine) in lines.enumerated() {
            var line = rawLine
            while let last = line.last, last == 0x0D || RecordingSyntax.isSpace(last) { line.removeLast() }
            while let first = line.first, RecordingSyntax.isSpace(first) { line.removeFirst() }
            do throws(CaptureError) {
                entries.append(try Self.entry(line))
            } catch {
                var located = error
                located.line = index + 1
                throw located
            }
        }
        self.init(entries: entries)
        for direction in Direction.allCases { _ = try stream(direction) }
    }

    private static func entry(_ line: ArraySlice<UInt8>) throws(CaptureError) -> Entry {
        guard let first = line.first else { return .blank }
        if first == UInt8(ascii: "#") { return .comment(String(decoding: line.dropFirst(), as: UTF8.self)) }
        let direction: Direction
        switch first {
        case UInt8(ascii: ">"): direction = .clientToServer
        case UInt8(ascii: "<"): direction = .serverToClient
        default:
            throw CaptureError(.syntax,
                "a line starts with `>` (client to server), `<` (server to client) or `#` (comment)")
        }
        let rest = line.dropFirst()
        guard let space = rest.first, RecordingSyntax.isSpace(space) else {
            throw CaptureError(.syntax, "put a space after `\(Character(UnicodeScalar(first)))`")
        }
        let body = rest.drop(while: RecordingSyntax.isSpace)
        let tokens = try RecordingSyntax.tokenize(body)
        if let head = tokens.first, head.key == nil, !head.quoted, head.text == "chunk" {
            var offsets: [Int] = []
            for token in tokens.dropFirst() {
                guard token.key == nil, !token.quoted, token.value.first == UInt8(ascii: "+"),
                    let offset = Int(String(decoding: token.value.dropFirst(), as: UTF8.self)), offset >= 0
                else {
                    throw CaptureError(.syntax, "chunk offsets are written +N (bytes into the next message), e.g. `< chunk +3`")
                }
                offsets.append(offset)
            }
            return .chunk(direction, offsets: offsets.isEmpty ? [0] : offsets)
        }
        return .message(direction, try RecordedMessage(parsing: body, direction: direction))
    }

    /// The recording as text, one line per entry, ending in a newline.
    public var text: String {
        var out = ""
        for entry in entries {
            out += Self.line(entry)
            out += "\n"
        }
        return out
    }

    /// One entry as its line (without the newline).
    public static func line(_ entry: Entry) -> String {
        switch entry {
        case .comment(let text): "#" + text
        case .blank: ""
        case .chunk(let direction, let offsets):
            offsets == [0] ? "\(direction.symbol) chunk" : "\(direction.symbol) chunk " + offsets.map { "+\($0)" }.joined(separator: " ")
        case .message(let direction, let message): "\(direction.symbol) \(message.text)"
        }
    }
}
