import PGSim
import PGWire
import Testing

@Suite struct SQLParserTests {
    static func parse(_ sql: String) throws -> Statement {
        let statements = try SQLParser.parse(sql)
        try #require(statements.count == 1)
        return statements[0]
    }

    static func error(_ sql: String) -> SimError? {
        do {
            _ = try SQLParser.parse(sql)
            return nil
        } catch {
            return error
        }
    }

    @Test func createTableWithColumnKeyAndTypes() throws {
        let statement = try Self.parse("""
            CREATE TABLE Orders (id bigint PRIMARY KEY, name varchar(20) NOT NULL, price double precision,
              at timestamp with time zone, local timestamp, d date, t time, ok boolean, n numeric(10, 2),
              u uuid, j jsonb, tags text[], counts int4[], s smallint, r real, "Mixed Case" text)
            """)
        guard case .createTable(let schema, let ifNotExists) = statement else {
            Issue.record("not a CREATE TABLE: \(statement)")
            return
        }
        #expect(!ifNotExists)
        #expect(schema.name == "orders")
        #expect(schema.primaryKey == [0])
        #expect(schema.columns.map(\.type) == [
            .int8, .varchar, .float8, .timestamptz, .timestamp, .date, .time, .bool, .numeric, .uuid, .jsonb,
            .textArray, .int4Array, .int2, .float4, .text,
        ])
        #expect(schema.columns[0].notNull && schema.columns[1].notNull && !schema.columns[2].notNull)
        #expect(schema.columns.last?.name == "Mixed Case")
    }

    @Test func createTableWithTableKey() throws {
        guard case .createTable(let schema, _) = try Self.parse("create table if not exists kv (a int, b text, v text, primary key (b, a))") else {
            Issue.record("not a CREATE TABLE")
            return
        }
        #expect(schema.primaryKey == [1, 0])
        #expect(schema.columns[0].notNull && schema.columns[1].notNull)
    }

    @Test func dml() throws {
        guard case .insert("t", ["a", "b"], let rows) = try Self.parse("INSERT INTO t (a, b) VALUES (1, 'x'), (-2, NULL)") else {
            Issue.record("not an INSERT")
            return
        }
        #expect(rows.map { $0.map(\.value) } == [[.number("1"), .string("x")], [.number("-2"), .null]])
        #expect(rows[0][0].position == 30)
        guard case .update(let table, let assignments, let conditions) = try Self.parse("UPDATE t SET b = 'y', c = true WHERE a >= 2 AND b IS NOT NULL") else {
            Issue.record("not an UPDATE")
            return
        }
        #expect(table == "t")
        #expect(assignments.map(\.column) == ["b", "c"])
        #expect(conditions.map(\.op) == [.greaterOrEqual, .isNotNull])
        guard case .delete("t", let deleteConditions) = try Self.parse("DELETE FROM public.t WHERE a <> 3") else {
            Issue.record("not a DELETE")
            return
        }
        #expect(deleteConditions.first?.op == .notEqual)
    }

    @Test func selects() throws {
        guard case .select(let select) = try Self.parse("SELECT a, b FROM materialize.public.t WHERE a = 1 ORDER BY b DESC LIMIT 5") else {
            Issue.record("not a SELECT")
            return
        }
        #expect(select.columns == ["a", "b"])
        #expect(select.schema == nil)
        #expect(select.table == "t")
        #expect(select.limit == 5)
        #expect(select.orderBy.first?.column == "b" && select.orderBy.first?.descending == true)
        guard case .select(let info) = try Self.parse(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 't' AND table_schema = 'public' ORDER BY ordinal_position")
        else {
            Issue.record("not a SELECT")
            return
        }
        #expect(info.schema == "information_schema")
        #expect(info.table == "columns")
        guard case .selectLiterals(let literals, let names) = try Self.parse("SELECT 1, 'a' AS x") else {
            Issue.record("not a literal SELECT")
            return
        }
        #expect(literals.map(\.value) == [.number("1"), .string("a")])
        #expect(names == [nil, "x"])
    }

    @Test func sessionStatements() throws {
        #expect(try Self.parse("SET cluster = prod") == .set(name: "cluster", value: "prod"))
        #expect(try Self.parse("SET application_name TO 'my app'") == .set(name: "application_name", value: "my app"))
        #expect(try Self.parse("BEGIN") == .transaction(.begin))
        #expect(try Self.parse("commit") == .transaction(.commit))
        #expect(try Self.parse("ROLLBACK") == .transaction(.rollback))
        #expect(try Self.parse("SHOW COLUMNS FROM t") == .showColumns("t"))
        #expect(try SQLParser.parse("  -- nothing\n") == [.empty])
    }

    @Test func multipleStatementsAndSubscribeText() throws {
        let statements = try SQLParser.parse("SELECT 1; COPY (SUBSCRIBE (SELECT a FROM t)) TO STDOUT; DROP TABLE t")
        #expect(statements.count == 3)
        #expect(statements[1] == .subscribe(sql: "COPY (SUBSCRIBE (SELECT a FROM t)) TO STDOUT", characterOffset: 10))
        #expect(statements[2] == .dropTable("t", ifExists: false))
    }

    @Test func syntaxErrorsCarryPositions() throws {
        let error = try #require(Self.error("SELECT a FROM"))
        #expect(error.sqlState == "42601")
        #expect(error.diagnostic.position == 14)
        let bad = try #require(Self.error("INSERT INTO t VALUES (1,, 2)"))
        #expect(bad.sqlState == "42601")
        #expect(bad.diagnostic.position == 25)
        #expect(Self.error("SELECT 'unterminated")?.sqlState == "42601")
        #expect(Self.error("CREATE TABLE t (a blob)")?.sqlState == "42704")
        #expect(Self.error("CREATE TABLE t (a int PRIMARY KEY, b int PRIMARY KEY)")?.sqlState == "42P16")
        #expect(Self.error("CREATE TABLE t (a int, PRIMARY KEY (z))")?.sqlState == "42703")
    }

    @Test func unsupportedIsZeroA000() {
        #expect(Self.error("CREATE VIEW v AS SELECT 1")?.sqlState == "0A000")
        #expect(Self.error("SELECT * FROM t WHERE a = 1 OR b = 2")?.sqlState == "0A000")
        #expect(Self.error("SELECT count(*) FROM t")?.sqlState == "0A000")
        #expect(Self.error("COPY t TO STDOUT")?.sqlState == "0A000")
        #expect(Self.error("DECLARE c CURSOR FOR SUBSCRIBE t")?.sqlState == "0A000")
        let deep = "SELECT " + String(repeating: "ARRAY[", count: 100_000)
        #expect(Self.error(deep)?.sqlState == "0A000")
    }

    @Test(arguments: ["", ";", "(", ")", "'", "\"", "SELECT", "INSERT INTO", "UPDATE t SET", "CREATE TABLE t (", "\u{0}", "SELECT 1e", "é", "/*"])
    func garbageNeverTraps(sql: String) {
        // Whatever the input, parsing ends in statements or an error.
        _ = Self.error(sql)
    }
}
