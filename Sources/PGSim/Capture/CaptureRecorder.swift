import PGWire

/// Turns the chunks a proxy reads from each side into recording entries, without doing any I/O.
///
/// Each direction is framed as the protocol defines it (untyped startup packets, then typed
/// messages; https://www.postgresql.org/docs/current/protocol-overview.html), and each frame is
/// decoded into its readable line. A message is written readable only when that line reads back
/// to the very same bytes; anything else (an unknown or malformed message, bytes after a TLS
/// `S`, a frame cut off by a closed connection) is written as `raw` hex. Every read after the
/// first becomes a `chunk` entry placed just before the message it starts in or splits.
///
/// Entries come back as the chunks are recorded, so a long session can be written out as it goes.
public struct CaptureRecorder: Sendable {
    /// Whether passwords and SCRAM proofs are replaced by `*` of the same length (lengths, and
    /// so chunk offsets, stay valid; replay never compares them).
    public let redactsSecrets: Bool

    private enum Mode: Sendable {
        /// StartupMessage, SSLRequest, GSSENCRequest or CancelRequest comes next (client only).
        case untyped
        /// Typed messages.
        case typed
        /// The byte answering SSLRequest/GSSENCRequest comes next (server only).
        case sslAnswer
        /// Unframeable (TLS, a broken length, a cancelled connection): every chunk is raw.
        case opaque
    }

    private struct Side: Sendable {
        var mode: Mode
        var buffer: [UInt8] = []
        /// The index in `buffer` of the first byte not yet in an entry.
        var head = 0
        /// Stream offset of `buffer[head]`.
        var offset = 0
        /// Read boundaries (stream offsets) not yet written.
        var boundaries: [Int] = []
        var received = 0

        var available: Int { buffer.count - head }
    }

    /// The largest frame decoded; longer ones are still recorded, as raw.
    static let maximumFrame = 256 << 20

    private var client = Side(mode: .untyped)
    private var server = Side(mode: .typed)
    private var pendingSSLAnswers = 0
    private var authenticationResponse: FrontendMessage.AuthenticationResponseKind?

    public init(redactsSecrets: Bool = true) {
        self.redactsSecrets = redactsSecrets
    }

    /// Records one read from `direction`'s sender; returns the entries now complete.
    public mutating func record(_ chunk: some Collection<UInt8>, from direction: SessionRecording.Direction) -> [SessionRecording.Entry] {
        guard !chunk.isEmpty else { return [] }
        var entries: [SessionRecording.Entry] = []
        switch direction {
        case .clientToServer:
            Self.add(chunk, to: &client)
            drainClient(into: &entries)
        case .serverToClient:
            Self.add(chunk, to: &server)
            drainServer(into: &entries)
        }
        return entries
    }

    /// Ends the recording (a side closed): bytes of unfinished messages become raw entries.
    public mutating func finish() -> [SessionRecording.Entry] {
        var entries: [SessionRecording.Entry] = []
        if client.available > 0 { Self.emit(client.available, as: nil, from: &client, .clientToServer, into: &entries, redacting: redactsSecrets) }
        if server.available > 0 { Self.emit(server.available, as: nil, from: &server, .serverToClient, into: &entries, redacting: redactsSecrets) }
        return entries
    }

    private static func add(_ chunk: some Collection<UInt8>, to side: inout Side) {
        if side.received > 0 { side.boundaries.append(side.received) }
        side.received += chunk.count
        if side.head > 4096, side.head * 2 > side.buffer.count {
            side.buffer.removeFirst(side.head)
            side.head = 0
        }
        side.buffer.append(contentsOf: chunk)
    }

    // MARK: Framing

