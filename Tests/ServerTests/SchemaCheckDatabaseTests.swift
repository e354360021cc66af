import Foundation
import GraphQLAPI
import LiveViews
import PGClient
import PGSim
import Server
import Testing

/// `SchemaCheck` and `SchemaGenerator` against real catalogs: PGSim in-process (always), and the
/// throwaway PostgreSQL 15 of `scripts/test` (when PGTEST_PORT is set or PGTEST_REQUIRED=1).
@Suite(.timeLimit(.minutes(2)))
struct SchemaCheckDatabaseTests {
    static let environment = ProcessInfo.processInfo.environment
    static var postgresAvailable: Bool { environment["PGTEST_PORT"] != nil || environment["PGTEST_REQUIRED"] == "1" }

    struct MissingPostgres: Error, CustomStringConvertible {
        var description: String { "PGTEST_PORT is not set: run the tests with scripts/test, which starts PostgreSQL" }
    }

    static func postgres() throws -> ConnectionConfiguration {
        guard let port = environment["PGTEST_PORT"].flatMap(Int.init) else { throw MissingPostgres() }
        return ConnectionConfiguration(
            host: environment["PGTEST_HOST"] ?? "127.0.0.1", port: port, user: "trust_user",
            database: environment["PGTEST_DATABASE"] ?? "tycostream_test", sslMode: .disable,
            connectTimeout: .seconds(5), authenticationTimeout: .seconds(10))
    }

    /// Runs `body` with PGSim holding the tables of `sql`.
    static func withSim<T: Sendable>(_ sql: String, _ body: (ConnectionConfiguration) async throws -> T) async throws -> T {
        let catalog = Catalog()
        try await Executor(catalog: catalog).run(sql)
        return try await SimServer.withRunning(catalog: catalog) { server in
            try await body(ConnectionConfiguration(
                host: "127.0.0.1", port: server.port, user: "materialize", database: "materialize", sslMode: .disable))
        }
    }

    /// Runs `body` with a fresh PostgreSQL schema holding the tables of `sql` (`SCHEMA` is replaced by its name).
    static func withPostgres<T: Sendable>(_ sql: String, _ body: (ConnectionConfiguration, String) async throws -> T) async throws -> T {
        let configuration = try postgres()
        let schema = "ck_\(UInt32.random(in: 0...UInt32.max))"
        try await PostgresConnection.withConnection(configuration) { connection in
            _ = try await connection.simpleQuery("CREATE SCHEMA \(schema); " + sql.replacingOccurrences(of: "SCHEMA", with: schema))
        }
        do {
            let result = try await body(configuration, schema)
            try await PostgresConnection.withConnection(configuration) { connection in
                _ = try await connection.query("DROP SCHEMA \(schema) CASCADE")
            }
            return result
        } catch {
            try? await PostgresConnection.withConnection(configuration) { connection in
                _ = try await connection.query("DROP SCHEMA \(schema) CASCADE")
            }
            throw error
        }
    }

    static let simTables = """
        CREATE TABLE trades (id int PRIMARY KEY, side text, price double precision, qty bigint, amount numeric,
          at timestamptz, day date, t time, ok bool, meta jsonb, tags text[], ref uuid, span interval);
        CREATE TABLE positions (trader varchar, symbol text, quantity int8, PRIMARY KEY (trader, symbol));
        """

    static let simSchema = """
        enums:
          side: [buy, sell]
        sources:
          trades:
            primary_key: id
            columns:
              id: Integer
              side: side
              price: Float
              qty: BigInt
              amount: BigInt
              at: Timestamp
              day: Date
              t: Time
              ok: Boolean
              meta: JSON
              tags: Array
              ref: UUID
              span: String
          positions:
            primary_key: [trader, symbol]
            columns:
              trader: String
              symbol: String
              quantity: Integer
        """

    // MARK: PGSim

    @Test func simMatchingSchemaPasses() async throws {
        let report = try await Self.withSim(Self.simTables) { configuration in
            try await SchemaCheck(schema: try SchemaFile(yaml: Self.simSchema)).run(configuration)
        }
        #expect(report.isOK, "\(report.text)")
        #expect(report.sources.map(\.resolved) == ["public.trades", "public.positions"])
        #expect(report.sources[0].notes.count == 1)
    }

