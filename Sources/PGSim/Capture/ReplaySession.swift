import PGWire

/// Serves one recorded session to one client connection, without doing any I/O.
///
/// The recording is turned into a plan: writes of the server's recorded bytes, cut at the recorded
/// read boundaries (and before every wait for the client, so nothing recorded as sent stays
/// unsent), and expectations of the client's next message. A driver feeds the client's bytes to
/// ``received(_:)`` and performs the returned ``Output``: each write is one write and flush.
/// What is compared is documented in `Fixtures/README.md` ("Replay: what is compared").
public struct ReplaySession: Sendable {
    /// What the driver must do after an event.
    public struct Output: Sendable, Hashable {
        /// Bytes to send, each as one write followed by a flush.
        public var writes: [[UInt8]] = []
        /// Whether to close the connection after the writes.
        public var close = false
        /// Set when the client's message differed from the recording (the ErrorResponse is in `writes`).
        public var mismatch: CaptureError?
    }

    enum Step: Sendable, Hashable {
        case write([UInt8])
        /// The recorded answer to SSLRequest; skipped when the client goes straight to startup.
        case sslAnswer(UInt8)
        case expect(RecordedMessage, line: Int)
        /// AuthenticationSASLContinue / SASLFinal: the recorded message, or a live one when SCRAM runs for real.
        case saslContinue(recorded: [UInt8], line: Int)
        case saslFinal(recorded: [UInt8], line: Int)
    }

    let steps: [Step]
    private var index = 0
    private var buffer: [UInt8] = []
    private var clientTyped = false
    private var done = false
    private let password: String?
    private var scram: SCRAMServer?
    private var liveSASLContinue: [UInt8]?
    private var liveSASLFinal: [UInt8]?
    private var authenticationResponse: FrontendMessage.AuthenticationResponseKind?
    /// Whether this connection turned out to be a CancelRequest (which a server accepts silently).
    public private(set) var wasCancelRequest = false

    /// - Parameter password: lets SCRAM run for real when the client's nonce is not the recorded one.
    public init(recording: SessionRecording, password: String? = nil) throws(CaptureError) {
        self.steps = try Self.plan(recording)
        self.password = password
    }

    /// Whether the session has ended (closed, mismatched, or every recorded step done and the client gone).
    public var isFinished: Bool { done }

    /// Whether every recorded step has been performed.
    public var isComplete: Bool { index >= steps.count }

    /// The connection opened: the server's first recorded bytes, if the server speaks first.
    public mutating func start() -> Output {
        var output = Output()
        advance(&output)
        return output
    }

    /// The client sent bytes.
    public mutating func received(_ chunk: some Collection<UInt8>) -> Output {
        var output = Output()
        guard !done else { return output }
        buffer.append(contentsOf: chunk)
        advance(&output)
        return output
    }

    // MARK: Plan

    static func plan(_ recording: SessionRecording) throws(CaptureError) -> [Step] {
        let boundaries = try recording.stream(.serverToClient).boundaries
        var steps: [Step] = []
        var pending: [UInt8] = []
        var pendingStart = 0
        var nextBoundary = 0
        func flush() {
            if !pending.isEmpty { steps.append(.write(pending)) }
            pendingStart += pending.count
            pending.removeAll()
        }
        for (offset, entry) in recording.entries.enumerated() {
            guard case .message(let direction, let message) = entry else { continue }
            switch direction {
            case .clientToServer:
                flush()
                steps.append(.expect(message, line: offset + 1))
            case .serverToClient:
                let bytes = message.bytes
                let special: Step?
                switch message {
                case .sslAnswer(let byte): special = .sslAnswer(byte)
                case .backend(.authentication(.saslContinue)): special = .saslContinue(recorded: bytes, line: offset + 1)
                case .backend(.authentication(.saslFinal)): special = .saslFinal(recorded: bytes, line: offset + 1)
                default: special = nil
                }
                if let special {
                    flush()
                    steps.append(special)
                    pendingStart += bytes.count
                    while nextBoundary < boundaries.count, boundaries[nextBoundary] <= pendingStart { nextBoundary += 1 }
                    continue
                }
                pending.append(contentsOf: bytes)
                while nextBoundary < boundaries.count, boundaries[nextBoundary] < pendingStart + pending.count {
                    let cut = boundaries[nextBoundary] - pendingStart
                    nextBoundary += 1
                    guard cut > 0 else { continue }
                    steps.append(.write(Array(pending[..<cut])))
                    pending.removeFirst(cut)
                    pendingStart += cut
                }
            }
        }
        flush()
        return steps
    }

