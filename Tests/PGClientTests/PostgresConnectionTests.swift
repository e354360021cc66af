import Foundation
import PGClient
import PGWire
import Testing

extension DataRow {
    /// Column `index` of a text-format row as a String (nil for NULL).
    func text(_ index: Int) -> String? {
        self[column: index].map { String(decoding: $0, as: UTF8.self) }
    }
}

@Suite(.enabled(if: TestServer.isAvailable), .timeLimit(.minutes(2)))
struct PostgresConnectionTests {
    // MARK: Authentication

    @Test(arguments: [
        ("trust_user", nil as String?),
        ("password_user", "password_user"),
        ("md5_user", "md5_user"),
        ("scram_user", "scram_user"),
        ("unicode_user", "pässwörd-ü"),
    ])
    func authenticatesWithEachMethod(user: String, password: String?) async throws {
        let configuration = try TestServer.configuration(user: user, password: password)
        let name = try await PostgresConnection.withConnection(configuration) { connection in
            #expect(connection.session.backendKey != nil)
            #expect(connection.session.parameters["server_version"]?.hasPrefix("15") == true)
            let result = try await connection.query("SELECT current_user")
            return result.rows.first?.text(0)
        }
        #expect(name == user)
    }

    @Test(arguments: ["password_user", "md5_user", "scram_user", "unicode_user"])
    func wrongPasswordSaysSo(user: String) async throws {
        let configuration = try TestServer.configuration(user: user, password: "not the password")
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.withConnection(configuration) { _ in }
        }
        #expect(error?.code == .authentication)
        #expect(error?.sqlState == "28P01")
        #expect(error?.message.contains("password") == true)
    }

    @Test func missingPasswordSaysSo() async throws {
        let configuration = try TestServer.configuration(user: "scram_user", password: nil)
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.withConnection(configuration) { _ in }
        }
        #expect(error?.code == .authentication)
        #expect(error?.message.contains("no password was given") == true)
    }

    // MARK: TLS

    @Test(arguments: [ConnectionConfiguration.SSLMode.prefer, .require])
    func tlsWithoutVerification(mode: ConnectionConfiguration.SSLMode) async throws {
        let configuration = try TestServer.configuration(user: "scram_user", password: "scram_user", sslMode: mode)
        let ssl = try await PostgresConnection.withConnection(configuration) { connection in
            try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").rows.first?.text(0)
        }
        #expect(ssl == "t")
    }

    @Test func tlsVerifyFullWithTheRightCA() async throws {
        var configuration = try TestServer.configuration(
            user: "scram_user", password: "scram_user", sslMode: .verifyFull, host: "localhost")
        configuration.sslRootCertificate = TestServer.caFile
        let ssl = try await PostgresConnection.withConnection(configuration) { connection in
            try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").rows.first?.text(0)
        }
        #expect(ssl == "t")
    }

    @Test func tlsVerifyCAWithTheRightCA() async throws {
        var configuration = try TestServer.configuration(user: "trust_user", sslMode: .verifyCA)
        configuration.sslRootCertificate = TestServer.caFile
        let ssl = try await PostgresConnection.withConnection(configuration) { connection in
            try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").rows.first?.text(0)
        }
        #expect(ssl == "t")
    }

    @Test(arguments: [ConnectionConfiguration.SSLMode.verifyFull, .verifyCA])
    func tlsVerificationFailsWithAnotherCA(mode: ConnectionConfiguration.SSLMode) async throws {
        var configuration = try TestServer.configuration(user: "trust_user", sslMode: mode, host: "localhost")
        configuration.sslRootCertificate = TestServer.otherCAFile
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.withConnection(configuration) { _ in }
        }
        #expect(error?.code == .tls, "\(String(describing: error))")
    }

    @Test func tlsVerifyFullFailsForAWrongHostName() async throws {
        // The certificate names localhost and 127.0.0.1; 127.0.0.2 is the same server under a name it does not carry.
        var configuration = try TestServer.configuration(user: "trust_user", sslMode: .verifyFull, host: "127.0.0.2")
        configuration.sslRootCertificate = TestServer.caFile
        await #expect(throws: PostgresError.self) {
            try await PostgresConnection.withConnection(configuration) { _ in }
        }
    }

    // MARK: Queries and errors

    @Test func queryErrorKeepsTheConnectionUsable() async throws {
        let configuration = try TestServer.configuration()
        try await PostgresConnection.withConnection(configuration) { connection in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.query("SELECT * FROM no_such_table")
            }
            #expect(error?.code == .server)
            #expect(error?.sqlState == "42P01")
            #expect(error?.diagnostic?.position == 15)
            let results = try await connection.simpleQuery("SELECT 1 AS a; SELECT 'x' AS b, NULL AS c; SET application_name = 'z'")
            #expect(results.count == 3)
            #expect(results[0].rows.first?.text(0) == "1")
            #expect(results[1].columns.map(\.name) == ["b", "c"])
            #expect(results[1].rows.first?.text(1) == nil)
            #expect(results[2].commandTag == "SET")
            let empty = try await connection.simpleQuery("")
            #expect(empty.first?.commandTag == "")
        }
    }

    @Test func noticesAreCollected() async throws {
        let configuration = try TestServer.configuration()
        try await PostgresConnection.withConnection(configuration) { connection in
            _ = try await connection.query("DO $$ BEGIN RAISE NOTICE 'hello % world', 42; END $$")
            #expect(connection.notices.map(\.message) == ["hello 42 world"])
            #expect(connection.notices.first?.severity == "NOTICE")
        }
    }

    @Test func copyInIsRefusedAndTheConnectionStaysUsable() async throws {
        let configuration = try TestServer.configuration()
        try await PostgresConnection.withConnection(configuration) { connection in
            _ = try await connection.query("CREATE TEMP TABLE copy_in_target (a int)")
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.query("COPY copy_in_target FROM STDIN")
            }
            #expect(error?.code == .unsupported)
            #expect(try await connection.query("SELECT 2").rows.first?.text(0) == "2")
        }
    }

    // MARK: COPY OUT

    @Test func copyOutTextStreamsEveryRow() async throws {
        let configuration = try TestServer.configuration()
        try await PostgresConnection.withConnection(configuration) { connection in
            let stream = try await connection.copyOut("COPY (SELECT g, 'row ' || g FROM generate_series(1, 1000) g) TO STDOUT")
            #expect(stream.format.format == .text)
            #expect(stream.format.columnFormats.count == 2)
            var rows: [String] = []
            for try await payload in stream {
                rows.append(String(decoding: payload, as: UTF8.self))
            }
            #expect(rows.count == 1000)
            #expect(rows.first == "1\trow 1\n")
            #expect(rows.last == "1000\trow 1000\n")
            // The connection is usable after the stream.
            #expect(try await connection.query("SELECT 3").rows.first?.text(0) == "3")
        }
    }

    @Test func errorInTheMiddleOfACopyIsThrown() async throws {
        let configuration = try TestServer.configuration()
        try await PostgresConnection.withConnection(configuration) { connection in
            let stream = try await connection.copyOut(
                "COPY (SELECT 1 / (5000 - g) FROM generate_series(1, 10000) g) TO STDOUT")
            var received = 0
            let error = await #expect(throws: PostgresError.self) {
                for try await _ in stream { received += 1 }
            }
            #expect(error?.sqlState == "22012")
            #expect(received > 0 && received < 5000)
            #expect(try await connection.query("SELECT 4").rows.first?.text(0) == "4")
        }
    }

    @Test func cancellingARunningCopy() async throws {
        let configuration = try TestServer.configuration()
        try await PostgresConnection.withConnection(configuration) { connection in
            let handle = try #require(connection.cancelHandle)
            let stream = try await connection.copyOut(
                "COPY (SELECT g, pg_sleep(0.0005) FROM generate_series(1, 1000000) g) TO STDOUT")
            var received = 0
            let error = await #expect(throws: PostgresError.self) {
                for try await _ in stream {
                    received += 1
                    if received == 100 { try await handle.cancel() }
                }
            }
            #expect(error?.sqlState == "57014")
            #expect(try await connection.query("SELECT 5").rows.first?.text(0) == "5")
        }
    }

    @Test func serverKillingTheConnectionMidStream() async throws {
        let configuration = try TestServer.configuration()
        let killer = try TestServer.configuration()
        try await PostgresConnection.withConnection(configuration) { connection in
            let pid = try #require(connection.session.backendKey?.processID)
            let stream = try await connection.copyOut(
                "COPY (SELECT g, pg_sleep(0.0005) FROM generate_series(1, 1000000) g) TO STDOUT")
            var received = 0
            let error = await #expect(throws: PostgresError.self) {
                for try await _ in stream {
                    received += 1
                    if received == 100 {
                        try await PostgresConnection.withConnection(killer) { other in
                            _ = try await other.query("SELECT pg_terminate_backend(\(pid))")
                        }
                    }
                }
            }
            // FATAL 57P01 "terminating connection due to administrator command", or the closed socket.
            #expect(error?.sqlState == "57P01" || error?.code == .connectionClosed)
            await #expect(throws: PostgresError.self) {
                _ = try await connection.query("SELECT 1")
            }
        }
    }

    /// While the consumer pauses, the client stops reading the socket: the server's backend
    /// blocks writing to us (`wait_event = ClientWrite`) instead of our memory filling up.
    /// (Memory flatness itself is checked in a process of its own: QueryCommandTests.)
    @Test func slowConsumerStopsTheServer() async throws {
        let configuration = try TestServer.configuration()
        let observer = try TestServer.configuration()
        try await PostgresConnection.withConnection(configuration) { connection in
            let pid = try #require(connection.session.backendKey?.processID)
            // 1M rows of ~110 bytes: ~110 MB on the wire, far more than socket buffers hold.
            let stream = try await connection.copyOut(
                "COPY (SELECT g, repeat('x', 100) FROM generate_series(1, 1000000) g) TO STDOUT")
            var count = 0
            var waitEvents: [String] = []
            for try await _ in stream {
                count += 1
                if count == 20_000 {
                    // Pause; poll the server until its backend is blocked on writing to us.
                    for _ in 0..<100 {
                        try await Task.sleep(for: .milliseconds(50))
                        let event = try await PostgresConnection.withConnection(observer) { other in
                            try await other.query("SELECT wait_event FROM pg_stat_activity WHERE pid = \(pid)").rows.first?.text(0)
                        }
                        waitEvents.append(event ?? "none")
                        if event == "ClientWrite" { break }
                    }
                }
            }
            #expect(count == 1_000_000)
            #expect(waitEvents.last == "ClientWrite", "the server never blocked on writing: \(waitEvents)")
        }
    }
}
