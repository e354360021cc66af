import Foundation
import Testing
@testable import PGWire

func decodeBinary(_ bytes: [UInt8], _ type: TypeOID) throws -> Datum {
    try Datum(binary: bytes[...], type: type)
}

@Suite struct DatumBinaryTests {
    @Test func goldenFixedWidthValues() throws {
        #expect(try decodeBinary([1], .bool) == .bool(true))
        #expect(try decodeBinary([0], .bool) == .bool(false))
        #expect(try decodeBinary([0xFF, 0xFE], .int2) == .int16(-2))
        #expect(try decodeBinary([0x80, 0, 0, 0], .int4) == .int32(.min))
        #expect(try decodeBinary([0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], .int8) == .int64(.max))
        #expect(try decodeBinary([0x3F, 0xF8, 0, 0, 0, 0, 0, 0], .float8) == .float64(1.5))
        #expect(try decodeBinary([0x7F, 0x80, 0, 0], .float4) == .float32(.infinity))
        // 2000-01-01 is day 0 on the wire, day 10957 since 1970.
        #expect(try decodeBinary([0, 0, 0, 0], .date) == .date(10957))
        #expect(try decodeBinary([0x7F, 0xFF, 0xFF, 0xFF], .date) == .date(.max))
        #expect(try decodeBinary([0, 0, 0, 0, 0, 0, 0, 0], .timestamptz) == .timestamptz(946_684_800_000_000))
        #expect(try decodeBinary([0x80, 0, 0, 0, 0, 0, 0, 0], .timestamp) == .timestamp(.min))
        #expect(try decodeBinary([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3], .interval)
            == .interval(Interval(months: 3, days: 2, microseconds: 1)))
        // timetz: zone on the wire is seconds WEST of UTC.
        #expect(try decodeBinary([0, 0, 0, 0, 0, 0, 0, 5, 0xFF, 0xFF, 0xE3, 0xE0], .timetz) == .timetz(5, offsetSeconds: 7200))
    }

    @Test func mzTimestampAcceptsDigitsOrInteger() throws {
        #expect(try decodeBinary(Array("1700000000000".utf8), .mzTimestamp) == .mzTimestamp(1_700_000_000_000))
        #expect(try decodeBinary([0, 0, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00], .mzTimestamp) == .mzTimestamp(0x018B_CFE5_6800))
        #expect(throws: PostgresError.self) { try decodeBinary([1, 2, 3], .mzTimestamp) }
    }

    @Test func wrongSizesThrow() {
        let cases: [(TypeOID, Int)] = [
            (.bool, 2), (.int2, 3), (.int4, 2), (.int8, 4), (.float4, 8), (.float8, 4), (.date, 8),
            (.time, 4), (.timetz, 8), (.timestamp, 4), (.timestamptz, 9), (.interval, 12), (.uuid, 15),
        ]
        for (type, size) in cases {
            #expect(throws: PostgresError.self, "\(type)") { try decodeBinary(Array(repeating: 0, count: size), type) }
        }
        #expect(throws: PostgresError.self) { try decodeBinary([], .int4) }
        #expect(throws: PostgresError.self) { try decodeBinary([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], .time) }
    }

    @Test func jsonbNeedsVersionOne() throws {
        #expect(try decodeBinary([1] + Array("{\"a\":1}".utf8), .jsonb) == .jsonb("{\"a\":1}"))
        #expect(try decodeBinary(Array("[1]".utf8), .json) == .json("[1]"))
        #expect(throws: PostgresError.self) { try decodeBinary([2] + Array("{}".utf8), .jsonb) }
        #expect(throws: PostgresError.self) { try decodeBinary([], .jsonb) }
        #expect(Datum.jsonb("{}").binaryBytes() == [1, 0x7B, 0x7D])
    }

    @Test func uuidBytes() throws {
        let bytes: [UInt8] = [0xA0, 0xEE, 0xBC, 0x99, 0x9C, 0x0B, 0x4E, 0xF8, 0xBB, 0x6D, 0x6B, 0xB9, 0xBD, 0x38, 0x0A, 0x11]
        let value = try decodeBinary(bytes, .uuid)
        #expect(value == .uuid(try #require(UUID(uuidString: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))))
        #expect(value.binaryBytes() == bytes)
    }

    @Test func arrays() throws {
        // {1,NULL} of int4: ndim 1, has-null 1, elem 23, dim (2, lb 1), then 1 and NULL.
        let bytes: [UInt8] = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 23, 0, 0, 0, 2, 0, 0, 0, 1,
                              0, 0, 0, 4, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF]
        let value = try decodeBinary(bytes, .int4Array)
        #expect(value == .array(ArrayValue(elementType: .int4, elements: [.int32(1), .null])))
        #expect(value.binaryBytes() == bytes)
        let empty: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25]
        #expect(try decodeBinary(empty, .textArray) == .array(ArrayValue(elementType: .text, elements: [])))
        // Wrong element type, truncated, absurd element counts, too many dimensions, trailing bytes.
        var wrongElement = bytes
        wrongElement[11] = 20
        #expect(throws: PostgresError.self) { try decodeBinary(wrongElement, .int4Array) }
        #expect(throws: PostgresError.self) { try decodeBinary(Array(bytes.dropLast()), .int4Array) }
        #expect(throws: PostgresError.self) { try decodeBinary(bytes + [0], .int4Array) }
        let huge: [UInt8] = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1]
        #expect(throws: PostgresError.self) { try decodeBinary(huge, .int4Array) }
        let deep: [UInt8] = [0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 23]
        #expect(throws: PostgresError.self) { try decodeBinary(deep, .int4Array) }
    }

    @Test func roundTripsEveryType() throws {
        let uuid = try #require(UUID(uuidString: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
        let values: [(Datum, TypeOID)] = [
            (.bool(true), .bool), (.int16(.min), .int2), (.int32(.max), .int4), (.int64(.min), .int8),
            (.float32(-3.4028235e+38), .float4), (.float64(2.220446049250313e-16), .float8),
            (.float64(.infinity), .float8), (.float64(-.infinity), .float8),
            (.numeric(try #require(Numeric("-123456789012345678901234567890.000000001"))), .numeric),
            (.numeric(.nan), .numeric), (.numeric(.negativeInfinity), .numeric), (.numeric(.zero), .numeric),
            (.text("héllo ✓"), .text), (.text(""), .varchar), (.uuid(uuid), .uuid),
            (.date(-2_451_545), .date), (.date(.min), .date), (.date(96_465_657), .date),
            (.time(86_400_000_000), .time), (.timetz(1, offsetSeconds: -19800), .timetz),
            (.timestamp(-210_866_803_200_000_000), .timestamp), (.timestamptz(.max), .timestamptz),
            (.timestamptz(8_210_298_412_799_999_999), .timestamptz),
            (.interval(Interval(months: -8, days: .min, microseconds: .min)), .interval),
            (.json("{\"a\": 1}"), .json), (.jsonb("{\"a\":1}"), .jsonb), (.bytea([0, 1, 255]), .bytea), (.bytea([]), .bytea),
            (.mzTimestamp(1_700_000_000_000), .mzTimestamp),
            (.array(ArrayValue(elementType: .text, dimensions: [.init(length: 2), .init(length: 2, lowerBound: 0)],
                               elements: [.text("a"), .null, .text(""), .text("{\"}")])), .textArray),
            (.array(ArrayValue(elementType: .numeric, elements: [.numeric(Numeric(5 as Int64)), .null])), .numericArray),
            (.raw(TypeOID(99999), [1, 2, 3]), TypeOID(99999)),
        ]
        for (value, type) in values {
            let binary = try #require(value.binaryBytes())
            #expect(try Datum(binary[...], format: .binary, type: type) == value, "binary \(value)")
            if case .raw = value { continue }
            let text = try #require(value.textBytes())
            #expect(try Datum(text[...], format: .text, type: type) == value, "text \(value) as \(String(decoding: text, as: UTF8.self))")
        }
        #expect(Datum.null.binaryBytes() == nil)
        guard case .float64(let nan) = try decodeBinary(try #require(Datum.float64(.nan).binaryBytes()), .float8) else {
            Issue.record("not a float")
            return
        }
        #expect(nan.isNaN)
    }
}