    // MARK: Running

    private mutating func advance(_ output: inout Output) {
        while !done {
            guard index < steps.count else {
                afterEnd(&output)
                return
            }
            switch steps[index] {
            case .write(let bytes):
                output.writes.append(bytes)
                index += 1
            case .sslAnswer(let byte):
                output.writes.append([byte])
                index += 1
            case .saslContinue(let recorded, _):
                output.writes.append(liveSASLContinue ?? recorded)
                index += 1
            case .saslFinal(let recorded, _):
                output.writes.append(liveSASLFinal ?? recorded)
                index += 1
            case .expect(let expected, let line):
                guard expect(expected, line: line, &output) else { return }
            }
        }
    }

    /// Checks the client's next message against `expected`; returns false when more bytes are needed.
    private mutating func expect(_ expected: RecordedMessage, line: Int, _ output: inout Output) -> Bool {
        if case .raw(let bytes) = expected {
            guard buffer.count >= bytes.count else { return false }
            let received = Array(buffer[..<bytes.count])
            guard received == bytes else {
                fail(line: line, expected: expected, received: "raw \(RecordingSyntax.hex(received))", &output)
                return true
            }
            buffer.removeFirst(bytes.count)
            index += 1
            return true
        }
        authenticationResponse = Self.authenticationKind(of: expected)
        let frame: (message: RecordedMessage, length: Int)?
        do throws(PostgresError) {
            frame = try nextFrame()
        } catch {
            fail(line: line, expected: expected, received: "bytes that are not a message (\(error.message))", &output)
            return true
        }
        guard let frame else { return false }
        let (received, length) = frame

        // Untyped requests the recording may not share with this client.
        switch (expected, received) {
        case (.sslRequest, .startup), (.gssEncryptionRequest, .startup):
            index += 1
            if index < steps.count, case .sslAnswer = steps[index] { index += 1 }
            return true
        case (_, .sslRequest) where expected != .sslRequest, (_, .gssEncryptionRequest) where expected != .gssEncryptionRequest:
            buffer.removeFirst(length)
            output.writes.append([UInt8(ascii: "N")])
            return true
        case (.startup, .cancelRequest), (.sslRequest, .cancelRequest):
            buffer.removeFirst(length)
            wasCancelRequest = true
            done = true
            output.close = true
            return true
        default:
            break
        }
        if let problem = compare(expected, received) {
            fail(line: line, expected: expected, received: Self.describe(received) + problem, &output)
            return true
        }
        if case .startup = received { clientTyped = true }
        buffer.removeFirst(length)
        index += 1
        if received == .frontend(.terminate) {
            done = true
            output.close = true
        }
        return true
    }

    /// After the last step: a Terminate or EOF ends the session; anything else is a mismatch.
    private mutating func afterEnd(_ output: inout Output) {
        guard !buffer.isEmpty else { return }
        authenticationResponse = nil
        let next: (RecordedMessage, Int)?
        do throws(PostgresError) {
            next = try nextFrame()
        } catch {
            fail(line: nil, expected: nil, received: "raw \(RecordingSyntax.hex(buffer))", &output)
            return
        }
        guard let frame = next else { return }
        let received = frame.0
        if received == .frontend(.terminate) {
            buffer.removeAll()
            done = true
            output.close = true
            return
        }
        fail(line: nil, expected: nil, received: Self.describe(received), &output)
    }

