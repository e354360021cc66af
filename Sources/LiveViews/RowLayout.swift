import Foundation

/// How the rows of one source are packed into bytes; built once per source.
///
/// A row is one `ContiguousArray<UInt8>` (no dictionary, no `[Value]` per row; column
/// names live once, in the schema):
///
/// ```
/// [key length: UInt16 LE][key region][null bitmap][fixed slots][variable data]
/// ```
///
/// - The key region holds the primary-key columns in key order, each as a presence byte
///   (0 = null) then its fixed bytes or a UInt32 length and its bytes. Its encoding is
///   canonical (equal keys give equal bytes), so keys hash and compare as bytes.
/// - The other columns have one null bit each and a fixed slot at an offset known from the
///   schema: the value itself for fixed-width types (Int64, Double, date, bool, UUID, enum
///   ordinal) or, for variable-length types, the UInt32 end of its bytes in the variable area
///   (it starts where the previous variable column ends).
///
/// Values are decoded per column on access (``Row/value(at:)``), which is what filters read.
final class RowLayout: Sendable {
    enum Kind: Sendable, Hashable {
        case int64, float, date, bool, uuid, enumeration, text, json, decimal

        /// Bytes of the fixed slot (for variable kinds: the UInt32 end offset).
        var slotWidth: Int {
            switch self {
            case .int64, .float: 8
            case .date, .enumeration, .text, .json, .decimal: 4
            case .bool: 1
            case .uuid: 16
            }
        }

        var isVariable: Bool {
            switch self {
            case .text, .json, .decimal: true
            case .int64, .float, .date, .bool, .uuid, .enumeration: false
            }
        }
    }

    struct Column: Sendable {
        let kind: Kind
        let type: ColumnType
        let name: String
        /// Position in the primary key, or -1.
        let keyPosition: Int
        /// Bit in the null bitmap (non-key columns).
        let nullBit: Int
        /// Offset of the slot from the start of the fixed area (non-key columns).
        let slotOffset: Int
        /// For variable kinds: slot offset of the previous variable column, or -1 for the first.
        let previousVariableSlot: Int
        let enumValues: [String]
    }

    let schema: SourceSchema
    let columns: [Column]
    let keyColumns: [Int]
    let bitmapBytes: Int
    let fixedBytes: Int

    init(schema: SourceSchema) {
        self.schema = schema
        self.keyColumns = schema.primaryKey
        var columns: [Column] = []
        var nullBit = 0
        var offset = 0
        var previousVariable = -1
        for (index, column) in schema.columns.enumerated() {
            let kind: Kind
            var enumValues: [String] = []
            switch column.type {
            case .integer, .timestamp, .time: kind = .int64
            case .float: kind = .float
            case .bigInt: kind = .decimal
            case .string: kind = .text
            case .uuid: kind = .uuid
            case .date: kind = .date
            case .boolean: kind = .bool
            case .json, .array: kind = .json
            case .enumeration(let type):
                kind = .enumeration
                enumValues = type.values
            }
            let keyPosition = schema.primaryKey.firstIndex(of: index) ?? -1
            if keyPosition >= 0 {
                columns.append(Column(kind: kind, type: column.type, name: column.name, keyPosition: keyPosition,
                                      nullBit: -1, slotOffset: -1, previousVariableSlot: -1, enumValues: enumValues))
            } else {
                columns.append(Column(kind: kind, type: column.type, name: column.name, keyPosition: -1,
                                      nullBit: nullBit, slotOffset: offset,
                                      previousVariableSlot: kind.isVariable ? previousVariable : -1,
                                      enumValues: enumValues))
                if kind.isVariable { previousVariable = offset }
                nullBit += 1
                offset += kind.slotWidth
            }
        }
        self.columns = columns
        self.bitmapBytes = (nullBit + 7) / 8
        self.fixedBytes = offset
    }

    // MARK: Encoding

