import Testing
@testable import PGWire

@Suite struct CopyTextRowTests {
    func row(_ text: String) throws -> CopyTextRow {
        try CopyTextRow(Array(text.utf8))
    }

    @Test func ptCopyExample() throws {
        // [pt-copy] row 5: `5`, then backslash+TAB+LF+CR+`test\N`.
        let bytes: [UInt8] = [0x35, 0x09, 0x5C, 0x5C, 0x5C, 0x74, 0x5C, 0x6E, 0x5C, 0x72, 0x74, 0x65, 0x73, 0x74, 0x5C, 0x5C, 0x4E, 0x0A]
        let row = try CopyTextRow(bytes)
        #expect(row.count == 2)
        #expect(try row.decode(0, as: .int4) == .int32(5))
        #expect(row.field(1).map(Array.init) == [0x5C, 0x09, 0x0A, 0x0D] + Array("test\\N".utf8))
        #expect(!row.isNull(1))
        #expect(CopyTextEncoder().encode([.int32(5), .text("\\\t\n\rtest\\N")]) == bytes)
    }

    @Test func everyEscape() throws {
        let row = try row("\\b\\f\\n\\r\\t\\v\\\\\t\\0\\12\\101\\1018\t\\x4\\x41\\x414\\xg\t\\q\\N\\\"\n")
        #expect(row.count == 4)
        #expect(row.field(0).map(Array.init) == [0x08, 0x0C, 0x0A, 0x0D, 0x09, 0x0B, 0x5C])
        #expect(row.field(1).map(Array.init) == [0x00, 0x0A, 0x41, 0x41, 0x38])
        #expect(row.field(2).map(Array.init) == [0x04, 0x41, 0x41, 0x34, 0x78, 0x67])
        #expect(row.field(3).map(Array.init) == Array("qN\"".utf8))
    }

    @Test func nullVersusEscapedBackslashN() throws {
        let row = try row("\\N\t\\\\N\t\t\\Nx\n")
        #expect(row.count == 4)
        #expect(row.isNull(0))
        #expect(row.field(0) == nil)
        #expect(try row.decode(0, as: .text) == .null)
        #expect(!row.isNull(1))
        #expect(try row.decode(1, as: .text) == .text("\\N"))
        #expect(try row.decode(2, as: .text) == .text(""))
        #expect(try row.decode(3, as: .text) == .text("Nx"))
        #expect(row.rawField(1).map { $0 } == Array("\\\\N".utf8))
    }

    @Test func emptyFieldsAndRows() throws {
        let empty = try row("\n")
        #expect(empty.count == 1)
        #expect(try empty.decode(0, as: .text) == .text(""))
        let tabs = try row("\t\t\n")
        #expect(tabs.count == 3)
        #expect((0..<3).allSatisfy { tabs.field($0)?.isEmpty == true })
    }

    @Test func unescapedFieldsShareStorage() throws {
        let payload = Array("1700000000000\t1\tbob\n".utf8)
        let row = try CopyTextRow(payload)
        let field = try #require(row.field(2))
        #expect(field.startIndex == 16)
        #expect(try row.decode(0, as: .numeric) == .numeric(Numeric(1_700_000_000_000 as UInt64)))
        #expect(try row.decode(1, as: .int8) == .int64(1))
    }

    @Test func escapedTabIsData() throws {
        // A backslash before a raw TAB or LF makes it data, as PostgreSQL's COPY FROM reads it.
        let row = try CopyTextRow([0x61, 0x5C, 0x09, 0x62, 0x5C, 0x0A, 0x09, 0x63, 0x0A])
        #expect(row.count == 2)
        #expect(row.field(0).map(Array.init) == [0x61, 0x09, 0x62, 0x0A])
    }

    @Test func oneMebibyteField() throws {
        var payload = [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
        payload[1000] = 0x5C
        payload[1001] = UInt8(ascii: "t")
        payload.append(0x09)
        payload.append(0x31)
        payload.append(0x0A)
        let row = try CopyTextRow(payload)
        #expect(row.count == 2)
        let field = try #require(row.field(0))
        #expect(field.count == (1 << 20) - 1)
        #expect(field[field.startIndex + 1000] == 0x09)
        #expect(try row.decode(1, as: .int2) == .int16(1))
    }

    @Test func malformedRowsThrow() {
        #expect(throws: PostgresError.self) { try CopyTextRow(Array("1\t2".utf8)) }
        #expect(throws: PostgresError.self) { try CopyTextRow([]) }
        #expect(throws: PostgresError.self) { try CopyTextRow(Array("1\n2\n".utf8)) }
        #expect(throws: PostgresError.self) { try CopyTextRow(Array("1\\\n".utf8)) }  // the LF is escaped
        #expect(throws: PostgresError.self) { try CopyTextRow(Array("x\n".utf8)).decode(0, as: .int4) }
    }

    @Test func encoderEscapesOnlyMaterializesFour() {
        let encoder = CopyTextEncoder()
        #expect(encoder.encode([.int64(1700000000000), .bool(true), .null, .null]) == Array("1700000000000\tt\t\\N\t\\N\n".utf8))
        // BS, FF and VT pass through raw, unlike PostgreSQL.
        #expect(encoder.encode([.text("\u{8}\u{C}\u{B}")]) == [0x08, 0x0C, 0x0B, 0x0A])
        // Escaping applies to the text form: bytea \x01ff goes out as \\x01ff.
        #expect(encoder.encode([.bytea([1, 255])]) == Array("\\\\x01ff\n".utf8))
        #expect(encoder.encode(fields: [nil, Array("a\tb".utf8)[...]]) == Array("\\N\ta\\tb\n".utf8))
        #expect(encoder.encode([]) == [0x0A])
    }

    @Test func encodeDecodeRoundTrip() throws {
        let values: [Datum] = [.text("tab\there"), .text("back\\slash"), .text("line\nbreak\r"), .null, .text(""), .text("\\N"), .text("é✓")]
        let row = try CopyTextRow(CopyTextEncoder().encode(values))
        #expect(row.count == values.count)
        for (index, value) in values.enumerated() {
            #expect(try row.decode(index, as: .text) == value)
        }
    }
}
