/// A parsed `SUBSCRIBE`, bare or wrapped in `COPY (…) TO STDOUT`.
///
/// The grammar follows Materialize's (https://materialize.com/docs/sql/subscribe/,
/// materialize-subscribe.md §1–§3), restricted to what the simulator serves:
///
/// ```
/// [COPY (] SUBSCRIBE [TO] <table> | (SELECT * | <col>, … FROM <table>)
///     [ENVELOPE UPSERT (KEY (<col>, …))]
///     [WITH (SNAPSHOT [= true|false], PROGRESS [= true|false])]
///     [AS OF [AT LEAST] <integer>]
/// [) TO STDOUT [WITH] [(FORMAT TEXT|BINARY)]] [;]
/// ```
///
/// Keywords are case-insensitive; unquoted identifiers are lower-cased and `"quoted"` ones kept.
/// The clauses after the relation are accepted in any order, each at most once. Syntax errors
/// are SQLSTATE 42601 with the 1-based character position of the offending token; valid
/// Materialize SQL the simulator does not implement (`UP TO`, `ENVELOPE DEBEZIUM`, `WHERE`,
/// `FORMAT CSV`…) is 0A000.
public struct SubscribeStatement: Sendable, Hashable {
    /// The subscribed relation's name (schema qualifiers `materialize.public.` are dropped).
    public var table: String
    /// The selected columns in order, or `nil` for the whole relation (`SUBSCRIBE t`, `SELECT *`).
    public var columns: [String]?
    /// `ENVELOPE UPSERT (KEY (…))` columns in KEY-clause order, or `nil` for the default envelope.
    public var upsertKey: [String]?
    /// `WITH (SNAPSHOT …)`; Materialize's default is true.
    public var snapshot: Bool
    /// `WITH (PROGRESS …)`; default false.
    public var progress: Bool
    /// The requested `AS OF`, or `nil` to let the server pick (its latest timestamp).
    public var asOf: AsOf?
    /// The `COPY … TO STDOUT` format, or `nil` for a bare SUBSCRIBE streamed as DataRows.
    public var copy: CopyFormatKind?

    /// `AS OF x` (exactly x) or `AS OF AT LEAST x` (the server may choose a later time).
    public enum AsOf: Sendable, Hashable {
        case exactly(UInt64)
        case atLeast(UInt64)
    }

    /// The COPY formats the simulator sends (CSV is refused).
    public enum CopyFormatKind: Sendable, Hashable {
        case text
        case binary
    }

    public init(
        table: String, columns: [String]? = nil, upsertKey: [String]? = nil, snapshot: Bool = true,
        progress: Bool = false, asOf: AsOf? = nil, copy: CopyFormatKind? = nil
    ) {
        self.table = table
        self.columns = columns
        self.upsertKey = upsertKey
        self.snapshot = snapshot
        self.progress = progress
        self.asOf = asOf
        self.copy = copy
    }

    /// Parses one statement; a trailing `;` is allowed.
    public init(parsing sql: String) throws(SimError) {
        var parser = try SubscribeParser(sql)
        self = try parser.parseStatement()
    }
}