    /// Checks `value` against column `index` and returns it in stored form
    /// (BigInt columns accept `.integer` and keep it as an exact decimal).
    private func checked(_ value: Value, column index: Int) throws(LiveViewsError) -> Value {
        let column = columns[index]
        let ok: Bool
        switch (column.type, value) {
        case (_, .null): return value
        case (.integer, .integer), (.float, .float), (.bigInt, .decimal), (.string, .string), (.uuid, .uuid),
             (.timestamp, .timestamp), (.date, .date), (.time, .time), (.boolean, .bool), (.json, .json),
             (.array, .json):
            ok = true
        case (.bigInt, .integer(let integer)):
            return .decimal(ExactDecimal(integer))
        case (.enumeration(let type), .string(let text)):
            guard type.ordinal(of: text) != nil else {
                throw LiveViewsError(
                    .invalidBatch,
                    "source '\(schema.name)': column '\(column.name)' got '\(text)', which is not a value of enum \(type.name) (\(type.values.joined(separator: ", "))); add it to the schema file")
            }
            ok = true
        default:
            ok = false
        }
        guard ok else {
            throw LiveViewsError(
                .invalidBatch,
                "source '\(schema.name)': column '\(column.name)' is \(column.type) but got \(value); check the schema file against the view's columns")
        }
        return value
    }

    /// The encoded size of a value's payload (without presence byte or slot).
    private func payloadBytes(_ value: Value, _ column: Column) -> Int {
        switch value {
        case .string(let text), .json(let text):
            if column.kind == .enumeration { return 4 }
            return text.utf8.count
        case .decimal(let decimal): return decimal.description.utf8.count
        case .null: return 0
        case .bool, .integer, .float, .uuid, .timestamp, .date, .time: return column.kind.slotWidth
        }
    }

