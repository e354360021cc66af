/// A set of column indices, as a bit set: the columns an update changed.
///
/// Sources of up to 64 columns (nearly all of them) need no allocation; wider
/// sources spill the rest into an array.
public struct ColumnSet: Sendable, Hashable, Sequence, CustomStringConvertible {
    @usableFromInline var low: UInt64 = 0
    @usableFromInline var high: [UInt64] = []

    public init() {}

    public init(_ columns: some Sequence<Int>) {
        for column in columns { insert(column) }
    }

    public var isEmpty: Bool { low == 0 && high.allSatisfy { $0 == 0 } }

    public var count: Int { low.nonzeroBitCount + high.reduce(0) { $0 + $1.nonzeroBitCount } }

    @inlinable
    public func contains(_ column: Int) -> Bool {
        if column < 64 { return low & (1 << UInt64(column)) != 0 }
        let word = column / 64 - 1
        guard word < high.count else { return false }
        return high[word] & (1 << UInt64(column % 64)) != 0
    }

    public mutating func insert(_ column: Int) {
        precondition(column >= 0, "column indices are never negative")
        if column < 64 { low |= 1 << UInt64(column); return }
        let word = column / 64 - 1
        while high.count <= word { high.append(0) }
        high[word] |= 1 << UInt64(column % 64)
    }

    public func union(_ other: ColumnSet) -> ColumnSet {
        var result = ColumnSet()
        result.low = low | other.low
        let words = Swift.max(high.count, other.high.count)
        if words > 0 {
            result.high = (0..<words).map { index in
                (index < high.count ? high[index] : 0) | (index < other.high.count ? other.high[index] : 0)
            }
        }
        return result
    }

    /// Whether the two sets share a column.
    public func intersects(_ other: ColumnSet) -> Bool {
        if low & other.low != 0 { return true }
        for (a, b) in zip(high, other.high) where a & b != 0 { return true }
        return false
    }

    public func makeIterator() -> IndexingIterator<[Int]> {
        var columns: [Int] = []
        for bit in 0..<64 where low & (1 << UInt64(bit)) != 0 { columns.append(bit) }
        for (word, bits) in high.enumerated() {
            for bit in 0..<64 where bits & (1 << UInt64(bit)) != 0 { columns.append((word + 1) * 64 + bit) }
        }
        return columns.makeIterator()
    }

    public static func == (lhs: ColumnSet, rhs: ColumnSet) -> Bool {
        guard lhs.low == rhs.low else { return false }
        let words = Swift.max(lhs.high.count, rhs.high.count)
        for index in 0..<words {
            let a = index < lhs.high.count ? lhs.high[index] : 0
            let b = index < rhs.high.count ? rhs.high[index] : 0
            if a != b { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(low)
        var words = high
        while words.last == 0 { words.removeLast() }
        hasher.combine(words)
    }

    public var description: String { "\(Array(self))" }
}