    @Test func simReportsEachKindOfProblem() async throws {
        let yaml = """
            sources:
              trades:
                primary_key: id
                columns:
                  id: Integer
                  price: Integer
                  missing: String
              positions:
                primary_key: [trader, sym]
                columns:
                  trader: String
                  sym: String
              gone:
                primary_key: id
                columns:
                  id: Integer
            """
        let report = try await Self.withSim(Self.simTables) { configuration in
            try await SchemaCheck(schema: try SchemaFile(yaml: yaml)).run(configuration)
        }
        #expect(report.sources.map { $0.problems.map(\.kind) } == [
            [.incompatibleType, .missingColumn], [.missingKeyColumn], [.missingObject],
        ])
        #expect(report.problems[0].message.contains("column 'price' is declared Integer but is double precision"))
    }

    @Test func simGeneratedSchemaLoadsAndMatches() async throws {
        let generator = try SchemaGenerator(
            sourceArguments: ["trades", "positions"], keyArguments: ["id", "trader,symbol"],
            enumArguments: ["side=buy,sell"], columnArguments: ["side:side"])
        try await Self.withSim(Self.simTables) { configuration in
            let yaml = try await generator.generate(configuration)
            let file = try SchemaFile(yaml: yaml)
            #expect(yaml.contains("      span: String  # interval has no schema type of its own"))
            #expect(file.sources.map { $0.schema.columns.map(\.name) } == [
                ["id", "side", "price", "qty", "amount", "at", "day", "t", "ok", "meta", "tags", "ref", "span"],
                ["trader", "symbol", "quantity"],
            ])
            #expect(file.sources[0].schema.columns.map(\.type.description) == [
                "Integer", "side", "Float", "BigInt", "Float", "Timestamp", "Date", "Time", "Boolean", "JSON", "Array", "UUID", "String",
            ])
            #expect(file.sources[1].schema.columns.map(\.type.description) == ["String", "String", "BigInt"])
            let report = try await SchemaCheck(schema: file).run(configuration)
            #expect(report.isOK, "\(report.text)")
        }
    }

    // MARK: PostgreSQL 15

    static let postgresTables = """
        CREATE TYPE SCHEMA.side AS ENUM ('buy', 'sell');
        CREATE TABLE SCHEMA.trades (id integer PRIMARY KEY, side SCHEMA.side, symbol varchar(12), price numeric(12,4),
          qty bigint, at timestamp with time zone, local_at timestamp, day date, t time, ok boolean, meta json,
          tags integer[], ref uuid, code char(3), span interval);
        CREATE VIEW SCHEMA.positions AS SELECT symbol, sum(qty) AS quantity FROM SCHEMA.trades GROUP BY symbol;
        """

    static func postgresSchema(_ schema: String) -> String {
        """
        enums:
          side: [buy, sell]
        sources:
          trades:
            primary_key: id
            object: \(schema).trades
            columns:
              id: Integer
              side: side
              symbol: String
              price: Float
              qty: BigInt
              at: Timestamp
              local_at: Timestamp
              day: Date
              t: Time
              ok: Boolean
              meta: JSON
              tags: Array
              ref: UUID
              code: String
              span: String
          positions:
            primary_key: symbol
            object: \(schema).positions
            columns:
              symbol: String
              quantity: BigInt
        """
    }

    @Test(.enabled(if: postgresAvailable))
    func postgresMatchingSchemaPasses() async throws {
        let report = try await Self.withPostgres(Self.postgresTables) { configuration, schema in
            try await SchemaCheck(schema: try SchemaFile(yaml: Self.postgresSchema(schema))).run(configuration)
        }
        #expect(report.isOK, "\(report.text)")
    }

    @Test(.enabled(if: postgresAvailable))
    func postgresReportsEachKindOfProblem() async throws {
        let report = try await Self.withPostgres(Self.postgresTables) { configuration, schema in
            let yaml = """
                sources:
                  trades:
                    primary_key: ident
                    object: \(schema).trades
                    columns:
                      ident: Integer
                      price: Boolean
                      nothere: String
                  absent:
                    primary_key: id
                    object: \(schema).absent
                    columns:
                      id: Integer
                """
            return try await SchemaCheck(schema: try SchemaFile(yaml: yaml)).run(configuration)
        }
        #expect(report.sources.map { $0.problems.map(\.kind) } == [
            [.missingKeyColumn, .incompatibleType, .missingColumn], [.missingObject],
        ])
        #expect(report.problems[1].message.contains("is declared Boolean but is numeric"))
    }

    @Test(.enabled(if: postgresAvailable))
    func postgresGeneratedSchemaLoadsAndMatches() async throws {
        try await Self.withPostgres(Self.postgresTables) { configuration, schema in
            let generator = try SchemaGenerator(
                sourceArguments: ["\(schema).trades", "\(schema).positions"], keyArguments: ["id", "symbol"],
                enumArguments: ["side=buy,sell"], columnArguments: ["side:side"])
            let yaml = try await generator.generate(configuration)
            let file = try SchemaFile(yaml: yaml)
            #expect(file.sources.map(\.object) == ["\(schema).trades", "\(schema).positions"])
            #expect(file.sources[0].schema.columns.map(\.type.description) == [
                "Integer", "side", "String", "Float", "BigInt", "Timestamp", "Timestamp", "Date", "Time", "Boolean", "JSON",
                "Array", "UUID", "String", "String",
            ])
            #expect(file.sources[1].schema.columns.map(\.type.description) == ["String", "Float"])
            let report = try await SchemaCheck(schema: file).run(configuration)
            #expect(report.isOK, "\(report.text)")
        }
    }
}
