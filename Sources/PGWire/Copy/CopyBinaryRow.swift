/// One tuple of `COPY … TO STDOUT (FORMAT BINARY)`, kept as the slice it arrived in.
///
/// Layout (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"): per field an
/// Int32 length (-1 for NULL) and that many bytes in the type's binary form. The decoder has
/// checked the lengths, so reading a field cannot overrun.
public struct CopyBinaryRow: Sendable, Hashable {
    /// The fields after the tuple's Int16 field count.
    public let bytes: ArraySlice<UInt8>
    /// Per field, the index (in `bytes`) of its length word.
    @usableFromInline let offsets: [Int]

    init(bytes: ArraySlice<UInt8>, offsets: [Int]) {
        self.bytes = bytes
        self.offsets = offsets
    }

    /// The number of fields.
    @inlinable public var count: Int { offsets.count }

    @inlinable
    func length(at offset: Int) -> Int32 {
        Int32(bitPattern: UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3]))
    }

    /// Whether field `index` is NULL.
    @inlinable
    public func isNull(_ index: Int) -> Bool {
        precondition(index >= 0 && index < offsets.count, "field \(index) out of range 0..<\(offsets.count)")
        return length(at: offsets[index]) < 0
    }

    /// The bytes of field `index`, or `nil` for NULL.
    @inlinable
    public func field(_ index: Int) -> ArraySlice<UInt8>? {
        precondition(index >= 0 && index < offsets.count, "field \(index) out of range 0..<\(offsets.count)")
        let offset = offsets[index]
        let length = length(at: offset)
        guard length >= 0 else { return nil }
        return bytes[(offset + 4)..<(offset + 4 + Int(length))]
    }

    /// Decodes field `index` from its binary form as `type`; NULL becomes ``Datum/null``.
    public func decode(_ index: Int, as type: TypeOID) throws(PostgresError) -> Datum {
        guard let field = field(index) else { return .null }
        return try Datum(binary: field, type: type)
    }
}
