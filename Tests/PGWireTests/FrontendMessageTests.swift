import PGWire
import Testing

/// One client message and its exact bytes; `kind` is what the server expects of a `p` message.
struct FrontendGolden: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let message: FrontendMessage
    let kind: FrontendMessage.AuthenticationResponseKind?
    var testDescription: String { name }

    init(
        _ name: String, _ notation: String, _ message: FrontendMessage,
        kind: FrontendMessage.AuthenticationResponseKind? = nil
    ) {
        self.name = name
        self.bytes = CodecFixtures.bytes(notation)
        self.message = message
        self.kind = kind
    }

    var isUntyped: Bool { bytes[0] == 0 }

    func decode() throws(PostgresError) -> FrontendMessage {
        if isUntyped {
            return try FrontendMessage.decodeUntyped(payload: bytes[4...])
        }
        return try FrontendMessage.decode(type: bytes[0], payload: bytes[5...], authenticationResponse: kind)
    }
}

/// Bytes that must be refused (a whole message, untyped when it starts with 00), and words of the error.
struct FrontendMalformed: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let kind: FrontendMessage.AuthenticationResponseKind?
    let code: PostgresError.Code
    let expected: String
    var testDescription: String { name }

    init(
        _ name: String, _ notation: String, kind: FrontendMessage.AuthenticationResponseKind? = nil,
        code: PostgresError.Code = .protocolViolation, _ expected: String
    ) {
        self.name = name
        self.bytes = CodecFixtures.bytes(notation)
        self.kind = kind
        self.code = code
        self.expected = expected
    }
}

@Suite struct FrontendMessageTests {
    static let goldens: [FrontendGolden] = [
        FrontendGolden("F8 SSLRequest", "00 00 00 08 04 D2 16 2F", .sslRequest),
        FrontendGolden("GSSENCRequest", "00 00 00 08 04 D2 16 30", .gssEncryptionRequest),
        FrontendGolden(
            "CancelRequest", "00 00 00 10 04 D2 16 2E 00 00 04 D2 12 34 56 78",
            .cancelRequest(BackendKeyData(processID: 1234, secretKey: 0x1234_5678))),
        FrontendGolden(
            "F8 StartupMessage",
            "00 00 00 85 00 03 00 00 'user' 00 'materialize' 00 'database' 00 'materialize' 00 "
                + "'application_name' 00 'tycostream' 00 'options' 00 '--cluster=prod --welcome_message=off' 00 "
                + "'TimeZone' 00 'UTC' 00 00",
            .startup(
                StartupParameters(
                    user: "materialize", database: "materialize", applicationName: "tycostream",
                    options: "--cluster=prod --welcome_message=off",
                    other: [.init(name: "TimeZone", value: "UTC")]))),
        FrontendGolden(
            "StartupMessage with only a user", "00 00 00 12 00 03 00 00 'user' 00 'bob' 00 00",
            .startup(StartupParameters(user: "bob"))),
        FrontendGolden("F8 PasswordMessage", "70 00 00 00 0A 'mzp_x' 00", .password("mzp_x"), kind: .password),
        FrontendGolden(
            "MD5 PasswordMessage", "70 00 00 00 28 'md5' '0123456789abcdef0123456789abcdef' 00",
            .password("md50123456789abcdef0123456789abcdef"), kind: .password),
        FrontendGolden(
            "SASLInitialResponse", "70 00 00 00 32 'SCRAM-SHA-256' 00 00 00 00 1C 'n,,n=,r=rOprNGfwEbeRWgbNEkqO'",
            .saslInitialResponse(mechanism: "SCRAM-SHA-256", data: Array("n,,n=,r=rOprNGfwEbeRWgbNEkqO".utf8)),
            kind: .saslInitialResponse),
        FrontendGolden(
            "SASLInitialResponse without data sends -1", "70 00 00 00 16 'SCRAM-SHA-256' 00 FF FF FF FF",
            .saslInitialResponse(mechanism: "SCRAM-SHA-256", data: []), kind: .saslInitialResponse),
        FrontendGolden(
            "SASLResponse", "70 00 00 00 0A 'c=biws'", .saslResponse(data: Array("c=biws".utf8)), kind: .saslResponse),
        FrontendGolden(
            "F1 Query",
            "51 00 00 00 48 'COPY (SUBSCRIBE (SELECT id, name FROM t) WITH (SNAPSHOT)) TO STDOUT' 00",
            .query("COPY (SUBSCRIBE (SELECT id, name FROM t) WITH (SNAPSHOT)) TO STDOUT")),
        FrontendGolden("Query with UTF-8", "51 00 00 00 0D 'SELECT' C3 A9 00", .query("SELECTé")),
        FrontendGolden(
            "CopyFail", "66 00 00 00 14 'COPY IN refused' 00", .copyFail(message: "COPY IN refused")),
        FrontendGolden("Terminate", "58 00 00 00 04", .terminate),
    ]

    @Test(arguments: goldens)
    func encodesExactBytes(_ golden: FrontendGolden) {
        #expect(golden.message.encoded() == golden.bytes)
    }

    @Test(arguments: goldens)
    func decodesExactBytes(_ golden: FrontendGolden) throws {
        #expect(try golden.decode() == golden.message)
    }

