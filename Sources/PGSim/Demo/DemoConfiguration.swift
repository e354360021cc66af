/// How fast and how busily ``DemoDriver`` moves the demo data.
///
/// The defaults give a few row changes per second per table: at 2 ticks a second, each tick
/// moves 1–3 prices, resolves some pending orders and brings 0–2 new ones; every fifth tick ages
/// out 1–3 settled trades; one tick in twenty is a burst of several times that.
public struct DemoConfiguration: Sendable, Hashable {
    /// Ticks per second for ``DemoDriver/run()``; each tick is one commit per changed table.
    public var ticksPerSecond: Double
    /// Trades on the blotter at the start (all but the last few settled).
    public var initialTrades: Int
    /// The blotter's size: housekeeping ticks delete down to it. The blotter can exceed it by at
    /// most the new trades of one housekeeping interval (bounded by ``burstMultiplier`` × 2 each).
    public var maximumTrades: Int
    /// Every this many ticks, old settled trades are deleted instead of new trades arriving; 0 never.
    public var housekeepingInterval: Int
    /// The chance a tick is a burst.
    public var burstProbability: Double
    /// How many times the usual activity a burst has.
    public var burstMultiplier: Int
    /// The largest relative price move of one step (0.006 = ±0.6%).
    public var volatility: Double
    /// The chance per tick that a pending order fills, and that it is cancelled.
    public var fillProbability: Double
    public var cancelProbability: Double

    public init(
        ticksPerSecond: Double = 2, initialTrades: Int = 300, maximumTrades: Int = 400, housekeepingInterval: Int = 5,
        burstProbability: Double = 0.05, burstMultiplier: Int = 5, volatility: Double = 0.006,
        fillProbability: Double = 0.35, cancelProbability: Double = 0.1
    ) {
        precondition(ticksPerSecond > 0 && ticksPerSecond.isFinite, "ticksPerSecond must be positive")
        precondition(initialTrades >= 0 && maximumTrades > 0 && housekeepingInterval >= 0 && burstMultiplier >= 1)
        self.ticksPerSecond = ticksPerSecond
        self.initialTrades = initialTrades
        self.maximumTrades = maximumTrades
        self.housekeepingInterval = housekeepingInterval
        self.burstProbability = burstProbability
        self.burstMultiplier = burstMultiplier
        self.volatility = volatility
        self.fillProbability = fillProbability
        self.cancelProbability = cancelProbability
    }

    /// The time between ticks.
    public var interval: Duration { .seconds(1) / ticksPerSecond }
}
