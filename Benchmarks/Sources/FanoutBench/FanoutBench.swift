import Foundation
import NIOCore
import NIOPosix

/// Fan-out, memory per connection and late-joiner snapshot, each printed as one JSON line.
///
///   FanoutBench fanout CONNECTIONS SUBS_PER_CONNECTION RATE SECONDS
///       both servers in turn: delivered `next` messages/s and server CPU, steady RATE changes/s
///   FanoutBench memory CONNECTIONS
///       server RSS before/after CONNECTIONS idle connections with one subscription each
///   FanoutBench latency CONNECTIONS SUBSCRIPTIONS RATE SECONDS
///       server-added latency p50/p99/p99.9, 1 subscription then SUBSCRIPTIONS filtered ones
///   FanoutBench snapshot ROWS
///       time for one new subscriber to receive a ROWS-row snapshot
///   FanoutBench serve tycostream|bare ROWS RATE      (the child process the others start)
@main
struct FanoutBench {
    static let query = "subscription { items { operation data { id label qty } } }"

    static func main() async {
        do {
            try await run()
        } catch {
            FileHandle.standardError.write(Data("FanoutBench \(CommandLine.arguments.dropFirst().joined(separator: " ")): \(error)\n".utf8))
            exit(1)
        }
    }

    static func run() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        func int(_ index: Int, _ fallback: Int) -> Int { index < arguments.count ? Int(arguments[index]) ?? fallback : fallback }
        switch arguments.first {
        case "serve":
            let rows = int(2, 10)
            let rate = int(3, 0)
            if arguments.count > 1, arguments[1] == "bare" {
                try await BenchServer.bare(rows: rows, rate: rate)
            } else {
                try await BenchServer.tycostream(rows: rows, rate: rate)
            }
        case "fanout":
            let connections = int(1, 1000)
            let perConnection = int(2, 4)
            let rate = int(3, 100)
            let seconds = int(4, 10)
            for server in ["bare", "tycostream"] {
                try await fanout(server: server, connections: connections, perConnection: perConnection, rate: rate, seconds: seconds)
            }
        case "memory":
            try await memory(connections: int(1, 1000))
        case "latency":
            try await latency(connections: int(1, 5000), subscriptions: int(2, 20_000), rate: int(3, 5000), seconds: int(4, 10))
        case "snapshot":
            try await snapshot(rows: int(1, 1_000_000))
        default:
            FileHandle.standardError.write(Data("usage: FanoutBench fanout|memory|snapshot|serve …\n".utf8))
            exit(2)
        }
    }

    static func fanout(server kind: String, connections: Int, perConnection: Int, rate: Int, seconds: Int) async throws {
        let rows = 10
        let server = try ChildServer(kind: kind, rows: rows, rate: rate)
        defer { server.stop() }
        let totals = Totals()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channels = try await LoadClient.connect(port: server.port, connections: connections, group: group, totals: totals) { _ in
            (0..<perConnection).map { LoadClient.subscribe("s\($0)", query) }
        }
        // Every connection acknowledged and subscribed, and past the snapshot (rows per subscription).
        try await waitFor(seconds: 120) { totals.snapshot.acked == connections }
        if kind == "tycostream" {
            let snapshotMessages = connections * perConnection * rows
            try await waitFor(seconds: 300) { totals.snapshot.messages >= snapshotMessages }
        }
        server.start()
        try await Task.sleep(for: .seconds(2))  // warm-up at the steady rate
        let clock = ContinuousClock()
        let before = (totals.snapshot, ProcessStats(pid: server.pid), ProcessStats.current(), clock.now)
        try await Task.sleep(for: .seconds(seconds))
        let after = (totals.snapshot, ProcessStats(pid: server.pid), ProcessStats.current(), clock.now)
        let elapsed = ProcessStats.seconds(after.3 - before.3)
        let delivered = Double(after.0.messages - before.0.messages) / elapsed
        let serverCPU = (after.1.cpuSeconds - before.1.cpuSeconds) / elapsed
        let clientCPU = (after.2.cpuSeconds - before.2.cpuSeconds) / elapsed
        let subscriptions = connections * perConnection
        print(String(
            format: #"{"bench":"fanout","server":"%@","connections":%d,"subscriptions":%d,"changes_per_s":%d,"offered_msgs_per_s":%d,"msgs_per_s":%.0f,"mb_per_s":%.1f,"server_cpu_cores":%.2f,"client_cpu_cores":%.2f,"server_cpu_us_per_msg":%.2f,"closed":%d,"server_rss_mb":%.1f}"#,
            kind, connections, subscriptions, rate, rate * subscriptions, delivered,
            Double(after.0.bytes - before.0.bytes) / elapsed / 1e6, serverCPU, clientCPU,
            delivered > 0 ? serverCPU * 1e6 / delivered : 0, after.0.closed, Double(after.1.residentBytes) / 1e6))
        fflush(nil)
        for channel in channels { channel.close(promise: nil) }
        try await group.shutdownGracefully()
    }

    static func memory(connections: Int) async throws {
        for kind in ["bare", "tycostream"] {
            let rows = 10
            let server = try ChildServer(kind: kind, rows: rows, rate: 0)
            defer { server.stop() }
            try await Task.sleep(for: .seconds(1))
            let before = ProcessStats(pid: server.pid).residentBytes
            let totals = Totals()
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let channels = try await LoadClient.connect(port: server.port, connections: connections, group: group, totals: totals) { _ in
                [LoadClient.subscribe("s", query)]
            }
            try await waitFor(seconds: 120) { totals.snapshot.acked == connections }
            if kind == "tycostream" { try await waitFor(seconds: 120) { totals.snapshot.messages >= connections * rows } }
            try await Task.sleep(for: .seconds(2))
            let after = ProcessStats(pid: server.pid).residentBytes
            print(String(
                format: #"{"bench":"memory","server":"%@","connections":%d,"rss_before_mb":%.1f,"rss_after_mb":%.1f,"bytes_per_connection":%.0f}"#,
                kind, connections, Double(before) / 1e6, Double(after) / 1e6, Double(after - before) / Double(connections)))
            fflush(nil)
            for channel in channels { channel.close(promise: nil) }
            try await group.shutdownGracefully()
        }
    }

    static func snapshot(rows: Int) async throws {
        let server = try ChildServer(kind: "tycostream", rows: rows, rate: 0)
        defer { server.stop() }
        let totals = Totals()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let clock = ContinuousClock()
        let start = clock.now
        let channels = try await LoadClient.connect(port: server.port, connections: 1, group: group, totals: totals) { _ in
            [LoadClient.subscribe("s", query)]
        }
        try await waitFor(seconds: 600) { totals.snapshot.messages >= rows }
        let elapsed = ProcessStats.seconds(clock.now - start)
        let received = totals.snapshot
        print(String(
            format: #"{"bench":"snapshot","rows":%d,"seconds":%.3f,"rows_per_s":%.0f,"mb_per_s":%.1f}"#,
            rows, elapsed, Double(rows) / elapsed, Double(received.bytes) / elapsed / 1e6))
        fflush(nil)
        for channel in channels { channel.close(promise: nil) }
        try await group.shutdownGracefully()
    }

    /// Server-added latency at `rate` changes/s: first one unfiltered subscription (every change),
    /// then `subscriptions` filtered ones (`id = k`, one per row, so each change reaches one)
    /// over `connections` connections. Exact percentiles from every sample.
    static func latency(connections: Int, subscriptions: Int, rate: Int, seconds: Int) async throws {
        for (connectionCount, subscriptionCount) in [(1, 1), (connections, subscriptions)] {
            let server = try ChildServer(kind: "tycostream", rows: subscriptions, rate: rate)
            defer { server.stop() }
            let totals = Totals()
            let recorder = LatencyRecorder()
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let perConnection = (subscriptionCount + connectionCount - 1) / connectionCount
            let channels = try await LoadClient.connect(
                port: server.port, connections: connectionCount, group: group, totals: totals, latency: recorder
            ) { connection in
                if subscriptionCount == 1 { return [LoadClient.subscribe("s", query)] }
                return (0..<perConnection).compactMap { index in
                    let id = connection * perConnection + index
                    guard id < subscriptionCount else { return nil }
                    return LoadClient.subscribe("s\(index)", "subscription { items(where: {id: {_eq: \(id)}}) { operation data { id label qty } } }")
                }
            }
            try await waitFor(seconds: 300) { totals.snapshot.acked == connectionCount }
            try await waitFor(seconds: 300) { totals.snapshot.messages >= subscriptions }
            server.start()
            try await Task.sleep(for: .seconds(2))
            recorder.state.withLockedValue { $0.recording = true }
            try await Task.sleep(for: .seconds(seconds))
            let samples = recorder.state.withLockedValue { state in
                state.recording = false
                return state.samples.sorted()
            }
            func percentile(_ p: Double) -> Double {
                samples.isEmpty ? 0 : Double(samples[min(samples.count - 1, Int(Double(samples.count) * p))]) / 1e6
            }
            print(String(
                format: #"{"bench":"latency","connections":%d,"subscriptions":%d,"changes_per_s":%d,"samples":%d,"p50_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f,"max_ms":%.3f}"#,
                connectionCount, subscriptionCount, rate, samples.count, percentile(0.5), percentile(0.99), percentile(0.999),
                percentile(1)))
            fflush(nil)
            for channel in channels { channel.close(promise: nil) }
            try await group.shutdownGracefully()
        }
    }

    static func waitFor(seconds: Int, _ condition: () -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(seconds)
        while !condition() {
            guard clock.now < deadline else { throw BenchFailure("timed out after \(seconds) s") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// The server under test, as a child process of this same executable (`serve …`).
final class ChildServer {
    let process = Process()
    let port: Int
    let input = Pipe()
    var pid: Int32 { process.processIdentifier }

    init(kind: String, rows: Int, rate: Int) throws {
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["serve", kind, String(rows), String(rate)]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        var line: [UInt8] = []
        let handle = output.fileHandleForReading
        while true {
            let byte = handle.readData(ofLength: 1)
            guard let value = byte.first else { throw BenchFailure("the \(kind) server exited before it was ready") }
            if value == 10 {
                let text = String(decoding: line, as: UTF8.self)
                if text.hasPrefix("ready "), let port = Int(text.dropFirst(6)) {
                    self.port = port
                    break
                }
                line = []
            } else {
                line.append(value)
            }
        }
    }

    /// Starts the server's steady changes.
    func start() {
        input.fileHandleForWriting.write(Data("go\n".utf8))
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

/// CPU time and resident memory of a process, from /proc (Linux).
struct ProcessStats {
    var cpuSeconds: Double = 0
    var residentBytes: Int = 0

    init(pid: Int32) {
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name.
            if fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) {
                cpuSeconds = (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
            }
        }
        if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
           let kilobytes = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") {
            residentBytes = kilobytes * 1024
        }
    }

    static func current() -> ProcessStats { ProcessStats(pid: getpid()) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
