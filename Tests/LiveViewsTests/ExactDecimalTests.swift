import LiveViews
import Testing

@Suite struct ExactDecimalTests {
    @Test func parsesAndCanonicalises() throws {
        #expect(ExactDecimal("007.500")?.description == "7.5")
        #expect(ExactDecimal("-0.000")?.description == "0")
        #expect(ExactDecimal("1.5e3")?.description == "1500")
        #expect(ExactDecimal("15e-4")?.description == "0.0015")
        #expect(ExactDecimal("nan") == .nan)
        #expect(ExactDecimal("-Infinity") == .negativeInfinity)
        #expect(ExactDecimal("12a") == nil)
        #expect(ExactDecimal(".") == nil)
        #expect(ExactDecimal("1e") == nil)
        #expect(ExactDecimal("1.50") == ExactDecimal("1.5"))
    }

    @Test func ordersExactlyBeyondDoublePrecision() throws {
        let a = try #require(ExactDecimal("12345678901234567890123456789.000000001"))
        let b = try #require(ExactDecimal("12345678901234567890123456789.000000002"))
        #expect(a < b)
        #expect(!(b < a))
        #expect(try #require(ExactDecimal("-2")) < #require(ExactDecimal("-1.5")))
        #expect(try #require(ExactDecimal("-1")) < #require(ExactDecimal("0")))
        #expect(try #require(ExactDecimal("0.09")) < #require(ExactDecimal("0.1")))
        #expect(ExactDecimal.negativeInfinity < ExactDecimal(Int64.min))
        #expect(ExactDecimal(Int64.max) < ExactDecimal.infinity)
        #expect(ExactDecimal.infinity < ExactDecimal.nan)
    }

    @Test func convertsToInt64WhenInRange() {
        #expect(ExactDecimal(Int64.min).int64Value == Int64.min)
        #expect(ExactDecimal(Int64.max).int64Value == Int64.max)
        #expect(ExactDecimal("9223372036854775808")?.int64Value == nil)
        #expect(ExactDecimal("1.5")?.int64Value == nil)
    }
}
