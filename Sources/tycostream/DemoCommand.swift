import ArgumentParser
import Foundation
import Logging
import PGClient
import PGSim
import PGWire
import Server
import Webhooks

/// `tycostream demo`: the embedded default. PGSim runs in-process with a live trading data set,
/// and the server connects to it over loopback with SCRAM, exactly as it would to Materialize.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the server on a built-in simulated Materialize with live demo data (no setup needed).",
        discussion: """
            Starts PGSim in-process with three live tables (instruments, trades, positions), connects
            to it over loopback with SCRAM-SHA-256 like a real deployment, and serves GraphQL with
            the UI on. Open the printed address in a browser to watch rows change.

            A webhook trigger, 'high_risk' on positions, posts signed events to a built-in receiver
            that verifies and logs each one ("webhook received: FIRE positions.high_risk …").
            Triggers live in a temporary store and end with the demo.

            Examples:
              tycostream demo
              tycostream demo --port 4001 --rate 10
            """
    )

    @Option(help: "The GraphQL port.")
    var port: Int = 4000

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Demo ticks per second; each tick changes a few rows of each table.")
    var rate: Double = 2

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0…65535") }
        guard rate > 0, rate <= 1000 else { throw ValidationError("--rate must be above 0 and at most 1000") }
    }

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tycostream-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let schemaPath = directory.appendingPathComponent("schema.yaml").path
        try DemoData.schemaFile().write(toFile: schemaPath, atomically: true, encoding: .utf8)

        // A fresh password per run, checked with SCRAM-SHA-256 as Materialize self-managed does.
        var random = SystemRandomNumberGenerator()
        let password = (0..<24).map { _ in String(UInt8.random(in: 0..<36, using: &random), radix: 36) }.joined()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        let credentials = SCRAMCredentials(password: password, salt: salt)

        let webhookSecret = WebhookSecret.generate(using: &random)
        let catalog = Catalog()
        let driver = DemoDriver(catalog: catalog, configuration: DemoConfiguration(ticksPerSecond: rate), seed: UInt64.random(in: 0...UInt64.max))
        try await driver.seed()
        let sim = try await SimServer.bind(
            .init(host: "127.0.0.1", port: 0, session: .init(users: ["materialize": .scram(credentials)]),
                  heartbeatInterval: .milliseconds(250)),
            catalog: catalog)

        var configuration = try ServerConfiguration(variables: [
            "DATABASE_URL": "postgres://materialize@127.0.0.1:\(sim.port)/materialize?sslmode=disable",
            "GRAPHQL_HOST": host, "GRAPHQL_PORT": String(port), "GRAPHQL_UI": "true", "SCHEMA_PATH": schemaPath,
            "LOG_LEVEL": ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info",
            "LOG_FORMAT": ProcessInfo.processInfo.environment["LOG_FORMAT"] ?? "text",
            // The trigger store is the demo's own, and its receiver is on loopback.
            "TRIGGER_STORE": directory.appendingPathComponent("triggers").path, "WEBHOOK_ALLOW_LOOPBACK": "true",
        ])
        configuration.database.password = password
        let logger = LogSetup.bootstrap(configuration)
        let host = self.host
        logger.info("demo: PGSim on 127.0.0.1:\(sim.port) with live tables instruments, trades, positions")

        let receiver = DemoWebhookReceiver(secret: webhookSecret, logger: Logger(label: "tycostream.demo-receiver"))
        let (receiverPorts, receiverPort) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingNewest(1))
        let (serverPorts, serverPort) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingNewest(1))

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sim.run() }
            group.addTask { try await driver.run() }
            group.addTask {
                try await receiver.run { port in
                    receiverPort.yield(port)
                    receiverPort.finish()
                }
            }
            group.addTask {
                var servers = serverPorts.makeAsyncIterator()
                var receivers = receiverPorts.makeAsyncIterator()
                guard let server = await servers.next(), let webhook = await receivers.next() else { return }
                await DemoTrigger.create(
                    serverPort: server, webhook: "http://127.0.0.1:\(webhook)/webhook", secret: webhookSecret, logger: logger)
            }
            // The server drains on SIGTERM/SIGINT and returns; then the simulation stops too.
            try await ServerRunner.run(configuration: configuration, logger: logger) { boundPort in
                serverPort.yield(boundPort)
                serverPort.finish()
                let base = "http://\(host == "0.0.0.0" ? "localhost" : host):\(boundPort)"
                // Written unbuffered: piped stdout (a log file, a test) must show the address at once.
                FileHandle.standardOutput.write(Data("""

                    tycostream demo is running.
                      Live page:  \(base)/#source=trades
                      GraphiQL:   \(base)/graphql
                      Ready:      \(base)/ready
                    Try:  subscription { positions(where: {risk_level: {_eq: high}}) { operation fields data { trader symbol quantity market_value } } }
                    Webhooks: trigger 'high_risk' on positions posts to a built-in receiver; watch the log for
                              "webhook received", or query { positions_triggers { name status { delivered pending } } }
                    Press Ctrl-C to stop.

                    """.utf8))
            }
            group.cancelAll()
        }
    }
}
