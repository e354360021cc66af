import PGWire

/// Keeps the demo data moving: seeds ``DemoData``'s tables in a ``Catalog`` and then, tick by
/// tick, random-walks prices, brings new trades, fills or cancels pending ones, keeps positions
/// in step with the fills and ages old trades out (so subscribers see INSERT, UPDATE and DELETE).
///
/// The market itself is the sans-IO ``DemoMarket``; this actor performs its ticks: each tick's
/// changes to a table are ONE catalog commit (one timestamp), tables in the order instruments,
/// trades, positions. The catalog has no multi-table transaction, so between those commits a
/// reader can see trades ahead of positions; after every ``step()`` they agree.
///
/// Randomness comes from the injected generator and times from the injected clocks (`clock`
/// paces ``run(until:)``, `wallClock` stamps `executed_at`/`updated_at`), so a seed and a clock
/// determine every row. ``run()`` ends promptly when its task is cancelled.
public actor DemoDriver<C: Clock> where C.Duration == Duration {
    public nonisolated let catalog: Catalog
    public nonisolated let configuration: DemoConfiguration
    private let clock: C
    private let wallClock: Catalog.Clock
    private var generator: any RandomNumberGenerator & Sendable
    private var market: DemoMarket
    private var seeded = false
    /// Guards against two overlapping steps interleaving their commits (a caller's bug).
    private var stepping = false

    /// - Parameters:
    ///   - catalog: where the tables are created and written.
    ///   - generator: the source of every random choice (seed it for reproducible data).
    ///   - clock: paces ``run(until:)`` and ``run()``.
    ///   - wallClock: milliseconds since the epoch for the rows' timestamps.
    public init(
        catalog: Catalog, configuration: DemoConfiguration = .init(), generator: some RandomNumberGenerator & Sendable,
        clock: C, wallClock: @escaping Catalog.Clock = Catalog.systemClock
    ) {
        self.catalog = catalog
        self.configuration = configuration
        self.generator = generator
        self.clock = clock
        self.wallClock = wallClock
        self.market = DemoMarket(configuration: configuration)
    }

    /// Ticks done so far.
    public var tickCount: UInt64 { market.tickCount }

    /// Creates the tables and writes the opening rows (one commit per table). ``step()`` and
    /// ``run()`` call it if it has not been called; 42P07 if a demo table exists already.
    @discardableResult
    public func seed() async throws(SimError) -> DemoTick {
        precondition(!seeded, "DemoDriver.seed() called twice")
        precondition(!stepping, "DemoDriver: seed() while a step is running")
        stepping = true
        defer { stepping = false }
        seeded = true
        try await DemoData.createTables(in: catalog)
        let tick = market.seed(now: wallClock(), using: &generator)
        try await commit(tick)
        return tick
    }

    /// Moves the data one tick now (no waiting) and commits it.
    @discardableResult
    public func step() async throws(SimError) -> DemoTick {
        if !seeded { try await seed() }
        precondition(!stepping, "DemoDriver: overlapping step() calls; run one driver loop at a time")
        stepping = true
        defer { stepping = false }
        let tick = market.tick(now: wallClock(), using: &generator)
        try await commit(tick)
        return tick
    }

    /// Ticks at ``DemoConfiguration/ticksPerSecond`` until `deadline` or until the task is
    /// cancelled. Ticks keep to the schedule; after a stall the schedule restarts from now
    /// rather than catching up in a burst.
    public func run(until deadline: C.Instant) async throws(SimError) {
        try await loop(until: deadline)
    }

    /// Ticks at ``DemoConfiguration/ticksPerSecond`` until the task is cancelled.
    public func run() async throws(SimError) {
        try await loop(until: nil)
    }

    private func loop(until deadline: C.Instant?) async throws(SimError) {
        if !seeded { try await seed() }
        let interval = configuration.interval
        var next = clock.now
        while !Task.isCancelled {
            if let deadline, next >= deadline { return }
            try await step()
            next = next.advanced(by: interval)
            let now = clock.now
            if next < now { next = now }
            do {
                if let deadline, deadline < next {
                    try await clock.sleep(until: deadline, tolerance: nil)
                    return
                }
                try await clock.sleep(until: next, tolerance: nil)
            } catch {
                return  // cancelled
            }
        }
    }

    /// One commit per table with changes.
    private func commit(_ tick: DemoTick) async throws(SimError) {
        if !tick.instruments.isEmpty {
            try await catalog.upsert(into: DemoData.instruments.name, rows: tick.instruments)
        }
        if !tick.trades.isEmpty {
            try await catalog.upsert(into: DemoData.trades.name, rows: tick.trades)
        }
        if !tick.deletedTradeIDs.isEmpty {
            let ids = Set(tick.deletedTradeIDs)
            try await catalog.delete(from: DemoData.trades.name) { row in
                if case .int32(let id) = row[0] { return ids.contains(id) }
                return false
            }
        }
        if !tick.positions.isEmpty {
            try await catalog.upsert(into: DemoData.positions.name, rows: tick.positions)
        }
    }
}

extension DemoDriver where C == ContinuousClock {
    /// A driver paced by the continuous clock with a reproducible generator seeded by `seed`.
    public init(
        catalog: Catalog, configuration: DemoConfiguration = .init(), seed: UInt64,
        wallClock: @escaping Catalog.Clock = Catalog.systemClock
    ) {
        self.init(
            catalog: catalog, configuration: configuration, generator: SeededGenerator(seed: seed),
            clock: ContinuousClock(), wallClock: wallClock)
    }
}
