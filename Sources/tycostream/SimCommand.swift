import ArgumentParser
import Dispatch
import Foundation
import PGSim
import PGWire

/// `tycostream sim`: a Postgres-wire server that behaves like Materialize (tables, SUBSCRIBE),
/// for trying tycostream without a Materialize, for demos, and for tests in other languages.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run PGSim: a Postgres-wire server that behaves like Materialize for SUBSCRIBE.",
        discussion: """
            PGSim keeps tables in memory, gives every write a millisecond timestamp, keeps history
            for --retention-ms (AS OF older than that is refused), and streams SUBSCRIBE and
            COPY (SUBSCRIBE …) TO STDOUT as Materialize does. It runs until SIGINT or SIGTERM.

            Examples:
              tycostream sim
              tycostream sim --port 6875 --sql demo.sql --heartbeat-ms 500
              tycostream sim --demo --rate 5
              tycostream sim --user materialize:secret --user app:pw:cleartext --retention-ms 600000
              psql 'postgres://materialize@127.0.0.1:6875/materialize' -c 'CREATE TABLE t (id int PRIMARY KEY, name text)'
              tycostream query --url 'postgres://materialize@127.0.0.1:6875/materialize?sslmode=disable' 'COPY (SUBSCRIBE t WITH (PROGRESS)) TO STDOUT'
            """
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one and prints it).")
    var port = 6875

    @Option(name: .customLong("user"), help: ArgumentHelp(
        "A user as NAME:PASSWORD[:scram|cleartext] (SCRAM-SHA-256 by default), or NAME alone for no password. Repeatable; default: materialize with no password.",
        valueName: "name:password[:method]"))
    var users: [String] = []

    @Option(help: "A file of SQL statements to run at startup (CREATE TABLE, INSERT…).")
    var sql: String?

    @Option(help: "How often a running SUBSCRIBE reports progress, in milliseconds.")
    var heartbeatMs = 1000

    @Option(help: "How long history is kept for AS OF, in milliseconds.")
    var retentionMs = 60_000

    @Flag(help: "Seed and keep moving the demo tables: instruments, trades, positions (schema: Fixtures/schemas/demo.yaml).")
    var demo = false

    @Option(help: "With --demo: ticks per second; each tick changes a few rows of each table.")
    var rate: Double = 2

    func validate() throws {
        _ = try Self.parseUsers(users)
        guard heartbeatMs > 0 else { throw ValidationError("--heartbeat-ms must be positive") }
        guard retentionMs >= 0 else { throw ValidationError("--retention-ms must not be negative") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard rate > 0, rate <= 1000 else { throw ValidationError("--rate must be above 0 and at most 1000 ticks per second") }
    }

    /// Parses `--user` values; SCRAM credentials are derived once here, not per connection.
    static func parseUsers(_ values: [String]) throws -> [String: ServerSession.Authentication] {
        guard !values.isEmpty else { return ["materialize": .trust] }
        var users: [String: ServerSession.Authentication] = [:]
        for value in values {
            let parts = value.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard let name = parts.first, !name.isEmpty else {
                throw ValidationError("--user \(value): expected NAME:PASSWORD[:scram|cleartext]")
            }
            guard parts.count > 1 else {
                users[name] = .trust
                continue
            }
            let password = parts[1]
            switch parts.count > 2 ? parts[2].lowercased() : "scram" {
            case "scram", "scram-sha-256":
                var salt = [UInt8](repeating: 0, count: 16)
                var generator = SystemRandomNumberGenerator()
                for index in salt.indices { salt[index] = UInt8.random(in: 0...255, using: &generator) }
                users[name] = .scram(SCRAMCredentials(password: password, salt: salt))
            case "cleartext", "password":
                users[name] = .cleartext(password: password)
            case "trust":
                users[name] = .trust
            case let other:
                throw ValidationError("--user \(value): unknown method \(other); use scram or cleartext")
            }
        }
        return users
    }

    func run() async throws {
        let catalog = Catalog(retention: UInt64(retentionMs))
        var driver: DemoDriver<ContinuousClock>?
        if demo {
            var seeder = SystemRandomNumberGenerator()
            let demoDriver = DemoDriver(catalog: catalog, configuration: DemoConfiguration(ticksPerSecond: rate), seed: seeder.next())
            try await demoDriver.seed()
            driver = demoDriver
        }
        if let sql {
            let text: String
            do {
                text = try String(contentsOfFile: sql, encoding: .utf8)
            } catch {
                printError("cannot read --sql \(sql): \(error.localizedDescription)")
                throw ExitCode(1)
            }
            do {
                try await Executor(catalog: catalog).run(text)
            } catch {
                FileHandle.standardError.write(Data("error in \(sql): \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
        let configuration = SimServer.Configuration(
            host: host, port: port, session: .init(users: try Self.parseUsers(users)),
            heartbeatInterval: .milliseconds(heartbeatMs))
        let (signals, signalSources) = Self.terminationSignals()
        defer { for source in signalSources { source.cancel() } }
        let server = try await SimServer.bind(configuration, catalog: catalog)
        // Written at once (not buffered) so a script can read the port while the server runs.
        FileHandle.standardOutput.write(Data("PGSim listening on \(host):\(server.port)\n".utf8))
        if demo {
            FileHandle.standardOutput.write(Data("Demo data moving at \(rate) ticks/s: instruments, trades, positions\n".utf8))
        }
        await withTaskGroup(of: Void.self) { group in
            // Serving ends when the group is cancelled; an error then is the listener closing.
            group.addTask { try? await server.run() }
            if let driver {
                group.addTask {
                    do {
                        try await driver.run()
                    } catch {
                        FileHandle.standardError.write(Data("demo data stopped: \(error)\n".utf8))
                    }
                }
            }
            for await _ in signals { break }
            group.cancelAll()
        }
    }

    /// Starts listening for SIGINT and SIGTERM; the stream yields when one arrives.
    ///
    /// Set up before the port is printed: a script may signal as soon as it reads the port, and
    /// a signal after the default action is ignored but before the handler exists would be lost.
    static func terminationSignals() -> (AsyncStream<Void>, [any DispatchSourceSignal]) {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let sources = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            return source
        }
        return (stream, sources)
    }
}
