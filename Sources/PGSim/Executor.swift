import Foundation
public import PGWire

/// Runs the non-streaming statements of one session against the ``Catalog`` and returns the
/// backend messages Materialize would send for each (RowDescription, DataRows, CommandComplete…).
///
/// Results are in text format with the columns' real OIDs, as a simple query's are
/// (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SIMPLE-QUERY).
/// SUBSCRIBE is not run here: the connection driver streams it.
public struct Executor: Sendable {
    public let catalog: Catalog

    /// The per-session state statements read and change.
    public struct Session: Sendable {
        /// Variables SET in this session (lower-cased names), starting with the startup values.
        public var variables: [String: String]
        public var transaction: TransactionStatus = .idle

        public init(variables: [String: String] = [:]) {
            self.variables = variables
        }
    }

    public init(catalog: Catalog) {
        self.catalog = catalog
    }

    /// The variables whose changes are reported with ParameterStatus (materialize-subscribe.md §4).
    static let reportedVariables: Set<String> = [
        "application_name", "client_encoding", "datestyle", "integer_datetimes", "server_version",
        "standard_conforming_strings", "timezone", "intervalstyle", "cluster", "cluster_replica", "database",
        "search_path", "mz_version",
    ]

    /// Runs one statement; a failed statement throws and changes nothing.
    public func execute(_ statement: Statement, session: inout Session) async throws(SimError) -> [BackendMessage] {
        if session.transaction == .failed {
            switch statement {
            case .transaction(.commit), .transaction(.rollback), .empty: break
            default:
                throw SimError(.invalidStatement, sqlState: "25P02", "current transaction is aborted, commands ignored until end of transaction block")
            }
        }
        switch statement {
        case .empty:
            return [.emptyQueryResponse]
        case .createTable(let schema, let ifNotExists):
            try await catalog.createTable(schema, ifNotExists: ifNotExists)
            return [.commandComplete(tag: "CREATE TABLE")]
        case .dropTable(let name, let ifExists):
            try await catalog.dropTable(name, ifExists: ifExists)
            return [.commandComplete(tag: "DROP TABLE")]
        case .insert(let table, let columns, let rows):
            return [.commandComplete(tag: "INSERT 0 \(try await insert(table, columns: columns, rows: rows))")]
        case .update(let table, let assignments, let conditions):
            return [.commandComplete(tag: "UPDATE \(try await update(table, assignments: assignments, conditions: conditions))")]
        case .delete(let table, let conditions):
            let schema = try await schema(table)
            let predicate = try Self.predicate(conditions, schema: schema)
            let (count, _) = try await catalog.delete(from: table, where: predicate)
            return [.commandComplete(tag: "DELETE \(count)")]
        case .select(let select):
            return try await self.select(select)
        case .selectLiterals(let literals, let names):
            return try Self.selectLiterals(literals, names: names)
        case .showColumns(let table):
            let schema = try await schema(table)
            let columns = [
                Self.column("name", .text), Self.column("nullable", .bool), Self.column("type", .text),
            ]
            let rows: [[Datum]] = schema.columns.map {
                [.text($0.name), .bool(!$0.notNull), .text(SQLType.displayName($0.type))]
            }
            return Self.result(columns, rows)
        case .set(let name, let value):
            let key = name.lowercased()
            session.variables[key] = value
            var messages: [BackendMessage] = []
            if Self.reportedVariables.contains(key) {
                messages.append(.parameterStatus(name: Self.reportedName(key), value: value))
            }
            messages.append(.commandComplete(tag: "SET"))
            return messages
        case .show(let name):
            let key = name.lowercased()
            guard let value = session.variables[key] else {
                throw SimError(.invalidStatement, sqlState: "42704", "unrecognized configuration parameter \"\(name)\"")
            }
            return [
                .rowDescription(RowDescription(columns: [Self.column(key, .text)])),
                .dataRow(Self.dataRow([Array(value.utf8)])),
                .commandComplete(tag: "SHOW"),
            ]
        case .transaction(let command):
            switch command {
            case .begin:
                if session.transaction == .idle { session.transaction = .inTransaction }
                return [.commandComplete(tag: "BEGIN")]
            case .commit:
                let failed = session.transaction == .failed
                session.transaction = .idle
                return [.commandComplete(tag: failed ? "ROLLBACK" : "COMMIT")]
            case .rollback:
                session.transaction = .idle
                return [.commandComplete(tag: "ROLLBACK")]
            }
        case .subscribe:
            preconditionFailure("SUBSCRIBE is streamed by the connection, not executed here")
        }
    }

