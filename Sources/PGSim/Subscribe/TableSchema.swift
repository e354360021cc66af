public import PGWire

/// The shape of a simulated table or view: what ``SubscribeStream`` needs to describe and
/// encode its rows.
public struct TableSchema: Sendable, Hashable {
    /// One column of the relation.
    public struct Column: Sendable, Hashable {
        /// The column name as stored (unquoted identifiers are lower-cased by the parser).
        public var name: String
        /// The PostgreSQL type; rows carry ``Datum`` values of the matching case.
        public var type: TypeOID
        /// Informational: SUBSCRIBE output columns are nullable regardless (§2).
        public var notNull: Bool

        public init(name: String, type: TypeOID, notNull: Bool = false) {
            self.name = name
            self.type = type
            self.notNull = notNull
        }
    }

    /// The relation's name as the catalog knows it (unqualified).
    public var name: String
    /// The columns in table order; every row is an array of this width.
    public var columns: [Column]
    /// Not used by ``SubscribeStream`` (Materialize's SUBSCRIBE knows no keys either; ENVELOPE
    /// UPSERT names its own). Indices into `columns` forming the primary key; empty when the table has none.
    public var primaryKey: [Int]

    public init(name: String, columns: [Column], primaryKey: [Int] = []) {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
    }

    /// The index of the column called `name`, if any.
    public func columnIndex(named name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }
}
