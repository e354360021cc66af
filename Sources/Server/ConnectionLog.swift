import Logging
import NIOCore
import Synchronization

/// The lifecycle log of one WebSocket connection: opened and closed at `info`, each
/// subscription started and ended at `debug` (`info` when it ended on an error), every line
/// with the same `connection` id as logger metadata, so `LOG_FORMAT=json` gives fields a log
/// pipeline can group by.
///
/// Lines carry ids, counts, codes and reasons, never payloads, variables or credentials: a
/// query's `where` values and a `connection_init` payload can hold what an operator must not see.
///
/// Shared by every task of the connection; the counters are atomics and the close is
/// recorded under a lock, because the reading task and the operation tasks all write.
final class ConnectionLog: Sendable {
    /// Numbers connections in the order the process accepted them.
    private static let lastID = Atomic<Int>(0)

    /// Why a subscription ended, as logged in `reason`.
    enum SubscriptionEnd: String, Sendable {
        /// The server completed the operation (the stream ended while still active).
        case complete
        /// The client stopped it (`complete`, legacy `stop`, or a `start` replacing its id).
        case clientStop = "client stop"
        /// The connection closed first.
        case connectionClosed = "connection closed"
        /// The subscriber fell too far behind (`subscriberOverflow`).
        case overflow
        /// The source failed, or reported an error this subscription cannot continue after.
        case sourceFailure = "source failure"
        /// The source was stopped (idle shutdown or the server draining).
        case sourceStopped = "source stopped"
    }

    private struct Close {
        var code: UInt16?
        var reason: String?
        var byServer = false
    }

    let id: Int
    let logger: Logger
    private let remoteAddress: String?
    private let opened: ContinuousClock.Instant
    private let messages = Atomic<Int>(0)
    private let bytes = Atomic<Int>(0)
    private let close = Mutex(Close())

    /// Takes the next connection id and logs the connection as opened.
    ///
    /// - Parameters:
    ///   - remote: the peer's address as `host:port`, when known.
    ///   - subprotocol: the negotiated subprotocol; `nil` when none was acceptable.
    init(logger: Logger, remote: String?, subprotocol: String?) {
        let id = Self.lastID.add(1, ordering: .relaxed).newValue
        self.id = id
        var logger = logger
        logger[metadataKey: "connection"] = "\(id)"
        self.logger = logger
        remoteAddress = remote
        opened = .now
        logger.info("websocket connection opened", metadata: [
            "remote": "\(remote ?? "unknown")", "protocol": "\(subprotocol ?? "none")",
        ])
    }

    /// One text message written.
    func sent(bytes count: Int) {
        messages.add(1, ordering: .relaxed)
        bytes.add(count, ordering: .relaxed)
    }

    /// The server is closing with `code`; the first close wins.
    func closing(code: UInt16, reason: String) {
        close.withLock { close in
            guard close.code == nil else { return }
            close = Close(code: code, reason: reason, byServer: true)
        }
    }

    /// Logs the end of the connection; call once, when its last task is done.
    func closed() {
        let close = close.withLock { $0 }
        let elapsed = ContinuousClock.now - opened
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        var metadata: Logger.Metadata = [
            "remote": "\(remoteAddress ?? "unknown")",
            "closed_by": "\(close.byServer ? "server" : "client")",
            "duration_ms": "\(milliseconds)",
            "messages_sent": "\(messages.load(ordering: .relaxed))",
            "bytes_sent": "\(bytes.load(ordering: .relaxed))",
        ]
        if let code = close.code { metadata["close_code"] = "\(code)" }
        if let reason = close.reason, !reason.isEmpty { metadata["close_reason"] = "\(reason)" }
        logger.info("websocket connection closed", metadata: metadata)
    }

    func subscriptionStarted(operation: String, source: String) {
        logger.debug("subscription started", metadata: ["operation": "\(operation)", "source": "\(source)"])
    }

    /// Logs the end of a subscription; at `info` when it ended on an error the operator may
    /// want to see (a slow client dropped, a source failing), else at `debug`.
    func subscriptionEnded(operation: String, source: String, _ reason: SubscriptionEnd, error: String? = nil) {
        var metadata: Logger.Metadata = ["operation": "\(operation)", "source": "\(source)", "reason": "\(reason.rawValue)"]
        if let error { metadata["error"] = "\(error)" }
        switch reason {
        case .complete, .clientStop, .connectionClosed:
            logger.debug("subscription ended", metadata: metadata)
        case .overflow, .sourceFailure, .sourceStopped:
            logger.info("subscription ended", metadata: metadata)
        }
    }

    /// `host:port` (`[host]:port` for IPv6) of a peer, or `nil` for a socket without one.
    static func describe(_ address: SocketAddress?) -> String? {
        guard let address else { return nil }
        switch address {
        case .v4:
            return address.ipAddress.map { "\($0):\(address.port ?? 0)" }
        case .v6:
            return address.ipAddress.map { "[\($0)]:\(address.port ?? 0)" }
        case .unixDomainSocket:
            return address.pathname ?? "unix"
        }
    }
}
