public import PGWire

/// The changes of one demo tick, table by table: what ``DemoDriver`` commits.
///
/// Each table's changes are of one kind per tick (only upserts, or for `trades` on a
/// housekeeping tick only deletes), so the driver commits each table's part of a tick as ONE
/// catalog commit and a subscriber sees the tick as one timestamp per table.
public struct DemoTick: Sendable, Hashable {
    /// The tick's number, from 1.
    public var number: UInt64
    /// Whether this tick was a burst (several times the usual activity).
    public var isBurst: Bool
    /// Whether this was a housekeeping tick, when old settled trades age out of the blotter.
    public var isHousekeeping: Bool
    /// Instrument rows to upsert (price moves, volume from fills).
    public var instruments: [[Datum]] = []
    /// Trade rows to upsert: new trades, and pending trades that filled or were cancelled.
    public var trades: [[Datum]] = []
    /// Ids of trades to delete (only on housekeeping ticks, when `trades` is empty).
    public var deletedTradeIDs: [Int32] = []
    /// Position rows to upsert: fills, aged-out fills and revaluations at new prices.
    public var positions: [[Datum]] = []

    /// How many row changes the tick makes across all tables.
    public var changeCount: Int { instruments.count + trades.count + deletedTradeIDs.count + positions.count }
}

/// The demo's market as a sans-IO state machine: ``tick(now:using:)`` moves it one step and
/// returns the rows to write; it reads no clock and does no I/O (conventions: time and
/// randomness injected), so a seed and a sequence of times determine every row.
///
/// Invariant after every tick: for each (trader, symbol), the position's quantity is the signed
/// sum of the filled trades on the blotter (BUY positive), its average price their
/// volume-weighted price; a position row exists for every pair that has had a fill on the
/// blotter (it goes flat, not away, when those fills age out).
struct DemoMarket: Sendable {
    struct Quote: Sendable {
        var last: Double
        var open: Double
        var volume: Int64
    }

    struct Trade: Sendable {
        var id: Int32
        var symbol: Int
        var side: DemoData.Side
        var quantity: Int32
        var price: Double
        var status: DemoData.TradeStatus
        var trader: Int
        /// Milliseconds since the epoch.
        var executedAt: UInt64
        /// The tick that created it; a pending trade resolves on a later tick.
        var createdAtTick: UInt64
    }

    let configuration: DemoConfiguration
    private(set) var quotes: [Quote] = []
    /// The blotter, oldest (lowest id) first.
    private(set) var trades: [Trade] = []
    /// The last position row written per pair (`trader * symbols + symbol`), `nil` when none.
    private(set) var positionRows: [[Datum]?]
    private var nextTradeID: Int32 = 1
    private(set) var tickCount: UInt64 = 0

    private static let instruments = DemoData.instrumentList
    private static var symbolCount: Int { instruments.count }

    init(configuration: DemoConfiguration) {
        self.configuration = configuration
        positionRows = Array(repeating: nil, count: DemoData.traders.count * DemoData.instrumentList.count)
    }

    // MARK: Seeding

    /// Builds the opening state and returns every table's initial rows (one insert each).
    mutating func seed(now: UInt64, using generator: inout some RandomNumberGenerator) -> DemoTick {
        quotes = Self.instruments.map { instrument in
            let price = DemoData.cents(instrument.referencePrice * Double.random(in: 0.97...1.03, using: &generator))
            return Quote(last: price, open: price, volume: Int64.random(in: 200_000...5_000_000, using: &generator))
        }
        // Spread the opening trades over the hour before now, ids in time order.
        let span: UInt64 = 3_600_000
        var times = (0..<configuration.initialTrades).map { _ in now - min(now, UInt64.random(in: 0..<span, using: &generator)) }
        times.sort()
        let pendingFrom = max(0, configuration.initialTrades - 8)
        for (index, time) in times.enumerated() {
            var trade = newTrade(now: time, using: &generator)
            if index < pendingFrom {
                trade.status = Double.random(in: 0..<1, using: &generator) < 0.85 ? .filled : .cancelled
            }
            trades.append(trade)
        }
        var tick = DemoTick(number: 0, isBurst: false, isHousekeeping: false)
        tick.instruments = quotes.indices.map { instrumentRow($0) }
        tick.trades = trades.map(Self.tradeRow)
        tick.positions = refreshPositions(pairs: Set(trades.filter { $0.status == .filled }.map(pair)), now: now)
        return tick
    }

