import PGWire
import Testing

/// One message and its exact bytes on the wire.
struct BackendGolden: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let message: BackendMessage
    var testDescription: String { name }

    init(_ name: String, _ notation: String, _ message: BackendMessage) {
        self.name = name
        self.bytes = CodecFixtures.bytes(notation)
        self.message = message
    }
}

/// A payload that must be refused, and words the error must contain.
struct BackendMalformed: Sendable, CustomTestStringConvertible {
    let name: String
    let type: UInt8
    let payload: [UInt8]
    let expected: String
    var testDescription: String { name }

    init(_ name: String, _ type: Character, _ notation: String, _ expected: String) {
        self.name = name
        self.type = type.asciiValue!
        self.payload = CodecFixtures.bytes(notation)
        self.expected = expected
    }
}

@Suite struct BackendMessageTests {
    static let goldens: [BackendGolden] = [
        // Fixture recipes of shared/protocol/materialize-subscribe.md.
        BackendGolden(
            "F1 CopyOutResponse", "48 00 00 00 0F 00 00 04 00 00 00 00 00 00 00 00",
            .copyOutResponse(CopyFormat(format: .text, columnFormats: [.text, .text, .text, .text]))),
        BackendGolden(
            "F1 CopyData", "64 00 00 00 1C '1700000000000' 09 '1' 09 '1' 09 'alice' 0A",
            CodecFixtures.copyData("1700000000000\t1\t1\talice\n")),
        BackendGolden(
            "F1 ErrorResponse", "45 00 00 00 3C 'SERROR' 00 'C57014' 00 'Mcanceling statement due to user request' 00 00",
            .errorResponse(Diagnostic(severity: "ERROR", sqlState: "57014", message: "canceling statement due to user request"))),
        BackendGolden("ReadyForQuery idle", "5A 00 00 00 05 49", .readyForQuery(.idle)),
        BackendGolden("ReadyForQuery in transaction", "5A 00 00 00 05 54", .readyForQuery(.inTransaction)),
        BackendGolden("ReadyForQuery failed", "5A 00 00 00 05 45", .readyForQuery(.failed)),
        BackendGolden(
            "F2 RowDescription",
            """
            54 00 00 00 74 00 04
            'mz_timestamp' 00 00 00 00 00 00 00 00 00 06 A4 FF FF 00 27 00 04 00 00
            'mz_progressed' 00 00 00 00 00 00 00 00 00 00 10 00 01 FF FF FF FF 00 00
            'mz_diff' 00 00 00 00 00 00 00 00 00 00 14 00 08 FF FF FF FF 00 00
            'id' 00 00 00 00 00 00 00 00 00 00 17 00 04 FF FF FF FF 00 00
            """,
            CodecFixtures.f2RowDescription),
        BackendGolden(
            "F2 NoticeResponse",
            "4E 00 00 00 65 'SNOTICE' 00 'C01000' 00 "
                + "'Mstreaming SUBSCRIBE rows directly requires a client that does not buffer output' 00 00",
            CodecFixtures.f2Notice),
        BackendGolden(
            "F2 DataRow",
            "44 00 00 00 24 00 04 00 00 00 0D 31 37 30 30 30 30 30 30 30 30 30 30 30 00 00 00 01 74 FF FF FF FF FF FF FF FF",
            CodecFixtures.dataRow(["1700000000000", "t", nil, nil])),
        BackendGolden("DataRow without columns", "44 00 00 00 06 00 00", CodecFixtures.dataRow([])),
        BackendGolden("DataRow with an empty value", "44 00 00 00 0A 00 01 00 00 00 00", CodecFixtures.dataRow([""])),
        BackendGolden("F4 CommandComplete FETCH 3", "43 00 00 00 0C 46 45 54 43 48 20 33 00", .commandComplete(tag: "FETCH 3")),
        BackendGolden("F6 CommandComplete COPY 1", "43 00 00 00 0B 43 4F 50 59 20 31 00", .commandComplete(tag: "COPY 1")),
        BackendGolden("F6 CopyDone", "63 00 00 00 04", .copyDone),
        BackendGolden("F6 binary trailer CopyData", "64 00 00 00 06 FF FF", .copyData([0xFF, 0xFF][...])),
        BackendGolden(
            "F6 binary CopyOutResponse", "48 00 00 00 0D 01 00 03 00 01 00 01 00 01",
            .copyOutResponse(CopyFormat(format: .binary, columnFormats: [.binary, .binary, .binary]))),
        BackendGolden(
            "CopyInResponse", "47 00 00 00 09 00 00 01 00 00",
            .copyInResponse(CopyFormat(format: .text, columnFormats: [.text]))),
        BackendGolden(
            "CopyBothResponse", "57 00 00 00 07 00 00 00",
            .copyBothResponse(CopyFormat(format: .text, columnFormats: []))),
        BackendGolden("F8 AuthenticationCleartextPassword", "52 00 00 00 08 00 00 00 03", .authentication(.cleartextPassword)),
        BackendGolden("F8 AuthenticationOk", "52 00 00 00 08 00 00 00 00", .authentication(.ok)),
        BackendGolden(
            "F8 AuthenticationSASL", "52 00 00 00 17 00 00 00 0A 'SCRAM-SHA-256' 00 00",
            .authentication(.sasl(mechanisms: ["SCRAM-SHA-256"]))),
        BackendGolden(
            "AuthenticationSASL with two mechanisms",
            "52 00 00 00 2A 00 00 00 0A 'SCRAM-SHA-256-PLUS' 00 'SCRAM-SHA-256' 00 00",
            .authentication(.sasl(mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"]))),
        BackendGolden(
            "AuthenticationSASLContinue", "52 00 00 00 1F 00 00 00 0B 'r=abc,s=c2FsdA==,i=4096'",
            .authentication(.saslContinue(data: Array("r=abc,s=c2FsdA==,i=4096".utf8)))),
        BackendGolden(
            "AuthenticationSASLFinal", "52 00 00 00 0E 00 00 00 0C 'v=cHJv'",
            .authentication(.saslFinal(data: Array("v=cHJv".utf8)))),
        BackendGolden(
            "AuthenticationMD5Password", "52 00 00 00 0C 00 00 00 05 DE AD BE EF",
            .authentication(.md5Password(salt: 0xDEAD_BEEF))),
        BackendGolden("AuthenticationKerberosV5", "52 00 00 00 08 00 00 00 02", .authentication(.kerberosV5)),
        BackendGolden("AuthenticationGSS", "52 00 00 00 08 00 00 00 07", .authentication(.gss)),
        BackendGolden(
            "AuthenticationGSSContinue", "52 00 00 00 0A 00 00 00 08 01 02",
            .authentication(.gssContinue(data: [1, 2]))),
        BackendGolden("AuthenticationSSPI", "52 00 00 00 08 00 00 00 09", .authentication(.sspi)),
        BackendGolden(
            "F8 ParameterStatus", "53 00 00 00 19 'server_version' 00 '9.5.0' 00",
            .parameterStatus(name: "server_version", value: "9.5.0")),
        BackendGolden(
            "F8 BackendKeyData", "4B 00 00 00 0C 00 00 04 D2 12 34 56 78",
            .backendKeyData(BackendKeyData(processID: 1234, secretKey: 0x1234_5678))),
        BackendGolden("EmptyQueryResponse", "49 00 00 00 04", .emptyQueryResponse),
        BackendGolden(
            "NotificationResponse", "41 00 00 00 13 00 00 00 07 'chan' 00 'hello' 00",
            .notificationResponse(processID: 7, channel: "chan", payload: "hello")),
        BackendGolden(
            "ErrorResponse with every field",
            "45 00 00 00 95 'SERROR' 00 'VERROR' 00 'CXX000' 00 'Mboom' 00 'Dthe detail' 00 'Ha hint' 00 'P12' 00 "
                + "'p3' 00 'qSELECT x' 00 'WPL/pgSQL function f()' 00 'spublic' 00 'tt' 00 'cid' 00 'ddom' 00 "
                + "'nt_pkey' 00 'FexecMain.c' 00 'L42' 00 'RExecutorRun' 00 00",
            .errorResponse(
                Diagnostic(fields: [
                    (.localizedSeverity, "ERROR"), (.severity, "ERROR"), (.sqlState, "XX000"), (.message, "boom"),
                    (.detail, "the detail"), (.hint, "a hint"), (.position, "12"), (.internalPosition, "3"),
                    (.internalQuery, "SELECT x"), (.context, "PL/pgSQL function f()"), (.schemaName, "public"),
                    (.tableName, "t"), (.columnName, "id"), (.dataTypeName, "dom"), (.constraintName, "t_pkey"),
                    (.file, "execMain.c"), (.line, "42"), (.routine, "ExecutorRun"),
                ]))),
        BackendGolden(
            "ErrorResponse keeps an unknown field code", "45 00 00 00 10 'Mx' 00 'Zfuture' 00 00",
            .errorResponse(Diagnostic(fields: [(.message, "x"), (Diagnostic.Field(UInt8(ascii: "Z")), "future")]))),
    ]

    @Test(arguments: goldens)
    func encodesExactBytes(_ golden: BackendGolden) {
        #expect(golden.message.encoded() == golden.bytes)
    }

    @Test(arguments: goldens)
    func decodesExactBytes(_ golden: BackendGolden) throws {
        let payload = golden.bytes[5...]
        let message = try BackendMessage.decode(type: golden.bytes[0], payload: payload)
        #expect(message == golden.message)
    }

    @Test func f2DataRowValuesAreSlicesOfThePayload() throws {
        let bytes = CodecFixtures.bytes(
            "44 00 00 00 24 00 04 00 00 00 0D 31 37 30 30 30 30 30 30 30 30 30 30 30 00 00 00 01 74 FF FF FF FF FF FF FF FF")
        guard case .dataRow(let row) = try BackendMessage.decode(type: bytes[0], payload: bytes[5...]) else {
            Issue.record("not a DataRow")
            return
        }
        #expect(row.columnCount == 4)
        #expect(row.bytes.startIndex == 7)
        let values = Array(row)
        #expect(values.count == 4)
        #expect(values[0].map { Array($0) } == Array("1700000000000".utf8))
        #expect(values[1].map { Array($0) } == [UInt8(ascii: "t")])
        #expect(values[2] == nil)
        #expect(values[3] == nil)
    }

    @Test func copyDataKeepsTheSlice() throws {
        let bytes = CodecFixtures.bytes("64 00 00 00 07 41 42 43")
        let message = try BackendMessage.decode(type: bytes[0], payload: bytes[5...])
        guard case .copyData(let data) = message else {
            Issue.record("not CopyData")
            return
        }
        #expect(data.startIndex == 5)
        #expect(Array(data) == [0x41, 0x42, 0x43])
    }

    static let malformed: [BackendMalformed] = [
        BackendMalformed("Authentication without a code", "R", "00 00", "truncated"),
        BackendMalformed("unknown authentication code 6", "R", "00 00 00 06", "unknown authentication request code 6"),
        BackendMalformed("unknown authentication code 42", "R", "00 00 00 2A", "unknown authentication request code 42"),
        BackendMalformed("negative authentication code", "R", "FF FF FF FF", "unknown authentication request code -1"),
        BackendMalformed("AuthenticationOk with trailing bytes", "R", "00 00 00 00 01", "1 unexpected trailing bytes"),
        BackendMalformed("MD5 salt too short", "R", "00 00 00 05 01 02", "the MD5 salt needs 4 bytes"),
        BackendMalformed("SASL list without its end", "R", "00 00 00 0A 'SCRAM-SHA-256' 00", "no terminating NUL"),
        BackendMalformed("SASL without mechanisms", "R", "00 00 00 0A 00", "offers no mechanism"),
        BackendMalformed("SASL list with trailing bytes", "R", "00 00 00 0A 'X' 00 00 01", "trailing"),
        BackendMalformed("BackendKeyData too short", "K", "00 00 04 D2 12 34", "the secret key needs 4 bytes"),
        BackendMalformed("BackendKeyData with a longer key", "K", "00 00 04 D2 12 34 56 78 9A", "trailing"),
        BackendMalformed("ParameterStatus without NUL", "S", "'TimeZone' 00 'UTC'", "the value of parameter TimeZone has no terminating NUL"),
        BackendMalformed("ParameterStatus not UTF-8", "S", "'TimeZone' 00 FF FE 00", "not valid UTF-8"),
        BackendMalformed("ReadyForQuery empty", "Z", "", "the transaction status needs 1 bytes"),
        BackendMalformed("ReadyForQuery unknown status", "Z", "58", "unknown transaction status 0x58"),
        BackendMalformed("ReadyForQuery with trailing bytes", "Z", "49 49", "trailing"),
        BackendMalformed("RowDescription negative count", "T", "FF FF", "negative field count -1"),
        BackendMalformed("RowDescription count beyond the payload", "T", "7F FF 'a' 00", "32767 fields need at least"),
        BackendMalformed(
            "RowDescription field truncated", "T", "00 01 'a' 00 00 00 00 00 00 00 00 00 00 17 00 04 FF FF FF FF 00",
            "format code of field 0 needs 2 bytes"),
        BackendMalformed(
            "RowDescription unknown format", "T", "00 01 'a' 00 00 00 00 00 00 00 00 00 00 17 00 04 FF FF FF FF 00 02",
            "the format code of field 0 is 2"),
        BackendMalformed(
            "RowDescription with trailing bytes", "T",
            "00 01 'a' 00 00 00 00 00 00 00 00 00 00 17 00 04 FF FF FF FF 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
            "19 unexpected trailing bytes"),
        BackendMalformed("DataRow without a count", "D", "00", "the column count needs 2 bytes"),
        BackendMalformed("DataRow negative count", "D", "FF FE", "negative column count -2"),
        BackendMalformed("DataRow value overruns", "D", "00 01 00 00 00 05 41 42", "column 0 of 1 claims 5 bytes but only 2 remain"),
        BackendMalformed("DataRow huge length", "D", "00 01 7F FF FF FF 41", "claims 2147483647 bytes"),
        BackendMalformed("DataRow negative length", "D", "00 01 FF FF FF FE", "column 0 has length -2"),
        BackendMalformed("DataRow missing a column", "D", "00 02 FF FF FF FF 00 00", "length of column 1 of 2 needs 4 bytes"),
        BackendMalformed("DataRow with trailing bytes", "D", "00 01 FF FF FF FF 00", "1 unexpected trailing bytes after the last of 1 columns"),
        BackendMalformed("CommandComplete without NUL", "C", "'SELECT 1'", "the command tag has no terminating NUL"),
        BackendMalformed("CommandComplete with trailing bytes", "C", "'SELECT 1' 00 00", "trailing"),
        BackendMalformed("EmptyQueryResponse with a payload", "I", "00", "trailing"),
        BackendMalformed("CopyDone with a payload", "c", "00", "trailing"),
        BackendMalformed("ErrorResponse without terminator", "E", "'SERROR' 00", "the field code after 1 fields needs 1 bytes"),
        BackendMalformed("ErrorResponse field without NUL", "E", "'SERROR'", "field 'S' has no terminating NUL"),
        BackendMalformed("ErrorResponse with trailing bytes", "E", "'Mx' 00 00 'Mx' 00", "3 unexpected trailing bytes"),
        BackendMalformed("NoticeResponse not UTF-8", "N", "'M' C3 28 00 00", "field 'M' is not valid UTF-8"),
        BackendMalformed("NotificationResponse truncated", "A", "00 00 00 07 'chan' 00", "the notification payload has no terminating NUL"),
        BackendMalformed("CopyOutResponse empty", "H", "", "the overall format needs 1 bytes"),
        BackendMalformed("CopyOutResponse unknown overall format", "H", "02 00 00", "the overall format is 2"),
        BackendMalformed("CopyOutResponse negative count", "H", "00 FF FF", "negative column count -1"),
        BackendMalformed("CopyOutResponse formats missing", "H", "00 00 03 00 00", "3 column formats need 6 bytes"),
        BackendMalformed("CopyOutResponse unknown column format", "H", "00 00 01 00 07", "the format code of column 0 is 7"),
        BackendMalformed("CopyInResponse with trailing bytes", "G", "00 00 01 00 00 00", "1 unexpected trailing bytes"),
        BackendMalformed("CopyBothResponse truncated", "W", "00 00", "column count needs 2 bytes"),
        BackendMalformed("unknown type", "x", "", "unexpected message type 'x' (0x78) from the server"),
        BackendMalformed("ParseComplete is never asked for", "1", "", "'1' (0x31), ParseComplete, from the server"),
        BackendMalformed("NegotiateProtocolVersion is named", "v", "00 00 00 00 00 00 00 00", "NegotiateProtocolVersion"),
    ]

    @Test(arguments: malformed)
    func refusesMalformedPayloads(_ bad: BackendMalformed) {
        let error = #expect(throws: PostgresError.self) {
            try BackendMessage.decode(type: bad.type, payload: bad.payload[...])
        }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains(bad.expected) == true, "\(error?.message ?? "no error")")
    }

    @Test func unprintableTypeIsShownInHex() {
        let error = #expect(throws: PostgresError.self) {
            try BackendMessage.decode(type: 0x01, payload: [][...])
        }
        #expect(error?.message == "unexpected message type 0x01 from the server")
    }

