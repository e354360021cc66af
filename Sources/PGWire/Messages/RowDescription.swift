/// `T`: describes the columns of the DataRows that follow.
public struct RowDescription: Sendable, Hashable {
    /// One column of a result set.
    public struct Column: Sendable, Hashable {
        public var name: String
        /// The OID of the table the column comes from, or 0.
        public var tableOID: UInt32
        /// The attribute number within that table, or 0.
        public var columnAttributeNumber: Int16
        /// The column's data type.
        public var dataType: TypeOID
        /// `pg_type.typlen`: negative for variable-width types.
        public var dataTypeSize: Int16
        /// `pg_attribute.atttypmod`, type-specific (e.g. numeric precision and scale).
        public var typeModifier: Int32
        public var format: Format

        public init(
            name: String, tableOID: UInt32 = 0, columnAttributeNumber: Int16 = 0,
            dataType: TypeOID, dataTypeSize: Int16, typeModifier: Int32 = -1, format: Format = .text
        ) {
            self.name = name
            self.tableOID = tableOID
            self.columnAttributeNumber = columnAttributeNumber
            self.dataType = dataType
            self.dataTypeSize = dataTypeSize
            self.typeModifier = typeModifier
            self.format = format
        }
    }

    public var columns: [Column]

    public init(columns: [Column]) {
        self.columns = columns
    }
}
