import Foundation
import PGClient
import PGSim
import PGWire
import Testing

/// The demo data set: deterministic from a seed, internally consistent after every tick, visible
/// over the wire as inserts, updates and deletes, and described by `Fixtures/schemas/demo.yaml`.
@Suite struct DemoDataTests {
    static let epoch: UInt64 = 1_700_000_000_000

    /// A catalog and a driver whose every clock reading is `epoch`, so only the seed matters.
    static func driver(seed: UInt64, configuration: DemoConfiguration = .init()) -> DemoDriver<ContinuousClock> {
        DemoDriver(catalog: Catalog(clock: { epoch }), configuration: configuration, seed: seed, wallClock: { epoch })
    }

    static func allRows(_ catalog: Catalog) async throws -> [[[Datum]]] {
        var tables: [[[Datum]]] = []
        for table in DemoData.tables { tables.append(try await catalog.rows(of: table.name)) }
        return tables
    }

    static func text(_ datum: Datum) -> String? {
        if case .text(let value) = datum { return value }
        return nil
    }

    static func double(_ datum: Datum) -> Double? {
        if case .float64(let value) = datum { return value }
        return nil
    }

    static func int(_ datum: Datum) -> Int? {
        switch datum {
        case .int32(let value): Int(value)
        case .int64(let value): Int(value)
        default: nil
        }
    }

    /// Positions equal the filled trades on the blotter per (trader, symbol); enums hold only
    /// declared values; market values follow the instruments' last prices.
    static func checkInvariants(_ catalog: Catalog, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let instruments = try await catalog.rows(of: "instruments")
        let trades = try await catalog.rows(of: "trades")
        let positions = try await catalog.rows(of: "positions")
        var lastPrice: [String: Double] = [:]
        for row in instruments {
            let symbol = try #require(text(row[0]), sourceLocation: sourceLocation)
            let price: Double = try #require(double(row[3]), sourceLocation: sourceLocation)
            lastPrice[symbol] = price
        }
        #expect(lastPrice.count == DemoData.instrumentList.count, sourceLocation: sourceLocation)

        struct Fills { var quantity = 0; var notional = 0.0; var filled = 0.0 }
        var fills: [String: Fills] = [:]
        var ids: Set<Int> = []
        for row in trades {
            #expect(row.count == DemoData.trades.columns.count, sourceLocation: sourceLocation)
            let id = try #require(int(row[0]), sourceLocation: sourceLocation)
            #expect(ids.insert(id).inserted, sourceLocation: sourceLocation)
            let side = try #require(text(row[2]).flatMap(DemoData.Side.init(rawValue:)), "side \(row[2])", sourceLocation: sourceLocation)
            let status = try #require(text(row[5]).flatMap(DemoData.TradeStatus.init(rawValue:)), "status \(row[5])", sourceLocation: sourceLocation)
            let quantity = try #require(int(row[3]), sourceLocation: sourceLocation)
            #expect(quantity > 0, sourceLocation: sourceLocation)
            guard status == .filled else { continue }
            let key = "\(text(row[6]) ?? "?")/\(text(row[1]) ?? "?")"
            fills[key, default: Fills()].quantity += side == .buy ? quantity : -quantity
            fills[key, default: Fills()].notional += Double(quantity) * (double(row[4]) ?? .nan)
            fills[key, default: Fills()].filled += Double(quantity)
        }

        var seen: Set<String> = []
        for row in positions {
            let trader = try #require(text(row[0]), sourceLocation: sourceLocation)
            let symbol = try #require(text(row[1]), sourceLocation: sourceLocation)
            let key = "\(trader)/\(symbol)"
            seen.insert(key)
            let expected = fills[key] ?? Fills()
            #expect(int(row[2]) == expected.quantity, "\(key) quantity", sourceLocation: sourceLocation)
            let average = expected.filled > 0 ? expected.notional / expected.filled : 0
            #expect(abs((double(row[3]) ?? .nan) - average) <= 0.006, "\(key) average price", sourceLocation: sourceLocation)
            let marketValue = Double(expected.quantity) * (lastPrice[symbol] ?? .nan)
            #expect(abs((double(row[4]) ?? .nan) - marketValue) <= 0.006, "\(key) market value", sourceLocation: sourceLocation)
            let risk = try #require(text(row[6]).flatMap(DemoData.RiskLevel.init(rawValue:)), "risk \(row[6])", sourceLocation: sourceLocation)
            #expect(risk == DemoData.riskLevel(marketValue: double(row[4]) ?? 0), sourceLocation: sourceLocation)
        }
        // Every pair with a fill on the blotter has a position.
        #expect(Set(fills.keys).subtracting(seen).isEmpty, sourceLocation: sourceLocation)
    }

