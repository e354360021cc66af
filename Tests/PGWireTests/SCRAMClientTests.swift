import Testing
@testable import PGWire

@Suite struct SCRAMClientTests {
    /// RFC 7677 §3: the SCRAM-SHA-256 example exchange (user "user", password "pencil").
    @Test func rfc7677Example() throws {
        var client = SCRAMClient(password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO", username: "user")
        #expect(text(client.clientFirstMessage()) == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
        let final = try client.receiveServerFirst(bytes(
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"))
        #expect(text(final) == "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
        #expect(!client.isServerVerified)
        try client.receiveServerFinal(bytes("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
        #expect(client.isServerVerified)
    }

    /// PostgreSQL ignores the SCRAM user name, so by default it is empty.
    @Test func defaultUsernameIsEmptyAndEscaped() {
        #expect(text(SCRAMClient(password: "p", nonce: "abc").clientFirstMessage()) == "n,,n=,r=abc")
        #expect(text(SCRAMClient(password: "p", nonce: "abc", username: "a=b,c").clientFirstMessage())
            == "n,,n=a=3Db=2Cc,r=abc")
    }

    /// Recorded from PostgreSQL 15.x (scripts/pg-test-server, user `scram_user`, password `scram_user`)
    /// by a throwaway Python client with this fixed nonce. The client-final-message was computed
    /// independently with Python's hashlib/hmac, and the server answered it with AuthenticationOk.
    @Test func recordedPostgres15Exchange() throws {
        var client = SCRAMClient(password: "scram_user", nonce: "rOprNGfwEbeRWgbNEkqO")
        #expect(text(client.clientFirstMessage()) == "n,,n=,r=rOprNGfwEbeRWgbNEkqO")
        let final = try client.receiveServerFirst(bytes(
            "r=rOprNGfwEbeRWgbNEkqOT9U4bAwEJCJ2xFFsSSeOStT2,s=YzQ76Ayt08xlSOEM+6iAVQ==,i=4096"))
        #expect(text(final) == "c=biws,r=rOprNGfwEbeRWgbNEkqOT9U4bAwEJCJ2xFFsSSeOStT2,"
            + "p=MLi8ksvpz/8AQZdfJR/Oz5yp1sZewKZGChjTQypOX3Y=")
        try client.receiveServerFinal(bytes("v=YLneMIOzjCcE/YMc30vlWr22yTH9shNsE/GRkAdLTnw="))
        #expect(client.isServerVerified)
    }

    /// Recorded the same way for `unicode_user` (password "pässwörd-ü"): the password goes through
    /// SASLprep, so the decomposed spelling must produce the same bytes as the composed one.
    @Test(arguments: ["pässwörd-ü", "pa\u{0308}sswo\u{0308}rd-u\u{0308}"])
    func recordedPostgres15UnicodeExchange(password: String) throws {
        var client = SCRAMClient(password: password, nonce: "fyko+d2lbbFgONRv9qkxdawL")
        let final = try client.receiveServerFirst(bytes(
            "r=fyko+d2lbbFgONRv9qkxdawLcoDToj9zmFO+a7Cd5/8Y0/1T,s=9QV0zhsxPEFXbph+4/Rl5w==,i=4096"))
        #expect(text(final) == "c=biws,r=fyko+d2lbbFgONRv9qkxdawLcoDToj9zmFO+a7Cd5/8Y0/1T,"
            + "p=G55oGCsjjC6jcvQ+ZM0UC/qMh3TLrtYTT3mDNWhVIHE=")
        try client.receiveServerFinal(bytes("v=cHmlpF+p9Aw5z4t7y4iZ99Q9q754rPyRO69rPgUNxgQ="))
        #expect(client.isServerVerified)
    }

    @Test func serverNonceMustExtendOurs() {
        for serverFirst in [
            "r=XXprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // different prefix
            "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // not longer
            "r=rOprNGfwEbeRWgbNEk,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // shorter
        ] {
            let error = failure(serverFirst)
            #expect(error?.code == .authentication)
            #expect(error?.message.contains("nonce does not extend") == true, "\(serverFirst)")
        }
    }

    @Test func tooFewIterationsAreRefused() {
        let error = failure("r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095")
        #expect(error?.code == .authentication)
        #expect(error?.message.contains("only 4095 SCRAM iterations") == true)
    }

    @Test func tooManyIterationsAreRefusedWithoutHashing() {
        var client = SCRAMClient(password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO", maximumIterations: 10_000)
        #expect(throws: PostgresError.self) {
            try client.receiveServerFirst(bytes("r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=2000000000"))
        }
        #expect(failure("r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999999999999") != nil)
    }

    @Test(arguments: [
        "",  // empty
        "r=rOprNGfwEbeRWgbNEkqOabc,i=4096,s=W22ZaJ0SNY7soEsUEjb6gQ==",  // unordered
        "r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==",  // missing i=
        "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // missing r=
        "m=ext,r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // mandatory extension
        "r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ=,i=4096",  // bad base64 padding
        "r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0S*Y7soEsUEjb6gQ==,i=4096",  // bad base64 character
        "r=rOprNGfwEbeRWgbNEkqOabc,s=,i=4096",  // empty salt
        "r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-4096",  // signed count
        "r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096x",  // junk in count
        "r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,",  // trailing comma
        "r=rOprNGfwEbeRWgbNEkqOa c,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // space in nonce
        "rOprNGfwEbeRWgbNEkqOabc",  // no attributes at all
    ])
    func malformedServerFirstIsRejected(serverFirst: String) {
        #expect(failure(serverFirst)?.code == .authentication)
    }

    @Test func extensionsAfterIterationsAreIgnored() throws {
        var client = SCRAMClient(password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO", username: "user")
        let final = try client.receiveServerFirst(bytes(
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,x=future"))
        #expect(text(final).hasPrefix("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p="))
    }

    @Test func tamperedServerSignatureIsRejected() throws {
        var client = try rfcClientAfterServerFirst()
        let error = #expect(throws: PostgresError.self) {
            try client.receiveServerFinal(bytes("v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
        }
        #expect(error?.message.contains("SCRAM signature does not match") == true)
        #expect(!client.isServerVerified)
    }

    @Test func serverErrorIsReported() throws {
        var client = try rfcClientAfterServerFirst()
        let error = #expect(throws: PostgresError.self) {
            try client.receiveServerFinal(bytes("e=invalid-proof"))
        }
        #expect(error?.code == .authentication)
        #expect(error?.message.contains("invalid-proof") == true)
        #expect(!client.isServerVerified)
    }

    @Test(arguments: ["", "x=1", "v=", "v=not base64!", "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4", ","])
    func malformedServerFinalIsRejected(serverFinal: String) throws {
        var client = try rfcClientAfterServerFirst()
        #expect(throws: PostgresError.self) { try client.receiveServerFinal(bytes(serverFinal)) }
        #expect(!client.isServerVerified)
    }

    @Test func outOfOrderMessagesAreRejected() throws {
        var client = SCRAMClient(password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO")
        #expect(throws: PostgresError.self) {
            try client.receiveServerFinal(bytes("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
        }
        var second = try rfcClientAfterServerFirst()
        #expect(throws: PostgresError.self) {
            try second.receiveServerFirst(bytes(
                "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"))
        }
        #expect(!second.isServerVerified)
    }

    @Test func nonceIsRandomPrintableAndLongEnough() {
        var generator = SplitMix64(seed: 42)
        let first = SCRAMClient.makeNonce(using: &generator)
        let second = SCRAMClient.makeNonce(using: &generator)
        #expect(first.utf8.count == 24)  // 18 bytes of base64
        #expect(first != second)
        #expect(first.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: ",") })
        var replay = SplitMix64(seed: 42)
        #expect(SCRAMClient.makeNonce(using: &replay) == first)
    }

    // MARK: Helpers

    private func rfcClientAfterServerFirst() throws -> SCRAMClient {
        var client = SCRAMClient(password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO", username: "user")
        _ = try client.receiveServerFirst(bytes(
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"))
        return client
    }

    /// The error the RFC 7677 client throws for `serverFirst`, or nil if it accepts it.
    private func failure(_ serverFirst: String) -> PostgresError? {
        var client = SCRAMClient(password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO", username: "user")
        do {
            _ = try client.receiveServerFirst(bytes(serverFirst))
            return nil
        } catch {
            return error
        }
    }
}

/// A deterministic generator so nonce tests are reproducible.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

private func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
