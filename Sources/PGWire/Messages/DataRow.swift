/// `D`: one row, kept as the slice it arrived in.
///
/// Column values are located on demand by walking the length words; nothing is
/// copied or decoded until a column is read. The decoder has already checked
/// that the lengths exactly cover the payload, so iteration cannot overrun.
public struct DataRow: Sendable, Hashable, Sequence {
    /// The number of columns, from the message's Int16 count.
    public let columnCount: Int
    /// The column values after the count: per column an Int32 length (-1 = NULL) and the bytes.
    public let bytes: ArraySlice<UInt8>

    /// Wraps already validated bytes; use ``validated(columnCount:bytes:)`` for bytes from the network.
    public init(columnCount: Int, bytes: ArraySlice<UInt8>) {
        self.columnCount = columnCount
        self.bytes = bytes
    }

    /// Checks that `bytes` holds exactly `columnCount` well-formed values.
    ///
    /// This runs once per received row, so it walks the length words with plain index arithmetic
    /// (no intermediate slices); a negative `columnCount` is refused rather than trapping.
    public static func validated(columnCount: Int, bytes: ArraySlice<UInt8>) -> DataRow? {
        guard columnCount >= 0 else { return nil }
        var index = bytes.startIndex
        let end = bytes.endIndex
        var left = columnCount
        while left > 0 {
            guard end - index >= 4 else { return nil }
            let length = Int32(
                bitPattern: UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16
                    | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3]))
            index += 4
            left -= 1
            if length == -1 { continue }
            guard length >= 0, end - index >= Int(length) else { return nil }
            index += Int(length)
        }
        guard index == end else { return nil }
        return DataRow(columnCount: columnCount, bytes: bytes)
    }

    /// Iterates the values in order; `nil` is SQL NULL.
    public struct Iterator: IteratorProtocol {
        var reader: ByteReader
        var left: Int

        public mutating func next() -> ArraySlice<UInt8>?? {
            guard left > 0 else { return nil }
            left -= 1
            guard let length = reader.readInt32() else { return nil }
            if length < 0 { return .some(nil) }
            guard let value = reader.readBytes(Int(length)) else { return nil }
            return .some(value)
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(reader: ByteReader(bytes), left: columnCount)
    }

    /// The raw value of column `index` (`nil` for NULL), walking the lengths before it.
    public subscript(column index: Int) -> ArraySlice<UInt8>? {
        precondition(index >= 0 && index < columnCount, "column \(index) out of range 0..<\(columnCount)")
        var iterator = makeIterator()
        for _ in 0..<index { _ = iterator.next() }
        return iterator.next() ?? nil
    }
}
