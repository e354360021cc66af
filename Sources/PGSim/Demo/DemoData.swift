import PGWire

/// The demo's data set: three small, realistic trading tables that ``DemoDriver`` keeps moving,
/// so someone trying `tycostream demo` sees inserts, updates and deletes within seconds.
///
/// - `instruments`: tens of symbols with a price that random-walks, its change since the open
///   and the traded volume.
/// - `trades`: the blotter of recent orders; pending orders fill or cancel, old settled ones age
///   out (the DELETEs).
/// - `positions`: one row per (trader, symbol) that ever had a fill on the blotter, keyed by the
///   composite key `(trader, symbol)`, valued at the instrument's last price.
///
/// Materialize has no enum types, so enum columns are `text` holding the declared values; the
/// schema file (``schemaFile(for:)``, `Fixtures/schemas/demo.yaml`) declares them as enums.
public enum DemoData {
    /// `trades.side`.
    public enum Side: String, CaseIterable, Sendable {
        case buy = "BUY"
        case sell = "SELL"
    }

    /// `trades.status`: a trade starts `pending` and ends `filled` or `cancelled`, never back.
    public enum TradeStatus: String, CaseIterable, Sendable {
        case pending, filled, cancelled
    }

    /// `positions.risk_level`, from the absolute market value (``riskLevel(marketValue:)``).
    public enum RiskLevel: String, CaseIterable, Sendable {
        case low, medium, high
    }

    /// A listed instrument and the price its random walk starts near.
    public struct Instrument: Sendable, Hashable {
        public var symbol: String
        public var name: String
        public var sector: String
        public var referencePrice: Double
    }

    /// The symbols the demo trades (US large caps; prices are rough, it is a demo).
    public static let instrumentList: [Instrument] = [
        .init(symbol: "AAPL", name: "Apple Inc.", sector: "Technology", referencePrice: 190),
        .init(symbol: "MSFT", name: "Microsoft Corp.", sector: "Technology", referencePrice: 410),
        .init(symbol: "NVDA", name: "NVIDIA Corp.", sector: "Technology", referencePrice: 120),
        .init(symbol: "GOOGL", name: "Alphabet Inc.", sector: "Communication Services", referencePrice: 170),
        .init(symbol: "META", name: "Meta Platforms Inc.", sector: "Communication Services", referencePrice: 500),
        .init(symbol: "DIS", name: "Walt Disney Co.", sector: "Communication Services", referencePrice: 100),
        .init(symbol: "AMZN", name: "Amazon.com Inc.", sector: "Consumer Discretionary", referencePrice: 180),
        .init(symbol: "TSLA", name: "Tesla Inc.", sector: "Consumer Discretionary", referencePrice: 240),
        .init(symbol: "JPM", name: "JPMorgan Chase & Co.", sector: "Financials", referencePrice: 200),
        .init(symbol: "BAC", name: "Bank of America Corp.", sector: "Financials", referencePrice: 38),
        .init(symbol: "GS", name: "Goldman Sachs Group Inc.", sector: "Financials", referencePrice: 460),
        .init(symbol: "V", name: "Visa Inc.", sector: "Financials", referencePrice: 275),
        .init(symbol: "MA", name: "Mastercard Inc.", sector: "Financials", referencePrice: 460),
        .init(symbol: "JNJ", name: "Johnson & Johnson", sector: "Health Care", referencePrice: 155),
        .init(symbol: "PFE", name: "Pfizer Inc.", sector: "Health Care", referencePrice: 28),
        .init(symbol: "UNH", name: "UnitedHealth Group Inc.", sector: "Health Care", referencePrice: 520),
        .init(symbol: "MRK", name: "Merck & Co.", sector: "Health Care", referencePrice: 125),
        .init(symbol: "XOM", name: "Exxon Mobil Corp.", sector: "Energy", referencePrice: 115),
        .init(symbol: "CVX", name: "Chevron Corp.", sector: "Energy", referencePrice: 155),
        .init(symbol: "KO", name: "Coca-Cola Co.", sector: "Consumer Staples", referencePrice: 62),
        .init(symbol: "PEP", name: "PepsiCo Inc.", sector: "Consumer Staples", referencePrice: 170),
        .init(symbol: "WMT", name: "Walmart Inc.", sector: "Consumer Staples", referencePrice: 68),
        .init(symbol: "BA", name: "Boeing Co.", sector: "Industrials", referencePrice: 180),
        .init(symbol: "CAT", name: "Caterpillar Inc.", sector: "Industrials", referencePrice: 340),
    ]

