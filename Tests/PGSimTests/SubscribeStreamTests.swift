import PGSim
import PGWire
import Testing

@Suite struct SubscribeStreamTests {
    // MARK: Helpers

    private static let asOf: UInt64 = 1_700_000_000_000

    private func bytes(_ messages: [BackendMessage]) -> [UInt8] {
        messages.flatMap { $0.encoded() }
    }

    private func hex(_ text: String) -> [UInt8] {
        text.split(separator: " ").map { UInt8($0, radix: 16)! }
    }

    /// A CopyData message carrying `payload` (given as a string with real tabs and newlines).
    private func copyData(_ payload: String) -> [UInt8] {
        BackendMessage.copyData(Array(payload.utf8)[...]).encoded()
    }

    /// A DataRow message with text fields (`nil` = NULL).
    private func dataRow(_ fields: [String?]) -> [UInt8] {
        var writer = ByteWriter()
        for field in fields {
            if let field {
                writer.writeInt32(Int32(field.utf8.count))
                writer.writeBytes(field.utf8)
            } else {
                writer.writeInt32(-1)
            }
        }
        return BackendMessage.dataRow(DataRow(columnCount: fields.count, bytes: writer.bytes[...])).encoded()
    }

    private func stream(
        _ sql: String, _ schema: TableSchema, asOf: UInt64 = SubscribeStreamTests.asOf, snapshot: [[Datum]]
    ) throws -> SubscribeStream {
        try SubscribeStream(statement: SubscribeStatement(parsing: sql), schema: schema, asOf: asOf, snapshot: snapshot)
    }

    private let people = TableSchema(
        name: "t", columns: [.init(name: "id", type: .int4, notNull: true), .init(name: "name", type: .text)], primaryKey: [0])
    private let ids = TableSchema(name: "t", columns: [.init(name: "id", type: .int4, notNull: true)], primaryKey: [0])
    private let kv = TableSchema(
        name: "kv", columns: [.init(name: "value", type: .text), .init(name: "key", type: .int4)], primaryKey: [1])

    private let cancel = Diagnostic(severity: "ERROR", sqlState: "57014", message: "canceling statement due to user request")

    // MARK: Fixtures

    /// F1: snapshot + update, default envelope, COPY text, cancelled: no CopyDone.
    @Test func f1CopyTextSnapshotUpdateCancel() throws {
        var stream = try stream(
            "COPY (SUBSCRIBE (SELECT id, name FROM t) WITH (SNAPSHOT)) TO STDOUT", people,
            snapshot: [[.int32(2), .text("bob")], [.int32(1), .text("alice")]])
        var wire = bytes(stream.start())
        wire += bytes(stream.apply(Commit(timestamp: 1_700_000_001_000, changes: [
            .update(from: [.int32(2), .text("bob")], to: [.int32(2), .text("bobby")]),
        ])))
        let error = stream.finish(error: cancel)
        wire += bytes(error)

        var expected = hex("48 00 00 00 0F 00 00 04 00 00 00 00 00 00 00 00")
        expected += copyData("1700000000000\t1\t1\talice\n")
        expected += copyData("1700000000000\t1\t2\tbob\n")
        expected += copyData("1700000001000\t-1\t2\tbob\n")
        expected += copyData("1700000001000\t1\t2\tbobby\n")
        let errorBytes = BackendMessage.errorResponse(cancel).encoded()
        #expect(errorBytes.count == 61)  // type byte + len 60
        #expect(errorBytes[1...4] == [0, 0, 0, 60])
        expected += errorBytes
        #expect(wire == expected)
        #expect(copyData("1700000000000\t1\t1\talice\n")[1...4] == [0, 0, 0, 28])
        #expect(!error.contains(.copyDone))
    }

