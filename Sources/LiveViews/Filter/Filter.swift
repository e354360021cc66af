/// A client's `where` expression, checked against a source schema and compiled
/// into a predicate over column indices.
///
/// Semantics follow Hasura's boolean expressions, as upstream tycostream
/// (`src/common/expressions.ts`) implements them, with SQL's three-valued logic
/// (PostgreSQL manual, "Logical Operators" and "Comparison Functions and Operators"):
/// - an object is the AND of its entries; `{}` is true; `_and: []` is true and
///   `_or: []` is false (the identities of AND and OR); `_in: []` is false and
///   `_nin: []` is true, as Hasura compiles them;
/// - several operators on one column are AND'ed;
/// - any comparison with a NULL column value is UNKNOWN, `_not` of UNKNOWN stays
///   UNKNOWN, and only TRUE matches: `_neq`/`_nin` never match NULL, `_is_null` tests it;
/// - floats and BigInts order NaN as PostgreSQL does (NaN equals NaN and sorts above
///   every number);
/// - an Integer column accepts only whole-number operands (GraphQL `Int`, as upstream's
///   schema types it); a fractional operand is rejected rather than silently rounded;
/// - `_like`/`_ilike`/`_nlike`/`_nilike` apply to String columns only (PostgreSQL has no
///   LIKE on enum or uuid without a cast, nor does Hasura offer it there);
/// - JSON and Array columns accept only `_is_null`: their text form depends on the
///   decoder, so equality on it would be a trap.
///
/// Two filters are equal, and hash alike, when their ``canonical`` texts are equal, so
/// identical subscriptions can share one view however the client ordered its keys.
public struct Filter: Sendable, Hashable {
    /// The compiled predicate, already simplified (constants folded, AND/OR flattened).
    let root: FilterNode

    /// Canonical text form: equal meaning gives equal text (key order, operator order,
    /// duplicate conjuncts and `_in` value order and duplicates are normalised).
    public let canonical: String

    /// Sorted, unique indices of the columns the predicate reads. A change to any
    /// other column cannot change whether a row matches.
    public let columnsRead: [Int]

    /// A top-level conjunct `col: {_eq: v}` or `col: {_in: [...]}` (the one with fewest
    /// values when there are several): a row can match only if its value of
    /// `pinned.column` is in `pinned.values`, so an index on (column, value) may skip
    /// this filter for rows outside the bucket. `nil` when no such conjunct exists
    /// (e.g. everything is under `_or` or `_not`).
    public let pinned: Pinned?

    /// Checks `input` against `schema` and compiles it.
    ///
    /// `.null` at the top level means "no filter", as an explicit GraphQL `where: null`
    /// does, and compiles to ``all``.
    ///
    /// - Throws: ``LiveViewsError`` with code `.invalidFilter` and a `path` such as
    ///   `where._and[1].rank._gte` naming the offending part.
    public init(_ input: FilterInput, schema: SourceSchema) throws(LiveViewsError) {
        let compiled: FilterCompiler.Compiled
        if case .null = input {
            compiled = .constant(true)
        } else {
            compiled = try FilterCompiler(schema: schema).compileObject(input, path: "where", depth: 0)
        }
        self.init(compiled)
    }

    private init(_ compiled: FilterCompiler.Compiled) {
        self.root = compiled.node
        self.canonical = compiled.text
        var columns = Set<Int>()
        compiled.node.collectColumns(into: &columns)
        self.columnsRead = columns.sorted()
        self.pinned = compiled.node.pinned()
    }

    /// Matches every row; the same as compiling `{}`.
    public static let all = Filter(FilterCompiler.Compiled.constant(true))

    /// Whether this filter matches every row (it reads no column).
    public var isAll: Bool {
        if case .constant(true) = root { return true }
        return false
    }

    /// Whether `row` matches: the predicate is TRUE (not FALSE, not UNKNOWN).
    ///
    /// Allocates nothing (except for `_ilike` on non-ASCII text, which lowercases it).
    public func matches(_ row: some ColumnValues) -> Bool {
        root.evaluate(row) == .true
    }

    public static func == (lhs: Filter, rhs: Filter) -> Bool {
        lhs.canonical == rhs.canonical
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(canonical)
    }
}

/// A column whose value a matching row must take from a known set; see ``Filter/pinned``.
///
/// `values` have exactly the form the source cache stores for the column's type
/// (`.integer`, `.float`, `.decimal`, `.string` for text and enums, `.uuid`,
/// `.timestamp` µs, `.date`, `.time`, `.bool`), so they can key a hash index.
public struct Pinned: Sendable, Hashable {
    public let column: Int
    public let values: Set<Value>

    public init(column: Int, values: Set<Value>) {
        self.column = column
        self.values = values
    }
}
