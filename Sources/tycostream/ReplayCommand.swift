import ArgumentParser
import Foundation
import PGSim

/// `tycostream replay`: serves a recorded session to Postgres-wire clients.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Serve a recorded session (.pgrec) to clients, checking what they send.",
        discussion: """
            Each client that connects gets the whole recording: the server's messages are written as recorded (one write per recorded TCP read), and each recorded client message is compared with what the client sends. On a difference the client gets a FATAL ErrorResponse naming the recording line, and the command reports it. What is compared (passwords never are; SCRAM nonces only with --password) is in Fixtures/README.md. The command exits with status 1 if a --once session did not match.

            Examples:
              tycostream replay Fixtures/sessions/F1-copy-subscribe-cancelled.pgrec --listen 127.0.0.1:6876
              tycostream replay captures/session-20261101T120000Z-1.pgrec --once
              tycostream replay Fixtures/sessions/F8-startup-scram.pgrec --password materialize --once
            """
    )

    @Argument(help: "The recording to serve.")
    var file: String

    @Option(help: "host:port to listen on.")
    var listen = "127.0.0.1:6876"

    @Flag(help: "Exit after the first session (CancelRequest connections do not count).")
    var once = false

    @Option(help: "The password of a recorded SCRAM exchange, to run SCRAM for real when the client's nonce differs.")
    var password: String?

    func validate() throws {
        _ = try HostPort.parse(listen, option: "--listen")
    }

    func run() async throws {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            printError("cannot read \(file): \(error.localizedDescription)")
            throw ExitCode(1)
        }
        let recording: SessionRecording
        let server: ReplayServer
        let (host, port) = try HostPort.parse(listen, option: "--listen")
        do {
            recording = try SessionRecording(parsing: text)
            server = try ReplayServer(recording: recording, host: host, port: port, password: password)
        } catch {
            printError("\(file): \(error)")
            throw ExitCode(1)
        }
        let failed = Failed()
        try await server.run(
            once: once,
            onListening: { port in
                FileHandle.standardError.write(Data("replaying \(file) on \(host):\(port)\n".utf8))
            },
            onSessionEnd: { outcome in
                let text: String
                if let mismatch = outcome.mismatch {
                    failed.set()
                    text = "session failed: \(mismatch.message)"
                } else if outcome.wasCancelRequest {
                    text = "cancel request accepted"
                } else {
                    text = outcome.isComplete ? "session replayed to the end" : "session ended before the end of the recording"
                }
                FileHandle.standardError.write(Data("\(text)\n".utf8))
            })
        if failed.value { throw ExitCode(1) }
    }
}

/// Set from the session callbacks; read after the server stops.
private final class Failed: @unchecked Sendable {
    // Guarded by the lock: callbacks run on other tasks.
    private let lock = NSLock()
    private var failed = false
    func set() { lock.withLock { failed = true } }
    var value: Bool { lock.withLock { failed } }
}