    /// The client's next whole message and its size, or nil when more bytes are needed.
    private func nextFrame() throws(PostgresError) -> (RecordedMessage, Int)? {
        if !clientTyped {
            guard buffer.count >= 4 else { return nil }
            let length = Int(Int32(bitPattern: UInt32(buffer[0]) << 24 | UInt32(buffer[1]) << 16 | UInt32(buffer[2]) << 8 | UInt32(buffer[3])))
            guard length >= 8, length <= FrontendMessageDecoder.maximumStartupMessageSize else {
                throw .protocolViolation("a startup packet of length \(length)")
            }
            guard buffer.count >= length else { return nil }
            let frame = buffer[..<length]
            switch try FrontendMessage.decodeUntyped(payload: frame.dropFirst(4)) {
            case .sslRequest: return (.sslRequest, length)
            case .gssEncryptionRequest: return (.gssEncryptionRequest, length)
            case .cancelRequest(let key): return (.cancelRequest(key), length)
            case .startup(let parameters):
                var ordered = [StartupParameters.Parameter(name: "user", value: parameters.user)]
                if let database = parameters.database { ordered.append(.init(name: "database", value: database)) }
                if let name = parameters.applicationName { ordered.append(.init(name: "application_name", value: name)) }
                if let options = parameters.options { ordered.append(.init(name: "options", value: options)) }
                return (.startup(ordered + parameters.other), length)
            case .password, .saslInitialResponse, .saslResponse, .query, .copyFail, .terminate:
                preconditionFailure("decodeUntyped returned a typed message")
            }
        }
        guard buffer.count >= 5 else { return nil }
        let length = Int(Int32(bitPattern: UInt32(buffer[1]) << 24 | UInt32(buffer[2]) << 16 | UInt32(buffer[3]) << 8 | UInt32(buffer[4]))) + 1
        guard length >= 5, length <= 64 << 20 else { throw .protocolViolation("a message of length \(length - 1)") }
        guard buffer.count >= length else { return nil }
        let frame = buffer[..<length]
        do throws(PostgresError) {
            let message = try FrontendMessage.decode(
                type: frame.first!, payload: frame.dropFirst(5), authenticationResponse: authenticationResponse)
            return (.frontend(message), length)
        } catch {
            return (.raw(Array(frame)), length)
        }
    }

    private static func authenticationKind(of message: RecordedMessage) -> FrontendMessage.AuthenticationResponseKind? {
        switch message {
        case .frontend(.password): .password
        case .frontend(.saslInitialResponse): .saslInitialResponse
        case .frontend(.saslResponse): .saslResponse
        default: nil
        }
    }

    // MARK: Comparing

    /// Why `received` does not match `expected` (appended to its description), or nil when it does.
    private mutating func compare(_ expected: RecordedMessage, _ received: RecordedMessage) -> String? {
        switch (expected, received) {
        case (.startup(let recorded), .startup(let sent)):
            for name in ["user", "database", "options"] {
                let want = recorded.first { $0.name == name }?.value
                let got = sent.first { $0.name == name }?.value
                if want != got { return " (\(name) differs)" }
            }
            return nil
        case (.frontend(.password), .frontend(.password)):
            return nil
        case (.frontend(.saslInitialResponse(let mechanism, let recorded)), .frontend(.saslInitialResponse(let sentMechanism, let sent))):
            guard mechanism == sentMechanism else { return " (another mechanism)" }
            return startSCRAM(recorded: recorded, sent: sent, mechanism: mechanism)
        case (.frontend(.saslResponse(let recorded)), .frontend(.saslResponse(let sent))):
            if var server = scram {
                do throws(PostgresError) {
                    liveSASLFinal = BackendMessage.authentication(.saslFinal(data: try server.receiveClientFinal(sent))).encoded()
                    scram = server
                    return nil
                } catch {
                    return " (SCRAM with the given password failed: \(error.message))"
                }
            }
            let want = Self.attributes(recorded)
            let got = Self.attributes(sent)
            guard want["c"] == got["c"], want["r"] == got["r"] else { return " (channel binding or nonce differs)" }
            return nil
        default:
            return expected == received ? nil : ""
        }
    }

