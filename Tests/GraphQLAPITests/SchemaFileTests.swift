import Foundation
import GraphQLAPI
import LiveViews
import Testing

/// The repository's `Fixtures/schemas` folder, found from this file's path.
func fixtureSchemaPath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/schemas/\(name)").path
}

@Suite struct SchemaFileTests {
    @Test func loadsUpstreamExampleInFileOrder() throws {
        let file = try SchemaFile.load(path: fixtureSchemaPath("upstream-example.yaml"))
        #expect(file.enums.map(\.name) == ["side", "event_type"])
        #expect(file.enums[0].values == ["buy", "sell"])
        #expect(file.sources.map(\.name) == ["live_pnl", "trades", "alerts"])

        let pnl = try #require(file.source(named: "live_pnl"))
        #expect(pnl.schema.columns.map(\.name) == [
            "instrument_id", "symbol", "net_position", "last_price", "market_value", "realized_pnl", "unrealized_pnl",
        ])
        #expect(pnl.schema.columns.map(\.type) == [.integer, .string, .bigInt, .float, .float, .float, .float])
        #expect(pnl.schema.primaryKey == [0])
        #expect(pnl.object == "live_pnl")

        let trades = try #require(file.source(named: "trades"))
        #expect(trades.schema.columns[2].type == .enumeration(EnumType(name: "side", values: ["buy", "sell"])))
        #expect(trades.schema.columns[5].type == .timestamp)
        #expect(trades.enums.map(\.name) == ["side"])

        let alerts = try #require(file.source(named: "alerts"))
        #expect(alerts.schema.columns.last?.type == .json)
        #expect(alerts.line == 33)
    }

    @Test func compositeKeyAndObjectName() throws {
        let file = try SchemaFile.load(path: fixtureSchemaPath("composite-key.yaml"))
        let positions = try #require(file.sources.first)
        #expect(positions.object == "public.positions_v2")
        #expect(positions.schema.primaryKey == [0, 1])
        #expect(positions.schema.columns.map(\.type) == [
            .integer, .integer, .enumeration(EnumType(name: "side", values: ["buy", "sell"])), .bigInt, .timestamp, .array,
        ])
    }

    @Test func blockListPrimaryKeyAndEnumDeclaredAfterSources() throws {
        let file = try SchemaFile(yaml: """
            sources:
              fills:
                primary_key:
                  - order_id
                  - seq
                columns:
                  seq: Integer
                  order_id: UUID
                  state: state
            enums:
              state: [NEW, DONE]
            """)
        let fills = try #require(file.sources.first)
        #expect(fills.schema.primaryKey == [1, 0])
        #expect(fills.schema.columns[2].type == .enumeration(EnumType(name: "state", values: ["NEW", "DONE"])))
    }

    @Test func nullEnumsSectionIsAllowed() throws {
        let file = try SchemaFile(yaml: "enums:\nsources:\n  a:\n    primary_key: id\n    columns:\n      id: Integer\n")
        #expect(file.enums.isEmpty)
        #expect(file.sources.count == 1)
    }

    @Test func missingFileSaysWhatToDo() {
        let error = #expect(throws: GraphQLAPIError.self) { try SchemaFile.load(path: "/nonexistent/schema.yaml") }
        #expect(error?.code == .unreadableFile)
        #expect(error?.message.contains("SCHEMA_PATH") == true)
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        let label: String
        let yaml: String
        let code: GraphQLAPIError.Code
        let line: Int
        let column: Int
        let fragments: [String]
        var testDescription: String { label }
    }

    static let badCases: [BadCase] = [
        BadCase(
            label: "unknown type suggests the closest", yaml: "sources:\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n      symbol: Strng\n",
            code: .unknownType, line: 6, column: 15,
            fragments: ["unknown type 'Strng'", "did you mean 'String'?", "Integer, Float, BigInt"]),
        BadCase(
            label: "SQL type name maps to ours", yaml: "sources:\n  t:\n    primary_key: id\n    columns:\n      id: int4\n",
            code: .unknownType, line: 5, column: 11, fragments: ["did you mean 'Integer'?"]),
        BadCase(
            label: "wrong case", yaml: "sources:\n  t:\n    primary_key: id\n    columns:\n      id: integer\n",
            code: .unknownType, line: 5, column: 11, fragments: ["did you mean 'Integer'?", "case-sensitive"]),
        BadCase(
            label: "misspelt enum", yaml: "enums:\n  side: [buy, sell]\nsources:\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n      s: sides\n",
            code: .unknownType, line: 8, column: 10, fragments: ["did you mean 'side'?", "a declared enum (side)"]),
        BadCase(
            label: "unknown source key lists allowed keys", yaml: "sources:\n  t:\n    primary_key: id\n    colums:\n      id: Integer\n",
            code: .unknownKey, line: 4, column: 5,
            fragments: ["unknown key 'colums' in source 't'", "did you mean 'columns'?", "primary_key, columns, object"]),
        BadCase(
            label: "unknown top-level key", yaml: "source:\n  t:\n    primary_key: id\n",
            code: .unknownKey, line: 1, column: 1, fragments: ["did you mean 'sources'?", "enums, sources"]),
        BadCase(
            label: "missing sources", yaml: "enums:\n  side: [buy]\n",
            code: .missingKey, line: 1, column: 1, fragments: ["no `sources:`"]),
        BadCase(
            label: "empty file", yaml: "\n", code: .missingKey, line: 1, column: 1, fragments: ["empty"]),
        BadCase(
            label: "empty sources", yaml: "sources:\n", code: .missingKey, line: 1, column: 1, fragments: ["at least one source"]),
        BadCase(
            label: "missing primary key", yaml: "sources:\n  t:\n    columns:\n      id: Integer\n",
            code: .invalidPrimaryKey, line: 2, column: 3, fragments: ["no `primary_key:`", "primary_key: id"]),
        BadCase(
            label: "key column not among columns", yaml: "sources:\n  t:\n    primary_key: trade_id\n    columns:\n      id: Integer\n      tradeid: Integer\n",
            code: .invalidPrimaryKey, line: 3, column: 18,
            fragments: ["'trade_id' is not among its columns (id, tradeid)", "did you mean 'tradeid'?"]),
        BadCase(
            label: "composite key with a missing column", yaml: "sources:\n  t:\n    primary_key: [a, zzz]\n    columns:\n      a: Integer\n",
            code: .invalidPrimaryKey, line: 3, column: 22, fragments: ["'zzz' is not among its columns (a)"]),
        BadCase(
            label: "key column twice", yaml: "sources:\n  t:\n    primary_key: [a, a]\n    columns:\n      a: Integer\n",
            code: .invalidPrimaryKey, line: 3, column: 22, fragments: ["names 'a' twice"]),
        BadCase(
            label: "empty key list", yaml: "sources:\n  t:\n    primary_key: []\n    columns:\n      a: Integer\n",
            code: .invalidPrimaryKey, line: 3, column: 18, fragments: ["names no column"]),
        BadCase(
            label: "no columns", yaml: "sources:\n  t:\n    primary_key: id\n    columns:\n",
            code: .missingKey, line: 4, column: 5, fragments: ["declares no columns"]),
        BadCase(
            label: "empty enum", yaml: "enums:\n  side: []\nsources:\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n",
            code: .emptyEnum, line: 2, column: 9, fragments: ["enum 'side' has no values"]),
        BadCase(
            label: "enum without values", yaml: "enums:\n  side:\nsources:\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n",
            code: .emptyEnum, line: 2, column: 3, fragments: ["enum 'side' has no values"]),
        BadCase(
            label: "duplicate enum value", yaml: "enums:\n  side:\n    - buy\n    - sell\n    - buy\nsources:\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n",
            code: .duplicateName, line: 5, column: 7, fragments: ["lists 'buy' twice (first at line 3)"]),
        BadCase(
            label: "duplicate column", yaml: "sources:\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n      px: Float\n      id: String\n",
            code: .duplicateName, line: 7, column: 7, fragments: ["column 'id' is declared twice (first at line 5)"]),
        BadCase(
            label: "duplicate source", yaml: "sources:\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n",
            code: .duplicateName, line: 6, column: 3, fragments: ["source 't' is declared twice (first at line 2)"]),
        BadCase(
            label: "duplicate enum", yaml: "enums:\n  side: [a]\n  side: [b]\nsources:\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n",
            code: .duplicateName, line: 3, column: 3, fragments: ["enum 'side' is declared twice (first at line 2)"]),
        BadCase(
            label: "invalid source name", yaml: "sources:\n  live-pnl:\n    primary_key: id\n    columns:\n      id: Integer\n",
            code: .invalidName, line: 2, column: 3, fragments: ["'live-pnl' is not a valid GraphQL name for a source", "'live_pnl'"]),
        BadCase(
            label: "column name starting with a digit", yaml: "sources:\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n      1d_change: Float\n",
            code: .invalidName, line: 6, column: 7, fragments: ["'1d_change' is not a valid GraphQL name for a column of source 't'"]),
        BadCase(
            label: "double underscore", yaml: "sources:\n  __t:\n    primary_key: id\n    columns:\n      id: Integer\n",
            code: .invalidName, line: 2, column: 3, fragments: ["reserved by GraphQL"]),
        BadCase(
            label: "enum value true", yaml: "enums:\n  flag: [true, other]\nsources:\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n",
            code: .invalidName, line: 2, column: 10, fragments: ["'true' cannot be a GraphQL enum value"]),
        BadCase(
            label: "source colliding with generated update type", yaml: "sources:\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n  tUpdate:\n    primary_key: id\n    columns:\n      id: Integer\n",
            code: .nameCollision, line: 6, column: 3, fragments: ["'tUpdate'", "source 't' (line 2)"]),
        BadCase(
            label: "enum named like a source", yaml: "enums:\n  t: [a]\nsources:\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n",
            code: .nameCollision, line: 4, column: 3, fragments: ["GraphQL type 't'", "enum 't' (line 2)"]),
        BadCase(
            label: "source named like a built-in type", yaml: "sources:\n  Trigger:\n    primary_key: id\n    columns:\n      id: Integer\n",
            code: .nameCollision, line: 2, column: 3, fragments: ["the built-in type 'Trigger'"]),
        BadCase(
            label: "enum named like a comparison input", yaml: "enums:\n  String: [a]\nsources:\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n",
            code: .nameCollision, line: 2, column: 3, fragments: ["the built-in type 'String'"]),
        BadCase(
            label: "column named _and", yaml: "sources:\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n      _and: Integer\n",
            code: .nameCollision, line: 6, column: 7, fragments: ["cannot be called '_and'"]),
        BadCase(
            label: "empty object name", yaml: "sources:\n  t:\n    object: ''\n    primary_key: id\n    columns:\n      id: Integer\n",
            code: .invalidValue, line: 3, column: 13, fragments: ["`object:` must name the database view or table"]),
        BadCase(
            label: "columns as a list", yaml: "sources:\n  t:\n    primary_key: id\n    columns:\n      - id\n",
            code: .invalidValue, line: 5, column: 7, fragments: ["mapping of column name to type"]),
        BadCase(
            label: "yaml syntax error", yaml: "sources:\n  t:\n    primary_key: id\n    columns:\n      id: Integer\n     price: Float\n",
            code: .yamlSyntax, line: 6, column: 6, fragments: ["invalid YAML"]),
        BadCase(
            label: "unclosed flow list", yaml: "enums:\n  side: [buy, sell\nsources:\n",
            code: .yamlSyntax, line: 3, column: 8, fragments: ["invalid YAML"]),
    ]

    @Test(arguments: badCases)
    func rejectsWithLineAndAdvice(_ bad: BadCase) {
        let error = #expect(throws: GraphQLAPIError.self) { try SchemaFile(yaml: bad.yaml, path: "bad.yaml") }
        guard let error else { return }
        #expect(error.code == bad.code, "\(error)")
        #expect(error.file == "bad.yaml")
        #expect(error.line == bad.line, "\(error)")
        #expect(error.column == bad.column, "\(error)")
        for fragment in bad.fragments {
            #expect(error.message.contains(fragment), "\(error.message) lacks \(fragment)")
        }
        #expect(error.description.hasPrefix("bad.yaml:\(bad.line):\(bad.column): "))
    }

    @Test(arguments: [
        ("bad-unknown-type.yaml", GraphQLAPIError.Code.unknownType, 6),
        ("bad-unknown-key.yaml", .unknownKey, 4),
        ("bad-missing-key-column.yaml", .invalidPrimaryKey, 3),
        ("bad-yaml-syntax.yaml", .yamlSyntax, 6),
    ])
    func badFixtureFiles(name: String, code: GraphQLAPIError.Code, line: Int) {
        let path = fixtureSchemaPath(name)
        let error = #expect(throws: GraphQLAPIError.self) { try SchemaFile.load(path: path) }
        #expect(error?.code == code)
        #expect(error?.file == path)
        #expect(error?.line == line)
    }
}
