import Foundation
import Testing

/// Runs the `tycostream` executable in a scratch directory with a controlled environment, next to
/// a `tycostream sim` subprocess holding the tables (the test target links no server modules).
struct SchemaCommandFixture {
    let directory: URL
    let port: Int
    private let sim: Process

    /// Starts `tycostream sim --port 0` with `sql` run at startup; returns once it listens.
    static func start(sql: String) async throws -> SchemaCommandFixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("tables.sql")
        try sql.write(to: script, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = CommandRunner.executable
        process.arguments = ["sim", "--port", "0", "--sql", script.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                while !bytes.contains(0x0A) {
                    let data = output.fileHandleForReading.availableData
                    if data.isEmpty { break }
                    bytes += data
                }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }
        }
        guard let portText = line.split(separator: "\n").first?.split(separator: ":").last, let port = Int(portText) else {
            process.terminate()
            throw Failure(description: "tycostream sim did not print its port: '\(line)'")
        }
        return SchemaCommandFixture(directory: directory, port: port, sim: process)
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// The DATABASE_* settings for the simulator.
    var settings: [String: String] {
        [
            "DATABASE_HOST": "127.0.0.1", "DATABASE_PORT": "\(port)", "DATABASE_USER": "materialize",
            "DATABASE_NAME": "materialize", "DATABASE_SSLMODE": "disable",
        ]
    }

