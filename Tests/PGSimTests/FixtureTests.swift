import PGSim
import PGWire
import Testing

/// Every fixture parses, round-trips, and decodes with our decoders at its recorded read boundaries.
@Suite struct FixtureTests {
    /// The server messages a fixture records, decoded from its byte stream fed in `chunks`.
    static func decode(_ chunks: [ArraySlice<UInt8>], skippingSSLAnswer: Bool) throws -> [BackendMessage] {
        var decoder = BackendMessageDecoder()
        var messages: [BackendMessage] = []
        var first = true
        for chunk in chunks {
            var bytes = Array(chunk)
            if first, skippingSSLAnswer, !bytes.isEmpty {
                bytes.removeFirst()  // the one-byte answer to SSLRequest is not a typed message
            }
            first = false
            decoder.feed(bytes)
            while let message = try decoder.next() { messages.append(message) }
        }
        #expect(decoder.bufferedByteCount == 0)
        return messages
    }

    static func recordedBackend(_ recording: SessionRecording) -> [BackendMessage] {
        recording.messages(.serverToClient).compactMap {
            if case .backend(let message) = $0.message { return message }
            return nil
        }
    }

    static func startsWithSSLAnswer(_ recording: SessionRecording) -> Bool {
        if case .sslAnswer = recording.messages(.serverToClient).first?.message { return true }
        return false
    }

    @Test func thereAreFixtures() {
        #expect(Fixtures.names.count >= 18)
        for required in ["F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "progress-heartbeats", "timestamp-split", "error-mid-stream"] {
            #expect(Fixtures.names.contains { $0.hasPrefix(required) }, "no fixture for \(required)")
        }
    }

    @Test(arguments: Fixtures.names)
    func fixtureStartsWithCommentsAndRoundTrips(name: String) throws {
        let recording = try Fixtures.recording(name)
        guard case .comment = recording.entries.first else {
            Issue.record("\(name) must start with comments saying what it covers")
            return
        }
        let again = try SessionRecording(parsing: recording.text)
        #expect(again == recording)
        for direction in SessionRecording.Direction.allCases {
            #expect(try again.stream(direction) == recording.stream(direction))
        }
    }

    @Test(arguments: Fixtures.names)
    func serverStreamDecodesAtRecordedBoundariesBytewiseAndWhole(name: String) throws {
        let recording = try Fixtures.recording(name)
        let stream = try recording.stream(.serverToClient)
        let skip = Self.startsWithSSLAnswer(recording)
        let expected = Self.recordedBackend(recording)
        #expect(try Self.decode(stream.chunks, skippingSSLAnswer: skip) == expected)
        #expect(try Self.decode([stream.bytes[...]], skippingSSLAnswer: skip) == expected)
        let bytewise = stream.bytes.indices.map { stream.bytes[$0...$0] }
        #expect(try Self.decode(bytewise, skippingSSLAnswer: skip) == expected)
    }

    /// Text CopyData rows of a fixture, decoded with CopyTextRow, as strings (`nil` for NULL).
    static func copyRows(_ name: String) throws -> [[String?]] {
        let recording = try Fixtures.recording(name)
        let stream = try recording.stream(.serverToClient)
        return try decode(stream.chunks, skippingSSLAnswer: false).compactMap { message in
            guard case .copyData(let payload) = message else { return nil }
            return try CopyTextRow(payload).fields.map { $0.map { String(decoding: $0, as: UTF8.self) } }
        }
    }

    static func dataRows(_ messages: [BackendMessage]) -> [[String?]] {
        messages.compactMap { message in
            guard case .dataRow(let row) = message else { return nil }
            return row.map { $0.map { String(decoding: $0, as: UTF8.self) } }
        }
    }

