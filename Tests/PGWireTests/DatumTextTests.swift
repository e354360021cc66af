import Foundation
import Testing
@testable import PGWire

/// Decodes `text` as `type` from its bytes.
func decodeText(_ text: String, _ type: TypeOID) throws -> Datum {
    try Datum(text: Array(text.utf8)[...], type: type)
}

/// Encodes `datum` in Materialize's text form as a String.
func encodeText(_ datum: Datum) -> String? {
    datum.textBytes().map { String(decoding: $0, as: UTF8.self) }
}

@Suite struct DatumTextTests {
    @Test func integers() throws {
        #expect(try decodeText("9223372036854775807", .int8) == .int64(.max))
        #expect(try decodeText("-9223372036854775808", .int8) == .int64(.min))
        #expect(try decodeText("2147483647", .int4) == .int32(.max))
        #expect(try decodeText("-2147483648", .int4) == .int32(.min))
        #expect(try decodeText("-32768", .int2) == .int16(.min))
        #expect(try decodeText(" +42 ", .int4) == .int32(42))
        for bad in ["", "-", "1.5", "9223372036854775808", "12a", "0x10"] {
            #expect(throws: PostgresError.self) { try decodeText(bad, .int8) }
        }
        #expect(throws: PostgresError.self) { try decodeText("2147483648", .int4) }
        #expect(throws: PostgresError.self) { try decodeText("32768", .int2) }
    }

