/// Arrays in text (`array_in`/`array_out`) and binary (`array_recv`/`array_send`) form.
/// https://www.postgresql.org/docs/current/arrays.html#ARRAYS-IO
extension Datum {
    /// Parses `{1,2,NULL,"a \"b\""}`, nested `{{1,2},{3,4}}`, `{}` and a leading
    /// `[lower:upper]…=` dimension decoration. Arrays must be rectangular.
    static func parseArray(_ bytes: ArraySlice<UInt8>, elementType: TypeOID) throws(PostgresError) -> ArrayValue {
        var parser = ArrayTextParser(bytes: bytes, elementType: elementType)
        return try parser.parse()
    }

    /// Decodes `array_send`'s layout.
    static func decodeBinaryArray(_ bytes: ArraySlice<UInt8>, type: TypeOID, elementType expected: TypeOID) throws(PostgresError) -> ArrayValue {
        var reader = ByteReader(bytes)
        guard let dimensionCount = reader.readInt32(), let flags = reader.readInt32(), let rawElement = reader.readUInt32() else {
            throw Datum.invalid("array", bytes, "needs a 12-byte header")
        }
        guard dimensionCount >= 0, dimensionCount <= ArrayValue.maximumDimensions else {
            throw Datum.invalid("array", bytes, "\(dimensionCount) dimensions")
        }
        guard flags == 0 || flags == 1 else { throw Datum.invalid("array", bytes, "flags \(flags)") }
        let elementType = TypeOID(rawElement)
        guard elementType == expected else {
            throw Datum.invalid("array", bytes, "element type \(elementType) but the column is \(type)")
        }
        var dimensions: [ArrayValue.Dimension] = []
        var total = dimensionCount == 0 ? 0 : 1
        for _ in 0..<dimensionCount {
            guard let length = reader.readInt32(), let lower = reader.readInt32(), length >= 0 else {
                throw Datum.invalid("array", bytes, "bad dimension")
            }
            total = total.multipliedReportingOverflow(by: Int(length)).overflow ? Int.max : total * Int(length)
            dimensions.append(.init(length: Int(length), lowerBound: Int(lower)))
        }
        // Every element needs at least its 4-byte length: this caps the allocation.
        guard total <= reader.remaining / 4 else { throw Datum.invalid("array", bytes, "too short for \(total) elements") }
        if total == 0 { dimensions = [] }
        var elements: [Datum] = []
        elements.reserveCapacity(total)
        for _ in 0..<total {
            guard let length = reader.readInt32() else { throw Datum.invalid("array", bytes, "truncated") }
            if length == -1 {
                elements.append(.null)
                continue
            }
            guard length >= 0, let element = reader.readBytes(Int(length)) else { throw Datum.invalid("array", bytes, "bad element length \(length)") }
            elements.append(try Datum(binary: element, type: elementType))
        }
        guard reader.isAtEnd else { throw Datum.invalid("array", bytes, "\(reader.remaining) bytes after the last element") }
        return ArrayValue(elementType: elementType, dimensions: dimensions, elements: elements)
    }

    /// Appends `array_out`'s form with Materialize's quoting (§5): quote an element that is
    /// empty, `NULL` (any case), or holds braces, comma, quote, backslash or whitespace.
    static func appendArrayText(_ array: ArrayValue, to out: inout [UInt8]) {
        if array.dimensions.isEmpty {
            out.append(contentsOf: "{}".utf8)
            return
        }
        if array.dimensions.contains(where: { $0.lowerBound != 1 }) {
            for dimension in array.dimensions {
                out.append(UInt8(ascii: "["))
                appendDecimal(Int64(dimension.lowerBound), to: &out)
                out.append(UInt8(ascii: ":"))
                appendDecimal(Int64(dimension.lowerBound + dimension.length - 1), to: &out)
                out.append(UInt8(ascii: "]"))
            }
            out.append(UInt8(ascii: "="))
        }
        var position = 0
        appendArrayLevel(array, level: 0, position: &position, to: &out)
    }

    private static func appendArrayLevel(_ array: ArrayValue, level: Int, position: inout Int, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for index in 0..<array.dimensions[level].length {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            if level + 1 < array.dimensions.count {
                appendArrayLevel(array, level: level + 1, position: &position, to: &out)
                continue
            }
            let element = array.elements[position]
            position += 1
            guard let text = element.textBytes() else {
                out.append(contentsOf: "NULL".utf8)
                continue
            }
            let needsQuotes = text.isEmpty || text.contains(where: { byte in
                byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"")
                    || byte == UInt8(ascii: "\\") || byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
            }) || text.withUnsafeBytes { asciiEqualsIgnoringCase($0, "null") }
            guard needsQuotes else {
                out.append(contentsOf: text)
                continue
            }
            out.append(UInt8(ascii: "\""))
            for byte in text {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
    }

    static func appendArrayBinary(_ array: ArrayValue, to writer: inout ByteWriter) {
        writer.writeInt32(Int32(array.dimensions.count))
        writer.writeInt32(array.elements.contains(where: \.isNull) ? 1 : 0)
        writer.writeUInt32(array.elementType.rawValue)
        for dimension in array.dimensions {
            writer.writeInt32(Int32(dimension.length))
            writer.writeInt32(Int32(dimension.lowerBound))
        }
        for element in array.elements {
            if let bytes = element.binaryBytes() {
                writer.writeInt32(Int32(bytes.count))
                writer.writeBytes(bytes)
            } else {
                writer.writeInt32(-1)
            }
        }
    }
}

/// A recursive-descent parser of the array text form.
private struct ArrayTextParser {
    let bytes: ArraySlice<UInt8>
    let elementType: TypeOID
    var index: Int
    var lengths: [Int?] = []
    var elements: [Datum] = []
    var depth: Int?

