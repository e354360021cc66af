import Foundation
import PGClient

/// The throwaway PostgreSQL 15 that `scripts/test` starts (see `scripts/pg-test-server`).
///
/// Tests that need it are enabled when its address is in the environment, or
/// when `PGTEST_REQUIRED=1` says it must be (then a missing server fails them
/// instead of skipping them).
enum TestServer {
    static let environment = ProcessInfo.processInfo.environment

    static var isAvailable: Bool {
        environment["PGTEST_PORT"] != nil || environment["PGTEST_REQUIRED"] == "1"
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String { "PGTEST_PORT is not set: run the tests with scripts/test, which starts PostgreSQL" }
    }

    static func configuration(
        user: String = "trust_user", password: String? = nil, sslMode: ConnectionConfiguration.SSLMode = .disable,
        host: String? = nil
    ) throws -> ConnectionConfiguration {
        guard let port = environment["PGTEST_PORT"].flatMap(Int.init) else { throw Missing() }
        return ConnectionConfiguration(
            host: host ?? environment["PGTEST_HOST"] ?? "127.0.0.1", port: port, user: user, password: password,
            database: environment["PGTEST_DATABASE"] ?? "tycostream_test", sslMode: sslMode,
            connectTimeout: .seconds(5), authenticationTimeout: .seconds(10))
    }

    static var caFile: String { environment["PGTEST_CA"] ?? "" }
    static var otherCAFile: String { environment["PGTEST_OTHER_CA"] ?? "" }

    /// The resident set size of this process in bytes, from /proc.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
