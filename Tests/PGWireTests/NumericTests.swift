import Testing
@testable import PGWire

@Suite struct NumericTests {
    @Test func equalityIsByValue() throws {
        #expect(Numeric("1.50") == Numeric("1.5"))
        #expect(Numeric("1.50")?.hashValue == Numeric("1.5")?.hashValue)
        #expect(Numeric("-0") == Numeric.zero)
        #expect(Numeric("0.000") == Numeric.zero)
        #expect(Numeric("100") == Numeric("1e2"))
        #expect(Numeric("12345678901234567890123.40") == Numeric("12345678901234567890123.4"))
        #expect(Numeric("NaN") == Numeric.nan)
    }

    @Test func canonicalText() throws {
        let cases: [(String, String)] = [
            ("1.50", "1.5"), ("-0.001", "-0.001"), ("1e3", "1000"), ("1.23E-5", "0.0000123"), ("+7", "7"),
            ("0", "0"), ("-0.0", "0"), ("  42  ", "42"), ("nan", "NaN"), ("inf", "Infinity"), ("-Infinity", "-Infinity"),
            ("18446744073709551616", "18446744073709551616"), ("99999999999999999999999999999999999999.5", "99999999999999999999999999999999999999.5"),
            ("0.0000000000000002220446049250313", "0.0000000000000002220446049250313"), (".5", "0.5"), ("5.", "5"),
        ]
        for (input, expected) in cases {
            #expect(Numeric(input)?.description == expected, "\(input)")
        }
        for bad in ["", "-", ".", "1e", "1e+", "abc", "1.2.3", "--1", "1e999999999", "-NaN", "0x10"] {
            #expect(Numeric(bad) == nil, "\(bad)")
        }
    }

    @Test func ordering() throws {
        let ordered = ["-Infinity", "-100", "-1.5", "-0.0001", "0", "0.00001", "1", "1.000000000000000000001", "12345678901234567890123", "Infinity", "NaN"]
        let values = try ordered.map { try #require(Numeric($0)) }
        for index in 0..<values.count - 1 {
            #expect(values[index] < values[index + 1], "\(ordered[index]) < \(ordered[index + 1])")
            #expect(!(values[index + 1] < values[index]))
        }
        #expect(values.shuffled().sorted() == values)
    }

    @Test func integerConversions() throws {
        #expect(Numeric("1700000000000")?.uint64Value == 1_700_000_000_000)
        #expect(Numeric("18446744073709551615")?.uint64Value == .max)
        #expect(Numeric("18446744073709551616")?.uint64Value == nil)
        #expect(Numeric("-9223372036854775808")?.int64Value == .min)
        #expect(Numeric("9223372036854775808")?.int64Value == nil)
        #expect(Numeric("1.5")?.int64Value == nil)
        #expect(Numeric("-1")?.uint64Value == nil)
        #expect(Numeric("1e3")?.int64Value == 1000)
        #expect(Numeric.nan.int64Value == nil)
        #expect(Numeric(Int64.min).description == "-9223372036854775808")
        #expect(Numeric(UInt64.max).description == "18446744073709551615")
    }

    /// Builds `numeric_send` bytes from header fields and base-10000 groups.
    func wire(weight: Int16, sign: UInt16 = 0, dscale: Int16 = 0, _ groups: [Int16]) -> [UInt8] {
        var writer = ByteWriter()
        writer.writeInt16(Int16(groups.count))
        writer.writeInt16(weight)
        writer.writeUInt16(sign)
        writer.writeInt16(dscale)
        for group in groups { writer.writeInt16(group) }
        return writer.bytes
    }

    @Test func binaryGolden() throws {
        // 1700000000000 = 1 7000 0000 0000 → normalised: groups [1, 7000], weight 3.
        let timestamp = wire(weight: 3, [1, 7000])
        #expect(try Numeric(binary: timestamp[...]).uint64Value == 1_700_000_000_000)
        #expect(Numeric(1_700_000_000_000 as UInt64).binaryBytes() == timestamp)
        // -12.5: groups [12, 5000], weight 0, dscale 1.
        let value = wire(weight: 0, sign: 0x4000, dscale: 1, [12, 5000])
        #expect(try Numeric(binary: value[...]).description == "-12.5")
        #expect(Numeric("-12.5")?.binaryBytes() == value)
        #expect(Numeric.zero.binaryBytes() == wire(weight: 0, []))
        #expect(try Numeric(binary: wire(weight: 0, sign: 0xC000, []) [...]) == .nan)
        #expect(try Numeric(binary: wire(weight: 0, sign: 0xD000, []) [...]) == .infinity)
        #expect(try Numeric(binary: wire(weight: 0, sign: 0xF000, []) [...]) == .negativeInfinity)
        #expect(Numeric.negativeInfinity.binaryBytes() == wire(weight: 0, sign: 0xF000, []))
    }

    @Test func binaryNonNormalisedLayouts() throws {
        // Leading zero groups, as Materialize sends (materialize-subscribe.md §1d).
        let padded = wire(weight: 3, [0, 0, 1, 7000, 0, 0])
        #expect(try Numeric(binary: wire(weight: 5, [0, 0, 1, 7000, 0, 0])[...]).uint64Value == 1_700_000_000_000)
        #expect(try Numeric(binary: padded[...]) == Numeric("17000"))
        // 0.0000000000000002220446049250313 with weight 0 and leading zero groups.
        let tiny = wire(weight: 0, dscale: 31, [0, 0, 0, 0, 2, 2204, 4604, 9250, 3130])
        #expect(try Numeric(binary: tiny[...]).description == "0.0000000000000002220446049250313")
        #expect(try Numeric(binary: (Numeric("0.0000000000000002220446049250313")!.binaryBytes())[...]).description
            == "0.0000000000000002220446049250313")
        // Over 19 digits: exact, never through Double.
        let long = wire(weight: 7, [1234, 5678, 9012, 3456, 7890, 1234, 5678, 9012, 3456])
        #expect(try Numeric(binary: long[...]).description == "12345678901234567890123456789012.3456")
        let leadingZerosLong = wire(weight: 9, [0, 0, 1234, 5678, 9012, 3456, 7890, 1234, 5678, 9012, 3456])
        #expect(try Numeric(binary: leadingZerosLong[...]).description == "12345678901234567890123456789012.3456")
    }

    @Test func binaryRoundTrips() throws {
        for text in ["0.1", "-1", "10000", "123456789.987654321", "1e-30", "-98765432109876543210987654321", "5e40", "0.00012"] {
            let value = try #require(Numeric(text))
            #expect(try Numeric(binary: value.binaryBytes()[...]) == value, "\(text)")
        }
    }

    @Test func malformedBinaryThrows() {
        let cases: [[UInt8]] = [
            [], [0, 1, 0, 0, 0, 0],  // short header
            wire(weight: 0, [1]) + [0, 0],  // extra bytes
            Array(wire(weight: 0, [1, 2]).dropLast()),  // truncated digits
            wire(weight: 0, [10000]),  // group over 9999
            wire(weight: 0, sign: 0x1234, [1]),  // unknown sign
            wire(weight: 0, dscale: -1, [1]),
        ]
        for bytes in cases {
            #expect(throws: PostgresError.self, "\(bytes)") { try Numeric(binary: bytes[...]) }
        }
    }
}