    // MARK: Ticks

    /// Moves the market one step at wall time `now` (milliseconds since the epoch).
    mutating func tick(now: UInt64, using generator: inout some RandomNumberGenerator) -> DemoTick {
        tickCount += 1
        let isBurst = Double.random(in: 0..<1, using: &generator) < configuration.burstProbability
        let isHousekeeping = configuration.housekeepingInterval > 0 && tickCount % UInt64(configuration.housekeepingInterval) == 0
        let scale = isBurst ? configuration.burstMultiplier : 1
        var tick = DemoTick(number: tickCount, isBurst: isBurst, isHousekeeping: isHousekeeping)
        var movedSymbols: Set<Int> = []
        var affectedPairs: Set<Int> = []

        // Prices random-walk: a few symbols move by up to ±volatility each tick.
        for _ in 0..<(scale * Int.random(in: 1...3, using: &generator)) {
            let symbol = Int.random(in: 0..<Self.symbolCount, using: &generator)
            let step = Double.random(in: -1...1, using: &generator) * configuration.volatility
            quotes[symbol].last = max(0.01, DemoData.cents(quotes[symbol].last * (1 + step)))
            movedSymbols.insert(symbol)
        }

        var changedTrades: [Int] = []
        if isHousekeeping {
            // Old settled trades age out of the blotter (the DELETEs); their fills leave the positions.
            let excess = trades.count - configuration.maximumTrades
            let count = max(excess, Int.random(in: 1...3, using: &generator))
            var removed: Set<Int32> = []
            for trade in trades where trade.status != .pending && removed.count < count {
                removed.insert(trade.id)
                tick.deletedTradeIDs.append(trade.id)
                if trade.status == .filled { affectedPairs.insert(pair(trade)) }
            }
            trades.removeAll { removed.contains($0.id) }
        } else {
            // Pending orders from earlier ticks fill at the current price or are cancelled.
            for index in trades.indices where trades[index].status == .pending && trades[index].createdAtTick < tickCount {
                let roll = Double.random(in: 0..<1, using: &generator)
                if roll < configuration.fillProbability {
                    fill(index, now: now, using: &generator)
                    affectedPairs.insert(pair(trades[index]))
                    movedSymbols.insert(trades[index].symbol)
                    changedTrades.append(index)
                } else if roll < configuration.fillProbability + configuration.cancelProbability {
                    trades[index].status = .cancelled
                    trades[index].executedAt = now
                    changedTrades.append(index)
                }
            }
            // New orders arrive; some are market orders that fill at once.
            for _ in 0..<(scale * Int.random(in: 0...2, using: &generator)) {
                var trade = newTrade(now: now, using: &generator)
                trades.append(trade)
                if Double.random(in: 0..<1, using: &generator) < 0.2 {
                    fill(trades.count - 1, now: now, using: &generator)
                    trade = trades[trades.count - 1]
                    affectedPairs.insert(pair(trade))
                    movedSymbols.insert(trade.symbol)
                }
                changedTrades.append(trades.count - 1)
            }
        }
        tick.trades = changedTrades.map { Self.tradeRow(trades[$0]) }
        tick.instruments = movedSymbols.sorted().map { instrumentRow($0) }
        // Revalue every position in a symbol whose price moved.
        for symbol in movedSymbols {
            for trader in DemoData.traders.indices where positionRows[trader * Self.symbolCount + symbol] != nil {
                affectedPairs.insert(trader * Self.symbolCount + symbol)
            }
        }
        tick.positions = refreshPositions(pairs: affectedPairs, now: now)
        return tick
    }

    // MARK: Helpers

    private func pair(_ trade: Trade) -> Int { trade.trader * Self.symbolCount + trade.symbol }

