import Server
import Testing

@Suite struct SchemaIntrospectionTests {
    typealias ObjectName = SchemaIntrospection.ObjectName

    @Test func parsesQualifiedAndQuotedNames() throws {
        #expect(try ObjectName(parsing: "trades") == ObjectName(name: "trades"))
        #expect(try ObjectName(parsing: "analytics.trades") == ObjectName(schema: "analytics", name: "trades"))
        #expect(try ObjectName(parsing: "db.analytics.trades") == ObjectName(catalog: "db", schema: "analytics", name: "trades"))
        #expect(try ObjectName(parsing: "\"my.view\"") == ObjectName(name: "my.view"))
        #expect(try ObjectName(parsing: "s.\"Say \"\"hi\"\"\"") == ObjectName(schema: "s", name: "Say \"hi\""))
        #expect(try ObjectName(parsing: "Trades") == ObjectName(name: "Trades"))
        #expect(ObjectName(schema: "s", name: "My View").description == "s.\"My View\"")
    }

    @Test(arguments: ["", "a..b", ".a", "a.", "a.b.c.d", "\"open", "a\u{0}b"])
    func refusesMalformedNames(_ text: String) {
        #expect(throws: ServerError.self) { try ObjectName(parsing: text) }
    }

    @Test func buildsOneFilteredQuery() {
        #expect(
            SchemaIntrospection.query(for: [ObjectName(name: "trades")])
                == "SELECT table_catalog, table_schema, table_name, column_name, data_type FROM information_schema.columns WHERE table_name = 'trades' ORDER BY table_catalog, table_schema, table_name, ordinal_position")
        let query = SchemaIntrospection.query(for: [
            ObjectName(name: "trades"), ObjectName(schema: "x", name: "it's"), ObjectName(schema: "y", name: "trades"),
        ])
        #expect(query.contains("WHERE table_name IN ('trades', 'it''s') ORDER BY"))
    }

    static func column(_ schema: String, _ table: String, _ name: String, catalog: String = "db") -> SchemaIntrospection.Column {
        .init(catalog: catalog, schema: schema, table: table, name: name, dataType: "integer")
    }

    @Test func resolvesQualifiedAndUnqualifiedNames() {
        let catalog = SchemaIntrospection(columns: [
            Self.column("public", "trades", "id"), Self.column("analytics", "trades", "id"), Self.column("analytics", "trades", "px"),
            Self.column("a", "only_here", "id"), Self.column("mz_catalog", "sys", "id"), Self.column("mine", "sys", "id"),
            Self.column("a", "twice", "id"), Self.column("b", "twice", "id"),
        ])
        guard case .found(let name, let columns) = catalog.resolve(ObjectName(schema: "analytics", name: "trades")) else {
            Issue.record("analytics.trades not found")
            return
        }
        #expect(name == ObjectName(schema: "analytics", name: "trades"))
        #expect(columns.map(\.name) == ["id", "px"])
        #expect(catalog.resolve(ObjectName(name: "trades")) == .found(ObjectName(schema: "public", name: "trades"), [Self.column("public", "trades", "id")]))
        #expect(catalog.resolve(ObjectName(name: "only_here")) == .found(ObjectName(schema: "a", name: "only_here"), [Self.column("a", "only_here", "id")]))
        #expect(catalog.resolve(ObjectName(name: "sys")) == .found(ObjectName(schema: "mine", name: "sys"), [Self.column("mine", "sys", "id")]))
        #expect(catalog.resolve(ObjectName(name: "twice")) == .ambiguous([
            ObjectName(catalog: "db", schema: "a", name: "twice"), ObjectName(catalog: "db", schema: "b", name: "twice"),
        ]))
        #expect(catalog.resolve(ObjectName(name: "nothing")) == .missing(similar: []))
        #expect(catalog.resolve(ObjectName(schema: "other", name: "trades")) == .missing(similar: [
            ObjectName(schema: "public", name: "trades"), ObjectName(schema: "analytics", name: "trades"),
        ]))
    }
}
