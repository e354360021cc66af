import Foundation
import PGClient
import PGSim
import PGWire
import Testing

/// Collects session outcomes from the server's callbacks.
final class OutcomeBox: @unchecked Sendable {
    // Guarded by `lock`: callbacks run on the server's tasks.
    private let lock = NSLock()
    private var items: [ReplayServer.Outcome] = []
    func append(_ outcome: ReplayServer.Outcome) { lock.withLock { items.append(outcome) } }
    var outcomes: [ReplayServer.Outcome] { lock.withLock { items } }

    /// Waits (up to 5 s) until `count` sessions have ended.
    func wait(for count: Int) async throws -> [ReplayServer.Outcome] {
        for _ in 0..<500 where outcomes.count < count {
            try await Task.sleep(for: .milliseconds(10))
        }
        return outcomes
    }
}

/// Runs a replay server on a free loopback port around `body`.
func withReplayServer<Result: Sendable>(
    _ recording: SessionRecording, password: String? = nil, _ body: @Sendable (Int, OutcomeBox) async throws -> Result
) async throws -> Result {
    let server = try ReplayServer(recording: recording, password: password)
    let box = OutcomeBox()
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask {
            try await server.run(onListening: { continuation.yield($0) }, onSessionEnd: { box.append($0) })
            return nil
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CaptureError(.io, "the replay server did not start") }
        let result = try await body(port, box)
        group.cancelAll()
        return result
    }
}

func replayConfiguration(port: Int, user: String = "materialize", password: String? = nil, options: String? = nil) -> ConnectionConfiguration {
    ConnectionConfiguration(
        host: "127.0.0.1", port: port, user: user, password: password, database: "materialize", options: options,
        sslMode: .disable, connectTimeout: .seconds(5), authenticationTimeout: .seconds(10))
}

/// ReplayServer over loopback to our own client, PostgresConnection.
@Suite(.serialized) struct ReplayServerTests {
    @Test func copySubscribeRowsThenCancelError() async throws {
        let recording = try Fixtures.recording("F1-copy-subscribe-cancelled.pgrec")
        let (rows, error, outcomes) = try await withReplayServer(recording) { port, box in
            let (rows, error) = try await PostgresConnection.withConnection(replayConfiguration(port: port)) { connection in
                var rows: [String] = []
                var caught: PostgresError?
                do {
                    for try await payload in try await connection.copyOut("COPY (SUBSCRIBE (SELECT id, name FROM t) WITH (SNAPSHOT)) TO STDOUT") {
                        rows.append(String(decoding: payload, as: UTF8.self))
                    }
                } catch let error as PostgresError {
                    caught = error
                }
                return (rows, caught)
            }
            return (rows, error, try await box.wait(for: 1))
        }
        #expect(rows == ["1700000000000\t1\t1\talice\n", "1700000000000\t1\t2\tbob\n", "1700000001000\t-1\t2\tbob\n", "1700000001000\t1\t2\tbobby\n"])
        #expect(error?.sqlState == "57014")
        #expect(outcomes.first?.mismatch == nil)
        #expect(outcomes.first?.isComplete == true)
    }

    @Test func dataRowPathAndCopyPathErrors() async throws {
        let recording = try Fixtures.recording("F5-relation-dropped-new.pgrec")
        let (copyError, queryError, outcomes) = try await withReplayServer(recording) { port, box in
            let errors = try await PostgresConnection.withConnection(replayConfiguration(port: port)) { connection in
                var copyError: PostgresError?
                var rows = 0
                do {
                    for try await _ in try await connection.copyOut("COPY (SUBSCRIBE t) TO STDOUT") { rows += 1 }
                } catch let error as PostgresError {
                    copyError = error
                }
                #expect(rows == 1)
                var queryError: PostgresError?
                do {
                    _ = try await connection.query("SUBSCRIBE t")
                } catch let error as PostgresError {
                    queryError = error
                }
                return (copyError, queryError)
            }
            return (errors.0, errors.1, try await box.wait(for: 1))
        }
        #expect(copyError?.sqlState == "42704")
        #expect(queryError?.sqlState == "42704")
        #expect(queryError?.diagnostic?.message == "relation 'materialize.public.t' was dropped")
        #expect(outcomes.first?.isComplete == true)
    }

    @Test func scramRunsLiveForOurClientsRandomNonce() async throws {
        let recording = try Fixtures.recording("F8-startup-scram.pgrec")
        let (version, outcomes) = try await withReplayServer(recording, password: "materialize") { port, box in
            let configuration = replayConfiguration(port: port, password: "materialize", options: "--cluster=prod --welcome_message=off")
            let version = try await PostgresConnection.withConnection(configuration) { connection in
                connection.session.parameters["server_version"]
            }
            return (version, try await box.wait(for: 1))
        }
        #expect(version == "9.5.0")
        #expect(outcomes.first?.mismatch == nil)
        #expect(outcomes.first?.isComplete == true)
    }

    @Test func aDifferentQueryGetsAnErrorNamingTheLine() async throws {
        let recording = try Fixtures.recording("F6-finite-text.pgrec")
        let line = recording.messages(.clientToServer)[1].line
        let (error, outcomes) = try await withReplayServer(recording) { port, box in
            var caught: PostgresError?
            do {
                try await PostgresConnection.withConnection(replayConfiguration(port: port)) { connection in
                    _ = try await connection.query("SELECT 42")
                }
            } catch let error as PostgresError {
                caught = error
            }
            return (caught, try await box.wait(for: 1))
        }
        #expect(error?.sqlState == "08P01")
        #expect(error?.diagnostic?.message.contains("replay mismatch at line \(line)") == true)
        #expect(error?.diagnostic?.message.contains("SELECT 42") == true)
        #expect(outcomes.first?.mismatch?.line == line)
    }

    @Test func rawBytesArriveExactly() async throws {
        // F7's split reads reach a raw socket client byte for byte (the write boundaries are checked in ReplaySessionTests).
        let recording = try Fixtures.recording("F7-framing-split-reads.pgrec")
        let stream = try recording.stream(.serverToClient)
        let received = try await withReplayServer(recording) { port, _ in
            try await RawClient.exchange(port: port, sending: recording.messages(.clientToServer).map(\.message.bytes), expecting: stream.bytes.count)
        }
        #expect(received == stream.bytes)
    }
}

/// A blocking loopback socket client that sends each message once the previous answers have arrived.
enum RawClient {
    static func exchange(port: Int, sending messages: [[UInt8]], expecting total: Int) async throws -> [UInt8] {
        try {
            let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard socket >= 0 else { throw CaptureError(.io, "socket failed") }
            defer { close(socket) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw CaptureError(.io, "connect failed") }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            for message in messages {
                _ = message.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, 0) }
                // Give the server time to answer, then read whatever is there.
                usleep(100_000)
                while true {
                    let count = recv(socket, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                    guard count > 0 else { break }
                    received += buffer[..<count]
                }
                if received.count >= total { break }
            }
            // A loaded machine may answer later than the pause above: wait (up to the 5 s
            // receive timeout per read) for the rest.
            while received.count < total {
                let count = recv(socket, &buffer, buffer.count, 0)
                guard count > 0 else { break }
                received += buffer[..<count]
            }
            return received
        }()
    }
}