    /// Compares a SASLInitialResponse; when the nonce differs and a password is known, prepares live SCRAM.
    private mutating func startSCRAM(recorded: [UInt8], sent: [UInt8], mechanism: String) -> String? {
        func header(_ data: [UInt8]) -> ArraySlice<UInt8> {
            guard let first = data.firstIndex(of: UInt8(ascii: ",")),
                let second = data[(first + 1)...].firstIndex(of: UInt8(ascii: ","))
            else { return data[...] }
            return data[...second]
        }
        let recordedHeader = header(recorded)
        guard recordedHeader == header(sent) else { return " (GS2 header differs)" }
        let recordedNonce = Self.attributes(Array(recorded[recordedHeader.endIndex...]))["r"] ?? []
        let sentNonce = Self.attributes(Array(sent[header(sent).endIndex...]))["r"] ?? []
        if recordedNonce == sentNonce { return nil }
        guard let password else {
            return " (the SCRAM nonce differs from the recorded one: inject nonce \(String(decoding: recordedNonce, as: UTF8.self)) into the client, or replay with the password)"
        }
        // The recorded server-first-message gives the salt, iterations and the server's nonce part.
        guard let step = steps[index...].first(where: { if case .saslContinue = $0 { true } else { false } }),
            case .saslContinue(let message, _) = step
        else { return " (the recording has no SASL-continue to take the salt from)" }
        let serverFirst = Self.attributes(Array(message.dropFirst(9)))
        guard let combined = serverFirst["r"], combined.starts(with: recordedNonce),
            let saltText = serverFirst["s"], let salt = Self.base64Decode(saltText),
            let iterationsText = serverFirst["i"], let iterations = Int(String(decoding: iterationsText, as: UTF8.self)),
            iterations > 0
        else { return " (the recorded SASL-continue is not a SCRAM server-first-message)" }
        let suffix = String(decoding: combined.dropFirst(recordedNonce.count), as: UTF8.self)
        guard !suffix.isEmpty, suffix.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ",") }) else {
            return " (the recorded server nonce is unusable)"
        }
        var server = SCRAMServer(credentials: SCRAMCredentials(password: password, salt: salt, iterations: iterations), nonce: suffix)
        do throws(PostgresError) {
            liveSASLContinue = BackendMessage.authentication(.saslContinue(data: try server.receiveClientFirst(sent))).encoded()
        } catch {
            return " (\(error.message))"
        }
        scram = server
        return nil
    }

    /// `k=v,k=v` attributes of a SCRAM message.
    static func attributes(_ data: [UInt8]) -> [Character: [UInt8]] {
        var result: [Character: [UInt8]] = [:]
        for part in data.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) where part.count >= 2 {
            guard part[part.startIndex + 1] == UInt8(ascii: "=") else { continue }
            result[Character(UnicodeScalar(part[part.startIndex]))] = Array(part.dropFirst(2))
        }
        return result
    }

    static func base64Decode(_ text: [UInt8]) -> [UInt8]? {
        var values: [UInt8] = []
        for byte in text {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(byte - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(byte - 97 + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(byte - 48 + 52)
            case UInt8(ascii: "+"): values.append(62)
            case UInt8(ascii: "/"): values.append(63)
            case UInt8(ascii: "="): continue
            default: return nil
            }
        }
        var out: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        for value in values {
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }

    private static func describe(_ message: RecordedMessage) -> String {
        if case .frontend(.password) = message { return "p password (not shown)" }
        let text = message.text
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }

    private mutating func fail(line: Int?, expected: RecordedMessage?, received: String, _ output: inout Output) {
        let text: String
        if let line, let expected {
            text = "replay mismatch at line \(line): expected `\(Self.describe(expected))`; received `\(received)`"
        } else {
            text = "replay mismatch: the recording has ended; received `\(received)`"
        }
        let error = CaptureError(.mismatch, text, line: line)
        output.writes.append(BackendMessage.errorResponse(Diagnostic(severity: "FATAL", sqlState: "08P01", message: text)).encoded())
        output.close = true
        output.mismatch = error
        done = true
    }
}