    @Test func seedingCreatesSmallRealisticTables() async throws {
        let driver = Self.driver(seed: 1)
        let opening = try await driver.seed()
        let catalog = driver.catalog
        #expect(await catalog.schemas.map(\.name) == ["instruments", "trades", "positions"])
        #expect(try await catalog.rows(of: "instruments").count == DemoData.instrumentList.count)
        let trades = try await catalog.rows(of: "trades")
        #expect(trades.count == 300)
        #expect(trades.filter { Self.text($0[5]) == "pending" }.count == 8)
        #expect(try await catalog.rows(of: "positions").count == opening.positions.count)
        #expect(opening.positions.count > 50)
        try await Self.checkInvariants(catalog)
    }

    @Test func sameSeedSameData() async throws {
        let a = Self.driver(seed: 42)
        let b = Self.driver(seed: 42)
        let c = Self.driver(seed: 43)
        for _ in 0..<25 {
            let ta = try await a.step()
            let tb = try await b.step()
            #expect(ta == tb)
            try await c.step()
        }
        #expect(try await Self.allRows(a.catalog) == Self.allRows(b.catalog))
        #expect(try await Self.allRows(a.catalog) != Self.allRows(c.catalog))
    }

    @Test func invariantsHoldAfterEveryTick() async throws {
        let driver = Self.driver(seed: 7, configuration: DemoConfiguration(burstProbability: 0.2))
        var kinds = (bursts: 0, housekeeping: 0)
        for _ in 0..<60 {
            let tick = try await driver.step()
            if tick.isBurst { kinds.bursts += 1 }
            if tick.isHousekeeping {
                kinds.housekeeping += 1
                #expect(tick.trades.isEmpty)  // one kind of change per table per tick
            }
            #expect(tick.deletedTradeIDs.isEmpty || tick.isHousekeeping)
            try await Self.checkInvariants(driver.catalog)
        }
        #expect(kinds.bursts > 0)
        #expect(kinds.housekeeping == 12)
    }

    @Test func deletesHappenAndTheBlotterStaysBounded() async throws {
        let configuration = DemoConfiguration(initialTrades: 50, maximumTrades: 60, burstProbability: 0.3)
        let driver = Self.driver(seed: 3, configuration: configuration)
        var deleted: Set<Int32> = []
        var largest = 0
        for _ in 0..<300 {
            let tick = try await driver.step()
            deleted.formUnion(tick.deletedTradeIDs)
            largest = max(largest, try await driver.catalog.rows(of: "trades").count)
        }
        #expect(deleted.count > 50)
        let remaining = Set(try await driver.catalog.rows(of: "trades").compactMap { Self.int($0[0]) })
        #expect(remaining.isDisjoint(with: deleted.map(Int.init)))
        // At most one housekeeping interval of bursts (5 ticks × 2 trades × 5) above the cap.
        #expect(largest <= configuration.maximumTrades + 5 * 2 * configuration.burstMultiplier)
        try await Self.checkInvariants(driver.catalog)
    }