    @Test func errorsNameTheMessageAndPayloadSize() {
        let error = #expect(throws: PostgresError.self) {
            try BackendMessage.decode(type: UInt8(ascii: "Z"), payload: [0x49, 0x49][...])
        }
        #expect(
            error?.message == "malformed ReadyForQuery ('Z') (2-byte payload): 1 unexpected trailing bytes after the last field")
    }

    @Test func decodesPayloadsThatAreSlicesOfALargerBuffer() throws {
        // Indices of a slice do not start at 0; every reader must respect startIndex.
        let buffer = CodecFixtures.bytes("AA BB 'TimeZone' 00 'UTC' 00 CC")
        let message = try BackendMessage.decode(type: UInt8(ascii: "S"), payload: buffer[2..<15])
        #expect(message == .parameterStatus(name: "TimeZone", value: "UTC"))
    }
}

extension BackendMessageTests {
    @Test func dataRowValidationRefusesANegativeCountWithoutTrapping() {
        #expect(DataRow.validated(columnCount: -1, bytes: [][...]) == nil)
        #expect(DataRow.validated(columnCount: 1, bytes: [0xFF, 0xFF, 0xFF, 0xFF][...])?.columnCount == 1)
        #expect(DataRow.validated(columnCount: 1, bytes: [0xFF, 0xFF, 0xFF][...]) == nil)
    }
}