    /// `TimeZone`, `DateStyle`, `IntervalStyle` are reported in their canonical case.
    static func reportedName(_ key: String) -> String {
        switch key {
        case "timezone": "TimeZone"
        case "datestyle": "DateStyle"
        case "intervalstyle": "IntervalStyle"
        default: key
        }
    }

    // MARK: DML

    private func schema(_ table: String) async throws(SimError) -> TableSchema {
        guard let schema = await catalog.schema(of: table) else { throw Catalog.undefinedTable(table) }
        return schema
    }

    private func insert(_ table: String, columns: [String]?, rows: [[Literal]]) async throws(SimError) -> Int {
        let schema = try await schema(table)
        let targets: [Int]
        if let columns {
            var seen: Set<Int> = []
            targets = try columns.map { (name) throws(SimError) -> Int in
                guard let index = schema.columnIndex(named: name) else {
                    throw SimError(.undefinedColumn, sqlState: "42703", "column \"\(name)\" of relation \"\(table)\" does not exist")
                }
                guard seen.insert(index).inserted else {
                    throw SimError(.invalidStatement, sqlState: "42701", "column \"\(name)\" specified more than once")
                }
                return index
            }
        } else {
            targets = Array(schema.columns.indices)
        }
        var values: [[Datum]] = []
        values.reserveCapacity(rows.count)
        for literals in rows {
            guard literals.count <= targets.count else {
                throw SimError(.syntax, sqlState: "42601", "INSERT has more expressions than target columns", position: literals[targets.count].position)
            }
            if columns != nil, literals.count < targets.count {
                throw SimError(.syntax, sqlState: "42601", "INSERT has more target columns than expressions")
            }
            var row = [Datum](repeating: .null, count: schema.columns.count)
            for (literal, target) in zip(literals, targets) {
                row[target] = try Self.datum(literal, for: schema.columns[target])
            }
            values.append(row)
        }
        try await catalog.insert(into: table, rows: values)
        return values.count
    }

    private func update(_ table: String, assignments: [Statement.Assignment], conditions: [Condition]) async throws(SimError) -> Int {
        let schema = try await schema(table)
        var changes: [(Int, Datum)] = []
        for assignment in assignments {
            guard let index = schema.columnIndex(named: assignment.column) else {
                throw SimError(.undefinedColumn, sqlState: "42703", "column \"\(assignment.column)\" of relation \"\(table)\" does not exist", position: assignment.position)
            }
            changes.append((index, try Self.datum(assignment.value, for: schema.columns[index])))
        }
        let predicate = try Self.predicate(conditions, schema: schema)
        let assignmentsToApply = changes
        let (count, _) = try await catalog.update(table, where: predicate) { row in
            var row = row
            for (index, value) in assignmentsToApply { row[index] = value }
            return row
        }
        return count
    }

    // MARK: SELECT

    private func select(_ select: Statement.Select) async throws(SimError) -> [BackendMessage] {
        let relation: TableSchema
        var rows: [[Datum]]
        switch select.schema {
        case "information_schema" where select.table == "columns":
            (relation, rows) = await informationSchemaColumns()
        case "mz_catalog", "pg_catalog", "information_schema":
            throw .unsupported("\(select.schema ?? "").\(select.table) is not available in the simulator", position: select.tablePosition)
        case .some(let schema):
            throw SimError(.undefinedTable, sqlState: "3F000", "unknown schema '\(schema)'", position: select.tablePosition)
        case nil:
            relation = try await self.schema(select.table)
            rows = try await catalog.rows(of: select.table)
        }
        let predicate = try Self.predicate(select.conditions, schema: relation)
        rows = rows.filter(predicate)
        if !select.orderBy.isEmpty {
            var keys: [(Int, Bool)] = []
            for (column, descending) in select.orderBy {
                guard let index = relation.columnIndex(named: column) else { throw Self.undefinedColumn(column) }
                keys.append((index, descending))
            }
            rows.sort { a, b in
                for (index, descending) in keys {
                    let order = Self.order(a[index], b[index])
                    if order != 0 { return descending ? order > 0 : order < 0 }
                }
                return false
            }
        }
        if let limit = select.limit { rows = Array(rows.prefix(max(0, limit))) }
        let indices: [Int]
        if let names = select.columns {
            indices = try zip(names, select.columnPositions).map { (pair) throws(SimError) -> Int in
                guard let index = relation.columnIndex(named: pair.0) else {
                    throw SimError(.undefinedColumn, sqlState: "42703", "column \"\(pair.0)\" does not exist", position: pair.1)
                }
                return index
            }
        } else {
            indices = Array(relation.columns.indices)
        }
        let columns = indices.map { Self.column(relation.columns[$0].name, relation.columns[$0].type) }
        return Self.result(columns, rows.map { row in indices.map { row[$0] } })
    }

