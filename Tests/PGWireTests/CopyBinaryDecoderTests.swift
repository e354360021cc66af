import Testing
@testable import PGWire

@Suite struct CopyBinaryDecoderTests {
    static let header: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]

    /// F6: `SELECT 1 AS a` subscribed in binary: mz_timestamp (numeric), mz_diff (int8), a (int4).
    static let tuple: [UInt8] = [0, 3]
        + [0, 0, 0, 12] + [0, 2, 0, 3, 0, 0, 0, 0, 0, 1, 0x1B, 0x58]  // numeric 1700000000000 = [1, 7000] weight 3
        + [0, 0, 0, 8] + [0, 0, 0, 0, 0, 0, 0, 1]  // int8 1
        + [0, 0, 0, 4] + [0, 0, 0, 1]  // int4 1
    static let trailer: [UInt8] = [0xFF, 0xFF]

    func check(_ row: CopyBinaryRow) throws {
        #expect(row.count == 3)
        #expect(try row.decode(0, as: .numeric) == .numeric(Numeric(1_700_000_000_000 as UInt64)))
        #expect(try row.decode(1, as: .int8) == .int64(1))
        #expect(try row.decode(2, as: .int4) == .int32(1))
    }

    /// Feeds `chunks`, returning the rows and whether the trailer was seen.
    func decode(_ chunks: [[UInt8]]) throws -> (rows: [CopyBinaryRow], finished: Bool) {
        var decoder = CopyBinaryDecoder()
        var rows: [CopyBinaryRow] = []
        for chunk in chunks {
            try decoder.append(chunk)
            while let row = try decoder.nextRow() { rows.append(row) }
        }
        try decoder.finish()
        return (rows, decoder.isFinished)
    }

    @Test func f6Layout() throws {
        let (rows, finished) = try decode([Self.header + Self.tuple, Self.trailer])
        #expect(rows.count == 1)
        #expect(finished)
        try check(rows[0])
    }

    @Test func headerSplitAtEveryPoint() throws {
        let all = Self.header + Self.tuple
        for split in 0...all.count {
            let (rows, finished) = try decode([Array(all[..<split]), Array(all[split...]), Self.trailer])
            #expect(rows.count == 1, "split at \(split)")
            #expect(finished)
            try check(rows[0])
        }
    }

    @Test func dripFedAndOneBigPayload() throws {
        let all = Self.header + Self.tuple + Self.tuple + Self.trailer
        let drip = try decode(all.map { [$0] })
        #expect(drip.rows.count == 2)
        #expect(drip.finished)
        let whole = try decode([all])
        #expect(whole.rows.count == 2)
        try whole.rows.forEach(check)
    }

    @Test func headerAloneThenTuples() throws {
        let (rows, _) = try decode([Self.header, Self.tuple, Self.tuple, Self.trailer])
        #expect(rows.count == 2)
    }

    @Test func headerExtensionIsSkipped() throws {
        var header = Array(Self.header[..<15])
        header += [0, 0, 0, 5, 9, 9, 9, 9, 9]
        let (rows, _) = try decode([header + Self.tuple, Self.trailer])
        #expect(rows.count == 1)
        try check(rows[0])
    }

    @Test func nonCriticalFlagsAreIgnored() throws {
        var header = Self.header
        header[14] = 0x01  // bit 0
        #expect(try decode([header + Self.tuple, Self.trailer]).rows.count == 1)
    }

    @Test func oidFlagAndCriticalFlagsAreRejected() {
        var oids = Self.header
        oids[13] = 0x01  // bit 16
        #expect(throws: PostgresError.self) { try decode([oids + Self.tuple]) }
        var critical = Self.header
        critical[11] = 0x80  // bit 31
        #expect(throws: PostgresError.self) { try decode([critical + Self.tuple]) }
    }

    @Test func badSignatureFailsEarly() {
        var decoder = CopyBinaryDecoder()
        #expect(throws: Never.self) { try decoder.append([0x50, 0x47, 0x44]) }
        #expect(throws: PostgresError.self) { try decoder.nextRow() }
        #expect(throws: PostgresError.self) { try decode([Array("1\t2\n".utf8)]) }
    }

    @Test func truncatedTuplesWaitThenFailAtFinish() throws {
        var decoder = CopyBinaryDecoder()
        try decoder.append(Self.header + Self.tuple.dropLast(2))
        #expect(try decoder.nextRow() == nil)
        #expect(throws: PostgresError.self) { try decoder.finish() }
        try decoder.append([0, 1])
        try check(try #require(try decoder.nextRow()))
    }

    @Test func dataAfterTrailerIsRejected() throws {
        #expect(throws: PostgresError.self) { try decode([Self.header + Self.tuple + Self.trailer + [0]]) }
        var decoder = CopyBinaryDecoder()
        try decoder.append(Self.header + Self.trailer)
        #expect(try decoder.nextRow() == nil)
        #expect(decoder.isFinished)
        #expect(throws: PostgresError.self) { try decoder.append(Self.tuple) }
    }

    @Test func malformedTuplesThrow() {
        // Field count below -1, negative field length, field count changing between tuples.
        #expect(throws: PostgresError.self) { try decode([Self.header + [0xFF, 0xFE]]) }
        #expect(throws: PostgresError.self) { try decode([Self.header + [0, 1, 0xFF, 0xFF, 0xFF, 0xFE]]) }
        #expect(throws: PostgresError.self) { try decode([Self.header + Self.tuple + [0, 1, 0xFF, 0xFF, 0xFF, 0xFF]]) }
        var decoder = CopyBinaryDecoder(columnCount: 2)
        #expect(throws: PostgresError.self) {
            try decoder.append(Self.header + Self.tuple)
            _ = try decoder.nextRow()
        }
        #expect(throws: PostgresError.self) { try decode([Self.header + [0, 1, 0, 0, 0, 4, 0, 0]]) }
    }

    @Test func oversizedTupleThrows() throws {
        var decoder = CopyBinaryDecoder(maximumTupleSize: 16)
        try decoder.append(Self.header + [0, 1, 0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: PostgresError.self) { try decoder.nextRow() }
    }

    @Test func nullFields() throws {
        let tuple: [UInt8] = [0, 2, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]
        let (rows, _) = try decode([Self.header + tuple, Self.trailer])
        let row = try #require(rows.first)
        #expect(row.isNull(0))
        #expect(try row.decode(0, as: .int4) == .null)
        #expect(row.field(1)?.isEmpty == true)
        #expect(try row.decode(1, as: .text) == .text(""))
    }

    @Test func encoderMatchesMaterializeLayout() throws {
        var encoder = CopyBinaryEncoder()
        let first = encoder.encode([.numeric(Numeric(1_700_000_000_000 as UInt64)), .int64(1), .int32(1)])
        #expect(first == Self.header + Self.tuple)
        #expect(encoder.headerSent)
        let second = encoder.encode([.numeric(Numeric(1_700_000_000_000 as UInt64)), .int64(1), .int32(1)])
        #expect(second == Self.tuple)
        #expect(encoder.trailer() == Self.trailer)
        var idle = CopyBinaryEncoder()
        #expect(idle.trailer() == Self.header + Self.trailer)
        let (rows, finished) = try decode([first, second, Self.trailer])
        #expect(rows.count == 2)
        #expect(finished)
    }

    @Test func encodeDecodeRoundTripWithNulls() throws {
        var encoder = CopyBinaryEncoder()
        let values: [Datum] = [.null, .text("é"), .timestamptz(0), .array(ArrayValue(elementType: .int8, elements: [.int64(1), .null]))]
        let types: [TypeOID] = [.int4, .text, .timestamptz, .int8Array]
        let (rows, _) = try decode([encoder.encode(values), encoder.trailer()])
        let row = try #require(rows.first)
        for index in values.indices {
            #expect(try row.decode(index, as: types[index]) == values[index])
        }
    }
}