    init(bytes: ArraySlice<UInt8>, elementType: TypeOID) {
        self.bytes = bytes
        self.elementType = elementType
        index = bytes.startIndex
    }

    func fail(_ reason: String) -> PostgresError {
        Datum.invalid("array", bytes, reason)
    }

    mutating func skipSpaces() {
        while index < bytes.endIndex, isSpace(bytes[index]) { index += 1 }
    }

    func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }

    mutating func parse() throws(PostgresError) -> ArrayValue {
        skipSpaces()
        var declared: [ArrayValue.Dimension] = []
        while index < bytes.endIndex, bytes[index] == UInt8(ascii: "[") {
            index += 1
            guard let lower = readSigned(), index < bytes.endIndex, bytes[index] == UInt8(ascii: ":") else { throw fail("bad dimension decoration") }
            index += 1
            guard let upper = readSigned(), index < bytes.endIndex, bytes[index] == UInt8(ascii: "]"), upper >= lower - 1 else {
                throw fail("bad dimension decoration")
            }
            index += 1
            declared.append(.init(length: upper - lower + 1, lowerBound: lower))
            guard declared.count <= ArrayValue.maximumDimensions else { throw fail("too many dimensions") }
        }
        if !declared.isEmpty {
            guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "=") else { throw fail("expected = after dimensions") }
            index += 1
            skipSpaces()
        }
        guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "{") else { throw fail("expected {") }
        try parseLevel(0)
        skipSpaces()
        guard index == bytes.endIndex else { throw fail("junk after the closing brace") }
        if elements.isEmpty {
            guard declared.isEmpty || declared.allSatisfy({ $0.length == 0 }) else { throw fail("dimensions do not match the elements") }
            return ArrayValue(elementType: elementType, dimensions: [], elements: [])
        }
        var dimensions = lengths.map { ArrayValue.Dimension(length: $0 ?? 0) }
        if !declared.isEmpty {
            guard declared.count == dimensions.count, zip(declared, dimensions).allSatisfy({ $0.length == $1.length }) else {
                throw fail("dimensions do not match the elements")
            }
            dimensions = declared
        }
        return ArrayValue(elementType: elementType, dimensions: dimensions, elements: elements)
    }

    mutating func readSigned() -> Int? {
        var negative = false
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        var value = 0
        let start = index
        while index < bytes.endIndex, isDigit(bytes[index]), index - start < 10 {
            value = value * 10 + Int(bytes[index] - 0x30)
            index += 1
        }
        guard index > start else { return nil }
        return negative ? -value : value
    }

    /// Parses `{…}` at nesting `level`, with `index` on the `{`.
    mutating func parseLevel(_ level: Int) throws(PostgresError) {
        guard level < ArrayValue.maximumDimensions else { throw fail("more than \(ArrayValue.maximumDimensions) dimensions") }
        if lengths.count <= level { lengths.append(nil) }
        index += 1  // {
        skipSpaces()
        var count = 0
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "}") {
            index += 1
            guard level == 0 else { throw fail("empty inner array") }
            return
        }
        while true {
            skipSpaces()
            guard index < bytes.endIndex else { throw fail("unterminated array") }
            if bytes[index] == UInt8(ascii: "{") {
                guard depth == nil || depth! > level else { throw fail("mixed nesting") }
                try parseLevel(level + 1)
            } else {
                if depth == nil { depth = level }
                guard depth == level else { throw fail("mixed nesting") }
                try parseElement()
            }
            count += 1
            skipSpaces()
            guard index < bytes.endIndex else { throw fail("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw fail("expected , or }") }
            index += 1
            break
        }
        if let expected = lengths[level] {
            guard expected == count else { throw fail("sub-arrays of different lengths") }
        } else {
            lengths[level] = count
        }
    }

    mutating func parseElement() throws(PostgresError) {
        var value: [UInt8] = []
        if bytes[index] == UInt8(ascii: "\"") {
            index += 1
            while true {
                guard index < bytes.endIndex else { throw fail("unterminated quoted element") }
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\"") { break }
                if byte == UInt8(ascii: "\\") {
                    guard index < bytes.endIndex else { throw fail("unterminated escape") }
                    value.append(bytes[index])
                    index += 1
                } else {
                    value.append(byte)
                }
            }
            elements.append(try Datum(text: value[...], type: elementType))
            return
        }
        var hadEscape = false
        var lastKept = 0  // value.count after the last escaped or non-space byte: trailing spaces are trimmed
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") { break }
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "\"") { throw fail("unexpected \(Character(Unicode.Scalar(byte)))") }
            index += 1
            if byte == UInt8(ascii: "\\") {
                guard index < bytes.endIndex else { throw fail("unterminated escape") }
                value.append(bytes[index])
                index += 1
                hadEscape = true
                lastKept = value.count
            } else {
                value.append(byte)
                if !isSpace(byte) { lastKept = value.count }
            }
        }
        value.removeLast(value.count - lastKept)
        guard !value.isEmpty || hadEscape else { throw fail("empty unquoted element") }
        if !hadEscape, value.withUnsafeBytes({ asciiEqualsIgnoringCase($0, "null") }) {
            elements.append(.null)
        } else {
            elements.append(try Datum(text: value[...], type: elementType))
        }
    }
}
