import PGSim
import PGWire
import Testing

/// The text format of ``SessionRecording``: exact bytes, round trips, hand edits and errors.
@Suite struct RecordingFormatTests {
    @Test func handEditedTextWithCommentsWhitespaceAndCRLF() throws {
        let text = "  # a comment\r\n\n>   Q   \"SELECT 1\"  \r\n\t<  Z I\n< E  S=ERROR   C=57014 M=\"canceling statement due to user request\"\n"
        let recording = try SessionRecording(parsing: text)
        #expect(recording.entries == [
            .comment(" a comment"), .blank,
            .message(.clientToServer, .frontend(.query("SELECT 1"))),
            .message(.serverToClient, .backend(.readyForQuery(.idle))),
            .message(.serverToClient, .backend(.errorResponse(Diagnostic(severity: "ERROR", sqlState: "57014", message: "canceling statement due to user request")))),
        ])
        #expect(recording.text == "# a comment\n\n> Q \"SELECT 1\"\n< Z I\n< E S=ERROR C=57014 M=\"canceling statement due to user request\"\n")
        #expect(try SessionRecording(parsing: recording.text) == recording)
        let error = try recording.stream(.serverToClient).bytes.suffix(61)
        #expect(error.first == 0x45)
        #expect(Array(error[error.startIndex + 1..<error.startIndex + 5]) == [0, 0, 0, 60])
    }

    @Test func everyMessageKindRoundTripsToTheSameBytes() throws {
        let messages: [(SessionRecording.Direction, RecordedMessage)] = [
            (.clientToServer, .sslRequest), (.serverToClient, .sslAnswer(UInt8(ascii: "N"))),
            (.clientToServer, .gssEncryptionRequest),
            (.clientToServer, .startup([.init(name: "database", value: "materialize"), .init(name: "user", value: "a b"),
                                        .init(name: "options", value: "--cluster=prod --welcome_message=off"), .init(name: "empty", value: "")])),
            (.clientToServer, .cancelRequest(BackendKeyData(processID: -5, secretKey: 77))),
            (.clientToServer, .frontend(.password("pä\"ss\\"))),
            (.clientToServer, .frontend(.saslInitialResponse(mechanism: "SCRAM-SHA-256", data: Array("n,,n=,r=abc".utf8)))),
            (.clientToServer, .frontend(.saslResponse(data: Array("c=biws,r=abcdef,p=xyz=".utf8)))),
            (.clientToServer, .frontend(.copyFail(message: "no"))), (.clientToServer, .frontend(.terminate)),
            (.clientToServer, .raw([0x50, 0, 0, 0, 4])), (.serverToClient, .raw([])),
            (.serverToClient, .backend(.authentication(.ok))), (.serverToClient, .backend(.authentication(.md5Password(salt: 0xDEADBEEF)))),
            (.serverToClient, .backend(.authentication(.sasl(mechanisms: ["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"])))),
            (.serverToClient, .backend(.authentication(.saslContinue(data: Array("r=x,s=c2FsdA==,i=4096".utf8))))),
            (.serverToClient, .backend(.authentication(.saslFinal(data: Array("v=abc=".utf8))))),
            (.serverToClient, .backend(.authentication(.gssContinue(data: [0, 1, 0xFF])))),
            (.serverToClient, .backend(.parameterStatus(name: "DateStyle", value: "ISO, MDY"))),
            (.serverToClient, .backend(.parameterStatus(name: "cluster_replica", value: ""))),
            (.serverToClient, .backend(.backendKeyData(BackendKeyData(processID: 1, secretKey: -2)))),
            (.serverToClient, .backend(.readyForQuery(.failed))),
            (.serverToClient, .backend(.rowDescription(RowDescription(columns: [
                .init(name: "mz_timestamp", dataType: TypeOID(1700), dataTypeSize: -1, typeModifier: 2555908),
                .init(name: "a | b", tableOID: 9, columnAttributeNumber: 2, dataType: .int4, dataTypeSize: 4, format: .binary),
                .init(name: "|", dataType: .text, dataTypeSize: -1),
            ])))),
            (.serverToClient, .backend(.rowDescription(RowDescription(columns: [])))),
            (.serverToClient, .backend(.dataRow(DataRow(columnCount: 3, bytes: [0, 0, 0, 4, 0x4E, 0x55, 0x4C, 0x4C, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0][...])))),
            (.serverToClient, .backend(.commandComplete(tag: "SELECT 1"))), (.serverToClient, .backend(.emptyQueryResponse)),
            (.serverToClient, .backend(.noticeResponse(Diagnostic(fields: [(.localizedSeverity, "NOTICE"), (Diagnostic.Field(UInt8(ascii: "#")), "x y"), (.message, "")])))),
            (.serverToClient, .backend(.notificationResponse(processID: 3, channel: "ch an", payload: "p"))),
            (.serverToClient, .backend(.copyOutResponse(CopyFormat(format: .binary, columnFormats: [.binary, .text])))),
            (.serverToClient, .backend(.copyInResponse(CopyFormat(format: .text, columnFormats: [])))),
            (.serverToClient, .backend(.copyBothResponse(CopyFormat(format: .text, columnFormats: [.text])))),
            (.serverToClient, .backend(.copyData(Array(0...255)[...]))), (.serverToClient, .backend(.copyDone)),
        ]
        let recording = SessionRecording(entries: messages.map { .message($0.0, $0.1) })
        let parsed = try SessionRecording(parsing: recording.text)
        #expect(parsed == recording)
        for direction in SessionRecording.Direction.allCases {
            #expect(try parsed.stream(direction).bytes == recording.stream(direction).bytes)
        }
    }

    @Test func quotedStringsCarryAnyBytes() throws {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 2, 3, 7, 50, 300] {
            for _ in 0..<50 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let message = RecordedMessage.backend(.copyData(bytes[...]))
                let line = "< \(message.text)"
                #expect(!line.contains("\n"))
                let parsed = try SessionRecording(parsing: line)
                #expect(parsed.entries == [.message(.serverToClient, message)], "\(line)")
            }
        }
        // COPY's visible escapes stay readable.
        let copy = RecordedMessage.backend(.copyData(Array("1\t\\N\t\\\\x01\n".utf8)[...]))
        #expect(copy.text == #"d "1\t\N\t\\\\x01\n""#)
    }

    @Test func exactBytesOfTheNotesExamples() throws {
        let recording = try SessionRecording(parsing: """
            < d "1700000000000\\tt\\t\\N\\t\\N\\t\\N\\n"
            < H format=text columns=text,text,text,text
            < Z I
            > ssl-request
            """)
        let server = try recording.stream(.serverToClient).bytes
        #expect(server.count == 30 + 16 + 6)
        #expect(Array(server.prefix(5)) == [0x64, 0, 0, 0, 29])
        #expect(Array(server[30..<46]) == [0x48, 0, 0, 0, 0x0F, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(server.suffix(6)) == [0x5A, 0, 0, 0, 5, 0x49])
        #expect(try recording.stream(.clientToServer).bytes == [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F])
    }

    @Test func chunkLinesCutTheStreamAnywhere() throws {
        let text = """
            < Z I
            < chunk +3
            < C "SELECT 1"
            < chunk
            < Z I
            < chunk +0 +1 +5
            < raw 01 02 03 04 05 06
            > chunk
            > X
            """
        let recording = try SessionRecording(parsing: text)
        let stream = try recording.stream(.serverToClient)
        #expect(stream.boundaries == [9, 20, 26, 27, 31])
        #expect(stream.chunks.map(\.count) == [9, 11, 6, 1, 4, 1])
        #expect(stream.chunks.reduce([], +) == stream.bytes)
        #expect(try recording.stream(.clientToServer).boundaries == [])
        #expect(try SessionRecording(parsing: recording.text) == recording)
    }

    @Test(arguments: [
        ("< Z I\n< Q \"x\"\n", 2, "unknown server message"),
        ("# ok\n> Z I\n", 2, "unknown client message"),
        ("\n\n<Z I\n", 3, "space"),
        ("< Z I\nhello\n", 2, "starts with"),
        ("> Q \"unterminated\n", 1, "closing quote"),
        ("< d \"\\x4\"\n", 1, "two hex digits"),
        ("< Z X\n", 1, "status"),
        ("< T id type=23\n", 1, "size="),
        ("< D 1 NULL\n", 1, "quoted"),
        ("< K pid=x key=1\n", 1, "whole number"),
        ("< Z I extra\n", 1, "unexpected"),
        ("> raw 5G\n", 1, "hex digit"),
        ("> raw 500\n", 1, "even"),
        ("< chunk 3\n< Z I\n", 1, "+N"),
        ("< Z I\n< chunk +6\n< Z I\n", 2, "not inside"),
        ("< Z I\n< chunk +2\n", 2, "no later message"),
        ("> p hello \"x\"\n", 1, "p hello"),
        ("< E S=ERROR CC=1\n", 1, "one-letter"),
        ("< H format=text\n", 1, "columns="),
        ("< S \"a\\x00b\" c\n", 1, "NUL"),
    ])
    func malformedLinesNameTheirLine(text: String, line: Int, words: String) {
        do {
            _ = try SessionRecording(parsing: text)
            Issue.record("parsed: \(text)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(words), "\(error)")
            #expect(error.description.hasPrefix("line \(line): "))
        }
    }
}