    /// F2: bare SUBSCRIBE with PROGRESS: RowDescription, notice, DataRows.
    @Test func f2BareSubscribeWithProgress() throws {
        var stream = try stream("SUBSCRIBE (SELECT id FROM t) WITH (PROGRESS)", ids, snapshot: [[.int32(2)], [.int32(1)]])
        let start = stream.start()
        #expect(start.count == 6)
        let description = start[0].encoded()
        #expect(description.count == 117)
        #expect(Array(description.prefix(20)) == hex("54 00 00 00 74 00 04 6D 7A 5F 74 69 6D 65 73 74 61 6D 70 00"))
        guard case .rowDescription(let columns) = start[0] else {
            Issue.record("expected a RowDescription")
            return
        }
        #expect(columns.columns.map(\.name) == ["mz_timestamp", "mz_progressed", "mz_diff", "id"])
        #expect(columns.columns.map(\.dataType) == [.numeric, .bool, .int8, .int4])
        #expect(columns.columns.map(\.dataTypeSize) == [-1, 1, 8, 4])
        #expect(columns.columns.map(\.typeModifier) == [2_555_908, -1, -1, -1])
        #expect(columns.columns.allSatisfy { $0.format == .text && $0.tableOID == 0 && $0.columnAttributeNumber == 0 })

        let notice = start[1].encoded()
        #expect(notice.count == 102)
        #expect(start[1] == .noticeResponse(Diagnostic(
            severity: "NOTICE", sqlState: "01000",
            message: "streaming SUBSCRIBE rows directly requires a client that does not buffer output")))

        #expect(start[2].encoded() == hex(
            "44 00 00 00 24 00 04 00 00 00 0D 31 37 30 30 30 30 30 30 30 30 30 30 30 00 00 00 01 74 FF FF FF FF FF FF FF FF"))
        #expect(start[3].encoded() == dataRow(["1700000000000", "f", "1", "1"]))
        #expect(start[4].encoded() == dataRow(["1700000000000", "f", "1", "2"]))
        #expect(start[5].encoded() == dataRow(["1700000000001", "t", nil, nil]))  // AS OF + 1 closes the snapshot

        // The fixture's later progress times come from heartbeats and commits.
        #expect(bytes(stream.heartbeat(upTo: 1_700_000_001_000)) == dataRow(["1700000001000", "t", nil, nil]))
        let commit = stream.apply(Commit(timestamp: 1_700_000_002_500, changes: [.delete([.int32(2)])]))
        #expect(bytes(commit) == dataRow(["1700000002500", "f", "-1", "2"]) + dataRow(["1700000002501", "t", nil, nil]))
        #expect(bytes(stream.heartbeat(upTo: 1_700_000_003_000)) == dataRow(["1700000003000", "t", nil, nil]))
        #expect(stream.rowCount == 8)
    }

    /// F3: ENVELOPE UPSERT with PROGRESS in COPY text: upsert, delete, key_violation, keys ascending.
    @Test func f3UpsertEnvelope() throws {
        var stream = try stream(
            "COPY (SUBSCRIBE kv ENVELOPE UPSERT (KEY (key)) WITH (PROGRESS)) TO STDOUT", kv,
            snapshot: [[.text("b"), .int32(2)], [.text("a"), .int32(1)]])
        #expect(stream.columns.map(\.name) == ["mz_timestamp", "mz_progressed", "mz_state", "key", "value"])
        let start = bytes(stream.start())
        var expected = BackendMessage.copyOutResponse(CopyFormat(format: .text, columnFormats: Array(repeating: .text, count: 5))).encoded()
        #expect(expected[1...4] == [0, 0, 0, 17])
        expected += copyData("1700000000000\tt\t\\N\t\\N\t\\N\n")
        expected += copyData("1700000000000\tf\tupsert\t1\ta\n")
        expected += copyData("1700000000000\tf\tupsert\t2\tb\n")
        expected += copyData("1700000000001\tt\t\\N\t\\N\t\\N\n")
        #expect(start == expected)
        #expect(copyData("1700000000000\tt\t\\N\t\\N\t\\N\n")[1...4] == [0, 0, 0, 29])
        #expect(copyData("1700000000000\tf\tupsert\t1\ta\n")[1...4] == [0, 0, 0, 31])

        let commit = stream.apply(Commit(timestamp: 1_700_000_002_000, changes: [
            .insert([.text("d"), .int32(3)]),
            .delete([.text("b"), .int32(2)]),
            .insert([.text("c"), .int32(3)]),
            .update(from: [.text("a"), .int32(1)], to: [.text("z"), .int32(1)]),
        ]))
        var rows = copyData("1700000002000\tf\tupsert\t1\tz\n")
        rows += copyData("1700000002000\tf\tdelete\t2\t\\N\n")
        let violation = copyData("1700000002000\tf\tkey_violation\t3\t\\N\n")
        #expect(violation[1...4] == [0, 0, 0, 39])
        rows += violation
        rows += copyData("1700000002001\tt\t\\N\t\\N\t\\N\n")
        #expect(bytes(commit) == rows)
        #expect(bytes(stream.heartbeat(upTo: 1_700_000_003_000)) == copyData("1700000003000\tt\t\\N\t\\N\t\\N\n"))
    }

    /// F5: an error mid-stream ends COPY with ErrorResponse and no CopyDone (both server generations),
    /// and follows T, N, D on the DataRow path.
    @Test func f5DependencyDropped() throws {
        let table = TableSchema(name: "t", columns: [.init(name: "a", type: .int4)])
        let new = Diagnostic(severity: "ERROR", sqlState: "42704", message: "relation 'materialize.public.t' was dropped")
        let old = Diagnostic(
            severity: "ERROR", sqlState: "XX000",
            message: "subscribe has been terminated because underlying relation \"materialize.public.t\" was dropped")
        for (diagnostic, length) in [(new, 64), (old, 113)] {
            var copy = try stream("COPY (SUBSCRIBE t) TO STDOUT", table, snapshot: [[.int32(5)]])
            var wire = bytes(copy.start())
            let end = copy.finish(error: diagnostic)
            wire += bytes(end)
            var expected = BackendMessage.copyOutResponse(CopyFormat(format: .text, columnFormats: [.text, .text, .text])).encoded()
            expected += copyData("1700000000000\t1\t5\n")
            let error = BackendMessage.errorResponse(diagnostic).encoded()
            #expect(Int(error[4]) + Int(error[3]) << 8 == length)
            expected += error
            #expect(wire == expected)
            #expect(end == [.errorResponse(diagnostic)])

            var bare = try stream("SUBSCRIBE t", table, snapshot: [[.int32(5)]])
            let start = bare.start()
            #expect(start.count == 3)
            #expect(start[2].encoded() == dataRow(["1700000000000", "1", "5"]))
            #expect(bare.finish(error: diagnostic) == [.errorResponse(diagnostic)])
            #expect(bare.finish(error: nil).isEmpty)
        }
    }

    /// F6 text: a finite subscribe ends with CopyDone and `COPY 1`.
    @Test func f6FiniteCopyText() throws {
        let table = TableSchema(name: "one", columns: [.init(name: "a", type: .int4)])
        var stream = try stream("COPY (SUBSCRIBE one) TO STDOUT", table, snapshot: [[.int32(1)]])
        var wire = bytes(stream.start())
        wire += bytes(stream.finish(error: nil))
        var expected = hex("48 00 00 00 0D 00 00 03 00 00 00 00 00 00")
        expected += copyData("1700000000000\t1\t1\n")
        expected += hex("63 00 00 00 04")
        expected += hex("43 00 00 00 0B 43 4F 50 59 20 31 00")
        #expect(wire == expected)
    }

    /// F6 binary: header with the first tuple, trailer alone, numeric mz_timestamp.
    @Test func f6FiniteCopyBinary() throws {
        let table = TableSchema(name: "one", columns: [.init(name: "a", type: .int4)])
        var stream = try stream("COPY (SUBSCRIBE one) TO STDOUT WITH (FORMAT BINARY)", table, snapshot: [[.int32(1)]])
        let start = stream.start()
        #expect(stream.columns.allSatisfy { $0.format == .binary })
        var expected = hex("48 00 00 00 0D 01 00 03 00 01 00 01 00 01")
        var tuple = hex("50 47 43 4F 50 59 0A FF 0D 0A 00") + hex("00 00 00 00") + hex("00 00 00 00")
        tuple += hex("00 03")
        // numeric 1700000000000 = 1|7000|0000|0000: ndigits 2, weight 3, sign +, dscale 0, digits 0001 1B58.
        tuple += hex("00 00 00 0C 00 02 00 03 00 00 00 00 00 01 1B 58")
        tuple += hex("00 00 00 08 00 00 00 00 00 00 00 01")
        tuple += hex("00 00 00 04 00 00 00 01")
        expected += BackendMessage.copyData(tuple[...]).encoded()
        #expect(bytes(start) == expected)
        let end = bytes(stream.finish(error: nil))
        #expect(end == hex("64 00 00 00 06 FF FF") + hex("63 00 00 00 04") + hex("43 00 00 00 0B 43 4F 50 59 20 31 00"))
    }

    /// mz_timestamp in binary decodes to the same value, and PGWire also reads the non-normalised
    /// layout a Materialize build may send (materialize-subscribe.md §1d).
    @Test func binaryTimestampNumerics() throws {
        let table = TableSchema(name: "one", columns: [.init(name: "a", type: .int4)])
        var stream = try stream("COPY (SUBSCRIBE one) TO STDOUT (FORMAT BINARY)", table, snapshot: [])
        _ = stream.start()
        let messages = stream.apply(Commit(timestamp: 1_700_000_002_500, changes: [.insert([.int32(9)])]))
        guard case .copyData(let payload) = try #require(messages.first) else {
            Issue.record("expected CopyData")
            return
        }
        // First tuple after the 19-byte header: count, then the numeric field.
        let field = Array(payload.dropFirst(19 + 2 + 4).prefix(16))
        #expect(Array(payload.dropFirst(21).prefix(4)) == [0, 0, 0, 16])
        #expect(field == hex("00 04 00 03 00 00 00 00 00 01 1B 58 00 00 09 C4"))
        #expect(try Datum(binary: field[...], type: .numeric) == .numeric(Numeric(UInt64(1_700_000_002_500))))
        let nonNormalised = hex("00 04 00 03 00 00 00 00 00 01 1B 58 00 00 00 00")
        #expect(try Datum(binary: nonNormalised[...], type: .numeric) == .numeric(Numeric(UInt64(1_700_000_000_000))))
    }

    // MARK: Semantics

    @Test func snapshotFalseResumesAfterAsOf() throws {
        var stream = try stream(
            "SUBSCRIBE t WITH (SNAPSHOT = false, PROGRESS)", ids, snapshot: [[.int32(1)]])
        let start = stream.start()
        #expect(start.count == 4)
        #expect(start[2].encoded() == dataRow(["1700000000000", "t", nil, nil]))
        #expect(start[3].encoded() == dataRow(["1700000000001", "t", nil, nil]))
        #expect(stream.apply(Commit(timestamp: Self.asOf - 5, changes: [.insert([.int32(2)])])).isEmpty)
        #expect(stream.apply(Commit(timestamp: Self.asOf, changes: [.insert([.int32(3)])])).isEmpty)
        let later = stream.apply(Commit(timestamp: Self.asOf + 10, changes: [.insert([.int32(4)])]))
        #expect(bytes(later) == dataRow(["1700000000010", "f", "1", "4"]) + dataRow(["1700000000011", "t", nil, nil]))
    }

    @Test func snapshotFalseWithoutProgressSendsOnlyTheHeader() throws {
        var stream = try stream("COPY (SUBSCRIBE t WITH (SNAPSHOT false)) TO STDOUT", ids, snapshot: [[.int32(1)]])
        #expect(stream.start().count == 1)
        #expect(stream.heartbeat(upTo: Self.asOf + 100).isEmpty)
        #expect(bytes(stream.finish(error: nil)) == hex("63 00 00 00 04") + BackendMessage.commandComplete(tag: "COPY 0").encoded())
    }

    @Test func heartbeatsOnlyAdvance() throws {
        var stream = try stream("COPY (SUBSCRIBE t WITH (PROGRESS)) TO STDOUT", ids, snapshot: [])
        #expect(stream.start().count == 3)  // CopyOut, progress at AS OF, progress at AS OF + 1
        #expect(stream.heartbeat(upTo: Self.asOf).isEmpty)
        #expect(stream.heartbeat(upTo: Self.asOf + 1).isEmpty)
        #expect(bytes(stream.heartbeat(upTo: Self.asOf + 500)) == copyData("1700000000500\tt\t\\N\t\\N\n"))
        #expect(stream.heartbeat(upTo: Self.asOf + 400).isEmpty)
        #expect(bytes(stream.heartbeat(upTo: Self.asOf + 501)) == copyData("1700000000501\tt\t\\N\t\\N\n"))
        // An empty commit still closes its timestamp.
        #expect(bytes(stream.apply(Commit(timestamp: Self.asOf + 900, changes: []))) == copyData("1700000000901\tt\t\\N\t\\N\n"))
        #expect(bytes(stream.finish(error: nil)).suffix(12) == BackendMessage.commandComplete(tag: "COPY 5").encoded()[...])
    }

    @Test func heartbeatWithoutProgressSendsNothing() throws {
        var stream = try stream("SUBSCRIBE t", ids, snapshot: [])
        #expect(stream.start().count == 2)
        #expect(stream.heartbeat(upTo: Self.asOf + 1000).isEmpty)
        // The frontier still moves: a late commit is placed at it.
        let late = stream.apply(Commit(timestamp: Self.asOf + 10, changes: [.insert([.int32(1)])]))
        #expect(bytes(late) == dataRow(["1700000001000", "1", "1"]))
    }

    @Test func commitsBelowTheFrontierAreLifted() throws {
        var stream = try stream("SUBSCRIBE t WITH (PROGRESS)", ids, snapshot: [])
        _ = stream.start()
        _ = stream.apply(Commit(timestamp: Self.asOf + 5, changes: [.insert([.int32(1)])]))
        let same = stream.apply(Commit(timestamp: Self.asOf + 5, changes: [.insert([.int32(2)])]))
        #expect(bytes(same) == dataRow(["1700000000006", "f", "1", "2"]) + dataRow(["1700000000007", "t", nil, nil]))
    }

    @Test func rowsAreConsolidatedAndSortedDeterministically() throws {
        let table = TableSchema(name: "t", columns: [.init(name: "n", type: .int8), .init(name: "s", type: .text)])
        var stream = try stream("COPY (SUBSCRIBE t) TO STDOUT", table, snapshot: [
            [.int64(10), .text("x")], [.int64(9), .text("b")], [.int64(9), .text("a")], [.null, .text("z")],
            [.int64(-3), .null], [.int64(10), .text("x")],
        ])
        var expected = BackendMessage.copyOutResponse(CopyFormat(format: .text, columnFormats: [.text, .text, .text, .text])).encoded()
        expected += copyData("1700000000000\t1\t-3\t\\N\n")
        expected += copyData("1700000000000\t1\t9\ta\n")
        expected += copyData("1700000000000\t1\t9\tb\n")
        expected += copyData("1700000000000\t2\t10\tx\n")  // duplicates add up
        expected += copyData("1700000000000\t1\t\\N\tz\n")  // NULL sorts last
        #expect(bytes(stream.start()) == expected)

        // An update that changes nothing cancels; insert + delete of the same row cancels.
        let quiet = stream.apply(Commit(timestamp: Self.asOf + 1, changes: [
            .update(from: [.int64(9), .text("a")], to: [.int64(9), .text("a")]),
            .insert([.int64(7), .text("q")]),
            .delete([.int64(7), .text("q")]),
        ]))
        #expect(quiet.isEmpty)
        let mixed = stream.apply(Commit(timestamp: Self.asOf + 2, changes: [
            .insert([.int64(100), .text("c")]),
            .delete([.int64(10), .text("x")]),
            .insert([.int64(2), .text("d")]),
        ]))
        #expect(bytes(mixed) == copyData("1700000000002\t1\t2\td\n") + copyData("1700000000002\t-1\t10\tx\n")
            + copyData("1700000000002\t1\t100\tc\n"))
    }

    @Test func copyTextEscapesOnlyMaterializesFour() throws {
        let table = TableSchema(name: "t", columns: [.init(name: "s", type: .text), .init(name: "b", type: .bytea)])
        var stream = try stream("COPY (SUBSCRIBE t) TO STDOUT", table, snapshot: [
            [.text("\\\t\n\rtest\\N\u{08}"), .bytea([0x01, 0xFF])],
        ])
        let start = stream.start()
        guard case .copyData(let payload) = start[1] else {
            Issue.record("expected CopyData")
            return
        }
        let expected = Array("1700000000000\t1\t".utf8) + hex("5C 5C 5C 74 5C 6E 5C 72 74 65 73 74 5C 5C 4E 08 09") + Array("\\\\x01ff\n".utf8)
        #expect(Array(payload) == expected)
    }

    @Test func upsertWithSelectedColumnsAndCompositeKey() throws {
        let table = TableSchema(name: "m", columns: [
            .init(name: "a", type: .int4), .init(name: "b", type: .text), .init(name: "c", type: .int4), .init(name: "d", type: .bool),
        ])
        var stream = try stream(
            "SUBSCRIBE (SELECT d, c, b FROM m) ENVELOPE UPSERT (KEY (b, c))", table,
            snapshot: [[.int32(0), .text("y"), .int32(1), .bool(true)], [.int32(0), .text("x"), .int32(2), .bool(false)]])
        #expect(stream.columns.map(\.name) == ["mz_timestamp", "mz_state", "b", "c", "d"])
        #expect(stream.columns.map(\.dataType) == [.numeric, .text, .text, .int4, .bool])
        let start = stream.start()
        #expect(start.count == 4)
        #expect(start[2].encoded() == dataRow(["1700000000000", "upsert", "x", "2", "f"]))
        #expect(start[3].encoded() == dataRow(["1700000000000", "upsert", "y", "1", "t"]))
        // A change in an unselected column only: the projected update cancels.
        let hidden = stream.apply(Commit(timestamp: Self.asOf + 1, changes: [
            .update(from: [.int32(0), .text("y"), .int32(1), .bool(true)], to: [.int32(5), .text("y"), .int32(1), .bool(true)]),
        ]))
        #expect(hidden.isEmpty)
        let violation = stream.apply(Commit(timestamp: Self.asOf + 2, changes: [
            .update(from: [.int32(0), .text("x"), .int32(2), .bool(false)], to: [.int32(0), .text("x"), .int32(2), .bool(true)]),
            .update(from: [.int32(0), .text("x"), .int32(2), .bool(false)], to: [.int32(0), .text("x"), .int32(2), .bool(true)]),
        ]))
        #expect(bytes(violation) == dataRow(["1700000000002", "key_violation", "x", "2", nil]))
        #expect(bytes(stream.finish(error: nil)) == BackendMessage.commandComplete(tag: "SELECT 3").encoded())
    }

    @Test func snapshotDuplicateKeysAreKeyViolations() throws {
        var stream = try stream(
            "COPY (SUBSCRIBE kv ENVELOPE UPSERT (KEY (key))) TO STDOUT", kv,
            snapshot: [[.text("a"), .int32(1)], [.text("b"), .int32(1)]])
        let start = bytes(stream.start())
        #expect(start.suffix(copyData("1700000000000\tkey_violation\t1\t\\N\n").count) == copyData("1700000000000\tkey_violation\t1\t\\N\n")[...])
        #expect(stream.rowCount == 1)
    }

    @Test func bareFinishCountsProgressRows() throws {
        var stream = try stream("SUBSCRIBE t WITH (PROGRESS)", ids, snapshot: [[.int32(1)]])
        _ = stream.start()
        _ = stream.apply(Commit(timestamp: Self.asOf + 3, changes: [.insert([.int32(2)])]))
        #expect(stream.frontier == Self.asOf + 4)
        #expect(!stream.isFinished)
        #expect(stream.finish(error: nil) == [.commandComplete(tag: "SELECT 5")])
        #expect(stream.isFinished)
        #expect(stream.apply(Commit(timestamp: Self.asOf + 9, changes: [.insert([.int32(3)])])).isEmpty)
        #expect(stream.heartbeat(upTo: Self.asOf + 20).isEmpty)
        #expect(stream.finish(error: cancel).isEmpty)
    }

    @Test func binaryTrailerCarriesTheHeaderWhenNoTupleWasSent() throws {
        var stream = try stream("COPY (SUBSCRIBE t) TO STDOUT (FORMAT BINARY)", ids, snapshot: [])
        #expect(stream.start().count == 1)
        let end = stream.finish(error: nil)
        let trailer = hex("50 47 43 4F 50 59 0A FF 0D 0A 00 00 00 00 00 00 00 00 00 FF FF")
        #expect(end == [.copyData(trailer[...]), .copyDone, .commandComplete(tag: "COPY 0")])
    }

    @Test func binaryProgressRowsUseBinaryFields() throws {
        var stream = try stream("COPY (SUBSCRIBE t WITH (PROGRESS)) TO STDOUT (FORMAT BINARY)", ids, snapshot: [])
        _ = stream.start()
        let row = stream.heartbeat(upTo: Self.asOf + 2500)
        var expected = hex("00 04") + hex("00 00 00 10 00 04 00 03 00 00 00 00 00 01 1B 58 00 00 09 C4")
        expected += hex("00 00 00 01 01") + hex("FF FF FF FF FF FF FF FF")
        #expect(row == [.copyData(expected[...])])
        let data = stream.apply(Commit(timestamp: Self.asOf + 2600, changes: [.delete([.int32(7)])]))
        guard case .copyData(let tuple) = try #require(data.first) else {
            Issue.record("expected CopyData")
            return
        }
        #expect(Array(tuple.suffix(4 + 1 + 4 + 8 + 4 + 4)) == hex("00 00 00 01 00 00 00 00 08 FF FF FF FF FF FF FF FF 00 00 00 04 00 00 00 07"))
    }

    // MARK: Errors

    @Test func unknownColumnsAndBadKeys() throws {
        func error(_ sql: String, snapshot: [[Datum]] = []) -> SimError? {
            do {
                _ = try stream(sql, people, snapshot: snapshot)
                Issue.record("expected an error for \(sql)")
                return nil
            } catch let error as SimError {
                return error
            } catch {
                Issue.record("unexpected \(error)")
                return nil
            }
        }
        let column = try #require(error("SUBSCRIBE (SELECT id, nope FROM t)"))
        #expect(column.sqlState == "42703")
        #expect(column.diagnostic.message == "column \"nope\" does not exist")
        #expect(try #require(error("SUBSCRIBE t ENVELOPE UPSERT (KEY (nope))")).sqlState == "42703")
        // The key must be among the selected columns.
        #expect(try #require(error("SUBSCRIBE (SELECT name FROM t) ENVELOPE UPSERT (KEY (id))")).sqlState == "42703")
        #expect(try #require(error("SUBSCRIBE t ENVELOPE UPSERT (KEY (id, id))")).sqlState == "42701")
        #expect(try #require(error("SUBSCRIBE t", snapshot: [[.int32(1)]])).sqlState == "XX000")
        let emptyKey = SubscribeStatement(table: "t", upsertKey: [])
        #expect(throws: SimError.self) {
            try SubscribeStream(statement: emptyKey, schema: people, asOf: 1, snapshot: [])
        }
    }

    @Test func finishWithErrorBeforeStart() throws {
        var stream = try stream("SUBSCRIBE t", ids, snapshot: [])
        #expect(stream.finish(error: cancel) == [.errorResponse(cancel)])
        #expect(stream.finish(error: nil).isEmpty)
    }
}