    /// The `information_schema.columns` view over our tables, with PostgreSQL's `data_type` names.
    private func informationSchemaColumns() async -> (TableSchema, [[Datum]]) {
        let relation = TableSchema(name: "columns", columns: [
            .init(name: "table_catalog", type: .text), .init(name: "table_schema", type: .text),
            .init(name: "table_name", type: .text), .init(name: "column_name", type: .text),
            .init(name: "ordinal_position", type: .int4), .init(name: "data_type", type: .text),
            .init(name: "is_nullable", type: .text),
        ])
        var rows: [[Datum]] = []
        for schema in await catalog.schemas {
            for (offset, column) in schema.columns.enumerated() {
                rows.append([
                    .text("materialize"), .text("public"), .text(schema.name), .text(column.name),
                    .int32(Int32(offset + 1)), .text(SQLType.dataTypeName(column.type)), .text(column.notNull ? "NO" : "YES"),
                ])
            }
        }
        return (relation, rows)
    }

    private static func selectLiterals(_ literals: [Literal], names: [String?]) throws(SimError) -> [BackendMessage] {
        var columns: [RowDescription.Column] = []
        var row: [Datum] = []
        for (literal, name) in zip(literals, names) {
            let type: TypeOID
            switch literal.value {
            case .null, .string: type = .text
            case .bool: type = .bool
            case .array: type = .textArray
            case .number(let n):
                if let value = Int64(n) { type = Int32(exactly: value) != nil ? .int4 : .int8 } else { type = .numeric }
            }
            columns.append(column(name ?? "?column?", type))
            row.append(try datum(literal, for: TableSchema.Column(name: name ?? "?column?", type: type)))
        }
        return result(columns, [row])
    }

    // MARK: Values

    static func undefinedColumn(_ name: String) -> SimError {
        SimError(.undefinedColumn, sqlState: "42703", "column \"\(name)\" does not exist")
    }

    /// Converts a literal to a column's type through PGWire's text decoder; 22P02 if it does not parse.
    static func datum(_ literal: Literal, for column: TableSchema.Column) throws(SimError) -> Datum {
        guard let text = literal.text else { return .null }
        do {
            return try Datum(text: ArraySlice(text.utf8), type: column.type)
        } catch {
            throw SimError(
                .invalidValue, sqlState: "22P02",
                "invalid input syntax for type \(SQLType.displayName(column.type)): \"\(text)\"", position: literal.position)
        }
    }

    /// A row predicate for AND-ed conditions; 42703 for unknown columns, 22P02 for bad literals.
    static func predicate(_ conditions: [Condition], schema: TableSchema) throws(SimError) -> @Sendable ([Datum]) -> Bool {
        var compiled: [(Int, Condition.Operator, Datum)] = []
        for condition in conditions {
            guard let index = schema.columnIndex(named: condition.column) else {
                throw SimError(.undefinedColumn, sqlState: "42703", "column \"\(condition.column)\" does not exist", position: condition.position)
            }
            let value = try condition.value.map { (literal) throws(SimError) -> Datum in try datum(literal, for: schema.columns[index]) } ?? .null
            compiled.append((index, condition.op, value))
        }
        let conditions = compiled
        return { row in
            for (index, op, value) in conditions {
                let cell = row[index]
                switch op {
                case .isNull: if !cell.isNull { return false }
                case .isNotNull: if cell.isNull { return false }
                case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
                    // SQL's three-valued logic: a comparison with NULL is not true.
                    guard let order = compare(cell, value) else { return false }
                    let holds: Bool
                    switch op {
                    case .equal: holds = order == 0
                    case .notEqual: holds = order != 0
                    case .less: holds = order < 0
                    case .lessOrEqual: holds = order <= 0
                    case .greater: holds = order > 0
                    case .greaterOrEqual: holds = order >= 0
                    case .isNull, .isNotNull: holds = false
                    }
                    if !holds { return false }
                }
            }
            return true
        }
    }

