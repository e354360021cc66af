/// Read access to the values of one row by column index.
///
/// Filters are compiled against column indices and evaluated through this
/// protocol, so the cache can store rows in whatever compact form it likes
/// without filters knowing it.
public protocol ColumnValues {
    /// The value of column `index` (an index into ``SourceSchema/columns``).
    func value(at index: Int) -> Value
}

extension Array: ColumnValues where Element == Value {
    @inlinable
    public func value(at index: Int) -> Value { self[index] }
}
