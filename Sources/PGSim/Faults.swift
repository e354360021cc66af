import PGWire

/// Failures the simulator injects into SUBSCRIBE streams, to test a client's resilience.
///
/// Set them at start (``SimServer/Configuration/faults``) or at run time
/// (``SimServer/setFaults(_:)``); a subscribe reads them when it starts. Message counts are of
/// DataRow or CopyData messages (one row each, progress rows included) sent by one subscribe.
public struct Faults: Sendable, Hashable {
    /// Close the connection abruptly (no ErrorResponse) after `messages` rows.
    public struct Drop: Sendable, Hashable {
        public var messages: Int
        /// Fire for the next subscribe only, then clear itself.
        public var once: Bool
        public init(afterMessages messages: Int, once: Bool = true) {
            self.messages = messages
            self.once = once
        }
    }

    /// Close every subscribe's connection at a random point in `1...maximumMessages` rows, drawn
    /// from a generator seeded with `seed`, so a failing run can be replayed.
    public struct RandomDrop: Sendable, Hashable {
        public var maximumMessages: Int
        public var seed: UInt64
        public init(maximumMessages: Int, seed: UInt64) {
            self.maximumMessages = maximumMessages
            self.seed = seed
        }
    }

    /// Send an ErrorResponse (no CopyDone) after `messages` rows, ending the subscribe.
    public struct InjectedError: Sendable, Hashable {
        public var messages: Int
        public var sqlState: String
        public var message: String
        public var once: Bool
        public init(afterMessages messages: Int, sqlState: String = "XX000", message: String, once: Bool = true) {
            self.messages = messages
            self.sqlState = sqlState
            self.message = message
            self.once = once
        }
    }

    /// Stop sending for `duration` after `messages` rows, keeping the connection open.
    public struct Stall: Sendable, Hashable {
        public var messages: Int
        public var duration: Duration
        public var once: Bool
        public init(afterMessages messages: Int, duration: Duration, once: Bool = true) {
            self.messages = messages
            self.duration = duration
            self.once = once
        }
    }

    public var drop: Drop?
    public var randomDrop: RandomDrop?
    /// Refuse `AS OF t` with `t` below this, as a newer Materialize does past its compaction
    /// horizon: 22000 `could not find a valid timestamp for the query`.
    public var refuseAsOfBefore: UInt64?
    public var error: InjectedError?
    public var stall: Stall?

    public init(
        drop: Drop? = nil, randomDrop: RandomDrop? = nil, refuseAsOfBefore: UInt64? = nil,
        error: InjectedError? = nil, stall: Stall? = nil
    ) {
        self.drop = drop
        self.randomDrop = randomDrop
        self.refuseAsOfBefore = refuseAsOfBefore
        self.error = error
        self.stall = stall
    }

    /// No faults.
    public static let none = Faults()
}

/// SplitMix64 (https://prng.di.unimi.it/splitmix64.c): small, seedable, good enough to pick
/// fault points reproducibly.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The faults one subscribe acts on, with its row counter.
struct FaultPlan: Sendable {
    var dropAt: Int?
    var errorAt: (Int, Diagnostic)?
    var stallAt: (Int, Duration)?
    private(set) var sent = 0

    enum Step {
        case proceed
        case drop
        case error(Diagnostic)
        case stall(Duration)
    }

    init(dropAt: Int?, errorAt: (Int, Diagnostic)?, stallAt: (Int, Duration)?) {
        self.dropAt = dropAt
        self.errorAt = errorAt
        self.stallAt = stallAt
    }

    var isEmpty: Bool { dropAt == nil && errorAt == nil && stallAt == nil }

    /// Counts one row sent; says what to do after it.
    mutating func rowSent() -> Step {
        sent += 1
        if let dropAt, sent >= dropAt {
            self.dropAt = nil
            return .drop
        }
        if let (at, diagnostic) = errorAt, sent >= at {
            errorAt = nil
            return .error(diagnostic)
        }
        if let (at, duration) = stallAt, sent >= at {
            stallAt = nil
            return .stall(duration)
        }
        return .proceed
    }
}
