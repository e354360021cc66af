import Foundation

/// One row of a source, packed (see ``RowLayout``) and decoded per column on access.
///
/// Copying a row copies two references; the bytes are shared and immutable.
public struct Row: Sendable, ColumnValues, CustomStringConvertible {
    let bytes: ContiguousArray<UInt8>
    let layout: RowLayout

    init(bytes: ContiguousArray<UInt8>, layout: RowLayout) {
        self.bytes = bytes
        self.layout = layout
    }

    /// The value of column `index` (an index into the source schema's columns).
    public func value(at index: Int) -> Value {
        bytes.withUnsafeBytes { layout.value(of: index, in: $0) }
    }

    /// Every value, in schema column order.
    public var values: [Value] {
        bytes.withUnsafeBytes { raw in (0..<layout.columns.count).map { layout.value(of: $0, in: raw) } }
    }

    /// The primary key of the row.
    public var key: RowKey { RowKey(bytes: bytes) }

    /// The primary-key values, in key order.
    public var keyValues: [Value] {
        bytes.withUnsafeBytes { raw in layout.keyColumns.map { layout.value(of: $0, in: raw) } }
    }

    public var schema: SourceSchema { layout.schema }

    /// The bytes the packed row occupies (not counting the array header).
    public var packedByteCount: Int { bytes.count }

    /// The columns whose values differ from `other`'s (a row with the same key).
    public func changedColumns(from other: Row) -> ColumnSet {
        bytes.withUnsafeBytes { new in other.bytes.withUnsafeBytes { old in layout.changedColumns(old, new) } }
    }

    public var description: String {
        zip(layout.schema.columns, values).map { "\($0.name): \($1)" }.joined(separator: ", ")
    }
}

/// The primary key of a row, hashed and compared by its canonical bytes.
///
/// It shares the row's storage (no copy); the source cache keeps its rows as a
/// `Set<RowKey>`, so the key costs nothing beyond the row itself.
public struct RowKey: Sendable, Hashable {
    /// A packed row, or a key-only row; only the key region counts.
    let bytes: ContiguousArray<UInt8>

    @inline(__always)
    private static func keyEnd(_ raw: UnsafeRawBufferPointer) -> Int {
        2 + Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt16.self)))
    }

    public static func == (lhs: RowKey, rhs: RowKey) -> Bool {
        lhs.bytes.withUnsafeBytes { a in
            rhs.bytes.withUnsafeBytes { b in
                let end = keyEnd(a)
                guard end == keyEnd(b), let baseA = a.baseAddress, let baseB = b.baseAddress else { return false }
                return memcmp(baseA, baseB, end) == 0
            }
        }
    }

    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { raw in
            hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<Self.keyEnd(raw)]))
        }
    }
}