    /// The traders who place the demo's orders.
    public static let traders = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]

    // MARK: Tables

    /// `instruments`, keyed by `symbol`.
    public static let instruments = TableSchema(
        name: "instruments",
        columns: [
            .init(name: "symbol", type: .text, notNull: true),
            .init(name: "name", type: .text, notNull: true),
            .init(name: "sector", type: .text, notNull: true),
            .init(name: "last_price", type: .float8, notNull: true),
            .init(name: "change_pct", type: .float8, notNull: true),
            .init(name: "volume", type: .int8, notNull: true),
        ],
        primaryKey: [0])

    /// `trades`, keyed by `id` (ids increase with time).
    public static let trades = TableSchema(
        name: "trades",
        columns: [
            .init(name: "id", type: .int4, notNull: true),
            .init(name: "symbol", type: .text, notNull: true),
            .init(name: "side", type: .text, notNull: true),
            .init(name: "quantity", type: .int4, notNull: true),
            .init(name: "price", type: .float8, notNull: true),
            .init(name: "status", type: .text, notNull: true),
            .init(name: "trader", type: .text, notNull: true),
            .init(name: "executed_at", type: .timestamptz, notNull: true),
        ],
        primaryKey: [0])

    /// `positions`, keyed by `(trader, symbol)`.
    public static let positions = TableSchema(
        name: "positions",
        columns: [
            .init(name: "trader", type: .text, notNull: true),
            .init(name: "symbol", type: .text, notNull: true),
            .init(name: "quantity", type: .int4, notNull: true),
            .init(name: "average_price", type: .float8, notNull: true),
            .init(name: "market_value", type: .float8, notNull: true),
            .init(name: "unrealized_pnl", type: .float8, notNull: true),
            .init(name: "risk_level", type: .text, notNull: true),
            .init(name: "updated_at", type: .timestamptz, notNull: true),
        ],
        primaryKey: [0, 1])

    /// The demo's tables, in the order they are created and written each tick.
    public static let tables: [TableSchema] = [instruments, trades, positions]

    /// Creates the demo's tables (empty); 42P07 if one exists already.
    public static func createTables(in catalog: Catalog) async throws(SimError) {
        for table in tables {
            try await catalog.createTable(table)
        }
    }

    // MARK: Valuation

    /// Exposure bands: under 50 000 is low, under 250 000 medium, else high.
    public static func riskLevel(marketValue: Double) -> RiskLevel {
        let exposure = abs(marketValue)
        if exposure < 50_000 { return .low }
        if exposure < 250_000 { return .medium }
        return .high
    }

    /// Rounds to cents, as prices and amounts are shown.
    static func cents(_ value: Double) -> Double {
        (value * 100).rounded() / 100
    }

    // MARK: Schema file

    /// The enums the schema file declares, in file order, with the columns that carry them.
    public static let enums: [(name: String, values: [String], columns: [String])] = [
        ("side", Side.allCases.map(\.rawValue), ["trades.side"]),
        ("trade_status", TradeStatus.allCases.map(\.rawValue), ["trades.status"]),
        ("risk_level", RiskLevel.allCases.map(\.rawValue), ["positions.risk_level"]),
    ]

    /// The schema-file type of a column: its declared enum, else the builtin type the column's
    /// PostgreSQL type decodes to (the names of GraphQLAPI's `SchemaFile.builtinTypes`).
    public static func schemaFileType(of column: TableSchema.Column, in table: String) -> String {
        if let declared = enums.first(where: { $0.columns.contains("\(table).\(column.name)") }) {
            return declared.name
        }
        switch column.type {
        case .int2, .int4: return "Integer"
        case .int8, .numeric: return "BigInt"
        case .float4, .float8: return "Float"
        case .timestamp, .timestamptz: return "Timestamp"
        case .date: return "Date"
        case .time: return "Time"
        case .bool: return "Boolean"
        case .uuid: return "UUID"
        case .json, .jsonb: return "JSON"
        default: return column.type.arrayElement != nil ? "Array" : "String"
        }
    }

    /// The YAML schema file for `tables` (the format of GraphQLAPI's `SchemaFile`): the demo's
    /// enums, then each table as a source with its primary key (a list when composite) and columns
    /// in table order. `Fixtures/schemas/demo.yaml` is this text for ``tables``.
    public static func schemaFile(for tables: [TableSchema] = tables) -> String {
        var text = """
            # The demo's schema (tycostream demo, tycostream sim --demo): generated from
            # PGSim's DemoData.schemaFile(); a test checks it matches the simulator's tables.
            enums:

            """
        for declared in enums {
            text += "  \(declared.name): [\(declared.values.joined(separator: ", "))]\n"
        }
        text += "\nsources:\n"
        for (index, table) in tables.enumerated() {
            if index > 0 { text += "\n" }
            text += "  \(table.name):\n"
            let keys = table.primaryKey.map { table.columns[$0].name }
            text += "    primary_key: " + (keys.count == 1 ? keys[0] : "[\(keys.joined(separator: ", "))]") + "\n"
            text += "    columns:\n"
            for column in table.columns {
                text += "      \(column.name): \(schemaFileType(of: column, in: table.name))\n"
            }
        }
        return text
    }
}
