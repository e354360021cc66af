import Foundation
import GraphQL
@testable import GraphQLAPI
import LiveViews
import OrderedCollections
import Testing

/// Column values as the projection writes them and as the executor path sees them.
@Suite struct ProjectionValueTests {
    func written(_ value: LiveViews.Value) -> String {
        var buffer: [UInt8] = []
        JSONWriter.writeValue(value, to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// What GraphQLSwift's encoder writes for the same value (the reference for our bytes).
    func reference(_ map: Map) throws -> String {
        let encoder = GraphQLJSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: try encoder.encode(map), as: UTF8.self)
    }

    @Test(arguments: [
        0.0, -0.0, 1.0, -1.0, 2.5, 0.1, 1e-7, 123456789.125, 1e15, 999999999999999.0, 1e16, 1e20, -3.75e-300,
        Double.greatestFiniteMagnitude, Double.leastNonzeroMagnitude, 4503599627370496.5, 1.0 / 3.0,
    ])
    func floatsMatchGraphQLSwift(_ double: Double) throws {
        #expect(written(.float(double)) == (try reference(.number(Number(double)))))
    }

    @Test func nonFiniteFloatsAreNull() {
        for double in [Double.nan, .infinity, -.infinity] {
            #expect(written(.float(double)) == "null")
            #expect(LiveViews.Value.float(double).graphQLMap == .null)
        }
    }

    @Test(arguments: [Int64.min, -1, 0, 7, 2_147_483_648, Int64.max])
    func integersAreExact(_ integer: Int64) {
        #expect(written(.integer(integer)) == String(integer))
    }

    @Test func stringsEscapeLikeGraphQLSwift() throws {
        var text = ""
        for scalar in 0..<0x80 { text.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        text += "é€😀\u{10FFFF}\u{2028}/"
        #expect(written(.string(text)) == (try reference(.string(text))))
        #expect(written(.string("a\u{0}b")) == #""a\u0000b""#)
        #expect(written(.string("")) == #""""#)
        #expect(written(.string("😀")) == "\"😀\"")
        // The JSON we write is JSON: Foundation reads the same text back.
        let parsed = try JSONSerialization.jsonObject(with: Data(written(.string(text)).utf8), options: .fragmentsAllowed)
        #expect(parsed as? String == text)
    }

    @Test func temporalValues() {
        let cases: [(LiveViews.Value, String)] = [
            (.timestamp(0), "1970-01-01T00:00:00Z"),
            (.timestamp(-1), "1969-12-31T23:59:59.999999Z"),
            (.timestamp(951_782_400_000_000), "2000-02-29T00:00:00Z"),
            (.timestamp(1_700_000_000_000_100), "2023-11-14T22:13:20.000100Z"),
            (.timestamp(-62_135_596_800_000_000), "0001-01-01T00:00:00Z"),
            (.timestamp(253_402_300_800_000_000), "+10000-01-01T00:00:00Z"),
            (.timestamp(-62_167_219_200_000_001), "-0001-12-31T23:59:59.999999Z"),
            (.date(0), "1970-01-01"),
            (.date(-1), "1969-12-31"),
            (.date(11_016), "2000-02-29"),
            (.time(0), "00:00:00"),
            (.time(86_399_999_999), "23:59:59.999999"),
            (.time(86_400_000_000), "24:00:00"),
            (.time(3_600_500_000), "01:00:00.500000"),
        ]
        for (value, text) in cases {
            #expect(written(value) == "\"\(text)\"", "\(value)")
            #expect(value.graphQLMap == .string(text), "\(value)")
        }
    }

    @Test func otherTypes() {
        let uuid = UUID(uuidString: "00112233-4455-6677-8899-AABBCCDDEEFF")!
        #expect(written(.uuid(uuid)) == #""00112233-4455-6677-8899-aabbccddeeff""#)
        #expect(LiveViews.Value.uuid(uuid).graphQLMap == .string("00112233-4455-6677-8899-aabbccddeeff"))
        #expect(written(.decimal(ExactDecimal("-0.50")!)) == #""-0.5""#)
        #expect(written(.decimal(.nan)) == #""NaN""#)
        #expect(written(.bool(false)) == "false")
        #expect(written(.null) == "null")
        #expect(written(.json(#"{"b":1,"a":[true]}"#)) == #"{"b":1,"a":[true]}"#)
    }

    @Test func jsonTextBecomesAnOrderedMap() throws {
        let map = LiveViews.Value.json(#" {"z": 1, "a": [1.5, -2, "x\n\u00e9\ud83d\ude00", null, false, {}], "m": {"k": true}} "#).graphQLMap
        let expected: Map = .dictionary([
            "z": .number(Number(Int64(1))),
            "a": .array([.number(Number(1.5)), .number(Number(Int64(-2))), .string("x\né😀"), .null, .bool(false), .dictionary([:])]),
            "m": .dictionary(["k": .bool(true)]),
        ])
        #expect(map == expected)
        #expect(Array(map.dictionary?.keys ?? []) == ["z", "a", "m"])
        // Not JSON: shown as text rather than failing the row.
        #expect(LiveViews.Value.json("{oops").graphQLMap == .string("{oops"))
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(LiveViews.Value.json(deep).graphQLMap == .string(deep))
    }
}
