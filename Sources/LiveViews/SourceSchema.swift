/// The shape of one source: its columns in schema-file order and its primary key.
///
/// Column names live here once per source; rows refer to columns by index.
public struct SourceSchema: Sendable, Hashable {
    public struct Column: Sendable, Hashable {
        public let name: String
        public let type: ColumnType
        public init(name: String, type: ColumnType) {
            self.name = name
            self.type = type
        }
    }

    public let name: String
    public let columns: [Column]
    /// Indices into `columns` of the primary key, in key order (composite keys allowed).
    public let primaryKey: [Int]
    private let indexByName: [String: Int]

    /// Builds a schema; `primaryKey` names columns, in key order.
    ///
    /// - Throws: ``LiveViewsError`` when a key column is missing, duplicated, or no key is given,
    ///   or when two columns share a name.
    public init(name: String, columns: [Column], primaryKey: [String]) throws(LiveViewsError) {
        var indexByName: [String: Int] = [:]
        for (index, column) in columns.enumerated() {
            guard indexByName[column.name] == nil else {
                throw LiveViewsError(.invalidSchema, "source '\(name)': column '\(column.name)' is declared twice")
            }
            indexByName[column.name] = index
        }
        guard !primaryKey.isEmpty else {
            throw LiveViewsError(.invalidSchema, "source '\(name)': declare a primary_key naming one or more columns")
        }
        var key: [Int] = []
        for keyName in primaryKey {
            guard let index = indexByName[keyName] else {
                throw LiveViewsError(
                    .invalidSchema,
                    "source '\(name)': primary key column '\(keyName)' is not among its columns (\(columns.map(\.name).joined(separator: ", ")))")
            }
            guard !key.contains(index) else {
                throw LiveViewsError(.invalidSchema, "source '\(name)': primary key names '\(keyName)' twice")
            }
            key.append(index)
        }
        self.name = name
        self.columns = columns
        self.primaryKey = key
        self.indexByName = indexByName
    }

    /// The index of the column called `name`.
    public func columnIndex(named name: String) -> Int? { indexByName[name] }

    public static func == (lhs: SourceSchema, rhs: SourceSchema) -> Bool {
        lhs.name == rhs.name && lhs.columns == rhs.columns && lhs.primaryKey == rhs.primaryKey
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(columns)
        hasher.combine(primaryKey)
    }
}
