import PGSim
import PGWire
import Testing

/// The sans-IO recorder: framing, readable lines, chunk lines, redaction and raw fallbacks.
@Suite struct CaptureRecorderTests {
    /// Replays a fixture's messages into a recorder, each message as its own read, in recorded order.
    static func rerecord(_ recording: SessionRecording, redacting: Bool = false) -> SessionRecording {
        var recorder = CaptureRecorder(redactsSecrets: redacting)
        var entries: [SessionRecording.Entry] = []
        for entry in recording.entries {
            guard case .message(let direction, let message) = entry else { continue }
            entries += recorder.record(message.bytes, from: direction)
        }
        entries += recorder.finish()
        return SessionRecording(entries: entries)
    }

    static func messagesOnly(_ recording: SessionRecording) -> [SessionRecording.Entry] {
        recording.entries.filter { if case .message = $0 { true } else { false } }
    }

    @Test(arguments: Fixtures.names)
    func everyFixtureIsRecordedAsWritten(name: String) throws {
        let fixture = try Fixtures.recording(name)
        let recorded = Self.rerecord(fixture)
        #expect(Self.messagesOnly(recorded) == Self.messagesOnly(fixture))
    }

    @Test func chunkLinesMatchTheReadsF7() throws {
        let fixture = try Fixtures.recording("F7-framing-split-reads.pgrec")
        var recorder = CaptureRecorder()
        var entries: [SessionRecording.Entry] = []
        // The client speaks first; then every server read as recorded.
        entries += recorder.record(try fixture.stream(.clientToServer).bytes, from: .clientToServer)
        for chunk in try fixture.stream(.serverToClient).chunks {
            entries += recorder.record(chunk, from: .serverToClient)
        }
        entries += recorder.finish()
        let server = entries.filter {
            switch $0 {
            case .message(let d, _), .chunk(let d, _): d == .serverToClient
            default: false
            }
        }
        let expected = fixture.entries.filter {
            switch $0 {
            case .message(let d, _), .chunk(let d, _): d == .serverToClient
            default: false
            }
        }
        #expect(server == expected)
        #expect(try SessionRecording(entries: entries).stream(.serverToClient) == fixture.stream(.serverToClient))
    }

    @Test func dripFedStreamsGiveTheSameMessagesAndBytes() throws {
        for name in ["F1-copy-subscribe-cancelled.pgrec", "F6-finite-binary.pgrec", "F8-startup-cleartext.pgrec", "F8-startup-scram.pgrec"] {
            let fixture = try Fixtures.recording(name)
            var recorder = CaptureRecorder(redactsSecrets: false)
            var entries: [SessionRecording.Entry] = []
            // Interleave per message so authentication state is known, but feed each byte alone.
            for entry in fixture.entries {
                guard case .message(let direction, let message) = entry else { continue }
                for byte in message.bytes { entries += recorder.record([byte], from: direction) }
            }
            entries += recorder.finish()
            let recorded = SessionRecording(entries: entries)
            #expect(Self.messagesOnly(recorded) == Self.messagesOnly(fixture), "\(name)")
            for direction in SessionRecording.Direction.allCases {
                let stream = try recorded.stream(direction)
                #expect(stream.bytes == (try fixture.stream(direction).bytes))
                #expect(stream.chunks.allSatisfy { $0.count == 1 })
            }
        }
    }

    @Test func secretsAreMaskedWithTheirLengthKept() throws {
        let scram = Self.rerecord(try Fixtures.recording("F8-startup-scram.pgrec"), redacting: true)
        let final = scram.messages(.clientToServer).compactMap { if case .frontend(.saslResponse(let d)) = $0.message { d } else { nil } }.first
        let text = String(decoding: try #require(final), as: UTF8.self)
        #expect(text == "c=biws,r=rOprNGfwEbeRWgbNEkqOsQ9AlrQNF6qBQ7Ow2SmxQ7Ti,p=" + String(repeating: "*", count: 44))
        var recorder = CaptureRecorder()
        _ = recorder.record(RecordedMessage.startup([.init(name: "user", value: "u")]).bytes, from: .clientToServer)
        _ = recorder.record(BackendMessage.authentication(.cleartextPassword).encoded(), from: .serverToClient)
        let entries = recorder.record(FrontendMessage.password("hunter2").encoded(), from: .clientToServer)
        #expect(entries == [.chunk(.clientToServer, offsets: [0]), .message(.clientToServer, .frontend(.password("*******")))])
    }

    @Test func unknownAndMalformedMessagesAreRaw() {
        var recorder = CaptureRecorder()
        _ = recorder.record(RecordedMessage.startup([.init(name: "user", value: "u")]).bytes, from: .clientToServer)
        // Parse ('P') is not a message we decode; Z with status X is malformed.
        let parse: [UInt8] = [0x50, 0, 0, 0, 7, 0, 0x41, 0]
        #expect(recorder.record(parse, from: .clientToServer) == [.chunk(.clientToServer, offsets: [0]), .message(.clientToServer, .raw(parse))])
        let badZ: [UInt8] = [0x5A, 0, 0, 0, 5, 0x58]
        #expect(recorder.record(badZ, from: .serverToClient) == [.message(.serverToClient, .raw(badZ))])
        // A message cut off by the end of the connection.
        #expect(recorder.record([0x44, 0, 0], from: .serverToClient).isEmpty)
        #expect(recorder.finish() == [.chunk(.serverToClient, offsets: [0]), .message(.serverToClient, .raw([0x44, 0, 0]))])
    }

    @Test func sslAnswerAndTLSBytes() {
        var recorder = CaptureRecorder()
        #expect(recorder.record(FrontendMessage.sslRequest.encoded(), from: .clientToServer) == [.message(.clientToServer, .sslRequest)])
        #expect(recorder.record([UInt8(ascii: "S"), 0x16, 0x03], from: .serverToClient) == [
            .message(.serverToClient, .sslAnswer(UInt8(ascii: "S"))), .message(.serverToClient, .raw([0x16, 0x03])),
        ])
        #expect(recorder.record([0x16, 0x03, 0x01], from: .clientToServer) == [
            .chunk(.clientToServer, offsets: [0]), .message(.clientToServer, .raw([0x16, 0x03, 0x01])),
        ])
    }

    @Test func cancelRequestConnection() throws {
        let fixture = try Fixtures.recording("F1-cancel-request.pgrec")
        #expect(Self.messagesOnly(Self.rerecord(fixture)) == [.message(.clientToServer, .cancelRequest(BackendKeyData(processID: 1234, secretKey: 5678)))])
    }
}
