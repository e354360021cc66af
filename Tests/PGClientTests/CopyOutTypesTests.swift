import Foundation
import PGClient
import PGWire
import Testing

/// COPY OUT of a table holding every supported type, decoded in text and binary
/// from a real PostgreSQL 15, compared with the values we put in.
@Suite(.enabled(if: TestServer.isAvailable), .timeLimit(.minutes(2)))
struct CopyOutTypesTests {
    static let columns = """
        id int4, b bool, i2 int2, i8 int8, f4 float4, f8 float8, n numeric, t text, v varchar(20), c char(5),
        nm name, u uuid, d date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval,
        j json, jb jsonb, by bytea, ai int4[], at text[], an numeric[]
        """

    static let rows = """
        (1, true, -32768, 9223372036854775807, 1.5, 'NaN', 123456789012345678901234567890.123456789, E'tab\\there\\nnew\\\\back', 'ü∂ unicode', 'ab',
         'nm', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-02-29', '23:59:59.999999', '12:00:00+05:30', '2024-01-02 03:04:05.678901', '2024-01-02 03:04:05+02',
         '1 year 2 mons 3 days 04:05:06.789', '{"a": [1, 2]}', '{"b": null, "a": 1}', E'\\\\x00ff10', '{1,NULL,3}', '{"x y","",NULL,"q\\"uote"}', '{1.5,-2}'),
        (2, false, 0, -9223372036854775808, '-Infinity', 'Infinity', 'NaN', '', '', '',
         '', '00000000-0000-0000-0000-000000000000', '0044-03-15 BC', '00:00:00', '00:00:00-08', 'infinity', '-infinity',
         '-1 days +02:03:00', 'null', '[]', E'\\\\x', '{}', '{}', '{}'),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
        """

    /// Decodes every row of `COPY typed TO STDOUT` in `format` into Datums.
    static func copy(_ connection: PostgresConnection, table: String, binary: Bool) async throws -> [[Datum]] {
        let types = try await connection.query("SELECT * FROM \(table) LIMIT 0").columns.map(\.dataType)
        let stream = try await connection.copyOut("COPY (SELECT * FROM \(table) ORDER BY 1) TO STDOUT\(binary ? " (FORMAT binary)" : "")")
        var rows: [[Datum]] = []
        if binary {
            var decoder = CopyBinaryDecoder(columnCount: types.count)
            for try await payload in stream {
                try decoder.append(payload)
                while let row = try decoder.nextRow() {
                    rows.append(try (0..<row.count).map { try row.decode($0, as: types[$0]) })
                }
            }
            #expect(decoder.isFinished)
        } else {
            for try await payload in stream {
                let row = try CopyTextRow(payload)
                rows.append(try (0..<row.count).map { try row.decode($0, as: types[$0]) })
            }
        }
        return rows
    }