    @Test func statusesOnlyMoveForward() async throws {
        let driver = Self.driver(seed: 11)
        try await driver.seed()
        var status: [Int: String] = [:]
        for row in try await driver.catalog.rows(of: "trades") { status[Self.int(row[0]) ?? -1] = Self.text(row[5]) }
        for _ in 0..<40 {
            let tick = try await driver.step()
            for row in tick.trades {
                let id = try #require(Self.int(row[0]))
                let new = try #require(Self.text(row[5]))
                if let old = status[id], old != new { #expect(old == "pending", "trade \(id): \(old) → \(new)") }
                status[id] = new
            }
        }
    }

    // MARK: The schema file

    static let schemaPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/schemas/demo.yaml").path

    /// demo.yaml is what DemoData generates from the tables the catalog actually holds.
    @Test func schemaFileMatchesTheCatalogTables() async throws {
        let driver = Self.driver(seed: 1)
        try await driver.seed()
        let schemas = await driver.catalog.schemas
        let file = try String(contentsOfFile: Self.schemaPath, encoding: .utf8)
        #expect(file == DemoData.schemaFile(for: schemas))
        #expect(file.contains("primary_key: [trader, symbol]"))
        for table in schemas {
            #expect(file.contains("  \(table.name):\n"))
            for column in table.columns {
                #expect(file.contains("      \(column.name): \(DemoData.schemaFileType(of: column, in: table.name))\n"))
            }
        }
        #expect(file.contains("side: [BUY, SELL]"))
        #expect(file.contains("trade_status: [pending, filled, cancelled]"))
        #expect(file.contains("risk_level: [low, medium, high]"))
    }

    // MARK: Over the wire

    /// One COPY row of `SUBSCRIBE trades WITH (PROGRESS)`: text fields split at tabs.
    struct SubscribeRow {
        var timestamp: UInt64
        var progressed: Bool
        var diff: Int
        var id: String

        init(_ payload: ArraySlice<UInt8>) throws {
            var line = String(decoding: payload, as: UTF8.self)
            if line.hasSuffix("\n") { line.removeLast() }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            try #require(fields.count == 3 + DemoData.trades.columns.count)
            timestamp = try #require(UInt64(fields[0]))
            progressed = fields[1] == "t"
            diff = Int(fields[2]) ?? 0
            id = fields[3]
        }
    }

    @Test func subscribeSeesInsertsUpdatesAndDeletes() async throws {
        let catalog = Catalog()
        let driver = DemoDriver(catalog: catalog, seed: 5)
        try await driver.seed()
        try await SimServer.withRunning(Sim.configuration(heartbeat: .milliseconds(50)), catalog: catalog) { server in
            try await PostgresConnection.withConnection(Sim.client(server)) { c in
                var rows = try await c.copyOut("COPY (SUBSCRIBE trades WITH (PROGRESS)) TO STDOUT").makeAsyncIterator()
                let steps = 8
                async let stepped: Void = {
                    for _ in 0..<steps {
                        try await Task.sleep(for: .milliseconds(20))
                        try await driver.step()
                    }
                }()
                var asOf: UInt64?
                var pending: [String: [Int]] = [:]  // id → diffs at the open timestamp
                var openTimestamp: UInt64 = 0
                var seen: Set<String> = []
                var progressRows = 0
                func close() {
                    for diffs in pending.values {
                        switch diffs.sorted() {
                        case [1]: seen.insert("insert")
                        case [-1]: seen.insert("delete")
                        case [-1, 1]: seen.insert("update")
                        default: seen.insert("other \(diffs)")
                        }
                    }
                    pending = [:]
                }
                while seen.isSuperset(of: ["insert", "update", "delete"]) == false, progressRows < 400,
                    let payload = try await rows.next()
                {
                    let row = try SubscribeRow(payload)
                    if row.progressed {
                        progressRows += 1
                        if asOf == nil { asOf = row.timestamp }
                        if row.timestamp > openTimestamp { close() }
                        continue
                    }
                    if row.timestamp == asOf { continue }  // the snapshot
                    if row.timestamp != openTimestamp { close() }
                    openTimestamp = row.timestamp
                    pending[row.id, default: []].append(row.diff)
                }
                try await stepped
                #expect(seen == ["insert", "update", "delete"])
                #expect(await driver.tickCount == UInt64(steps))
            }
        }
    }
}