    @Test func invalidValueErrorNamesTypeAndInput() {
        do throws(PostgresError) {
            _ = try Datum(text: Array("abc".utf8)[...], type: .int8)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidValue)
            #expect(error.message.contains("int8"))
            #expect(error.message.contains("\"abc\""))
        }
    }

    @Test func bools() throws {
        #expect(try decodeText("t", .bool) == .bool(true))
        #expect(try decodeText("f", .bool) == .bool(false))
        #expect(try decodeText("TRUE", .bool) == .bool(true))
        #expect(try decodeText("off", .bool) == .bool(false))
        #expect(throws: PostgresError.self) { try decodeText("maybe", .bool) }
        #expect(encodeText(.bool(true)) == "t")
        #expect(encodeText(.bool(false)) == "f")
    }

    @Test func floats() throws {
        #expect(try decodeText("1.5", .float8) == .float64(1.5))
        #expect(try decodeText("2.220446049250313e-16", .float8) == .float64(2.220446049250313e-16))
        #expect(try decodeText("-3.4028235e+38", .float4) == .float32(-3.4028235e+38))
        #expect(try decodeText("1.1920929e-7", .float4) == .float32(1.1920929e-7))
        #expect(try decodeText("Infinity", .float8) == .float64(.infinity))
        #expect(try decodeText("-Infinity", .float8) == .float64(-.infinity))
        #expect(try decodeText("0.1", .float8) == .float64(0.1))
        #expect(try decodeText("123456789012345678901234", .float8) == .float64(1.2345678901234568e23))
        #expect(try decodeText("1e308", .float8) == .float64(1e308))
        #expect(try decodeText("4.9e-324", .float8) == .float64(.leastNonzeroMagnitude))
        guard case .float64(let nan) = try decodeText("NaN", .float8) else { Issue.record("not a float"); return }
        #expect(nan.isNaN)
        for bad in ["", "1.2.3", "abc", "1e", "--1", "0x1p3", "1,5"] {
            #expect(throws: PostgresError.self) { try decodeText(bad, .float8) }
        }
        #expect(throws: PostgresError.self) { try decodeText("1e300", .float4) }
    }

    @Test func floatEncodingMatchesMaterialize() {
        #expect(encodeText(.float64(1)) == "1")
        #expect(encodeText(.float64(-0.0)) == "-0")
        #expect(encodeText(.float64(0)) == "0")
        #expect(encodeText(.float64(1.5)) == "1.5")
        #expect(encodeText(.float64(1e15)) == "1000000000000000")
        #expect(encodeText(.float64(1e16)) == "1e+16")
        #expect(encodeText(.float64(1e17)) == "1e+17")
        #expect(encodeText(.float64(0.0001)) == "0.0001")
        #expect(encodeText(.float64(0.00001)) == "0.00001")
        #expect(encodeText(.float64(0.000001)) == "1e-6")
        #expect(encodeText(.float64(2.220446049250313e-16)) == "2.220446049250313e-16")
        #expect(encodeText(.float64(123.456)) == "123.456")
        #expect(encodeText(.float32(1.1920929e-7)) == "1.1920929e-7")
        #expect(encodeText(.float32(-3.4028235e+38)) == "-3.4028235e+38")
        #expect(encodeText(.float32(0.1)) == "0.1")
        #expect(encodeText(.float64(.infinity)) == "Infinity")
        #expect(encodeText(.float64(-.infinity)) == "-Infinity")
        #expect(encodeText(.float64(.nan)) == "NaN")
        #expect(encodeText(.float64(.leastNonzeroMagnitude)) == "5e-324")
        #expect(encodeText(.float64(.greatestFiniteMagnitude)) == "1.7976931348623157e+308")
    }

    @Test func floatRoundTrips() throws {
        for value in [0.1, 1.0 / 3, 1e22, 1e23, -2.5e-10, 6.02214076e23, 9007199254740992, .leastNormalMagnitude] {
            let text = try #require(encodeText(.float64(value)))
            #expect(try decodeText(text, .float8) == .float64(value), "\(text)")
        }
    }

    @Test func numeric() throws {
        let long = "123456789012345678901234567890.123456789"
        #expect(try decodeText(long, .numeric) == .numeric(try #require(Numeric(long))))
        #expect(encodeText(try decodeText(long, .numeric)) == long)
        #expect(encodeText(try decodeText("0.0000000000000002220446049250313", .numeric)) == "0.0000000000000002220446049250313")
        #expect(encodeText(try decodeText("NaN", .numeric)) == "NaN")
        #expect(encodeText(try decodeText("-Infinity", .numeric)) == "-Infinity")
        #expect(encodeText(try decodeText("1.50", .numeric)) == "1.5")
        #expect(throws: PostgresError.self) { try decodeText("1.2.3", .numeric) }
        #expect(throws: PostgresError.self) { try decodeText("", .numeric) }
    }

    @Test func textTypes() throws {
        #expect(try decodeText("héllo ✓", .text) == .text("héllo ✓"))
        #expect(try decodeText("", .varchar) == .text(""))
        #expect(try decodeText("ab  ", .bpchar) == .text("ab  "))
        #expect(throws: PostgresError.self) { try Datum(text: [0xFF, 0xFE][...], type: .text) }
        // Materialize's "char" can be a lone 0xFF byte: kept raw, not rejected.
        #expect(try Datum(text: [0xFF][...], type: .char) == .raw(.char, [0xFF]))
        #expect(try decodeText("x", .char) == .text("x"))
    }

    @Test func mzTimestamp() throws {
        #expect(try decodeText("1700000000000", .mzTimestamp) == .mzTimestamp(1_700_000_000_000))
        #expect(try decodeText("18446744073709551615", .mzTimestamp) == .mzTimestamp(.max))
        #expect(throws: PostgresError.self) { try decodeText("18446744073709551616", .mzTimestamp) }
        #expect(throws: PostgresError.self) { try decodeText("-1", .mzTimestamp) }
        #expect(encodeText(.mzTimestamp(1_700_000_000_000)) == "1700000000000")
    }

    @Test func dates() throws {
        #expect(try decodeText("1970-01-01", .date) == .date(0))
        #expect(try decodeText("2000-01-01", .date) == .date(10957))
        #expect(try decodeText("1969-12-31", .date) == .date(-1))
        #expect(try decodeText("infinity", .date) == .date(.max))
        #expect(try decodeText("-infinity", .date) == .date(.min))
        for text in ["2000-01-01", "4714-11-24 BC", "262143-12-31", "0001-01-01", "0001-12-31 BC", "2024-02-29", "infinity", "-infinity"] {
            #expect(encodeText(try decodeText(text, .date)) == text)
        }
        for bad in ["2023-02-29", "2023-13-01", "2023-00-10", "2023-1-", "yesterday", "0000-01-01 BC", "2023-01-01x"] {
            #expect(throws: PostgresError.self, "\(bad)") { try decodeText(bad, .date) }
        }
    }

    @Test func times() throws {
        #expect(try decodeText("00:00:00", .time) == .time(0))
        #expect(try decodeText("23:59:59.999999", .time) == .time(86_399_999_999))
        #expect(try decodeText("24:00:00", .time) == .time(86_400_000_000))
        #expect(try decodeText("12:30", .time) == .time(45_000_000_000))
        #expect(encodeText(.time(86_399_999_999)) == "23:59:59.999999")
        #expect(encodeText(.time(3_723_500_000)) == "01:02:03.5")
        #expect(try decodeText("01:02:03.5+02", .timetz) == .timetz(3_723_500_000, offsetSeconds: 7200))
        #expect(try decodeText("01:02:03-05:30", .timetz) == .timetz(3_723_000_000, offsetSeconds: -19800))
        #expect(encodeText(.timetz(3_723_000_000, offsetSeconds: -19800)) == "01:02:03-05:30")
        for bad in ["25:00:00", "12:60:00", "24:00:01", "noon", "12:00:00 junk"] {
            #expect(throws: PostgresError.self, "\(bad)") { try decodeText(bad, .time) }
        }
    }

    @Test func timestamps() throws {
        #expect(try decodeText("1970-01-01 00:00:00", .timestamp) == .timestamp(0))
        #expect(try decodeText("1970-01-01 00:00:01.5", .timestamp) == .timestamp(1_500_000))
        #expect(try decodeText("2000-01-01T00:00:00", .timestamp) == .timestamp(946_684_800_000_000))
        #expect(try decodeText("1970-01-01 00:00:00+00", .timestamptz) == .timestamptz(0))
        #expect(try decodeText("1970-01-01 02:00:00+02", .timestamptz) == .timestamptz(0))
        #expect(try decodeText("1970-01-01 00:00:00-01:30", .timestamptz) == .timestamptz(5_400_000_000))
        #expect(try decodeText("infinity", .timestamptz) == .timestamptz(.max))
        #expect(try decodeText("-infinity", .timestamp) == .timestamp(.min))
        #expect(try decodeText("1969-12-31 23:59:59.999999", .timestamp) == .timestamp(-1))
        let textual = [
            "1970-01-01 00:00:00", "1969-12-31 23:59:59.999999", "2024-02-29 12:34:56.789",
            "4714-11-24 00:00:00 BC", "0001-01-01 00:00:00 BC", "262143-12-31 23:59:59.999999", "infinity", "-infinity",
        ]
        for text in textual {
            #expect(encodeText(try decodeText(text, .timestamp)) == text)
        }
        for text in ["1970-01-01 00:00:00+00", "4714-12-31 00:00:00+00 BC", "2023-11-14 22:13:20.5+00", "10000-01-01 00:00:00+00"] {
            #expect(encodeText(try decodeText(text, .timestamptz)) == text)
        }
        for bad in ["1970-01-01 25:00:00", "1970-02-30 00:00:00", "1970-01-01 00:00:00+", "now", "1970-01-01 00:00:00 XX"] {
            #expect(throws: PostgresError.self, "\(bad)") { try decodeText(bad, .timestamptz) }
        }
    }

    @Test func intervals() throws {
        #expect(try decodeText("1 year 2 mons 3 days 04:05:06.789", .interval)
            == .interval(Interval(months: 14, days: 3, microseconds: 14_706_789_000)))
        #expect(try decodeText("-1 days +02:03:00", .interval) == .interval(Interval(days: -1, microseconds: 7_380_000_000)))
        #expect(try decodeText("1 month", .interval) == .interval(Interval(months: 1)))
        #expect(try decodeText("3 months", .interval) == .interval(Interval(months: 3)))
        #expect(try decodeText("00:00:00", .interval) == .interval(Interval()))
        #expect(try decodeText("-00:00:01.5", .interval) == .interval(Interval(microseconds: -1_500_000)))
        #expect(try decodeText("@ 1 hour 30 mins ago", .interval) == .interval(Interval(microseconds: -5_400_000_000)))
        #expect(try decodeText("1.5 seconds", .interval) == .interval(Interval(microseconds: 1_500_000)))
        let textual = [
            "1 month", "1 day", "00:00:00.000001", "1 month 1 day 00:00:00.000001", "00:00:00",
            "-178956970 years -8 months -2147483648 days -2562047788:00:54.775808",
            "178956970 years 7 months 2147483647 days 2562047788:00:54.775807",
            "1 year 2 months 3 days 04:05:06.789", "-1 days +02:03:00", "-1 years -2 months", "1 year -1 days +01:00:00", "2 years -04:00:00",
        ]
        for text in textual {
            #expect(encodeText(try decodeText(text, .interval)) == text, "\(text)")
        }
        for bad in ["", "1 fortnight", "1 day 25 x", "9223372036854775807 seconds", "2562047789 hours", "1:60", "1.5 years", "ago", "99999999999 months"] {
            #expect(throws: PostgresError.self, "\(bad)") { try decodeText(bad, .interval) }
        }
    }

    @Test func uuid() throws {
        let expected = try #require(UUID(uuidString: "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"))
        #expect(try decodeText("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", .uuid) == .uuid(expected))
        #expect(try decodeText("{a0eebc999c0b4ef8bb6d6bb9bd380a11}", .uuid) == .uuid(expected))
        #expect(encodeText(.uuid(expected)) == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
        for bad in ["a0eebc99", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-", "-a0eebc999c0b4ef8bb6d6bb9bd380a11"] {
            #expect(throws: PostgresError.self, "\(bad)") { try decodeText(bad, .uuid) }
        }
    }

    /// The canonical 36-byte form takes a table-driven fast path; it must agree with the general
    /// parser on every accepted input and send everything else to it.
    @Test func canonicalUUIDFastPathAgreesWithTheGeneralParser() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let uuid = UUID(uuid: (UInt8.random(in: 0...255, using: &generator), UInt8.random(in: 0...255, using: &generator),
                                   0xAB, 0xCD, 0xEF, 0x01, 0x23, 0x45, 0x67, 0x89, UInt8.random(in: 0...255, using: &generator),
                                   0x9A, 0xBC, 0xDE, 0xF0, UInt8.random(in: 0...255, using: &generator)))
            for text in [uuid.uuidString.lowercased(), uuid.uuidString] {  // lower case as PostgreSQL prints; upper also valid
                let fast = Array(text.utf8).withUnsafeBufferPointer(Datum.canonicalUUID)
                #expect(fast == uuid, "\(text)")
                #expect(try decodeText(text, .uuid) == .uuid(uuid))
            }
        }
        // Not canonical: the fast path declines, the general parser decides.
        let hyphenless = "a0eebc999c0b4ef8bb6d6bb9bd380a11----"  // 36 bytes, dashes at the end
        #expect(Array(hyphenless.utf8).withUnsafeBufferPointer(Datum.canonicalUUID) == nil)
        #expect(throws: PostgresError.self) { try decodeText(hyphenless, .uuid) }
        for bad in [
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g",  // a non-hex digit, last place
            "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",  // first place
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd38:a11",  // ':' is just past '9'
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd38@a11",  // '@' is just before 'A'
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd38`a11",  // '`' is just before 'a'
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd38Ga11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd38\u{00}a11",
            "a0eebc999-c0b-4ef8-bb6d-6bb9bd380a11",  // a dash one place late
            "a0eebc99-9c0b-4ef8-bb6d+6bb9bd380a11",
        ] {
            #expect(Array(bad.utf8).withUnsafeBufferPointer(Datum.canonicalUUID) == nil, "\(bad)")
            #expect(throws: PostgresError.self, "\(bad)") { try decodeText(bad, .uuid) }
        }
        // Braces and dashes every 4 digits are still accepted, by the general parser.
        let expected = try #require(UUID(uuidString: "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"))
        #expect(try decodeText("a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", .uuid) == .uuid(expected))
    }

    /// Text takes an ASCII fast path (no validation needed) and validates anything else.
    @Test func textIsValidatedUnlessASCII() throws {
        for text in ["", "a", "exactly8", "more than eight ascii bytes", "tail é", "é at the start of a long string", "日本語テキスト", "emoji 🎉 in the middle of text"] {
            #expect(Datum.utf8String(Array(text.utf8)[...]) == text, "\(text)")
            #expect(try decodeText(text, .text) == .text(text))
        }
        // Invalid UTF-8 at every position relative to the 8-byte blocks: refused, never decoded with replacements.
        for length in 0..<20 {
            for bad in [[0xFF] as [UInt8], [0xC3] /* a lead byte with no continuation */, [0x80] /* a lone continuation */, [0xED, 0xA0, 0x80] /* a surrogate */] {
                var bytes = Array(repeating: UInt8(ascii: "x"), count: length)
                bytes.insert(contentsOf: bad, at: length / 2)
                #expect(Datum.utf8String(bytes[...]) == nil, "\(bytes)")
                #expect(throws: PostgresError.self) { try Datum(text: bytes[...], type: .text) }
                #expect(throws: PostgresError.self) { try Datum(text: bytes[...], type: .json) }
            }
        }
        // A slice that does not start at index 0 (as a row's column does).
        let row = Array("id,héllo,x".utf8)
        #expect(Datum.utf8String(row[3..<9]) == "héllo")
    }

    @Test func bytea() throws {
        #expect(try decodeText("\\x01ff", .bytea) == .bytea([1, 255]))
        #expect(try decodeText("\\x", .bytea) == .bytea([]))
        #expect(try decodeText("\\xABcd", .bytea) == .bytea([0xAB, 0xCD]))
        #expect(try decodeText("a\\\\b\\001", .bytea) == .bytea([0x61, 0x5C, 0x62, 0x01]))
        #expect(encodeText(.bytea([1, 255])) == "\\x01ff")
        #expect(encodeText(.bytea([])) == "\\x")
        for bad in ["\\x0", "\\xzz", "\\9", "\\01"] {
            #expect(throws: PostgresError.self, "\(bad)") { try decodeText(bad, .bytea) }
        }
    }

    @Test func json() throws {
        #expect(try decodeText("{\"a\": 1}", .json) == .json("{\"a\": 1}"))
        #expect(try decodeText("{\"a\":1}", .jsonb) == .jsonb("{\"a\":1}"))
        #expect(encodeText(.jsonb("{\"a\": [1, 2], \"b c\": \"x y\"}")) == "{\"a\":[1,2],\"b c\":\"x y\"}")
        #expect(encodeText(.jsonb("\"q\\\" s\"")) == "\"q\\\" s\"")
        #expect(encodeText(.json("{\"a\": 1}")) == "{\"a\": 1}")
    }

    @Test func arrays() throws {
        #expect(try decodeText("{1,2,NULL,3}", .int4Array)
            == .array(ArrayValue(elementType: .int4, elements: [.int32(1), .int32(2), .null, .int32(3)])))
        #expect(try decodeText("{}", .textArray) == .array(ArrayValue(elementType: .text, elements: [])))
        #expect(try decodeText("{\"a \\\"b\\\"\",\"\",\"NULL\",c\\,d, spaced ,é}", .textArray)
            == .array(ArrayValue(elementType: .text, elements: [.text("a \"b\""), .text(""), .text("NULL"), .text("c,d"), .text("spaced"), .text("é")])))
        let nested = try decodeText("{{1,2},{3,4},{5,6}}", .int8Array)
        #expect(nested == .array(ArrayValue(elementType: .int8, dimensions: [.init(length: 3), .init(length: 2)],
                                            elements: [1, 2, 3, 4, 5, 6].map { .int64($0) })))
        #expect(try decodeText("[0:1]={7,8}", .int2Array)
            == .array(ArrayValue(elementType: .int2, dimensions: [.init(length: 2, lowerBound: 0)], elements: [.int16(7), .int16(8)])))
        let textual = ["{1,2,NULL,3}", "{}", "{{1,2},{3,4}}", "[0:1]={7,8}"]
        for text in textual {
            #expect(encodeText(try decodeText(text, .int4Array)) == text)
        }
        let strings = "{\"a \\\"b\\\"\",\"\",\"NULL\",\"c,d\",\"x\\\\y\",plain,\"{}\"}"
        #expect(encodeText(try decodeText(strings, .textArray)) == strings)
        #expect(encodeText(try decodeText("{2024-01-01,infinity}", .dateArray)) == "{2024-01-01,infinity}")
        for bad in ["", "{", "{1,2", "{{1,2},{3}}", "{1,{2}}", "{1,}", "{\"a}", "{1}x", "{a}", "{{{{{{{1}}}}}}}", "[1:3]={1,2}"] {
            #expect(throws: PostgresError.self, "\(bad)") { try decodeText(bad, .int4Array) }
        }
    }

    @Test func unknownTypesKeepTheirText() throws {
        #expect(try decodeText("{a=>1}", TypeOID(99999)) == .other(TypeOID(99999), "{a=>1}"))
        #expect(encodeText(.other(TypeOID(99999), "{a=>1}")) == "{a=>1}")
        #expect(try Datum(nil, format: .text, type: .int4) == .null)
        #expect(try Datum([0x31][...], format: .text, type: .int4) == .int32(1))
        #expect(encodeText(.null) == nil)
    }
}
