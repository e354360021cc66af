import PGWire

/// One parsed statement of the simulator's small SQL dialect (see ``SQLParser``).
public enum Statement: Sendable, Hashable {
    /// Only whitespace or comments: answered with EmptyQueryResponse.
    case empty
    /// `CREATE TABLE t (col type [NOT NULL] [PRIMARY KEY], …, [PRIMARY KEY (a, b)])`.
    case createTable(TableSchema, ifNotExists: Bool)
    /// `DROP TABLE [IF EXISTS] t`.
    case dropTable(String, ifExists: Bool)
    /// `INSERT INTO t [(cols)] VALUES (…), (…)`.
    case insert(table: String, columns: [String]?, rows: [[Literal]])
    /// `UPDATE t SET c = v, … [WHERE cond]`.
    case update(table: String, assignments: [Assignment], conditions: [Condition])
    /// `DELETE FROM t [WHERE cond]`.
    case delete(table: String, conditions: [Condition])
    /// `SELECT * | cols FROM t [WHERE cond] [ORDER BY …] [LIMIT n]`, also over `information_schema.columns`.
    case select(Select)
    /// `SELECT <literal> [AS name], …` without FROM (`SELECT 1`, the clients' liveness probe).
    case selectLiterals([Literal], names: [String?])
    /// `SHOW COLUMNS FROM t`.
    case showColumns(String)
    /// `SET x = y` / `SET x TO y` / `SET SESSION x …`.
    case set(name: String, value: String)
    /// `SHOW x` for a session variable.
    case show(String)
    /// `BEGIN`/`START TRANSACTION`, `COMMIT`/`END`, `ROLLBACK`/`ABORT`.
    case transaction(TransactionCommand)
    /// `SUBSCRIBE …` or `COPY (SUBSCRIBE …) TO STDOUT …`: the statement's own text, parsed by
    /// ``SubscribeStatement/init(parsing:)``, and the number of characters before it in the query
    /// (to make its error positions relative to the whole query string).
    case subscribe(sql: String, characterOffset: Int)

    public enum TransactionCommand: Sendable, Hashable {
        case begin, commit, rollback
    }

    /// `col = literal` in UPDATE's SET list.
    public struct Assignment: Sendable, Hashable {
        public var column: String
        public var value: Literal
        public var position: Int
    }

    /// A SELECT over one relation.
    public struct Select: Sendable, Hashable {
        /// `nil` for `*`.
        public var columns: [String]?
        /// The schema qualifier when not `public`/`materialize` (e.g. `information_schema`).
        public var schema: String?
        public var table: String
        public var conditions: [Condition]
        public var orderBy: [(column: String, descending: Bool)]
        public var limit: Int?
        /// Positions of the column names, for 42703 errors.
        public var columnPositions: [Int]
        public var tablePosition: Int

        public static func == (lhs: Select, rhs: Select) -> Bool {
            lhs.columns == rhs.columns && lhs.schema == rhs.schema && lhs.table == rhs.table
                && lhs.conditions == rhs.conditions && lhs.limit == rhs.limit
                && lhs.orderBy.elementsEqual(rhs.orderBy) { $0.column == $1.column && $0.descending == $1.descending }
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(columns)
            hasher.combine(table)
            hasher.combine(conditions)
        }
    }
}

/// A literal value as written; it is converted to a column's type only when the column is known,
/// through PGWire's text decoder (so `'2024-01-01'` becomes a date for a date column).
public struct Literal: Sendable, Hashable {
    public enum Value: Sendable, Hashable {
        case null
        case bool(Bool)
        /// A number as written, sign included (`-12`, `1.5`, `2e3`).
        case number(String)
        case string(String)
        /// `ARRAY[…]`, already rendered as PostgreSQL's array text (`{a,"b c"}`).
        case array(String)
    }

    public var value: Value
    /// 1-based character position in the query.
    public var position: Int

    public init(_ value: Value, position: Int) {
        self.value = value
        self.position = position
    }

    /// The text the value has when sent to a column's text decoder; `nil` for NULL.
    var text: String? {
        switch value {
        case .null: nil
        case .bool(let b): b ? "t" : "f"
        case .number(let n): n
        case .string(let s): s
        case .array(let a): a
        }
    }
}

/// `col op literal`, `col IS NULL`, `col IS NOT NULL`; a WHERE clause is a list joined by AND.
public struct Condition: Sendable, Hashable {
    public enum Operator: String, Sendable, Hashable {
        case equal = "=", notEqual = "<>", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case isNull = "IS NULL", isNotNull = "IS NOT NULL"
    }

    public var column: String
    public var op: Operator
    /// `nil` for IS [NOT] NULL.
    public var value: Literal?
    public var position: Int
}
