/// When a delivery attempt counts as delivered, and how long to wait before the next one.
///
/// Sans-IO: ``decide(attempt:result:nowMillis:random:)`` reads no clock and draws no random
/// number itself, so backoff and `Retry-After` handling are tested exactly.
///
/// Only a 2xx answer is success (Standard Webhooks, "Delivery behavior"); redirects are not
/// followed, since a redirect could lead past the egress policy. Failures are retried with
/// exponential backoff and jitter up to ``maxAttempts``; then the delivery is dead-lettered.
public struct DeliveryPolicy: Sendable, Hashable {
    /// How long one attempt may take, connection included.
    public var timeout: Duration
    /// Attempts in all, the first included, before a delivery is dead-lettered.
    public var maxAttempts: Int
    /// The wait after the first failure; it doubles per failure up to ``maxBackoff``.
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// The fraction of each wait that is random (0 = none, 1 = "full jitter"), so endpoints
    /// recovering from an outage are not hit by every sender at once.
    public var jitter: Double
    /// The longest `Retry-After` honoured; a longer one is cut to this.
    public var maxRetryAfter: Duration
    /// Response bytes read (and discarded) at most, so a hostile receiver cannot make us buffer.
    public var maxResponseBytes: Int

    public init(
        timeout: Duration = .seconds(15), maxAttempts: Int = 10, initialBackoff: Duration = .seconds(1),
        maxBackoff: Duration = .seconds(600), jitter: Double = 0.5, maxRetryAfter: Duration = .seconds(3600),
        maxResponseBytes: Int = 64 * 1024
    ) {
        self.timeout = timeout
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = max(.zero, initialBackoff)
        self.maxBackoff = max(self.initialBackoff, maxBackoff)
        self.jitter = min(1, max(0, jitter))
        self.maxRetryAfter = max(.zero, maxRetryAfter)
        self.maxResponseBytes = max(0, maxResponseBytes)
    }

    /// What one attempt came back with.
    public enum AttemptResult: Sendable, Hashable {
        /// The receiver answered; `retryAfter` is its `Retry-After` header, if any.
        case response(status: Int, retryAfter: String?)
        /// No answer: connection refused, reset, timed out, TLS failed.
        case transportFailure(String)
        /// The egress policy refused the host's current addresses; retrying cannot help.
        case refused(String)
    }

    /// What to do after an attempt.
    public enum Decision: Sendable, Hashable {
        /// Done: drop it from the outbox.
        case delivered
        /// Try again after `delay`.
        case retry(after: Duration, reason: String)
        /// Give up: move it to the dead letters.
        case deadLetter(reason: String)
    }

    /// Decides after attempt number `attempt` (1 for the first).
    ///
    /// - Parameters:
    ///   - nowMillis: wall-clock time, to turn an HTTP-date `Retry-After` into a delay.
    ///   - random: a number in `0..<1` for the jitter.
    public func decide(attempt: Int, result: AttemptResult, nowMillis: Int64, random: Double) -> Decision {
        let reason: String
        var requested: Duration?
        switch result {
        case .response(let status, let retryAfter):
            if (200...299).contains(status) { return .delivered }
            reason = "HTTP \(status)"
            if status == 429 || status == 503, let retryAfter {
                requested = Self.retryAfter(retryAfter, nowMillis: nowMillis)
            }
        case .transportFailure(let message):
            reason = message
        case .refused(let message):
            return .deadLetter(reason: message)
        }
        guard attempt < maxAttempts else {
            return .deadLetter(reason: "\(reason) after \(attempt) attempt\(attempt == 1 ? "" : "s")")
        }
        if let requested { return .retry(after: min(requested, maxRetryAfter), reason: reason) }
        return .retry(after: backoff(afterAttempt: attempt, random: random), reason: reason)
    }

    /// `initialBackoff · 2^(attempt-1)`, capped, with its ``jitter`` fraction scaled by `random`.
    public func backoff(afterAttempt attempt: Int, random: Double) -> Duration {
        var delay = initialBackoff
        var doublings = max(0, attempt - 1)
        while doublings > 0, delay < maxBackoff {
            delay *= 2
            doublings -= 1
        }
        delay = min(delay, maxBackoff)
        let factor = 1 - jitter * min(max(random, 0), 1)
        return delay * factor
    }

    /// Parses `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date (IMF-fixdate).
    /// `nil` for anything else; a date in the past is a zero delay.
    public static func retryAfter(_ text: String, nowMillis: Int64) -> Duration? {
        let trimmed = text.trimmingASCIISpaces()
        if !trimmed.isEmpty, trimmed.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            guard trimmed.utf8.count <= 10, let seconds = Int64(trimmed) else { return .seconds(Int64(Int32.max)) }
            return .seconds(seconds)
        }
        guard let dateMillis = httpDateMillis(trimmed) else { return nil }
        return .milliseconds(max(0, dateMillis - nowMillis))
    }

    /// IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7), in ms since the epoch.
    static func httpDateMillis(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].count == 4, parts[0].hasSuffix(","), parts[5] == "GMT",
              parts[1].count == 2, let day = Int64(parts[1]), (1...31).contains(day),
              let monthIndex = months.firstIndex(of: String(parts[2])),
              parts[3].count == 4, let year = Int64(parts[3])
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
              let hour = Int64(clock[0]), let minute = Int64(clock[1]), let second = Int64(clock[2]),
              hour < 24, minute < 60, second <= 60
        else { return nil }
        let days = ISO8601.days(year: year, month: Int64(monthIndex + 1), day: day)
        return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
}

extension String {
    func trimmingASCIISpaces() -> String {
        let utf8 = Array(self.utf8)
        var start = 0
        var end = utf8.count
        while start < end, utf8[start] == 0x20 || utf8[start] == 0x09 { start += 1 }
        while end > start, utf8[end - 1] == 0x20 || utf8[end - 1] == 0x09 { end -= 1 }
        return String(decoding: utf8[start..<end], as: UTF8.self)
    }
}