    private mutating func newTrade(now: UInt64, using generator: inout some RandomNumberGenerator) -> Trade {
        let symbol = Int.random(in: 0..<Self.symbolCount, using: &generator)
        let slippage = Double.random(in: -0.002...0.002, using: &generator)
        let trade = Trade(
            id: nextTradeID, symbol: symbol,
            side: Bool.random(using: &generator) ? .buy : .sell,
            quantity: Int32.random(in: 1...50, using: &generator) * 10,
            price: max(0.01, DemoData.cents(quotes[symbol].last * (1 + slippage))),
            status: .pending, trader: Int.random(in: 0..<DemoData.traders.count, using: &generator),
            executedAt: now, createdAtTick: tickCount)
        // Wrapping is safe: the blotter holds only the latest few hundred ids.
        nextTradeID = nextTradeID == .max ? 1 : nextTradeID + 1
        return trade
    }

    private mutating func fill(_ index: Int, now: UInt64, using generator: inout some RandomNumberGenerator) {
        let symbol = trades[index].symbol
        let slippage = Double.random(in: -0.001...0.001, using: &generator)
        trades[index].status = .filled
        trades[index].price = max(0.01, DemoData.cents(quotes[symbol].last * (1 + slippage)))
        trades[index].executedAt = now
        quotes[symbol].volume += Int64(trades[index].quantity)
    }

    /// Recomputes the positions of `pairs` from the blotter's fills; returns the rows that changed.
    private mutating func refreshPositions(pairs: Set<Int>, now: UInt64) -> [[Datum]] {
        var rows: [[Datum]] = []
        for pair in pairs.sorted() {
            let trader = pair / Self.symbolCount
            let symbol = pair % Self.symbolCount
            var quantity: Int32 = 0
            var notional = 0.0
            var filledQuantity = 0.0
            var anyFill = false
            for trade in trades where trade.status == .filled && trade.trader == trader && trade.symbol == symbol {
                anyFill = true
                quantity += trade.side == .buy ? trade.quantity : -trade.quantity
                notional += Double(trade.quantity) * trade.price
                filledQuantity += Double(trade.quantity)
            }
            guard anyFill || positionRows[pair] != nil else { continue }
            let average = filledQuantity > 0 ? DemoData.cents(notional / filledQuantity) : 0
            let last = quotes[symbol].last
            let marketValue = DemoData.cents(Double(quantity) * last)
            let pnl = quantity == 0 ? 0 : DemoData.cents(Double(quantity) * (last - average))
            let values: [Datum] = [
                .text(DemoData.traders[trader]), .text(Self.instruments[symbol].symbol), .int32(quantity),
                .float64(average), .float64(marketValue), .float64(pnl),
                .text(DemoData.riskLevel(marketValue: marketValue).rawValue),
            ]
            // Unchanged apart from the time: no write, so subscribers see only real changes.
            if let previous = positionRows[pair], Array(previous.prefix(values.count)) == values { continue }
            let row = values + [Self.timestamp(now)]
            positionRows[pair] = row
            rows.append(row)
        }
        return rows
    }

    private func instrumentRow(_ symbol: Int) -> [Datum] {
        let instrument = Self.instruments[symbol]
        let quote = quotes[symbol]
        let change = DemoData.cents((quote.last - quote.open) / quote.open * 100)
        return [
            .text(instrument.symbol), .text(instrument.name), .text(instrument.sector),
            .float64(quote.last), .float64(change), .int64(quote.volume),
        ]
    }

    private static func tradeRow(_ trade: Trade) -> [Datum] {
        [
            .int32(trade.id), .text(instruments[trade.symbol].symbol), .text(trade.side.rawValue),
            .int32(trade.quantity), .float64(trade.price), .text(trade.status.rawValue),
            .text(DemoData.traders[trade.trader]), timestamp(trade.executedAt),
        ]
    }

    /// A `timestamptz` from milliseconds since the epoch.
    static func timestamp(_ milliseconds: UInt64) -> Datum {
        .timestamptz(Int64(clamping: milliseconds) &* 1000)
    }
}
