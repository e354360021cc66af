import Testing
@testable import PGWire

@Suite struct CopyTextDecoderTests {
    /// Feeds `chunks` and collects every row's unescaped fields.
    func decode(_ chunks: [[UInt8]], columnCount: Int? = nil) throws -> [[[UInt8]?]] {
        var decoder = CopyTextDecoder(columnCount: columnCount)
        var rows: [[[UInt8]?]] = []
        for chunk in chunks {
            decoder.append(chunk)
            while let row = try decoder.nextRow() {
                rows.append(row.fields.map { $0.map(Array.init) })
            }
        }
        try decoder.finish()
        return rows
    }

    let stream = Array("1700000000000\t1\t1\talice\n1700000000000\t1\t2\tbob\\tby\\\\\n1700000001000\t-1\t\\N\t\\\n\n".utf8)

    var expected: [[[UInt8]?]] {
        [
            ["1700000000000", "1", "1", "alice"].map { Array($0.utf8) },
            ["1700000000000", "1", "2", "bob\tby\\"].map { Array($0.utf8) },
            [Array("1700000001000".utf8), Array("-1".utf8), nil, [0x0A]],
        ]
    }

    @Test func oneRowPerPayloadAsMaterializeSends() throws {
        var chunks: [[UInt8]] = []
        var start = 0
        var index = 0
        while index < stream.count {
            if stream[index] == 0x5C { index += 2; continue }
            if stream[index] == 0x0A {
                chunks.append(Array(stream[start...index]))
                start = index + 1
            }
            index += 1
        }
        #expect(chunks.count == 3)
        #expect(try decode(chunks) == expected)
    }

    @Test func severalRowsInOnePayload() throws {
        #expect(try decode([stream]) == expected)
    }

    @Test func splitAtEveryPoint() throws {
        for split in 0...stream.count {
            #expect(try decode([Array(stream[..<split]), Array(stream[split...])]) == expected, "split at \(split)")
        }
    }

    @Test func dripFed() throws {
        #expect(try decode(stream.map { [$0] }) == expected)
    }

    @Test func partialRowAtFinishThrows() {
        var decoder = CopyTextDecoder()
        decoder.append(Array("1\t2".utf8))
        #expect(throws: Never.self) { _ = try decoder.nextRow() }
        #expect(decoder.hasPartialRow)
        #expect(throws: PostgresError.self) { try decoder.finish() }
    }

    @Test func columnCountIsEnforced() {
        #expect(throws: PostgresError.self) { try decode([Array("1\t2\n".utf8)], columnCount: 3) }
        #expect((try? decode([Array("1\t2\t3\n".utf8)], columnCount: 3))?.count == 1)
    }

    @Test func oversizedRowThrows() throws {
        var decoder = CopyTextDecoder(maximumRowSize: 8)
        decoder.append(Array("12345".utf8))
        #expect(try decoder.nextRow() == nil)
        decoder.append(Array("6789".utf8))
        #expect(throws: PostgresError.self) { try decoder.nextRow() }
    }

    @Test func bigRowInManyChunks() throws {
        var row = [UInt8](repeating: UInt8(ascii: "z"), count: 1 << 20)
        row.append(0x0A)
        var decoder = CopyTextDecoder()
        var found: CopyTextRow?
        var offset = 0
        while offset < row.count {
            decoder.append(Array(row[offset..<min(offset + 4096, row.count)]))
            offset += 4096
            if let next = try decoder.nextRow() { found = next }
        }
        #expect(found?.count == 1)
        #expect(found?.field(0)?.count == 1 << 20)
    }
}