    private mutating func drainClient(into entries: inout [SessionRecording.Entry]) {
        while client.available > 0 {
            switch client.mode {
            case .opaque:
                Self.emit(client.available, as: nil, from: &client, .clientToServer, into: &entries, redacting: redactsSecrets)
            case .sslAnswer:
                preconditionFailure("the client side never awaits an SSL answer")
            case .untyped:
                guard let length = frameLength(client, typed: false) else { return }
                guard length >= 8, length <= FrontendMessageDecoder.maximumStartupMessageSize else {
                    client.mode = .opaque
                    continue
                }
                guard client.available >= length else { return }
                let frame = client.buffer[client.head..<client.head + length]
                var message: RecordedMessage?
                if let decoded = try? FrontendMessage.decodeUntyped(payload: frame.dropFirst(4)) {
                    switch decoded {
                    case .sslRequest, .gssEncryptionRequest:
                        message = decoded == .sslRequest ? .sslRequest : .gssEncryptionRequest
                        pendingSSLAnswers += 1
                    case .cancelRequest(let key):
                        message = .cancelRequest(key)
                        client.mode = .opaque
                    case .startup:
                        message = Self.orderedStartup(frame)
                        client.mode = .typed
                    case .password, .saslInitialResponse, .saslResponse, .query, .copyFail, .terminate:
                        preconditionFailure("decodeUntyped returned a typed message")
                    }
                } else {
                    client.mode = .typed  // an unknown protocol version: the server will refuse it
                }
                Self.emit(length, as: message, from: &client, .clientToServer, into: &entries, redacting: redactsSecrets)
            case .typed:
                guard let length = frameLength(client, typed: true) else { return }
                guard length >= 5, length <= Self.maximumFrame else {
                    client.mode = .opaque
                    continue
                }
                guard client.available >= length else { return }
                let frame = client.buffer[client.head..<client.head + length]
                let decoded = try? FrontendMessage.decode(
                    type: frame.first!, payload: frame.dropFirst(5), authenticationResponse: authenticationResponse)
                Self.emit(length, as: decoded.map { .frontend($0) }, from: &client, .clientToServer, into: &entries, redacting: redactsSecrets)
            }
        }
    }

    private mutating func drainServer(into entries: inout [SessionRecording.Entry]) {
        if server.mode == .typed, pendingSSLAnswers > 0 { server.mode = .sslAnswer }
        while server.available > 0 {
            switch server.mode {
            case .opaque:
                Self.emit(server.available, as: nil, from: &server, .serverToClient, into: &entries, redacting: redactsSecrets)
            case .untyped:
                preconditionFailure("the server side never sends untyped messages")
            case .sslAnswer:
                let byte = server.buffer[server.head]
                guard byte == UInt8(ascii: "S") || byte == UInt8(ascii: "N") || byte == UInt8(ascii: "G") else {
                    // An old server may answer with an ErrorResponse: read on as typed messages.
                    pendingSSLAnswers = 0
                    server.mode = .typed
                    continue
                }
                pendingSSLAnswers -= 1
                Self.emit(1, as: .sslAnswer(byte), from: &server, .serverToClient, into: &entries, redacting: redactsSecrets)
                if byte == UInt8(ascii: "N") {
                    server.mode = pendingSSLAnswers > 0 ? .sslAnswer : .typed
                } else {
                    // Encryption starts: nothing after this can be read.
                    server.mode = .opaque
                    client.mode = .opaque
                    drainClient(into: &entries)
                }
            case .typed:
                guard let length = frameLength(server, typed: true) else { return }
                guard length >= 5, length <= Self.maximumFrame else {
                    server.mode = .opaque
                    continue
                }
                guard server.available >= length else { return }
                let frame = server.buffer[server.head..<server.head + length]
                let decoded = try? BackendMessage.decode(type: frame.first!, payload: frame.dropFirst(5))
                if case .authentication(let request) = decoded {
                    switch request {
                    case .cleartextPassword, .md5Password: authenticationResponse = .password
                    case .sasl: authenticationResponse = .saslInitialResponse
                    case .saslContinue: authenticationResponse = .saslResponse
                    case .ok, .saslFinal, .kerberosV5, .gss, .gssContinue, .sspi: authenticationResponse = nil
                    }
                }
                Self.emit(length, as: decoded.map { .backend($0) }, from: &server, .serverToClient, into: &entries, redacting: redactsSecrets)
            }
        }
    }