    /// -1, 0, 1, or `nil` when either side is NULL or the values are not comparable.
    static func compare(_ a: Datum, _ b: Datum) -> Int? {
        func sign<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x == y ? 0 : 1) }
        switch (a, b) {
        case (.null, _), (_, .null): return nil
        case (.bool(let x), .bool(let y)): return sign(x ? 1 : 0, y ? 1 : 0)
        case (.int16(let x), .int16(let y)): return sign(x, y)
        case (.int32(let x), .int32(let y)): return sign(x, y)
        case (.int64(let x), .int64(let y)): return sign(x, y)
        case (.float32(let x), .float32(let y)): return sign(x, y)
        case (.float64(let x), .float64(let y)): return sign(x, y)
        case (.numeric(let x), .numeric(let y)): return sign(x, y)
        case (.text(let x), .text(let y)), (.json(let x), .json(let y)), (.jsonb(let x), .jsonb(let y)):
            // Byte order, as a database with the C collation (Materialize's) sorts text.
            if x == y { return 0 }
            return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1
        case (.uuid(let x), .uuid(let y)): return sign(x.uuidString, y.uuidString)
        case (.date(let x), .date(let y)): return sign(x, y)
        case (.time(let x), .time(let y)): return sign(x, y)
        case (.timestamp(let x), .timestamp(let y)), (.timestamptz(let x), .timestamptz(let y)): return sign(x, y)
        case (.mzTimestamp(let x), .mzTimestamp(let y)): return sign(x, y)
        default: return a == b ? 0 : nil
        }
    }

    /// A total order for ORDER BY: NULLs last, as PostgreSQL's default ascending order.
    static func order(_ a: Datum, _ b: Datum) -> Int {
        switch (a.isNull, b.isNull) {
        case (true, true): return 0
        case (true, false): return 1
        case (false, true): return -1
        case (false, false): return compare(a, b) ?? 0
        }
    }

    // MARK: Encoding

    static func column(_ name: String, _ type: TypeOID) -> RowDescription.Column {
        RowDescription.Column(name: name, dataType: type, dataTypeSize: SQLType.size(type))
    }

    static func result(_ columns: [RowDescription.Column], _ rows: [[Datum]]) -> [BackendMessage] {
        var messages: [BackendMessage] = [.rowDescription(RowDescription(columns: columns))]
        messages.reserveCapacity(rows.count + 2)
        for row in rows { messages.append(.dataRow(dataRow(row.map { $0.textBytes() }))) }
        messages.append(.commandComplete(tag: "SELECT \(rows.count)"))
        return messages
    }

    /// A DataRow from text values (`nil` = NULL).
    static func dataRow(_ fields: [[UInt8]?]) -> DataRow {
        var writer = ByteWriter(capacity: fields.reduce(0) { $0 + 4 + ($1?.count ?? 0) })
        for field in fields {
            if let field {
                writer.writeInt32(Int32(field.count))
                writer.writeBytes(field)
            } else {
                writer.writeInt32(-1)
            }
        }
        return DataRow(columnCount: fields.count, bytes: writer.bytes[...])
    }
}

extension Executor {
    /// Runs a script of statements (e.g. `tycostream sim --sql FILE`), discarding their results;
    /// stops at the first error. SUBSCRIBE is refused here: it needs a connection.
    public func run(_ sql: String) async throws(SimError) {
        var session = Session()
        for statement in try SQLParser.parse(sql) {
            if case .subscribe = statement {
                throw .unsupported("SUBSCRIBE needs a connection; it cannot run in a startup script")
            }
            _ = try await execute(statement, session: &session)
        }
    }
}