    @Test func everyTypeInTextAndBinary() async throws {
        let configuration = try TestServer.configuration()
        try await PostgresConnection.withConnection(configuration) { connection in
            _ = try await connection.query("SET TimeZone = 'UTC'")
            _ = try await connection.query("CREATE TEMP TABLE typed (\(Self.columns))")
            _ = try await connection.query("INSERT INTO typed VALUES \(Self.rows)")
            let text = try await Self.copy(connection, table: "typed", binary: false)
            let binary = try await Self.copy(connection, table: "typed", binary: true)
            #expect(text.count == 3)
            #expect(binary.count == 3)

            let first = try #require(text.first)
            #expect(first[1] == .bool(true))
            #expect(first[2] == .int16(-32768))
            #expect(first[3] == .int64(.max))
            #expect(first[4] == .float32(1.5))
            if case .float64(let nan) = first[5] { #expect(nan.isNaN) } else { Issue.record("f8 is \(first[5])") }
            #expect(first[6] == .numeric(try #require(Numeric("123456789012345678901234567890.123456789"))))
            #expect(first[7] == .text("tab\there\nnew\\back"))
            #expect(first[8] == .text("ü∂ unicode"))
            #expect(first[9] == .text("ab   "))
            #expect(first[10] == .text("nm"))
            #expect(first[11] == .uuid(try #require(UUID(uuidString: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))))
            #expect(first[12] == .date(19782))  // 2024-02-29
            #expect(first[13] == .time(86_399_999_999))
            #expect(first[14] == .timetz(43_200_000_000, offsetSeconds: 19_800))
            #expect(first[15] == .timestamp(1_704_164_645_678_901))
            #expect(first[16] == .timestamptz(1_704_157_445_000_000))
            #expect(first[17] == .interval(Interval(months: 14, days: 3, microseconds: 14_706_789_000)))
            #expect(first[18] == .json("{\"a\": [1, 2]}"))
            #expect(first[20] == .bytea([0x00, 0xFF, 0x10]))
            guard case .array(let ints) = first[21], case .array(let texts) = first[22] else {
                Issue.record("arrays did not decode: \(first[21]) \(first[22])")
                return
            }
            #expect(ints.elements == [.int32(1), .null, .int32(3)])
            #expect(texts.elements == [.text("x y"), .text(""), .null, .text("q\"uote")])

            let second = text[1]
            #expect(second[3] == .int64(.min))
            #expect(second[4] == .float32(-.infinity))
            #expect(second[5] == .float64(.infinity))
            #expect(second[6] == .numeric(.nan))
            #expect(second[15] == .timestamp(.max))
            #expect(second[16] == .timestamptz(.min))
            #expect(second[17] == .interval(Interval(months: 0, days: -1, microseconds: 7_380_000_000)))
            #expect(second[20] == .bytea([]))
            #expect(text[2].dropFirst().allSatisfy { $0.isNull })

            // Binary and text must agree on every value (NaN aside, which is never equal to itself).
            for (textRow, binaryRow) in zip(text, binary) {
                for (index, (a, b)) in zip(textRow, binaryRow).enumerated() where index != 5 {
                    if index == 19 {
                        // jsonb: the binary form is the server's text after a version byte, so they match too.
                        #expect(a == b, "jsonb: \(a) vs \(b)")
                    } else {
                        #expect(a == b, "column \(index): text \(a) vs binary \(b)")
                    }
                }
            }
        }
    }

    @Test func oneMebibyteValue() async throws {
        let configuration = try TestServer.configuration()
        try await PostgresConnection.withConnection(configuration) { connection in
            _ = try await connection.query("CREATE TEMP TABLE big (id int4, payload text)")
            _ = try await connection.query("INSERT INTO big SELECT 1, repeat(E'ab\\tc\\\\', 262144)")
            for binary in [false, true] {
                let rows = try await Self.copy(connection, table: "big", binary: binary)
                guard case .text(let payload) = rows.first?[1] else {
                    Issue.record("no payload")
                    continue
                }
                #expect(payload.utf8.count == 5 * 262_144)
                #expect(payload.hasPrefix("ab\tc\\ab"))
            }
        }
    }

    @Test func typedRowsFromASimpleQuery() async throws {
        let configuration = try TestServer.configuration()
        try await PostgresConnection.withConnection(configuration) { connection in
            let result = try await connection.query("SELECT 42::int8 AS a, 'x'::text AS b, NULL::date AS c, '{1,2}'::int4[] AS d")
            let row = try #require(result.rows.first)
            let values = try zip(row, result.columns).map { bytes, column in
                try Datum(bytes, format: column.format, type: column.dataType)
            }
            #expect(values[0] == .int64(42))
            #expect(values[1] == .text("x"))
            #expect(values[2] == .null)
            guard case .array(let array) = values[3] else {
                Issue.record("expected an array")
                return
            }
            #expect(array.elements == [.int32(1), .int32(2)])
        }
    }
}
