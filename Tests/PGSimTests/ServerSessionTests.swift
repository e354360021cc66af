import PGSim
import PGWire
import Testing

/// The session state machine, path by path, with bytes in and actions out (no sockets).
@Suite struct ServerSessionTests {
    static let key = BackendKeyData(processID: 7, secretKey: 99)

    static func session(_ users: [String: ServerSession.Authentication] = ["materialize": .trust]) -> ServerSession {
        ServerSession(configuration: .init(users: users), key: key, nonce: "serverNONCE")
    }

    static func startup(user: String = "materialize", options: String? = nil) -> [UInt8] {
        FrontendMessage.startup(StartupParameters(user: user, database: "materialize", applicationName: "test", options: options)).encoded()
    }

    /// Decodes every backend message written by the actions.
    static func messages(_ actions: [ServerSession.Action]) throws -> [BackendMessage] {
        var decoder = BackendMessageDecoder()
        for case .write(let bytes) in actions where bytes != [UInt8(ascii: "N")] { decoder.feed(bytes) }
        var out: [BackendMessage] = []
        while let message = try decoder.next() { out.append(message) }
        return out
    }

    @Test func sslRequestIsAnsweredNThenStartupSucceeds() throws {
        var session = Self.session()
        let ssl = FrontendMessage.sslRequest.encoded()
        #expect(session.receive(ssl) == [.write([UInt8(ascii: "N")])])
        let actions = session.receive(Self.startup())
        let messages = try Self.messages(actions)
        #expect(messages.first == .authentication(.ok))
        let names = messages.compactMap { if case .parameterStatus(let n, _) = $0 { n } else { nil } }
        #expect(names == [
            "application_name", "client_encoding", "DateStyle", "integer_datetimes", "server_version",
            "standard_conforming_strings", "TimeZone", "IntervalStyle", "cluster", "cluster_replica", "database",
            "search_path", "mz_version",
        ])
        #expect(messages.contains(.parameterStatus(name: "server_version", value: "9.5.0")))
        #expect(messages.contains(.parameterStatus(name: "cluster", value: "quickstart")))
        #expect(messages.contains(.backendKeyData(Self.key)))
        guard case .noticeResponse(let welcome) = messages[messages.count - 2] else {
            Issue.record("no welcome notice before ReadyForQuery")
            return
        }
        #expect(welcome.sqlState == "00000")
        #expect(welcome.message.hasPrefix("connected to Materialize v"))
        #expect(messages.last == .readyForQuery(.idle))
        #expect(session.startup?.user == "materialize")
    }

    @Test func optionsSetClusterAndSilenceWelcome() throws {
        var session = Self.session()
        let messages = try Self.messages(session.receive(Self.startup(options: "--cluster=prod --welcome_message=off")))
        #expect(messages.contains(.parameterStatus(name: "cluster", value: "prod")))
        #expect(!messages.contains { if case .noticeResponse = $0 { true } else { false } })
        var other = Self.session()
        let more = try Self.messages(other.receive(Self.startup(options: "-c cluster=dev")))
        #expect(more.contains(.parameterStatus(name: "cluster", value: "dev")))
    }

    @Test func bytesAfterSSLRequestAreRefused() throws {
        // CVE-2021-23214: a startup packet pipelined behind the SSLRequest could be injected.
        var session = Self.session()
        let actions = session.receive(FrontendMessage.sslRequest.encoded() + Self.startup())
        let messages = try Self.messages(actions)
        guard case .errorResponse(let error) = messages.first else {
            Issue.record("expected an error, got \(messages)")
            return
        }
        #expect(error.severity == "FATAL")
        #expect(error.sqlState == "08P01")
        #expect(actions.last == .close)
    }

    @Test func gssEncryptionRequestIsAnsweredN() {
        var session = Self.session()
        #expect(session.receive(FrontendMessage.gssEncryptionRequest.encoded()) == [.write([UInt8(ascii: "N")])])
    }

    @Test func scramRightPassword() throws {
        let credentials = SCRAMCredentials(password: "secret", salt: Array("0123456789abcdef".utf8))
        var session = Self.session(["alice": .scram(credentials)])
        let first = try Self.messages(session.receive(Self.startup(user: "alice")))
        #expect(first == [.authentication(.sasl(mechanisms: ["SCRAM-SHA-256"]))])
        var client = SCRAMClient(password: "secret", nonce: "clientNONCE")
        let initial = FrontendMessage.saslInitialResponse(mechanism: "SCRAM-SHA-256", data: client.clientFirstMessage()).encoded()
        let second = try Self.messages(session.receive(initial))
        guard case .authentication(.saslContinue(let serverFirst)) = second.first else {
            Issue.record("expected SASLContinue, got \(second)")
            return
        }
        #expect(String(decoding: serverFirst, as: UTF8.self).hasPrefix("r=clientNONCEserverNONCE,s="))
        let final = try client.receiveServerFirst(serverFirst)
        let third = try Self.messages(session.receive(FrontendMessage.saslResponse(data: final).encoded()))
        guard case .authentication(.saslFinal(let serverFinal)) = third.first else {
            Issue.record("expected SASLFinal, got \(third)")
            return
        }
        try client.receiveServerFinal(serverFinal)
        #expect(client.isServerVerified)
        #expect(third[1] == .authentication(.ok))
        #expect(third.last == .readyForQuery(.idle))
    }

    @Test func scramWrongPasswordIsFatal28P01() throws {
        let credentials = SCRAMCredentials(password: "secret", salt: Array("0123456789abcdef".utf8))
        var session = Self.session(["alice": .scram(credentials)])
        _ = session.receive(Self.startup(user: "alice"))
        var client = SCRAMClient(password: "wrong", nonce: "clientNONCE")
        let second = try Self.messages(session.receive(
            FrontendMessage.saslInitialResponse(mechanism: "SCRAM-SHA-256", data: client.clientFirstMessage()).encoded()))
        guard case .authentication(.saslContinue(let serverFirst)) = second.first else {
            Issue.record("expected SASLContinue")
            return
        }
        let final = try client.receiveServerFirst(serverFirst)
        let actions = session.receive(FrontendMessage.saslResponse(data: final).encoded())
        let messages = try Self.messages(actions)
        #expect(messages == [.errorResponse(Diagnostic(
            severity: "FATAL", sqlState: "28P01", message: "password authentication failed for user \"alice\""))])
        #expect(actions.last == .close)
        #expect(session.isClosed)
    }

    @Test func cleartextRightAndWrong() throws {
        var good = Self.session(["bob": .cleartext(password: "pw")])
        #expect(try Self.messages(good.receive(Self.startup(user: "bob"))) == [.authentication(.cleartextPassword)])
        let ok = try Self.messages(good.receive(FrontendMessage.password("pw").encoded()))
        #expect(ok.first == .authentication(.ok))
        #expect(ok.last == .readyForQuery(.idle))

        var bad = Self.session(["bob": .cleartext(password: "pw")])
        _ = bad.receive(Self.startup(user: "bob"))
        let actions = bad.receive(FrontendMessage.password("nope").encoded())
        #expect(try Self.messages(actions).first == .errorResponse(Diagnostic(
            severity: "FATAL", sqlState: "28P01", message: "password authentication failed for user \"bob\"")))
        #expect(actions.last == .close)
    }

    @Test func unknownUserIsRefused() throws {
        var session = Self.session()
        let actions = session.receive(Self.startup(user: "mallory"))
        let messages = try Self.messages(actions)
        guard case .errorResponse(let error) = messages.first else {
            Issue.record("expected an error")
            return
        }
        #expect(error.sqlState == "28000")
        #expect(actions.last == .close)
    }

    @Test func queryIsHandedToTheDriverAndPipelinedBytesWait() throws {
        var session = Self.session()
        _ = session.receive(Self.startup())
        let two = FrontendMessage.query("SELECT 1").encoded() + FrontendMessage.query("SELECT 2").encoded()
        #expect(session.receive(two) == [.execute("SELECT 1")])
        #expect(session.receive([]) == [])
        let next = session.queryFinished(status: .idle)
        #expect(next == [.write(BackendMessage.readyForQuery(.idle).encoded()), .execute("SELECT 2")])
        #expect(session.queryFinished(status: .inTransaction) == [.write(BackendMessage.readyForQuery(.inTransaction).encoded())])
    }

    @Test func queryArrivingInDrips() {
        var session = Self.session()
        _ = session.receive(Self.startup())
        let bytes = FrontendMessage.query("SELECT 1").encoded()
        for byte in bytes.dropLast() {
            #expect(session.receive([byte]) == [])
        }
        #expect(session.receive([bytes.last!]) == [.execute("SELECT 1")])
    }

    @Test func terminateCloses() {
        var session = Self.session()
        _ = session.receive(Self.startup())
        #expect(session.receive(FrontendMessage.terminate.encoded()) == [.close])
        #expect(session.isClosed)
        #expect(session.receive(FrontendMessage.query("SELECT 1").encoded()) == [])
    }

    @Test func cancelRequestAsksTheDriverToCancel() {
        var session = Self.session()
        let key = BackendKeyData(processID: 3, secretKey: 4)
        #expect(session.receive(FrontendMessage.cancelRequest(key).encoded()) == [.cancel(key), .close])
    }

    @Test func extendedProtocolIsRefusedUntilSyncAndTheSessionGoesOn() throws {
        var session = Self.session()
        _ = session.receive(Self.startup())
        // Parse, Bind, Execute, Sync, as a driver using the extended protocol sends them.
        var bytes: [UInt8] = []
        for type in ["P", "B", "E"] {
            bytes += [UInt8(ascii: Unicode.Scalar(type)!), 0, 0, 0, 6, 0, 0]
        }
        bytes += [UInt8(ascii: "S"), 0, 0, 0, 4]
        let messages = try Self.messages(session.receive(bytes))
        #expect(messages.count == 2)
        guard case .errorResponse(let error) = messages.first else {
            Issue.record("expected an error")
            return
        }
        #expect(error.sqlState == "0A000")
        #expect(messages.last == .readyForQuery(.idle))
        #expect(session.receive(FrontendMessage.query("SELECT 1").encoded()) == [.execute("SELECT 1")])
    }

    @Test(arguments: [
        [0, 0, 0, 3] as [UInt8],  // length below the minimum
        [0, 0, 0, 8, 0, 9, 0, 0],  // unknown protocol 9.0
        [0x7F, 0xFF, 0xFF, 0xFF],  // absurd length
    ])
    func malformedStartupIsFatalAndCloses(bytes: [UInt8]) throws {
        var session = Self.session()
        let actions = session.receive(bytes)
        let messages = try Self.messages(actions)
        guard case .errorResponse(let error) = messages.first else {
            Issue.record("expected an error for \(bytes)")
            return
        }
        #expect(error.severity == "FATAL")
        #expect(actions.last == .close)
    }

    @Test func malformedTypedMessageIsFatalAndCloses() throws {
        var session = Self.session()
        _ = session.receive(Self.startup())
        // A Query whose string has no terminating NUL, then an absurd length.
        let actions = session.receive([UInt8(ascii: "Q"), 0, 0, 0, 6, 0x41, 0x42])
        guard case .errorResponse(let error) = try Self.messages(actions).first else {
            Issue.record("expected an error")
            return
        }
        #expect(error.sqlState == "08P01")
        #expect(actions.last == .close)

        var other = Self.session()
        _ = other.receive(Self.startup())
        let huge = other.receive([UInt8(ascii: "Q"), 0x7F, 0xFF, 0xFF, 0xFF])
        #expect(huge.last == .close)
    }

    @Test func pipelinedFloodWhileExecutingIsCutOff() {
        var session = ServerSession(configuration: .init(maximumBufferedBytes: 100), key: Self.key, nonce: "n")
        _ = session.receive(Self.startup())
        #expect(session.receive(FrontendMessage.query("SELECT 1").encoded()) == [.execute("SELECT 1")])
        let actions = session.receive([UInt8](repeating: 0, count: 200))
        #expect(actions.last == .close)
    }
}
