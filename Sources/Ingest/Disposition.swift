import PGWire

/// What to do after a subscription failed: reconnect and resume, take a fresh snapshot,
/// or stop the source.
enum Disposition: Sendable {
    case retry(String)
    case resnapshot(String)
    case fatal(IngestError)

    /// SQLSTATEs that reconnecting cannot fix: the object or column is missing, access is
    /// denied, the statement is malformed (https://www.postgresql.org/docs/current/errcodes-appendix.html).
    static let fatalStates: Set<String> = [
        "42P01", "42703", "42704", "42501", "42601", "42883", "42846", "0A000",
        "3D000", "3F000", "28000", "28P01",
    ]

    init(_ error: any Error, source: String) {
        if let error = error as? IngestError {
            switch error.code {
            case .layoutMismatch, .invalidValue, .keyViolation, .batchTooLarge: self = .fatal(error)
            default: self = .retry(error.message)
            }
            return
        }
        guard let error = error as? PostgresError else {
            self = .retry("\(error)")
            return
        }
        switch error.code {
        case .server:
            let state = error.sqlState ?? ""
            let message = error.diagnostic?.message ?? error.message
            // Newer Materialize: 22000 "could not find a valid timestamp…"; older: XX000
            // "Timestamp (X) is not valid for all inputs" (protocol notes §3).
            if message.contains("could not find a valid timestamp")
                || (message.hasPrefix("Timestamp (") && message.contains("is not valid for all inputs"))
            {
                self = .resnapshot(message)
            } else if Self.fatalStates.contains(state) || (message.contains("was dropped") && !message.contains("replica")) {
                // A dropped relation or cluster stays dropped; a failed replica is replaced (protocol notes §6).
                self = .fatal(IngestError(
                    .database, source: source,
                    "Materialize refused the subscription: \(error.diagnostic.map(\.description) ?? message)",
                    underlying: error))
            } else {
                self = .retry(error.diagnostic.map(\.description) ?? message)
            }
        case .authentication, .configuration, .tls, .unsupported:
            self = .fatal(IngestError(.database, source: source, error.description, underlying: error))
        default:
            self = .retry(error.description)
        }
    }
}
