@testable import LiveViews
import Testing

@Suite struct TemporalTextTests {
    let base: Int64 = 1_704_164_645_000_000  // 2024-01-02T03:04:05Z

    @Test func timestampForms() {
        #expect(TemporalText.timestamp("2024-01-02T03:04:05Z") == base)
        #expect(TemporalText.timestamp("2024-01-02t03:04:05z") == base)
        #expect(TemporalText.timestamp("2024-01-02 03:04:05") == base)
        #expect(TemporalText.timestamp("2024-01-02T03:04:05") == base)
        #expect(TemporalText.timestamp("2024-01-02T03:04:05.5Z") == base + 500_000)
        #expect(TemporalText.timestamp("2024-01-02T03:04:05.123456Z") == base + 123_456)
        #expect(TemporalText.timestamp("2024-01-02T03:04:05.1234565Z") == base + 123_457)
        #expect(TemporalText.timestamp("2024-01-02T03:04:05.123456412Z") == base + 123_456)
        #expect(TemporalText.timestamp("2024-01-02T05:04:05+02:00") == base)
        #expect(TemporalText.timestamp("2024-01-02T05:04:05+0200") == base)
        #expect(TemporalText.timestamp("2024-01-02T05:04:05+02") == base)
        #expect(TemporalText.timestamp("2024-01-01T23:34:05-03:30") == base)
        #expect(TemporalText.timestamp("2024-01-02 03:04") == base - 5_000_000)
        #expect(TemporalText.timestamp("2024-01-02") == base - (3 * 3600 + 4 * 60 + 5) * 1_000_000)
        #expect(TemporalText.timestamp("1970-01-01T00:00:00Z") == 0)
        #expect(TemporalText.timestamp("1969-12-31T23:59:59.999999Z") == -1)
        #expect(TemporalText.timestamp("2000-02-29T00:00:00Z") == 951_782_400_000_000)
    }

    @Test func malformedTimestamps() {
        for text in [
            "", "2024", "2024-01-02T", "2024-01-02T3:04:05", "2024-01-02T03:04:5", "2024-01-02T03:04:05.",
            "2024-01-02T03:04:05ZZ", "2024-01-02T03:04:05+", "2024-01-02T03:04:05+1", "2024-01-02T03:04:05 +01:00",
            "2023-02-29", "2024-00-10", "2024-01-32", "2024-01-02T24:01:00", "2024-01-02T03:60:00",
            "2024-01-02T03:04:60", "0000-01-01", "2024-01-02T03:04:05+01:60", "２０２４-01-02",
        ] {
            #expect(TemporalText.timestamp(text) == nil, "\(text)")
        }
    }

    @Test func dates() {
        #expect(TemporalText.date("1970-01-01") == 0)
        #expect(TemporalText.date("2024-01-02") == 19_724)
        #expect(TemporalText.date("1900-03-01") == -25_508)
        #expect(TemporalText.date("2024-02-29") == 19_782)
        #expect(TemporalText.date("2023-02-29") == nil)
        #expect(TemporalText.date("2024-01-02T00:00:00") == nil)
        #expect(TemporalText.date("24-01-02") == nil)
    }

    @Test func times() {
        #expect(TemporalText.time("00:00") == 0)
        #expect(TemporalText.time("09:30") == 34_200_000_000)
        #expect(TemporalText.time("09:30:15") == 34_215_000_000)
        #expect(TemporalText.time("09:30:15.000001") == 34_215_000_001)
        #expect(TemporalText.time("24:00:00") == 86_400_000_000)
        #expect(TemporalText.time("24:00:01") == nil)
        #expect(TemporalText.time("9:30") == nil)
        #expect(TemporalText.time("09:30:15Z") == nil)
        #expect(TemporalText.time("") == nil)
    }
}