    /// The whole frame's size (type byte included), once its header has arrived.
    private func frameLength(_ side: Side, typed: Bool) -> Int? {
        let header = typed ? 5 : 4
        guard side.available >= header else { return nil }
        let l = side.head + header - 4
        let word = Int32(bitPattern: UInt32(side.buffer[l]) << 24 | UInt32(side.buffer[l + 1]) << 16
            | UInt32(side.buffer[l + 2]) << 8 | UInt32(side.buffer[l + 3]))
        return Int(word) + header - 4
    }

    /// Appends the chunk line for boundaries inside the next `count` bytes, then the message
    /// (readable only if its line reads back to the same bytes).
    private static func emit(
        _ count: Int, as message: RecordedMessage?, from side: inout Side, _ direction: SessionRecording.Direction,
        into entries: inout [SessionRecording.Entry], redacting: Bool
    ) {
        let original = Array(side.buffer[side.head..<side.head + count])
        var offsets: [Int] = []
        while let boundary = side.boundaries.first, boundary < side.offset + count {
            offsets.append(boundary - side.offset)
            side.boundaries.removeFirst()
        }
        if !offsets.isEmpty { entries.append(.chunk(direction, offsets: offsets)) }
        side.head += count
        side.offset += count
        entries.append(.message(direction, readable(message, original: original, direction: direction, redacting: redacting)))
    }

    private static func readable(
        _ message: RecordedMessage?, original: [UInt8], direction: SessionRecording.Direction, redacting: Bool
    ) -> RecordedMessage {
        guard let message, message.bytes == original, Self.roundTrips(message, direction) else {
            return .raw(original)
        }
        let shown = redacting ? redact(message) : message
        return Self.roundTrips(shown, direction) ? shown : .raw(shown.bytes)
    }

    /// Whether the message's line reads back to the same message.
    private static func roundTrips(_ message: RecordedMessage, _ direction: SessionRecording.Direction) -> Bool {
        let line = Array(message.text.utf8)
        guard let parsed = try? RecordedMessage(parsing: line[...], direction: direction) else { return false }
        return parsed == message && parsed.bytes == message.bytes
    }

    /// StartupMessage with its parameters in the order sent.
    private static func orderedStartup(_ frame: ArraySlice<UInt8>) -> RecordedMessage? {
        var reader = ByteReader(frame.dropFirst(8))
        var parameters: [StartupParameters.Parameter] = []
        while true {
            guard let name = reader.readCString() else { return nil }
            if name.isEmpty { break }
            guard let value = reader.readCString() else { return nil }
            parameters.append(.init(name: name, value: value))
        }
        return reader.isAtEnd ? .startup(parameters) : nil
    }

    private static func redact(_ message: RecordedMessage) -> RecordedMessage {
        guard case .frontend(let frontend) = message else { return message }
        switch frontend {
        case .password(let password):
            return .frontend(.password(String(repeating: "*", count: password.utf8.count)))
        case .saslResponse(var data):
            // client-final-message: c=…,r=…,p=PROOF; the proof is derived from the password.
            if let range = proofRange(data) {
                for index in range { data[index] = UInt8(ascii: "*") }
            }
            return .frontend(.saslResponse(data: data))
        case .saslInitialResponse, .query, .copyFail, .terminate, .startup, .sslRequest, .gssEncryptionRequest, .cancelRequest:
            return message
        }
    }

    /// The bytes of the `p=` attribute's value in a client-final-message.
    static func proofRange(_ data: [UInt8]) -> Range<Int>? {
        var start = 0
        while start < data.count {
            let end = data[start...].firstIndex(of: UInt8(ascii: ",")) ?? data.count
            if end - start >= 2, data[start] == UInt8(ascii: "p"), data[start + 1] == UInt8(ascii: "=") {
                return (start + 2)..<end
            }
            start = end + 1
        }
        return nil
    }
}
