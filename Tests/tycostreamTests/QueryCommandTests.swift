import Foundation
import Testing

@Suite(.timeLimit(.minutes(2)))
struct QueryCommandTests {
    static let environment = ProcessInfo.processInfo.environment
    static var serverAvailable: Bool {
        environment["PGTEST_PORT"] != nil || environment["PGTEST_REQUIRED"] == "1"
    }

    static func url(user: String, password: String? = nil, host: String = "127.0.0.1", query: String = "sslmode=disable") -> String {
        let port = environment["PGTEST_PORT"] ?? "0"
        let database = environment["PGTEST_DATABASE"] ?? "tycostream_test"
        let credentials = password.map { "\(user):\($0.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? $0)" } ?? user
        return "postgres://\(credentials)@\(host):\(port)/\(database)?\(query)"
    }

    @Test(.enabled(if: serverAvailable), arguments: [
        ("trust_user", nil as String?),
        ("password_user", "password_user"),
        ("md5_user", "md5_user"),
        ("scram_user", "scram_user"),
        ("unicode_user", "pässwörd-ü"),
    ])
    func printsTypedJSONLinesWithEachAuthMethod(user: String, password: String?) async throws {
        let output = try await CommandRunner.run([
            "query", "--url", Self.url(user: user, password: password),
            "SELECT 1::int4 AS n, 'a\"b'::text AS s, NULL::bool AS z, 2.50::numeric AS x, '{\"k\": [1]}'::jsonb AS j, true AS t",
        ])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.lines == [#"[1,"a\"b",null,2.5,{"k": [1]},true]"#])
    }

    @Test(.enabled(if: serverAvailable))
    func worksOverVerifiedTLS() async throws {
        let ca = Self.environment["PGTEST_CA"] ?? ""
        let output = try await CommandRunner.run([
            "query", "--url",
            Self.url(user: "scram_user", password: "scram_user", host: "localhost", query: "sslmode=verify-full&sslrootcert=\(ca)"),
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.lines == ["[true]"])
    }

    @Test(.enabled(if: serverAvailable))
    func streamsACopyWithTypes() async throws {
        let output = try await CommandRunner.run([
            "query", "--header", "--url", Self.url(user: "trust_user"),
            "COPY (SELECT g AS id, 'r' || g AS name, g % 2 = 0 AS even FROM generate_series(1, 3) g) TO STDOUT",
        ])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.lines == [#"["id","name","even"]"#, #"[1,"r1",false]"#, #"[2,"r2",true]"#, #"[3,"r3",false]"#])
    }

    @Test(.enabled(if: serverAvailable))
    func binaryCopyWithTypes() async throws {
        let output = try await CommandRunner.run([
            "query", "--url", Self.url(user: "trust_user"),
            "COPY (SELECT 7::int8 AS a, 'x'::text AS b) TO STDOUT (FORMAT binary)",
        ])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.lines == [#"[7,"x"]"#])
    }

    @Test(.enabled(if: serverAvailable))
    func wrongPasswordFailsWithAMessage() async throws {
        let output = try await CommandRunner.run([
            "query", "--url", Self.url(user: "scram_user", password: "wrong"), "SELECT 1",
        ])
        #expect(output.status == 1)
        #expect(output.stderr.contains("authentication failed for user 'scram_user'"))
        #expect(!output.stderr.contains("wrong"), "the password must not be echoed")
    }

    @Test(.enabled(if: serverAvailable))
    func sqlErrorIsReported() async throws {
        let output = try await CommandRunner.run(["query", "--url", Self.url(user: "trust_user"), "SELEC 1"])
        #expect(output.status == 1)
        #expect(output.stderr.contains("42601"))
    }

    @Test func badURLIsAUsageError() async throws {
        let output = try await CommandRunner.run(["query", "--url", "mysql://x@y/z", "SELECT 1"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("is not a postgres:// URL"))
    }

    @Test func helpHasExamples() async throws {
        let output = try await CommandRunner.run(["query", "--help"])
        #expect(output.status == 0)
        #expect(output.stdout.contains("Examples:"))
        #expect(output.stdout.contains("--url"))
    }
}

/// Streaming a large COPY keeps the client's memory flat: measured on a process of its own
/// (the test process runs many tests at once, so its own RSS says nothing).
@Suite(.timeLimit(.minutes(3)))
struct QueryCommandMemoryTests {
    static func residentKilobytes(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return line.split(separator: " ").compactMap { Int($0) }.first
        }
        return nil
    }

    @Test(.enabled(if: QueryCommandTests.serverAvailable))
    func oneMillionRowsStreamInFlatMemory() async throws {
        let process = Process()
        process.executableURL = CommandRunner.executable
        // ~110 MB of COPY data; the output goes to /dev/null so only the client's memory counts.
        process.arguments = [
            "query", "--url", QueryCommandTests.url(user: "trust_user"),
            "COPY (SELECT g, repeat('x', 100) FROM generate_series(1, 1000000) g) TO STDOUT",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var samples: [Int] = []
        while process.isRunning {
            if let kilobytes = Self.residentKilobytes(of: process.processIdentifier) { samples.append(kilobytes) }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(process.terminationStatus == 0)
        #expect(samples.count > 5, "the run was too short to sample")
        let peak = samples.max() ?? 0
        // The whole stream is ~110 MB; a client that buffered it would pass 100 MB.
        #expect(peak < 64 * 1024, "peak RSS \(peak) KB while streaming ~110 MB")
    }
}
