import Foundation
import Testing
@testable import LiveViews

@Suite struct RowTests {
    let layout = RowLayout(schema: Fixtures.wide)

    func fullRow(id: Int64 = 7, note: Value = .string("héllo")) -> [Value] {
        [
            .string("eu"), .integer(id), .float(-2.5), .decimal(ExactDecimal("12345678901234567890.5")!), note,
            .uuid(UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!), .timestamp(1_700_000_000_123_456),
            .date(19_000), .time(3_600_000_000), .bool(true), .json("{\"a\":1}"), .json("[1,2]"), .string("high"),
        ]
    }

    @Test func roundTripsEveryColumnType() throws {
        let values = fullRow()
        let row = Row(bytes: try layout.encode(values), layout: layout)
        #expect(row.values == values)
        #expect(row.keyValues == [.string("eu"), .integer(7)])
        for index in values.indices { #expect(row.value(at: index) == values[index]) }
    }

    @Test func roundTripsNulls() throws {
        var values = [Value](repeating: .null, count: Fixtures.wide.columns.count)
        values[0] = .string("us")
        values[1] = .integer(1)
        values[4] = .string("only text")
        let row = Row(bytes: try layout.encode(values), layout: layout)
        #expect(row.values == values)
        values[1] = .null
        let nullKey = Row(bytes: try layout.encode(values), layout: layout)
        #expect(nullKey.values == values)
    }

    @Test func bigIntAcceptsIntegers() throws {
        var values = fullRow()
        values[3] = .integer(-42)
        let row = Row(bytes: try layout.encode(values), layout: layout)
        #expect(row.value(at: 3) == .decimal(ExactDecimal(-42)))
    }

    @Test func rejectsValuesThatDoNotFitTheSchema() {
        var wrongType = fullRow()
        wrongType[2] = .string("2.5")
        #expect(throws: LiveViewsError.self) { try layout.encode(wrongType) }
        var unknownEnum = fullRow()
        unknownEnum[12] = .string("extreme")
        let error = #expect(throws: LiveViewsError.self) { try layout.encode(unknownEnum) }
        #expect(error?.code == .invalidBatch)
        #expect(error?.message.contains("extreme") == true)
        #expect(throws: LiveViewsError.self) { try layout.encode(Array(fullRow().dropLast())) }
        #expect(throws: LiveViewsError.self) { try layout.encodeKey([.string("eu")]) }
        #expect(throws: LiveViewsError.self) { try layout.encodeKey([.integer(1), .integer(2)]) }
    }

    @Test func keysCompareByKeyColumnsOnly() throws {
        let a = Row(bytes: try layout.encode(fullRow(id: 1)), layout: layout)
        let b = Row(bytes: try layout.encode(fullRow(id: 1, note: .string("other"))), layout: layout)
        let c = Row(bytes: try layout.encode(fullRow(id: 2)), layout: layout)
        #expect(a.key == b.key)
        #expect(a.key.hashValue == b.key.hashValue)
        #expect(a.key != c.key)
        let probe = RowKey(bytes: try layout.encodeKey([.string("eu"), .integer(1)]))
        #expect(probe == a.key)
    }

    @Test func floatKeysAreCanonical() throws {
        let schema = try SourceSchema(name: "f", columns: [.init(name: "k", type: .float)], primaryKey: ["k"])
        let layout = RowLayout(schema: schema)
        let zero = RowKey(bytes: try layout.encode([.float(0.0)]))
        let negativeZero = RowKey(bytes: try layout.encode([.float(-0.0)]))
        #expect(zero == negativeZero)
    }

    @Test func changedColumnsComparesByValue() throws {
        let old = Row(bytes: try layout.encode(fullRow()), layout: layout)
        var values = fullRow()
        values[4] = .string("changed")
        values[9] = .bool(false)
        let new = Row(bytes: try layout.encode(values), layout: layout)
        #expect(new.changedColumns(from: old) == ColumnSet([4, 9]))
        #expect(old.changedColumns(from: old).isEmpty)

        var nan = fullRow()
        nan[2] = .float(.nan)
        let nan1 = Row(bytes: try layout.encode(nan), layout: layout)
        nan[2] = .float(-.nan)
        let nan2 = Row(bytes: try layout.encode(nan), layout: layout)
        #expect(nan2.changedColumns(from: nan1).isEmpty)
        nan[2] = .null
        let null = Row(bytes: try layout.encode(nan), layout: layout)
        #expect(null.changedColumns(from: nan1) == ColumnSet([2]))
    }

    @Test func packsCompactly() throws {
        let small = RowLayout(schema: Fixtures.small)
        let bytes = try small.encode(Fixtures.smallRow(1, group: 2, name: "abc", score: 3))
        // 2 (key length) + 9 (key) + 1 (bitmap) + 8 + 4 + 8 (slots) + 3 (text)
        #expect(bytes.count == 35)
    }
}