    func write(_ text: String, to name: String) throws {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// Runs the executable in the scratch directory with only `environment` (and PATH) set.
    func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> CommandRunner.Output {
        try await Self.run(arguments, environment: environment, directory: directory)
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil) async throws -> CommandRunner.Output {
        let process = Process()
        process.executableURL = CommandRunner.executable
        process.arguments = arguments
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { mine, _ in mine }
        if let directory { process.currentDirectoryURL = directory }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        async let out = Task.detachedRead(stdout.fileHandleForReading)
        async let err = Task.detachedRead(stderr.fileHandleForReading)
        let (outData, errData) = await (out, err)
        process.waitUntilExit()
        return CommandRunner.Output(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    func stop() {
        sim.terminate()
        // Never hang a test run on a process that ignores SIGTERM: kill it after 10 s.
        let deadline = Date().addingTimeInterval(10)
        while sim.isRunning, Date() < deadline { usleep(20_000) }
        if sim.isRunning { kill(sim.processIdentifier, SIGKILL) }
        sim.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite(.timeLimit(.minutes(2)))
struct CheckCommandTests {
    static let tables = "CREATE TABLE trades (id int PRIMARY KEY, side text, price double precision, at timestamptz);"
    static let schema = """
        enums:
          side: [buy, sell]
        sources:
          trades:
            primary_key: id
            columns:
              id: Integer
              side: side
              price: Float
              at: Timestamp
        """

    @Test func helpHasExamples() async throws {
        let output = try await CommandRunner.run(["check", "--help"])
        #expect(output.status == 0)
        #expect(output.stdout.contains("Examples:"))
        #expect(output.stdout.contains("tycostream check --schema ./schema.yaml"))
        #expect(output.stdout.contains("--schema"))
    }

    @Test func matchingSchemaPassesWithSettingsFromDotEnv() async throws {
        let fixture = try await SchemaCommandFixture.start(sql: Self.tables)
        defer { fixture.stop() }
        try fixture.write(Self.schema, to: "app.yaml")
        let dotEnv = fixture.settings.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "\n") + "\nSCHEMA_PATH=app.yaml\n"
        try fixture.write(dotEnv, to: ".env")
        let output = try await fixture.run(["check"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout == "ok    trades (public.trades): 4 columns match\napp.yaml: all 1 source match the database.\n")
        #expect(output.stderr.isEmpty)
    }

    @Test func mismatchesAreReportedWithExitStatusOne() async throws {
        let fixture = try await SchemaCommandFixture.start(sql: Self.tables)
        defer { fixture.stop() }
        try fixture.write(
            Self.schema.replacingOccurrences(of: "price: Float", with: "price: Boolean")
                .replacingOccurrences(of: "at: Timestamp", with: "when: Timestamp"),
            to: "schema.yaml")
        let output = try await fixture.run(["check", "--schema", "schema.yaml"], environment: fixture.settings)
        #expect(output.status == 1)
        #expect(output.stdout.contains("FAIL  trades (public.trades): 2 problems"))
        #expect(output.stdout.contains("schema.yaml:4: source 'trades': column 'price' is declared Boolean but is double precision"))
        #expect(output.stdout.contains("column 'when' does not exist in public.trades"))
        #expect(output.stdout.contains("2 problems in 1 of 1 source"))
    }

    @Test func invalidSchemaFileIsAnError() async throws {
        let fixture = try await SchemaCommandFixture.start(sql: Self.tables)
        defer { fixture.stop() }
        try fixture.write(Self.schema.replacingOccurrences(of: "price: Float", with: "price: Flaot"), to: "schema.yaml")
        let bad = try await fixture.run(["check"], environment: fixture.settings)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("schema.yaml:9:"))
        #expect(bad.stderr.contains("did you mean 'Float'?"))
        let missing = try await fixture.run(["check", "--schema", "nowhere.yaml"], environment: fixture.settings)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot read the schema file 'nowhere.yaml'"))
        #expect(missing.stdout.isEmpty)
    }

    @Test func unreachableDatabaseAndBadSettingsExitTwo() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let refused = try await SchemaCommandFixture.run(
            ["check", "--schema", "/dev/null/none.yaml"], environment: ["DATABASE_PORT": "abc"], directory: directory)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("DATABASE_PORT: 'abc' is not a whole number"))

        let fixture = try await SchemaCommandFixture.start(sql: Self.tables)
        let port = fixture.port
        fixture.stop()  // nothing listens on the port any more
        try Self.schema.write(to: directory.appendingPathComponent("schema.yaml"), atomically: true, encoding: .utf8)
        let output = try await SchemaCommandFixture.run(
            ["check", "--url", "postgres://materialize@127.0.0.1:\(port)/materialize?sslmode=disable"], directory: directory)
        #expect(output.status == 2)
        #expect(output.stderr.hasPrefix("error: cannot connect to 127.0.0.1:\(port)/materialize"))
    }

    static let environment = ProcessInfo.processInfo.environment
    static var postgresAvailable: Bool { environment["PGTEST_PORT"] != nil || environment["PGTEST_REQUIRED"] == "1" }

    @Test(.enabled(if: postgresAvailable))
    func checksAgainstPostgres() async throws {
        let url = QueryCommandTests.url(user: "trust_user")
        let table = "ck_cmd_\(UInt32.random(in: 0...UInt32.max))"
        let created = try await CommandRunner.run(["query", "--url", url, "CREATE TABLE \(table) (id bigint PRIMARY KEY, name varchar(20), at timestamp)"])
        #expect(created.status == 0, "\(created.stderr)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let generated = try await SchemaCommandFixture.run(
            ["generate-schema", "--url", url, "--source", "t=\(table)", "--key", "id"], directory: directory)
        #expect(generated.status == 0, "\(generated.stderr)")
        try generated.stdout.write(to: directory.appendingPathComponent("schema.yaml"), atomically: true, encoding: .utf8)
        let ok = try await SchemaCommandFixture.run(["check", "--url", url], directory: directory)
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("ok    t (public.\(table)): 3 columns match"))
        try generated.stdout.replacingOccurrences(of: "name: String", with: "name: UUID")
            .write(to: directory.appendingPathComponent("schema.yaml"), atomically: true, encoding: .utf8)
        let bad = try await SchemaCommandFixture.run(["check", "--url", url], directory: directory)
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("column 'name' is declared UUID but is character varying"))
        _ = try await CommandRunner.run(["query", "--url", url, "DROP TABLE \(table)"])
    }
}
