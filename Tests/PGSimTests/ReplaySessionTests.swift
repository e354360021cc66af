import PGSim
import PGWire
import Testing

/// The sans-IO replay core: writes at recorded reads, comparisons, leniencies and SCRAM.
@Suite struct ReplaySessionTests {
    static func clientBytes(_ recording: SessionRecording) -> [[UInt8]] {
        recording.messages(.clientToServer).map(\.message.bytes)
    }

    @Test func replaysF1ToTheRecordedClient() throws {
        let recording = try Fixtures.recording("F1-copy-subscribe-cancelled.pgrec")
        var session = try ReplaySession(recording: recording)
        var written: [UInt8] = []
        var output = session.start()
        #expect(output.writes.isEmpty)  // the client speaks first
        for message in Self.clientBytes(recording) {
            output = session.received(message)
            #expect(output.mismatch == nil)
            written += output.writes.joined()
        }
        #expect(written == (try recording.stream(.serverToClient).bytes))
        #expect(session.isComplete)
        #expect(output.close)  // Terminate after the end
    }

    @Test func writesFollowRecordedReadsF7() throws {
        let recording = try Fixtures.recording("F7-framing-split-reads.pgrec")
        var session = try ReplaySession(recording: recording)
        _ = session.start()
        let client = Self.clientBytes(recording)
        _ = session.received(client[0])
        let output = session.received(client[1])
        // Reads of [0,19), [19,47), [47,72) after the COPY starts, then the rest.
        #expect(output.writes.map(\.count).prefix(3) == [19, 28, 25])
        let stream = try recording.stream(.serverToClient)
        let afterStartup = stream.bytes.count - output.writes.joined().count
        #expect(stream.chunks.dropFirst().map(\.count) == output.writes.map(\.count))
        #expect(afterStartup > 0)
    }

