import Foundation
import PGSim
import PGWire
import Testing

/// The real `psql` (PostgreSQL 15's) against PGSim: SSLRequest answered N, password, DDL and DML.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/psql")))
struct PsqlTests {
    /// Runs psql with `sql` and returns its exit status and output.
    static func psql(port: Int, user: String, password: String, _ sql: String) async throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [
            "host=127.0.0.1 port=\(port) user=\(user) dbname=materialize sslmode=prefer connect_timeout=30",
            "-X", "-A", "-F", "|", "-v", "ON_ERROR_STOP=1", "-c", sql,
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = password
        environment.removeValue(forKey: "PGOPTIONS")
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Wait without blocking a cooperative thread.
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, out, err)
    }

    @Test func psqlWithScramPassword() async throws {
        let users: [String: ServerSession.Authentication] = [
            "materialize": .scram(SCRAMCredentials(password: "pw", salt: Array("psql-salt-16byte".utf8))),
        ]
        try await SimServer.withRunning(Sim.configuration(users: users)) { server in
            let run = { (sql: String) in try await Self.psql(port: server.port, user: "materialize", password: "pw", sql) }
            var (status, out, err) = try await run("CREATE TABLE t (id int PRIMARY KEY, name text)")
            #expect(status == 0, "\(err)")
            #expect(out == "CREATE TABLE\n")
            (status, out, err) = try await run("INSERT INTO t VALUES (1, 'alice'), (2, 'bob')")
            #expect(out == "INSERT 0 2\n", "\(err)")
            (status, out, err) = try await run("UPDATE t SET name = 'bobby' WHERE id = 2")
            #expect(out == "UPDATE 1\n", "\(err)")
            (status, out, err) = try await run("DELETE FROM t WHERE id = 1")
            #expect(out == "DELETE 1\n", "\(err)")
            (status, out, err) = try await run("INSERT INTO t VALUES (3, NULL)")
            (status, out, err) = try await run("SELECT * FROM t ORDER BY id")
            #expect(status == 0)
            #expect(out == "id|name\n2|bobby\n3|\n(2 rows)\n", "\(err)")
            (status, out, err) = try await run("SELECT * FROM missing")
            #expect(status != 0)
            #expect(err.contains("unknown catalog item 'missing'"))
            (status, _, err) = try await Self.psql(port: server.port, user: "materialize", password: "wrong", "SELECT 1")
            #expect(status != 0)
            #expect(err.contains("password authentication failed for user \"materialize\""))
        }
    }

    @Test func psqlWithCleartextPassword() async throws {
        try await SimServer.withRunning(Sim.configuration(users: ["app": .cleartext(password: "secret")])) { server in
            let (status, out, err) = try await Self.psql(port: server.port, user: "app", password: "secret", "SELECT 1 AS one")
            #expect(status == 0, "\(err)")
            #expect(out == "one\n1\n(1 row)\n")
        }
    }
}