    /// Packs a full row given in schema column order.
    func encode(_ values: [Value]) throws(LiveViewsError) -> ContiguousArray<UInt8> {
        guard values.count == columns.count else {
            throw LiveViewsError(
                .invalidBatch,
                "source '\(schema.name)': a row has \(values.count) values but the source has \(columns.count) columns")
        }
        var values = values
        var keyBytes = 0
        var variableBytes = 0
        for index in 0..<columns.count {
            values[index] = try checked(values[index], column: index)
            let column = columns[index]
            if column.keyPosition >= 0 {
                keyBytes += 1
                if !values[index].isNull {
                    keyBytes += payloadBytes(values[index], column) + (column.kind.isVariable ? 4 : 0)
                }
            } else if column.kind.isVariable {
                variableBytes += payloadBytes(values[index], column)
            }
        }
        guard keyBytes <= Int(UInt16.max) else {
            throw LiveViewsError(.invalidBatch, "source '\(schema.name)': a primary key is longer than 65535 bytes")
        }
        guard variableBytes <= Int(UInt32.max) else {
            throw LiveViewsError(.invalidBatch, "source '\(schema.name)': a row is longer than 4 GiB")
        }
        let total = 2 + keyBytes + bitmapBytes + fixedBytes + variableBytes
        return ContiguousArray(unsafeUninitializedCapacity: total) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            raw.storeBytes(of: UInt16(keyBytes).littleEndian, toByteOffset: 0, as: UInt16.self)
            var position = 2
            for index in keyColumns {
                position = writeKeyValue(values[index], columns[index], into: raw, at: position)
            }
            let bodyStart = position
            let fixedStart = bodyStart + bitmapBytes
            var variablePosition = fixedStart + fixedBytes
            let variableStart = variablePosition
            for index in 0..<columns.count {
                let column = columns[index]
                guard column.keyPosition < 0 else { continue }
                let value = values[index]
                let slot = fixedStart + column.slotOffset
                if value.isNull {
                    raw[bodyStart + column.nullBit / 8] |= 1 << UInt8(column.nullBit % 8)
                    if column.kind.isVariable {
                        raw.storeBytes(of: UInt32(variablePosition - variableStart).littleEndian,
                                       toByteOffset: slot, as: UInt32.self)
                    }
                    continue
                }
                if column.kind.isVariable {
                    variablePosition = writeBytes(of: value, into: raw, at: variablePosition)
                    raw.storeBytes(of: UInt32(variablePosition - variableStart).littleEndian,
                                   toByteOffset: slot, as: UInt32.self)
                } else {
                    writeFixed(value, column, into: raw, at: slot, canonicalFloat: false)
                }
            }
            precondition(variablePosition == total, "row size computed and written differ")
            count = total
        }
    }

    /// Packs a key-only row (used to look a key up): the key region and nothing else.
    func encodeKey(_ keyValues: [Value]) throws(LiveViewsError) -> ContiguousArray<UInt8> {
        guard keyValues.count == keyColumns.count else {
            throw LiveViewsError(
                .invalidBatch,
                "source '\(schema.name)': a delete names \(keyValues.count) key values but the primary key has \(keyColumns.count) columns")
        }
        var values = [Value](repeating: .null, count: columns.count)
        var keyBytes = 0
        for (position, index) in keyColumns.enumerated() {
            values[index] = try checked(keyValues[position], column: index)
            keyBytes += 1
            if !values[index].isNull {
                keyBytes += payloadBytes(values[index], columns[index]) + (columns[index].kind.isVariable ? 4 : 0)
            }
        }
        guard keyBytes <= Int(UInt16.max) else {
            throw LiveViewsError(.invalidBatch, "source '\(schema.name)': a primary key is longer than 65535 bytes")
        }
        let total = 2 + keyBytes
        return ContiguousArray(unsafeUninitializedCapacity: total) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            raw.storeBytes(of: UInt16(keyBytes).littleEndian, toByteOffset: 0, as: UInt16.self)
            var position = 2
            for index in keyColumns {
                position = writeKeyValue(values[index], columns[index], into: raw, at: position)
            }
            count = total
        }
    }

    private func writeKeyValue(_ value: Value, _ column: Column, into raw: UnsafeMutableRawBufferPointer,
                               at start: Int) -> Int {
        if value.isNull {
            raw[start] = 0
            return start + 1
        }
        raw[start] = 1
        if column.kind.isVariable {
            let end = writeBytes(of: value, into: raw, at: start + 5)
            raw.storeBytes(of: UInt32(end - start - 5).littleEndian, toByteOffset: start + 1, as: UInt32.self)
            return end
        }
        writeFixed(value, column, into: raw, at: start + 1, canonicalFloat: true)
        return start + 1 + column.kind.slotWidth
    }

    private func writeBytes(of value: Value, into raw: UnsafeMutableRawBufferPointer, at start: Int) -> Int {
        func copy(_ text: String) -> Int {
            var position = start
            var text = text
            text.withUTF8 { bytes in
                for byte in bytes {
                    raw[position] = byte
                    position += 1
                }
            }
            return position
        }
        switch value {
        case .string(let text), .json(let text): return copy(text)
        case .decimal(let decimal): return copy(decimal.description)
        case .null, .bool, .integer, .float, .uuid, .timestamp, .date, .time:
            preconditionFailure("\(value) is not a variable-length value")
        }
    }

    private func writeFixed(_ value: Value, _ column: Column, into raw: UnsafeMutableRawBufferPointer, at offset: Int,
                            canonicalFloat: Bool) {
        switch value {
        case .integer(let v), .timestamp(let v), .time(let v):
            raw.storeBytes(of: v.littleEndian, toByteOffset: offset, as: Int64.self)
        case .float(var v):
            if canonicalFloat {
                if v == 0 { v = 0 }
                if v.isNaN { v = .nan }
            }
            raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: offset, as: UInt64.self)
        case .date(let v):
            raw.storeBytes(of: v.littleEndian, toByteOffset: offset, as: Int32.self)
        case .bool(let v):
            raw[offset] = v ? 1 : 0
        case .uuid(let v):
            withUnsafeBytes(of: v.uuid) { bytes in
                for index in 0..<16 { raw[offset + index] = bytes[index] }
            }
        case .string(let text):
            guard case .enumeration(let type) = column.type, let ordinal = type.ordinal(of: text) else {
                preconditionFailure("checked() lets only enum strings reach a fixed slot")
            }
            raw.storeBytes(of: UInt32(ordinal).littleEndian, toByteOffset: offset, as: UInt32.self)
        case .null, .json, .decimal:
            preconditionFailure("\(value) has no fixed-width form")
        }
    }

    // MARK: Decoding

    /// The byte range of column `index`'s payload in `bytes`, or `nil` when it is null.
    @inline(__always)
    func payload(of index: Int, in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        let column = columns[index]
        if column.keyPosition >= 0 {
            var position = 2
            for keyIndex in keyColumns {
                let present = bytes[position] != 0
                let keyColumn = columns[keyIndex]
                var start = position + 1
                var end = start
                if present {
                    if keyColumn.kind.isVariable {
                        let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt32.self)))
                        start += 4
                        end = start + length
                    } else {
                        end = start + keyColumn.kind.slotWidth
                    }
                }
                if keyIndex == index { return present ? start..<end : nil }
                position = end
            }
            preconditionFailure("key column \(index) not found in the key region")
        }
        let bodyStart = 2 + Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt16.self)))
        if bytes[bodyStart + column.nullBit / 8] & (1 << UInt8(column.nullBit % 8)) != 0 { return nil }
        let fixedStart = bodyStart + bitmapBytes
        let slot = fixedStart + column.slotOffset
        guard column.kind.isVariable else { return slot..<(slot + column.kind.slotWidth) }
        let variableStart = fixedStart + fixedBytes
        let end = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: slot, as: UInt32.self)))
        var start = 0
        if column.previousVariableSlot >= 0 {
            start = Int(UInt32(littleEndian: bytes.loadUnaligned(
                fromByteOffset: fixedStart + column.previousVariableSlot, as: UInt32.self)))
        }
        return (variableStart + start)..<(variableStart + end)
    }

    func value(of index: Int, in bytes: UnsafeRawBufferPointer) -> Value {
        guard let range = payload(of: index, in: bytes) else { return .null }
        let column = columns[index]
        let start = range.lowerBound
        switch column.kind {
        case .int64:
            let v = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: Int64.self))
            switch column.type {
            case .timestamp: return .timestamp(v)
            case .time: return .time(v)
            default: return .integer(v)
            }
        case .float:
            return .float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self))))
        case .date:
            return .date(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: Int32.self)))
        case .bool:
            return .bool(bytes[start] != 0)
        case .uuid:
            var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &uuid) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[range]))
            }
            return .uuid(UUID(uuid: uuid))
        case .enumeration:
            let ordinal = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt32.self)))
            return .string(column.enumValues[ordinal])
        case .text:
            return .string(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self))
        case .json:
            return .json(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self))
        case .decimal:
            guard let decimal = ExactDecimal(utf8: ArraySlice(UnsafeRawBufferPointer(rebasing: bytes[range]))) else {
                preconditionFailure("a stored decimal always parses")
            }
            return .decimal(decimal)
        }
    }

    /// The columns whose values differ between two rows of the same key, compared by value
    /// (``Value/isSame(as:)``): equal bytes are the same value; differing bytes are compared
    /// as values only for the kinds where distinct bytes can be the same value.
    func changedColumns(_ old: UnsafeRawBufferPointer, _ new: UnsafeRawBufferPointer) -> ColumnSet {
        var changed = ColumnSet()
        for index in 0..<columns.count where columns[index].keyPosition < 0 {
            let a = payload(of: index, in: old)
            let b = payload(of: index, in: new)
            switch (a, b) {
            case (nil, nil): continue
            case (nil, _), (_, nil): changed.insert(index)
            case (let a?, let b?):
                if a.count == b.count, let oldBase = old.baseAddress, let newBase = new.baseAddress,
                   memcmp(oldBase + a.lowerBound, newBase + b.lowerBound, a.count) == 0 {
                    continue
                }
                switch columns[index].kind {
                case .float, .text, .json:
                    if !value(of: index, in: old).isSame(as: value(of: index, in: new)) { changed.insert(index) }
                case .int64, .date, .bool, .uuid, .enumeration, .decimal:
                    changed.insert(index)
                }
            }
        }
        return changed
    }
}
