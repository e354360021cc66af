import Testing
@testable import PGWire

@Suite struct SCRAMServerTests {
    /// RFC 7677 §3 from the server's side: same salt, iterations and nonces give the RFC's messages.
    @Test func rfc7677ExampleFromTheServerSide() throws {
        let credentials = SCRAMCredentials(password: "pencil", salt: rfcSalt, iterations: 4096)
        var server = SCRAMServer(credentials: credentials, nonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
        let serverFirst = try server.receiveClientFirst(bytes("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))
        #expect(text(serverFirst)
            == "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
        let serverFinal = try server.receiveClientFinal(bytes(
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))
        #expect(text(serverFinal) == "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
        #expect(server.isAuthenticated)
    }

    /// The credentials PostgreSQL 15 stored for `scram_user` reproduce the recorded server-final.
    @Test func credentialsMatchPostgres() throws {
        let credentials = SCRAMCredentials(password: "scram_user", salt: try #require(Base64.decode(bytes("YzQ76Ayt08xlSOEM+6iAVQ=="))))
        #expect(credentials.iterations == 4096)
        var server = SCRAMServer(credentials: credentials, nonce: "T9U4bAwEJCJ2xFFsSSeOStT2")
        _ = try server.receiveClientFirst(bytes("n,,n=,r=rOprNGfwEbeRWgbNEkqO"))
        let serverFinal = try server.receiveClientFinal(bytes(
            "c=biws,r=rOprNGfwEbeRWgbNEkqOT9U4bAwEJCJ2xFFsSSeOStT2,p=MLi8ksvpz/8AQZdfJR/Oz5yp1sZewKZGChjTQypOX3Y="))
        #expect(text(serverFinal) == "v=YLneMIOzjCcE/YMc30vlWr22yTH9shNsE/GRkAdLTnw=")
    }

    @Test(arguments: ["pencil", "pässwörd-ü", "\u{0627}1 prohibited, so raw bytes"])
    func roundTripWithClient(password: String) throws {
        let credentials = SCRAMCredentials(password: password, salt: Array(0..<16), iterations: 4096)
        var server = SCRAMServer(credentials: credentials, nonce: "server-nonce-3Hk9")
        var client = SCRAMClient(password: password, nonce: "client-nonce-a7Zq")
        let serverFirst = try server.receiveClientFirst(client.clientFirstMessage())
        let clientFinal = try client.receiveServerFirst(serverFirst)
        let serverFinal = try server.receiveClientFinal(clientFinal)
        try client.receiveServerFinal(serverFinal)
        #expect(server.isAuthenticated)
        #expect(client.isServerVerified)
    }

    /// A wrong password fails on the server; a server holding the wrong verifier fails on the client.
    @Test func wrongPasswordFailsOnBothSides() throws {
        let salt: [UInt8] = Array(repeating: 7, count: 16)
        var server = SCRAMServer(credentials: SCRAMCredentials(password: "right", salt: salt), nonce: "srv")
        var client = SCRAMClient(password: "wrong", nonce: "cli")
        let clientFinal = try client.receiveServerFirst(try server.receiveClientFirst(client.clientFirstMessage()))
        let error = #expect(throws: PostgresError.self) { try server.receiveClientFinal(clientFinal) }
        #expect(error?.code == .authentication)
        #expect(error?.message.contains("password authentication failed") == true)
        #expect(!server.isAuthenticated)

        // An impostor server that does not know the password: the client catches its signature.
        var impostor = SCRAMServer(credentials: SCRAMCredentials(password: "guess", salt: salt), nonce: "srv")
        var victim = SCRAMClient(password: "right", nonce: "cli")
        _ = try victim.receiveServerFirst(try impostor.receiveClientFirst(victim.clientFirstMessage()))
        let forged = Array("v=".utf8) + Base64.encode(
            HMAC.authenticationCode(for: Array("anything".utf8), key: impostor.credentials.serverKey))
        let clientError = #expect(throws: PostgresError.self) { try victim.receiveServerFinal(forged) }
        #expect(clientError?.message.contains("signature does not match") == true)
    }

    @Test func channelBindingIsRefused() {
        var server = SCRAMServer(credentials: rfcCredentials, nonce: "srv")
        let error = #expect(throws: PostgresError.self) {
            try server.receiveClientFirst(bytes("p=tls-server-end-point,,n=,r=abc"))
        }
        #expect(error?.message.contains("channel binding") == true)
    }

    /// `y` means "the client could bind but thinks the server cannot": accepted, and `c=` must echo it.
    @Test func clientSupportingButNotUsingChannelBindingIsAccepted() throws {
        var server = SCRAMServer(credentials: rfcCredentials, nonce: "srv")
        let serverFirst = try server.receiveClientFirst(bytes("y,,n=,r=abc"))
        #expect(text(serverFirst).hasPrefix("r=abcsrv,s="))
        let wrongBinding = #expect(throws: PostgresError.self) {
            try server.receiveClientFinal(bytes("c=biws,r=abcsrv,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))
        }
        #expect(wrongBinding?.message.contains("channel-binding data") == true)
    }

    @Test(arguments: [
        "", "n", "n,", "x,,n=,r=abc", "n,a=admin,n=,r=abc", "n,,r=abc", "n,,n=,r=", "n,,m=x,n=,r=abc",
        "n,,n=,r=a,c", "n,,n=",
    ])
    func malformedClientFirstIsRejected(message: String) {
        var server = SCRAMServer(credentials: rfcCredentials, nonce: "srv")
        #expect(throws: PostgresError.self) { try server.receiveClientFirst(bytes(message)) }
        #expect(!server.isAuthenticated)
    }

    @Test(arguments: [
        "",  // empty
        "r=abcsrv,c=biws,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",  // unordered
        "c=biws,r=abcXXX,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",  // other nonce
        "c=eSws,r=abcsrv,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",  // y,, binding after n,,
        "c=biws,r=abcsrv",  // no proof
        "c=biws,r=abcsrv,p=dHzbZapW",  // short proof
        "c=biws,r=abcsrv,p=not base64!",  // bad base64
        "c=biws,r=abcsrv,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=,x=1",  // proof not last
    ])
    func malformedClientFinalIsRejected(message: String) throws {
        var server = SCRAMServer(credentials: rfcCredentials, nonce: "srv")
        _ = try server.receiveClientFirst(bytes("n,,n=,r=abc"))
        #expect(throws: PostgresError.self) { try server.receiveClientFinal(bytes(message)) }
        #expect(!server.isAuthenticated)
    }

    @Test func outOfOrderMessagesAreRejected() throws {
        var server = SCRAMServer(credentials: rfcCredentials, nonce: "srv")
        #expect(throws: PostgresError.self) {
            try server.receiveClientFinal(bytes("c=biws,r=abcsrv,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))
        }
        var second = SCRAMServer(credentials: rfcCredentials, nonce: "srv")
        _ = try second.receiveClientFirst(bytes("n,,n=,r=abc"))
        #expect(throws: PostgresError.self) { try second.receiveClientFirst(bytes("n,,n=,r=abc")) }
    }

    private let rfcSalt: [UInt8] = Base64.decode(Array("W22ZaJ0SNY7soEsUEjb6gQ==".utf8))!
    private var rfcCredentials: SCRAMCredentials {
        SCRAMCredentials(salt: rfcSalt, iterations: 4096,
                         storedKey: Array(repeating: 1, count: 32), serverKey: Array(repeating: 2, count: 32))
    }
}

private func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