    @Test func anEmptySASLInitialResponseOfLengthZeroDecodesToo() throws {
        let bytes = CodecFixtures.bytes("'SCRAM-SHA-256' 00 00 00 00 00")
        let message = try FrontendMessage.decode(
            type: UInt8(ascii: "p"), payload: bytes[...], authenticationResponse: .saslInitialResponse)
        #expect(message == .saslInitialResponse(mechanism: "SCRAM-SHA-256", data: []))
    }

    static let malformed: [FrontendMalformed] = [
        FrontendMalformed("startup packet without a code", "00 00 00 06 00 03", "truncated"),
        FrontendMalformed(
            "protocol 3.2", "00 00 00 09 00 03 00 02 00", code: .unsupported,
            "protocol version 3.2 (code 196610) is not supported; connect with protocol 3.0"),
        FrontendMalformed("protocol 2.0", "00 00 00 09 00 02 00 00 00", "unknown protocol version 2.0 (code 131072)"),
        FrontendMalformed("unknown request code", "00 00 00 08 04 D2 16 31", "unknown request code 1234/5681"),
        FrontendMalformed("StartupMessage without user", "00 00 00 17 00 03 00 00 'database' 00 'x' 00 00", "no user parameter"),
        FrontendMalformed(
            "StartupMessage with a repeated parameter",
            "00 00 00 1B 00 03 00 00 'user' 00 'a' 00 'user' 00 'b' 00 00", "parameter user is sent twice"),
        FrontendMalformed(
            "StartupMessage without the final NUL", "00 00 00 12 00 03 00 00 'user' 00 'bob' 00",
            "a parameter name has no terminating NUL"),
        FrontendMalformed(
            "StartupMessage value without NUL", "00 00 00 10 00 03 00 00 'user' 00 'bob'",
            "the value of parameter user has no terminating NUL"),
        FrontendMalformed(
            "StartupMessage with trailing bytes", "00 00 00 14 00 03 00 00 'user' 00 'bob' 00 00 01", "1 unexpected trailing bytes"),
        FrontendMalformed("StartupMessage not UTF-8", "00 00 00 11 00 03 00 00 'user' 00 FF 00 00", "not valid UTF-8"),
        FrontendMalformed("SSLRequest with trailing bytes", "00 00 00 09 04 D2 16 2F 00", "trailing"),
        FrontendMalformed("CancelRequest too short", "00 00 00 0C 04 D2 16 2E 00 00 04 D2", "the secret key needs 4 bytes"),
        FrontendMalformed(
            "CancelRequest with a longer key", "00 00 00 14 04 D2 16 2E 00 00 04 D2 12 34 56 78 9A BC DE F0", "4 unexpected trailing"),
        FrontendMalformed("p without an outstanding request", "70 00 00 00 06 'x' 00", "no authentication request is outstanding"),
        FrontendMalformed("password without NUL", "70 00 00 00 05 'x'", kind: .password, "the password has no terminating NUL"),
        FrontendMalformed("password with trailing bytes", "70 00 00 00 07 'x' 00 01", kind: .password, "trailing"),
        FrontendMalformed(
            "SASLInitialResponse negative length", "70 00 00 00 0A 'M' 00 FF FF FF FE", kind: .saslInitialResponse,
            "the initial response has length -2"),
        FrontendMalformed(
            "SASLInitialResponse overrun", "70 00 00 00 0C 'M' 00 00 00 00 05 'ab'", kind: .saslInitialResponse,
            "the initial response needs 5 bytes but only 2 remain"),
        FrontendMalformed(
            "SASLInitialResponse trailing", "70 00 00 00 0C 'M' 00 00 00 00 01 'ab'", kind: .saslInitialResponse,
            "1 unexpected trailing"),
        FrontendMalformed(
            "SASLInitialResponse without length", "70 00 00 00 07 'M' 00 00", kind: .saslInitialResponse,
            "the length of the initial response needs 4 bytes"),
        FrontendMalformed("Query without NUL", "51 00 00 00 0C 'SELECT 1'", "the query string has no terminating NUL"),
        FrontendMalformed("Query not UTF-8", "51 00 00 00 07 C3 28 00", "the query string is not valid UTF-8"),
        FrontendMalformed("Query with trailing bytes", "51 00 00 00 08 'x' 00 'y' 00", "2 unexpected trailing"),
        FrontendMalformed("CopyFail without NUL", "66 00 00 00 06 'no'", "the failure message has no terminating NUL"),
        FrontendMalformed("Terminate with a payload", "58 00 00 00 05 00", "1 unexpected trailing"),
        FrontendMalformed(
            "Parse is unsupported", "50 00 00 00 04", code: .unsupported,
            "Parse (message type 'P' (0x50)) is not supported"),
        FrontendMalformed("Sync is unsupported", "53 00 00 00 04", code: .unsupported, "Sync"),
        FrontendMalformed("unknown type", "7A 00 00 00 04", "unexpected message type 'z' (0x7A) from the client"),
    ]

    @Test(arguments: malformed)
    func refusesMalformedMessages(_ bad: FrontendMalformed) {
        let error = #expect(throws: PostgresError.self) {
            if bad.bytes[0] == 0 {
                _ = try FrontendMessage.decodeUntyped(payload: bad.bytes[4...])
            } else {
                _ = try FrontendMessage.decode(type: bad.bytes[0], payload: bad.bytes[5...], authenticationResponse: bad.kind)
            }
        }
        #expect(error?.code == bad.code)
        #expect(error?.message.contains(bad.expected) == true, "\(error?.message ?? "no error")")
    }
}
