import GraphQLAPI
import Server
import Testing

@Suite struct SchemaCheckTests {
    static let yaml = """
        enums:
          side: [buy, sell]
        sources:
          trades:
            primary_key: id
            columns:
              id: Integer
              side: side
              price: Float
              tags: Array
              at: Timestamp
          positions:
            primary_key: [trader, symbol]
            object: analytics.positions
            columns:
              trader: String
              symbol: String
              qty: BigInt
        """

    static func column(_ schema: String, _ table: String, _ name: String, _ type: String) -> SchemaIntrospection.Column {
        .init(catalog: "materialize", schema: schema, table: table, name: name, dataType: type)
    }

    static let matching: [SchemaIntrospection.Column] = [
        column("public", "trades", "id", "integer"), column("public", "trades", "side", "text"),
        column("public", "trades", "price", "double precision"), column("public", "trades", "tags", "text[]"),
        column("public", "trades", "at", "timestamp with time zone"), column("public", "trades", "extra", "bytea"),
        column("analytics", "positions", "trader", "character varying"), column("analytics", "positions", "symbol", "text"),
        column("analytics", "positions", "qty", "numeric"),
    ]

    static func check(_ columns: [SchemaIntrospection.Column], yaml: String = yaml) throws -> SchemaCheckReport {
        SchemaCheck(schema: try SchemaFile(yaml: yaml, path: "schema.yaml")).evaluate(SchemaIntrospection(columns: columns))
    }

    @Test func matchingSchemaPasses() throws {
        let report = try Self.check(Self.matching)
        #expect(report.isOK)
        #expect(report.sources.map(\.resolved) == ["public.trades", "analytics.positions"])
        #expect(report.text.contains("ok    trades (public.trades): 5 columns match"))
        #expect(report.text.hasSuffix("schema.yaml: all 2 sources match the database.\n"))
    }

    @Test func missingObjectIsReported() throws {
        let report = try Self.check(Self.matching.filter { $0.table != "positions" })
        #expect(!report.isOK)
        #expect(report.sources[0].isOK)
        #expect(report.problems.map(\.kind) == [.missingObject])
        #expect(report.problems[0].message.contains("no table or view 'analytics.positions'"))
        #expect(report.text.contains("FAIL  positions (analytics.positions): 1 problem"))
        #expect(report.text.contains("schema.yaml:12: source 'positions'"))
    }

    @Test func objectInAnotherSchemaIsSuggested() throws {
        let moved = Self.matching.map { column in
            var column = column
            if column.table == "positions" { column.schema = "public" }
            return column
        }
        let report = try Self.check(moved)
        #expect(report.problems.map(\.kind) == [.missingObject])
        #expect(report.problems[0].message.contains("there is 'public.positions': set `object:` to it"))
    }

    @Test func missingColumnIsReportedWithSuggestion() throws {
        let columns = Self.matching.map { column in
            var column = column
            if column.name == "price" { column.name = "prices" }
            return column
        }
        let report = try Self.check(columns)
        #expect(report.problems.count == 1)
        #expect(report.problems[0].kind == .missingColumn)
        #expect(report.problems[0].column == "price")
        #expect(report.problems[0].message.contains("column 'price' does not exist in public.trades; did you mean 'prices'?"))
    }

    @Test func caseMismatchIsExplained() throws {
        let columns = Self.matching.map { column in
            var column = column
            if column.name == "tags" { column.name = "Tags" }
            return column
        }
        let report = try Self.check(columns)
        #expect(report.problems.map(\.kind) == [.missingColumn])
        #expect(report.problems[0].message.contains("the database spells it 'Tags' (names are case-sensitive)"))
    }

    @Test func incompatibleTypeIsReported() throws {
        let columns = Self.matching.map { column in
            var column = column
            if column.name == "price" { column.dataType = "text" }
            if column.name == "at" { column.dataType = "date" }
            return column
        }
        let report = try Self.check(columns)
        #expect(report.problems.map(\.kind) == [.incompatibleType, .incompatibleType])
        #expect(report.problems.map(\.column) == ["price", "at"])
        #expect(report.problems[0].message.contains("column 'price' is declared Float but is text in public.trades"))
        #expect(report.problems[0].message.contains("declare it `price: String`"))
        #expect(report.problems[1].message.contains("declare it `at: Date`"))
    }

    @Test func missingKeyColumnIsReported() throws {
        let report = try Self.check(Self.matching.filter { $0.name != "symbol" })
        #expect(report.problems.map(\.kind) == [.missingKeyColumn])
        #expect(report.problems[0].message.contains("primary key column 'symbol' does not exist in analytics.positions"))
        #expect(report.text.contains("1 problem in 1 of 2 sources"))
    }

    @Test func ambiguousAndInvalidObjectsAreReported() throws {
        let yaml = """
            sources:
              a:
                primary_key: id
                object: t
                columns:
                  id: Integer
              b:
                primary_key: id
                object: x..y
                columns:
                  id: Integer
            """
        let report = try Self.check(
            [Self.column("s1", "t", "id", "integer"), Self.column("s2", "t", "id", "integer")], yaml: yaml)
        #expect(report.problems.map(\.kind) == [.ambiguousObject, .invalidObjectName])
        #expect(report.problems[0].message.contains("set `object:` to the one to use"))
    }

    @Test func textCarriedTypesAreNotes() throws {
        let yaml = """
            sources:
              t:
                primary_key: id
                columns:
                  id: Integer
                  span: String
            """
        let report = try Self.check([Self.column("public", "t", "id", "int4"), Self.column("public", "t", "span", "interval")], yaml: yaml)
        #expect(report.isOK)
        #expect(report.sources[0].notes == ["column 'span' is interval, which has no schema type of its own; it is served as its text form"])
        #expect(report.text.contains("note: column 'span'"))
    }
}