    @Test func mismatchNamesTheLineAndCloses() throws {
        let recording = try Fixtures.recording("F1-copy-subscribe-cancelled.pgrec")
        var session = try ReplaySession(recording: recording)
        _ = session.received(Self.clientBytes(recording)[0])
        let output = session.received(FrontendMessage.query("SELECT 2").encoded())
        let mismatch = try #require(output.mismatch)
        let line = recording.messages(.clientToServer)[1].line
        #expect(mismatch.line == line)
        #expect(mismatch.message.contains("line \(line)"))
        #expect(mismatch.message.contains("Q \"SELECT 2\""))
        #expect(output.close)
        var decoder = BackendMessageDecoder()
        decoder.feed(try #require(output.writes.last))
        guard case .errorResponse(let diagnostic) = try decoder.next() else {
            Issue.record("no ErrorResponse")
            return
        }
        #expect(diagnostic.sqlState == "08P01")
        #expect(diagnostic.message.contains("COPY (SUBSCRIBE"))
    }

    @Test func startupComparesUserDatabaseAndOptionsOnly() throws {
        let recording = try Fixtures.recording("F2-subscribe-progress-datarow.pgrec")
        var session = try ReplaySession(recording: recording)
        let other = FrontendMessage.startup(StartupParameters(user: "materialize", database: "materialize", applicationName: "psql"))
        #expect(session.received(other.encoded()).mismatch == nil)
        var wrong = try ReplaySession(recording: recording)
        let output = wrong.received(FrontendMessage.startup(StartupParameters(user: "someone")).encoded())
        #expect(output.mismatch?.message.contains("user differs") == true)
    }

    @Test func sslRequestIsOptionalBothWays() throws {
        // Recorded with an SSLRequest, replayed to a client that sends none.
        let cleartext = try Fixtures.recording("F8-startup-cleartext.pgrec")
        var session = try ReplaySession(recording: cleartext)
        let startup = cleartext.messages(.clientToServer)[1].message.bytes
        let output = session.received(startup)
        #expect(output.mismatch == nil)
        #expect(output.writes.first?.first == 0x52)  // R cleartext, not the 'N'
        // Recorded without one, replayed to a client that sends one: answered N.
        var plain = try ReplaySession(recording: try Fixtures.recording("F1-copy-subscribe-cancelled.pgrec"))
        #expect(plain.received(FrontendMessage.sslRequest.encoded()).writes == [[UInt8(ascii: "N")]])
    }

    @Test func passwordsAreNotCompared() throws {
        let recording = try Fixtures.recording("F8-startup-cleartext.pgrec")
        var session = try ReplaySession(recording: recording)
        let client = Self.clientBytes(recording)
        _ = session.received(client[0])
        _ = session.received(client[1])
        let output = session.received(FrontendMessage.password("anything at all").encoded())
        #expect(output.mismatch == nil)
        #expect(output.writes.joined().contains(0x4B))  // through to BackendKeyData
    }

    @Test func cancelRequestConnectionIsAccepted() throws {
        var session = try ReplaySession(recording: try Fixtures.recording("F1-copy-subscribe-cancelled.pgrec"))
        let output = session.received(FrontendMessage.cancelRequest(BackendKeyData(processID: 1234, secretKey: 5678)).encoded())
        #expect(output.close && output.mismatch == nil && output.writes.isEmpty)
        #expect(session.wasCancelRequest)
    }

    @Test func scramReplayedExactlyWithTheInjectedNonce() throws {
        let recording = try Fixtures.recording("F8-startup-scram.pgrec")
        var session = try ReplaySession(recording: recording)
        var client = SCRAMClient(password: "materialize", nonce: "rOprNGfwEbeRWgbNEkqO")
        try runSCRAM(&session, &client, recording: recording)
    }

    @Test func scramRunsLiveWithThePasswordForAnyNonce() throws {
        let recording = try Fixtures.recording("F8-startup-scram.pgrec")
        var session = try ReplaySession(recording: recording, password: "materialize")
        var client = SCRAMClient(password: "materialize", nonce: "someOtherNonce123")
        try runSCRAM(&session, &client, recording: recording)
        // Without the password a different nonce is a mismatch that says what to do.
        var strict = try ReplaySession(recording: recording)
        _ = strict.received(Self.clientBytes(recording)[0])
        let other = SCRAMClient(password: "materialize", nonce: "someOtherNonce123")
        let output = strict.received(FrontendMessage.saslInitialResponse(mechanism: "SCRAM-SHA-256", data: other.clientFirstMessage()).encoded())
        #expect(output.mismatch?.message.contains("inject nonce rOprNGfwEbeRWgbNEkqO") == true)
        // A wrong password fails the live exchange.
        var live = try ReplaySession(recording: recording, password: "materialize")
        var wrong = SCRAMClient(password: "wrong", nonce: "someOtherNonce123")
        #expect(throws: (any Error).self) { try runSCRAM(&live, &wrong, recording: recording) }
    }

    private func runSCRAM(_ session: inout ReplaySession, _ client: inout SCRAMClient, recording: SessionRecording) throws {
        var decoder = BackendMessageDecoder()
        func feed(_ output: ReplaySession.Output) throws -> [BackendMessage] {
            if let mismatch = output.mismatch { throw mismatch }
            for write in output.writes { decoder.feed(write) }
            var messages: [BackendMessage] = []
            while let message = try decoder.next() { messages.append(message) }
            return messages
        }
        let startup = Self.clientBytes(recording)[0]
        #expect(try feed(session.received(startup)) == [.authentication(.sasl(mechanisms: ["SCRAM-SHA-256"]))])
        let first = FrontendMessage.saslInitialResponse(mechanism: "SCRAM-SHA-256", data: client.clientFirstMessage())
        guard case .authentication(.saslContinue(let serverFirst)) = try feed(session.received(first.encoded())).first else {
            Issue.record("no SASL-continue")
            return
        }
        let final = try client.receiveServerFirst(serverFirst)
        let rest = try feed(session.received(FrontendMessage.saslResponse(data: final).encoded()))
        guard case .authentication(.saslFinal(let serverFinal)) = rest.first else {
            Issue.record("no SASL-final")
            return
        }
        try client.receiveServerFinal(serverFinal)
        #expect(client.isServerVerified)
        #expect(rest.last == .readyForQuery(.idle))
    }
}
