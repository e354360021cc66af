import Foundation
@testable import Ingest
import LiveViews
import PGWire
import Testing

@Suite struct SubscribeRowTests {
    let layout = try! SubscribeLayout(TestSources.kv, format: TestSources.format(TestSources.kv))

    @Test func decodesTheF3FixtureRows() throws {
        // Protocol notes, recipe F3: key moved to the front, value after it.
        #expect(try SubscribeRow(TestSources.row("1700000000000\tt\t\\N\t\\N\t\\N\n"), layout: layout) == .progress(1_700_000_000_000))
        #expect(try SubscribeRow(TestSources.row("1700000000000\tf\tupsert\t1\ta\n"), layout: layout)
            == .upsert(1_700_000_000_000, [.string("a"), .integer(1)]))
        #expect(try SubscribeRow(TestSources.row("1700000002000\tf\tdelete\t2\t\\N\n"), layout: layout)
            == .delete(1_700_000_002_000, key: [.integer(2)]))
        #expect(try SubscribeRow(TestSources.row("1700000002000\tf\tkey_violation\t3\t\\N\n"), layout: layout)
            == .keyViolation(1_700_000_002_000, key: [.integer(3)]))
    }

    @Test func nullValuesAndEscapes() throws {
        #expect(try SubscribeRow(TestSources.row("5\tf\tupsert\t7\t\\N\n"), layout: layout) == .upsert(5, [.null, .integer(7)]))
        #expect(try SubscribeRow(TestSources.row("5\tf\tupsert\t7\ttab\\there\\\\\n"), layout: layout)
            == .upsert(5, [.string("tab\there\\"), .integer(7)]))
    }

    @Test func everyColumnTypeAndACompositeKey() throws {
        let layout = try SubscribeLayout(TestSources.wide, format: TestSources.format(TestSources.wide))
        // Key fields first in KEY order (id, region), then the rest in schema order.
        let text = "9\tf\tupsert\t42\teu\t1.5\t123456789012345678901234567890.5\t2024-01-02 03:04:05.5+00\t2024-02-29\t12:30:00\ta0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\tt\t{\"a\":1}\t{1,x,NULL}\tgold\n"
        guard case .upsert(9, let values) = try SubscribeRow(TestSources.row(text), layout: layout) else {
            Issue.record("expected an upsert")
            return
        }
        #expect(values[0] == .string("eu"))
        #expect(values[1] == .integer(42))
        #expect(values[2] == .float(1.5))
        #expect(values[3] == .decimal(try #require(ExactDecimal("123456789012345678901234567890.5"))))
        #expect(values[4] == .timestamp(1_704_164_645_500_000))
        #expect(values[5] == .date(19782))
        #expect(values[6] == .time(45_000_000_000))
        #expect(values[7] == .uuid(try #require(UUID(uuidString: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))))
        #expect(values[8] == .bool(true))
        #expect(values[9] == .json("{\"a\":1}"))
        #expect(values[10] == .json("[1,\"x\",null]"))
        #expect(values[11] == .string("gold"))
        #expect(try SubscribeRow(TestSources.row("9\tf\tdelete\t42\teu\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n"), layout: layout)
            == .delete(9, key: [.integer(42), .string("eu")]))
    }

    @Test func badValuesNameTheSourceAndColumn() throws {
        let error = #expect(throws: IngestError.self) {
            try SubscribeRow(TestSources.row("5\tf\tupsert\tseven\tx\n"), layout: layout)
        }
        #expect(error?.code == .invalidValue)
        #expect(error?.column == "key")
        #expect(error?.description.contains("source 'kv'") == true)
        let wide = try SubscribeLayout(TestSources.wide, format: TestSources.format(TestSources.wide))
        let enumError = #expect(throws: IngestError.self) {
            try SubscribeRow(TestSources.row("1\tf\tupsert\t1\teu\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\tplatinum\n"), layout: wide)
        }
        #expect(enumError?.column == "rank")
    }

    @Test func malformedRowsAreErrors() throws {
        for text in [
            "x\tt\t\\N\t\\N\t\\N\n",  // timestamp not a number
            "5\tmaybe\t\\N\t\\N\t\\N\n",  // progressed not a bool
            "5\tf\tinsert\t1\ta\n",  // unknown state
            "5\tf\tupsert\t1\n",  // too few fields
            "-1\tt\t\\N\t\\N\t\\N\n",  // negative timestamp
        ] {
            #expect(throws: IngestError.self, "\(text)") { try SubscribeRow(TestSources.row(text), layout: layout) }
        }
    }

    @Test func layoutChecksTheColumnCount() {
        let error = #expect(throws: IngestError.self) {
            try SubscribeLayout(TestSources.kv, format: CopyFormat(format: .text, columnFormats: Array(repeating: .text, count: 4)))
        }
        #expect(error?.code == .layoutMismatch)
        #expect(error?.message.contains("expected 5") == true)
        #expect(throws: IngestError.self) {
            try SubscribeLayout(TestSources.kv, format: CopyFormat(format: .binary, columnFormats: Array(repeating: .binary, count: 5)))
        }
    }
}
