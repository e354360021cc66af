import Foundation
import PGClient
import PGSim
import PGWire
import Testing

/// CaptureProxy between our client and the throwaway PostgreSQL that `scripts/test` starts.
/// Whether the throwaway PostgreSQL is there (or required).
enum CaptureTestServer {
    static let environment = ProcessInfo.processInfo.environment
    static var isAvailable: Bool { environment["PGTEST_PORT"] != nil || environment["PGTEST_REQUIRED"] == "1" }
}

@Suite(.serialized, .enabled(if: CaptureTestServer.isAvailable, "needs PGTEST_PORT (run scripts/test)"))
struct CaptureProxyTests {
    static let environment = CaptureTestServer.environment

    final class Paths: @unchecked Sendable {
        // Guarded by `lock`: the proxy calls back from its own tasks.
        private let lock = NSLock()
        private var items: [String] = []
        func append(_ path: String) { lock.withLock { items.append(path) } }
        var paths: [String] { lock.withLock { items } }
    }

    /// What a client saw: rows and errors as text, so a capture and its replay can be compared.
    static func workload(_ configuration: ConnectionConfiguration) async throws -> [String] {
        try await PostgresConnection.withConnection(configuration) { connection in
            var seen: [String] = []
            let result = try await connection.query("SELECT 1 AS a, 'x\ty' AS b, NULL::text AS c")
            seen.append(result.columns.map(\.name).joined(separator: ","))
            for row in result.rows { seen.append(row.map { $0.map { String(decoding: $0, as: UTF8.self) } ?? "NULL" }.joined(separator: "|")) }
            for try await payload in try await connection.copyOut("COPY (SELECT g, 'row ' || g FROM generate_series(1, 300) g) TO STDOUT") {
                seen.append(String(decoding: payload, as: UTF8.self))
            }
            do {
                _ = try await connection.query("SELECT 1/0")
            } catch let error as PostgresError {
                seen.append("error \(error.sqlState ?? "?")")
            }
            seen.append("server_version \(connection.session.parameters["server_version"] ?? "?")")
            return seen
        }
    }

    /// Runs a proxy to the test server around `body`; returns the recordings written.
    static func withProxy(
        tls: CaptureProxy.UpstreamTLS, _ body: @Sendable (Int) async throws -> [String]
    ) async throws -> (seen: [String], recordings: [String]) {
        guard let upstreamPort = environment["PGTEST_PORT"].flatMap(Int.init) else {
            throw CaptureError(.configuration, "PGTEST_PORT is not set: run the tests with scripts/test")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("capture-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let proxy = CaptureProxy(listenPort: 0, upstreamHost: "127.0.0.1", upstreamPort: upstreamPort, upstreamTLS: tls, outputDirectory: directory)
        let paths = Paths()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let seen = try await withThrowingTaskGroup(of: [String]?.self) { group in
            group.addTask {
                try await proxy.run(onListening: { continuation.yield($0) }, onRecorded: { paths.append($0) })
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CaptureError(.io, "the proxy did not start") }
            let seen = try await body(port)
            for _ in 0..<500 where paths.paths.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
            group.cancelAll()
            return seen
        }
        let texts = try paths.paths.map { try String(contentsOfFile: $0, encoding: .utf8) }
        return (seen, texts)
    }

    static func configuration(port: Int, user: String, sslMode: ConnectionConfiguration.SSLMode) -> ConnectionConfiguration {
        ConnectionConfiguration(
            host: "127.0.0.1", port: port, user: user, password: user,
            database: environment["PGTEST_DATABASE"] ?? "tycostream_test", sslMode: sslMode,
            connectTimeout: .seconds(5), authenticationTimeout: .seconds(10))
    }

    @Test func recordsASessionThatReplaysIdentically() async throws {
        let (direct, recordings) = try await Self.withProxy(tls: .disable) { port in
            try await Self.workload(Self.configuration(port: port, user: "scram_user", sslMode: .prefer))
        }
        let expectedCount = 304
        #expect(direct.count == expectedCount)
        let sawError = direct.contains("error 22012")
        #expect(sawError)
        let text = try #require(recordings.first)
        let recording = try SessionRecording(parsing: text)
        let messages = recording.entries.compactMap { if case .message(_, let m) = $0 { m } else { nil } }
        #expect(messages.first == .sslRequest)
        #expect(messages.contains(.sslAnswer(UInt8(ascii: "N"))))
        #expect(messages.contains(.backend(.authentication(.sasl(mechanisms: ["SCRAM-SHA-256"])))))
        #expect(text.contains(",p=********"))  // the proof is masked
        #expect(!messages.contains { if case .raw = $0 { true } else { false } })
        #expect(messages.last == .frontend(.terminate))

        // Replay the capture to the same client doing the same work: SCRAM runs live with the password.
        let replayed = try await withReplayServer(recording, password: "scram_user") { port, box in
            let seen = try await Self.workload(Self.configuration(port: port, user: "scram_user", sslMode: .prefer))
            let outcomes = try await box.wait(for: 1)
            #expect(outcomes.first?.mismatch == nil)
            #expect(outcomes.first?.isComplete == true)
            return seen
        }
        #expect(replayed == direct)
    }

    @Test func speaksTLSToTheUpstream() async throws {
        let (seen, recordings) = try await Self.withProxy(tls: .require) { port in
            try await Self.workload(Self.configuration(port: port, user: "trust_user", sslMode: .disable))
        }
        #expect(seen.contains("error 22012"))
        let recording = try SessionRecording(parsing: try #require(recordings.first))
        let messages = recording.entries.compactMap { if case .message(_, let m) = $0 { m } else { nil } }
        // The client leg is plaintext and fully readable; the TLS handshake is not in the recording.
        #expect(!messages.contains { if case .raw = $0 { true } else { false } })
        #expect(!messages.contains(.sslRequest))
        #expect(messages.contains(.backend(.authentication(.ok))))
    }
}
