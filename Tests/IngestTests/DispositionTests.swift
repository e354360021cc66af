@testable import Ingest
import PGWire
import Testing

@Suite struct DispositionTests {
    static func server(_ state: String, _ message: String) -> PostgresError {
        .server(Diagnostic(severity: "ERROR", sqlState: state, message: message))
    }

    @Test func compactedTimestampsTakeAFreshSnapshot() {
        for error in [
            Self.server("22000", "could not find a valid timestamp for the query"),
            Self.server("XX000", "Timestamp (1700000000999) is not valid for all inputs: [Antichain { elements: [1700000005000] }]"),
        ] {
            guard case .resnapshot = Disposition(error, source: "kv") else {
                Issue.record("\(error) should re-snapshot")
                continue
            }
        }
    }

    @Test func missingObjectsAndPermissionsStopTheSource() {
        for error in [
            Self.server("42P01", "unknown catalog item 'kv'"),
            Self.server("42703", "column \"nope\" does not exist"),
            Self.server("42501", "permission denied for VIEW \"kv\""),
            Self.server("42704", "relation 'materialize.public.kv' was dropped"),
            Self.server("XX000", "subscribe has been terminated because underlying relation \"materialize.public.kv\" was dropped"),
            PostgresError(.authentication, "authentication failed"),
        ] {
            guard case .fatal(let reason) = Disposition(error, source: "kv") else {
                Issue.record("\(error) should be fatal")
                continue
            }
            #expect(reason.source == "kv")
        }
        guard case .fatal = Disposition(IngestError(.keyViolation, source: "kv", "dup"), source: "kv") else {
            Issue.record("key violations are fatal")
            return
        }
    }

    @Test func transientFailuresAreRetried() {
        for error in [
            PostgresError(.connectionClosed, "the server closed the connection"),
            PostgresError(.timeout, "connect timed out"),
            Self.server("57P01", "terminating connection due to administrator command"),
            Self.server("53200", "subscribe fell behind"),
            Self.server("XX000", "target replica failed or was dropped"),
        ] {
            guard case .retry = Disposition(error, source: "kv") else {
                Issue.record("\(error) should be retried")
                continue
            }
        }
    }
}

@Suite struct BackoffPolicyTests {
    @Test func growsExponentiallyUpToTheMaximum() {
        let policy = BackoffPolicy(initial: .milliseconds(100), maximum: .seconds(5), multiplier: 2, jitter: 0)
        #expect(policy.delay(attempt: 0, randomUnit: 0.7) == .milliseconds(100))
        #expect(policy.delay(attempt: 3, randomUnit: 0.7) == .milliseconds(800))
        #expect(policy.delay(attempt: 30, randomUnit: 0.7) == .seconds(5))
        #expect(policy.delay(attempt: Int.max, randomUnit: 0.7) == .seconds(5))
    }

    @Test func jitterStaysWithinItsFraction() {
        let policy = BackoffPolicy(initial: .seconds(1), maximum: .seconds(1), jitter: 0.5)
        #expect(policy.delay(attempt: 0, randomUnit: 0) == .milliseconds(500))
        #expect(policy.delay(attempt: 0, randomUnit: 0.999_999) <= .seconds(1))
        #expect(policy.delay(attempt: 0, randomUnit: 0.5) == .milliseconds(750))
    }
}
