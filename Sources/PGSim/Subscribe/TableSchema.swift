public import PGWire

/// The shape of a simulated table or view: what ``SubscribeStream`` needs to describe and
/// encode its rows.
public struct TableSchema: Sendable, Hashable {
    /// One column of the relation.
    public struct Column: Sendable, Hashable {
        /// The column name as stored (unquoted identifiers are lower-cased by the parser).
        public var name: String
        public var type: TypeOID
        public var notNull: Bool

        public init(name: String, type: TypeOID, notNull: Bool = false) {
            self.name = name
            self.type = type
            self.notNull = notNull
        }
    }

    public var name: String
    public var columns: [Column]
    /// Indices into `columns` forming the primary key; empty when the table has none.
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
