/// How long to wait before reconnecting: exponential growth, bounded, with jitter.
///
/// The delay for attempt n (0-based) is `min(maximum, initial × multiplierⁿ)`, of which a
/// `jitter` fraction is randomised, so many sources (or replicas) that lost the same
/// server do not reconnect in lockstep.
public struct BackoffPolicy: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Double
    /// The fraction of each delay that is random, in 0…1 (1 = "full jitter").
    public var jitter: Double

    public init(
        initial: Duration = .milliseconds(200), maximum: Duration = .seconds(30), multiplier: Double = 2,
        jitter: Double = 0.5
    ) {
        precondition(initial > .zero && maximum >= initial, "backoff bounds must be positive and ordered")
        precondition(multiplier >= 1, "the backoff multiplier must be at least 1")
        precondition((0...1).contains(jitter), "jitter is a fraction between 0 and 1")
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// The delay before reconnect attempt `attempt` (0 for the first), given a random unit in [0, 1).
    public func delay(attempt: Int, randomUnit: Double) -> Duration {
        let initialSeconds = Self.seconds(initial)
        let maximumSeconds = Self.seconds(maximum)
        var seconds = initialSeconds
        for _ in 0..<min(attempt, 64) {
            seconds *= multiplier
            if seconds >= maximumSeconds { break }
        }
        seconds = min(seconds, maximumSeconds)
        let unit = min(max(randomUnit, 0), 1)
        let jittered = seconds * (1 - jitter) + seconds * jitter * unit
        return .nanoseconds(Int64(jittered * 1e9))
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