    @Test func f1SnapshotThenUpdateThenCancelWithoutCopyDone() throws {
        let rows = try Self.copyRows("F1-copy-subscribe-cancelled.pgrec")
        #expect(rows == [
            ["1700000000000", "1", "1", "alice"], ["1700000000000", "1", "2", "bob"],
            ["1700000001000", "-1", "2", "bob"], ["1700000001000", "1", "2", "bobby"],
        ])
        let messages = Self.recordedBackend(try Fixtures.recording("F1-copy-subscribe-cancelled.pgrec"))
        #expect(!messages.contains(.copyDone))
        let copyOut = try #require(messages.first { if case .copyOutResponse = $0 { true } else { false } })
        #expect(copyOut.encoded() == [0x48, 0, 0, 0, 0x0F, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0])
        let error = try #require(messages.first { if case .errorResponse = $0 { true } else { false } })
        #expect(error.encoded().count == 61)  // type byte + length 60
        guard case .errorResponse(let diagnostic) = error else { return }
        #expect(diagnostic.sqlState == "57014")
        #expect(messages.last == .readyForQuery(.idle))
    }

    @Test func f2ProgressRowsOnTheDataRowPath() throws {
        let recording = try Fixtures.recording("F2-subscribe-progress-datarow.pgrec")
        let messages = try Self.decode(try recording.stream(.serverToClient).chunks, skippingSSLAnswer: false)
        let description = try #require(messages.compactMap { if case .rowDescription(let d) = $0 { d } else { nil } }.first)
        #expect(description.columns.map(\.name) == ["mz_timestamp", "mz_progressed", "mz_diff", "id"])
        #expect(description.columns.map(\.dataType.rawValue) == [1700, 16, 20, 23])
        #expect(description.columns[0].typeModifier == 2555908)
        #expect(BackendMessage.rowDescription(description).encoded().count == 117)  // length 116
        let rows = Self.dataRows(messages)
        #expect(rows.count == 6)
        #expect(rows[0] == ["1700000000000", "t", nil, nil])
        #expect(rows.filter { $0[1] == "t" }.map { $0[0] } == ["1700000000000", "1700000001000", "1700000003000"])
        #expect(rows[4] == ["1700000002500", "f", "-1", "2"])
        let firstRow = try #require(messages.first { if case .dataRow = $0 { true } else { false } })
        #expect(firstRow.encoded() == [0x44, 0, 0, 0, 0x24, 0, 4, 0, 0, 0, 0x0D] + Array("1700000000000".utf8)
            + [0, 0, 0, 1, 0x74, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(!messages.contains { if case .commandComplete = $0 { true } else { false } })
    }

    @Test func f3UpsertStatesAndKeys() throws {
        let rows = try Self.copyRows("F3-envelope-upsert.pgrec")
        let data = rows.filter { $0[1] == "f" }
        #expect(data.map { $0[2] } == ["upsert", "upsert", "upsert", "delete", "key_violation"])
        #expect(data.map { $0[3] } == ["1", "2", "1", "2", "3"])
        #expect(data.map { $0[4] } == ["a", "b", "z", nil, nil])
        #expect(rows.filter { $0[1] == "t" }.allSatisfy { $0[2] == nil && $0[3] == nil && $0[4] == nil })
        let recording = try Fixtures.recording("F3-envelope-upsert.pgrec")
        let payloads = recording.messages(.serverToClient).compactMap { entry -> [UInt8]? in
            if case .backend(.copyData) = entry.message { return entry.message.bytes } else { return nil }
        }
        #expect(payloads.first?.count == 30)  // [d] len 29
        #expect(payloads[1].count == 32)  // len 31
        #expect(payloads[6].count == 40)  // key_violation row, len 39
    }

    @Test func f4CursorFetchTags() throws {
        let messages = Self.recordedBackend(try Fixtures.recording("F4-declare-fetch.pgrec"))
        let tags = messages.compactMap { if case .commandComplete(let tag) = $0 { tag } else { nil } }
        #expect(tags == ["BEGIN", "DECLARE CURSOR", "FETCH 3", "FETCH 0", "COMMIT"])
        #expect(BackendMessage.commandComplete(tag: "DECLARE CURSOR").encoded().prefix(5) == [0x43, 0, 0, 0, 0x13])
        #expect(BackendMessage.commandComplete(tag: "FETCH 3").encoded() == [0x43, 0, 0, 0, 0x0C, 0x46, 0x45, 0x54, 0x43, 0x48, 0x20, 0x33, 0])
        let statuses = messages.compactMap { if case .readyForQuery(let s) = $0 { s } else { nil } }
        #expect(statuses == [.idle, .inTransaction, .inTransaction, .inTransaction, .inTransaction, .idle])
        #expect(!messages.contains { if case .noticeResponse = $0 { true } else { false } })
    }

    @Test(arguments: [("F5-relation-dropped-new.pgrec", "42704", 65), ("F5-relation-dropped-old.pgrec", "XX000", 114)])
    func f5ErrorShapes(name: String, sqlState: String, size: Int) throws {
        let messages = Self.recordedBackend(try Fixtures.recording(name))
        let errors = messages.filter { if case .errorResponse = $0 { true } else { false } }
        #expect(errors.count == 2)
        for error in errors {
            #expect(error.encoded().count == size)
            guard case .errorResponse(let diagnostic) = error else { continue }
            #expect(diagnostic.sqlState == sqlState)
            #expect(diagnostic.severity == "ERROR")
            #expect(diagnostic[.severity] == nil)  // Materialize sends no V field
        }
        #expect(!messages.contains(.copyDone))
        #expect(try Self.copyRows(name) == [["1700000000000", "1", "5"]])
    }

    @Test func f5InTransactionEndsFailed() throws {
        let messages = Self.recordedBackend(try Fixtures.recording("F5-relation-dropped-in-transaction.pgrec"))
        let statuses = messages.compactMap { if case .readyForQuery(let s) = $0 { s } else { nil } }
        #expect(statuses.suffix(2) == [.failed, .idle])
    }

    @Test func f6TextFiniteSubscribeEnds() throws {
        let messages = Self.recordedBackend(try Fixtures.recording("F6-finite-text.pgrec"))
        #expect(try Self.copyRows("F6-finite-text.pgrec") == [["1700000000000", "1", "1"]])
        #expect(BackendMessage.copyDone.encoded() == [0x63, 0, 0, 0, 4])
        #expect(BackendMessage.commandComplete(tag: "COPY 1").encoded() == [0x43, 0, 0, 0, 0x0B, 0x43, 0x4F, 0x50, 0x59, 0x20, 0x31, 0])
        #expect(messages.suffix(3) == [.copyDone, .commandComplete(tag: "COPY 1"), .readyForQuery(.idle)])
    }

    @Test func f6BinaryNormalisedAndNot() throws {
        let messages = Self.recordedBackend(try Fixtures.recording("F6-finite-binary.pgrec"))
        var decoder = CopyBinaryDecoder(columnCount: 3)
        var timestamps: [Datum] = []
        var runs = 0
        for message in messages {
            switch message {
            case .copyData(let payload):
                try decoder.append(payload)
                while let row = try decoder.nextRow() {
                    timestamps.append(try row.decode(0, as: .numeric))
                    #expect(try row.decode(1, as: .int8) == .int64(1))
                    #expect(try row.decode(2, as: .int4) == .int32(1))
                }
            case .copyDone:
                try decoder.finish()
                #expect(decoder.isFinished)
                decoder = CopyBinaryDecoder(columnCount: 3)
                runs += 1
            default:
                break
            }
        }
        #expect(runs == 2)
        #expect(timestamps.count == 2)
        for timestamp in timestamps {
            guard case .numeric(let value) = timestamp else {
                Issue.record("mz_timestamp decoded as \(timestamp)")
                continue
            }
            #expect(value.uint64Value == 1_700_000_000_000)
        }
        #expect(messages.contains(.copyData([0xFF, 0xFF][...])))
    }

    @Test func f7ReadsEndInsideLengthWordAndPayload() throws {
        let recording = try Fixtures.recording("F7-framing-split-reads.pgrec")
        let stream = try recording.stream(.serverToClient)
        let copyOut = try #require(stream.bytes.firstIndex(of: 0x48))
        let relative = stream.boundaries.filter { $0 >= copyOut }.prefix(3).map { $0 - copyOut }
        #expect(relative == [0, 19, 47])
        let next = stream.boundaries.first { $0 > copyOut + 47 }
        #expect(next == copyOut + 72)
        // The first 72 bytes are F1's.
        let f1 = try Fixtures.recording("F1-copy-subscribe-cancelled.pgrec").stream(.serverToClient).bytes
        let f1CopyOut = try #require(f1.firstIndex(of: 0x48))
        #expect(stream.bytes[copyOut..<copyOut + 72] == f1[f1CopyOut..<f1CopyOut + 72])
        #expect(Array(stream.bytes[copyOut + 16..<copyOut + 19]) == [0x64, 0, 0])
        let messages = try Self.decode(stream.chunks, skippingSSLAnswer: false)
        let inCopy = messages.drop { if case .copyOutResponse = $0 { false } else { true } }
        let kinds = inCopy.map { message -> String in
            switch message {
            case .copyData: "d"
            case .noticeResponse: "N"
            default: "other"
            }
        }
        #expect(kinds.prefix(6) == ["other", "d", "d", "d", "N", "d"])
    }

    @Test func f8StartupParametersNoticeAndAuth() throws {
        let cleartext = try Fixtures.recording("F8-startup-cleartext.pgrec")
        let messages = Self.recordedBackend(cleartext)
        let parameters = messages.compactMap { if case .parameterStatus(let name, let value) = $0 { (name, value) } else { nil } }
        #expect(parameters.count == 13)
        #expect(parameters.first { $0.0 == "server_version" }?.1 == "9.5.0")
        #expect(messages.first == .authentication(.cleartextPassword))
        #expect(BackendMessage.authentication(.cleartextPassword).encoded() == [0x52, 0, 0, 0, 8, 0, 0, 0, 3])
        let notice = try #require(messages.compactMap { if case .noticeResponse(let d) = $0 { d } else { nil } }.first)
        #expect(notice.sqlState == "00000")
        #expect(notice.message.hasPrefix("connected to Materialize v"))
        #expect(notice.message.contains("\n  Cluster: prod\n"))
        let ssl = try cleartext.stream(.clientToServer).bytes.prefix(8)
        #expect(Array(ssl) == [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F])

        let scram = Self.recordedBackend(try Fixtures.recording("F8-startup-scram.pgrec"))
        #expect(scram.first?.encoded() == [0x52, 0, 0, 0, 0x17, 0, 0, 0, 0x0A] + Array("SCRAM-SHA-256".utf8) + [0, 0])

        let wrong = Self.recordedBackend(try Fixtures.recording("F8-startup-wrong-password.pgrec"))
        #expect(wrong.last == .errorResponse(Diagnostic(severity: "FATAL", sqlState: "28P01", message: "invalid password")))
    }

    @Test func f8ScramExchangeIsRealForItsPassword() throws {
        let recording = try Fixtures.recording("F8-startup-scram.pgrec")
        var client = SCRAMClient(password: "materialize", nonce: "rOprNGfwEbeRWgbNEkqO")
        let sent = recording.messages(.clientToServer).map(\.message)
        let received = recording.messages(.serverToClient).map(\.message)
        #expect(sent.contains(.frontend(.saslInitialResponse(mechanism: "SCRAM-SHA-256", data: client.clientFirstMessage()))))
        guard case .backend(.authentication(.saslContinue(let serverFirst))) = received[1],
            case .backend(.authentication(.saslFinal(let serverFinal))) = received[2]
        else {
            Issue.record("the SCRAM fixture lost its shape")
            return
        }
        let clientFinal = try client.receiveServerFirst(serverFirst)
        #expect(sent.contains(.frontend(.saslResponse(data: clientFinal))))
        try client.receiveServerFinal(serverFinal)
        #expect(client.isServerVerified)
    }

    @Test func heartbeatsAreProgressOnlyAndIncreasing() throws {
        let rows = try Self.copyRows("progress-heartbeats.pgrec")
        let progress = rows.filter { $0[1] == "t" }
        #expect(progress.count == 6)
        #expect(progress.allSatisfy { $0[2] == nil && $0[3] == nil })
        let times = progress.compactMap { $0[0].flatMap { UInt64($0) } }
        #expect(times == times.sorted() && Set(times).count == times.count)
    }

    @Test func oneTimestampAcrossMessagesAndReads() throws {
        let recording = try Fixtures.recording("timestamp-split-reads.pgrec")
        let stream = try recording.stream(.serverToClient)
        #expect(stream.chunks.count >= 6)
        let rows = try Self.copyRows("timestamp-split-reads.pgrec")
        let at2000 = rows.filter { $0[0] == "1700000002000" }
        #expect(at2000.count == 5)
        #expect(at2000.map { $0[2] } == ["2", "1", "-1", "1", "-1"])
        #expect(at2000[3][4] == "carol \\ \"c\"")
        #expect(rows.last?[1] == "t")
    }

    @Test func errorMidStreamAfterRows() throws {
        let messages = Self.recordedBackend(try Fixtures.recording("error-mid-stream.pgrec"))
        #expect(Self.dataRows(messages).count == 3)
        let errorIndex = try #require(messages.firstIndex { if case .errorResponse = $0 { true } else { false } })
        #expect(messages[errorIndex - 1].encoded().first == 0x44)
        #expect(messages[errorIndex + 1] == .readyForQuery(.idle))
    }
}
