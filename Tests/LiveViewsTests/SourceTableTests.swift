import Testing
@testable import LiveViews

@Suite struct SourceTableTests {
    typealias F = Fixtures

    @Test func insertUpdateNoChangeDelete() throws {
        var table = SourceTable(schema: F.small)
        var events = try table.apply(SourceBatch(timestamp: 1, changes: [.upsert(F.smallRow(1, group: 1))]))
        #expect(events.count == 1)
        #expect(events[0].kind == .insert && events[0].timestamp == 1)
        #expect(events[0].row.values == F.smallRow(1, group: 1))

        events = try table.apply(SourceBatch(timestamp: 2, changes: [.upsert(F.smallRow(1, group: 1, score: 9))]))
        #expect(events.count == 1)
        #expect(events[0].kind == .update)
        #expect(events[0].changed == ColumnSet([3]))
        #expect(events[0].previous?.value(at: 3) == .integer(0))
        #expect(events[0].row.value(at: 3) == .integer(9))

        events = try table.apply(SourceBatch(timestamp: 3, changes: [.upsert(F.smallRow(1, group: 1, score: 9))]))
        #expect(events.isEmpty)

        events = try table.apply(SourceBatch(timestamp: 4, changes: [.delete(key: [.integer(1)]), .delete(key: [.integer(5)])]))
        #expect(events.count == 1)
        #expect(events[0].kind == .delete)
        #expect(events[0].row.values == F.smallRow(1, group: 1, score: 9))
        #expect(table.count == 0)
        #expect(table.timestamp == 4)
    }

    @Test func compositeKeys() throws {
        let schema = try SourceSchema(
            name: "pairs", columns: [.init(name: "a", type: .string), .init(name: "b", type: .integer), .init(name: "v", type: .integer)],
            primaryKey: ["b", "a"])
        var table = SourceTable(schema: schema)
        _ = try table.apply(SourceBatch(timestamp: 1, changes: [
            .upsert([.string("x"), .integer(1), .integer(10)]),
            .upsert([.string("x"), .integer(2), .integer(20)]),
            .upsert([.string("y"), .integer(1), .integer(30)]),
        ]))
        #expect(table.count == 3)
        let events = try table.apply(SourceBatch(timestamp: 2, changes: [
            .upsert([.string("x"), .integer(1), .integer(11)]),
            .delete(key: [.integer(1), .string("y")]),
        ]))
        #expect(events.map(\.kind) == [.update, .delete])
        #expect(events[1].row.values == [.string("y"), .integer(1), .integer(30)])
        #expect(try table.row(forKey: [.integer(1), .string("x")])?.value(at: 2) == .integer(11))
        #expect(try table.row(forKey: [.integer(1), .string("y")]) == nil)
    }

    @Test func batchesAreAllOrNothing() throws {
        var table = SourceTable(schema: F.small)
        _ = try table.apply(SourceBatch(timestamp: 1, changes: [.upsert(F.smallRow(1, group: 1))]))
        #expect(throws: LiveViewsError.self) {
            try table.apply(SourceBatch(timestamp: 2, changes: [
                .upsert(F.smallRow(2, group: 1)),
                .upsert([.integer(3)]),
            ]))
        }
        #expect(table.count == 1)
        #expect(table.timestamp == 1)
        let error = #expect(throws: LiveViewsError.self) {
            try table.apply(SourceBatch(timestamp: 0, changes: []))
        }
        #expect(error?.code == .invalidBatch)
    }

    @Test func sameKeyTwiceInOneBatch() throws {
        var table = SourceTable(schema: F.small)
        let events = try table.apply(SourceBatch(timestamp: 1, changes: [
            .upsert(F.smallRow(1, group: 1)), .upsert(F.smallRow(1, group: 2)), .delete(key: [.integer(1)]),
        ]))
        #expect(events.map(\.kind) == [.insert, .update, .delete])
        #expect(table.count == 0)
    }

    @Test func resetEmitsOnlyTheDifference() throws {
        var table = SourceTable(schema: F.small)
        _ = try table.apply(SourceBatch(timestamp: 1, changes: [
            .upsert(F.smallRow(1, group: 1)), .upsert(F.smallRow(2, group: 1)), .upsert(F.smallRow(3, group: 1)),
        ]))
        let events = try table.reset(to: SourceSnapshot(timestamp: 5, rows: [
            F.smallRow(1, group: 1), F.smallRow(2, group: 9), F.smallRow(4, group: 1),
        ]))
        #expect(events.allSatisfy { $0.fromReset && $0.timestamp == 5 })
        let summary = Set(events.map { "\($0.kind)-\($0.row.value(at: 0))" })
        #expect(summary == ["delete-3", "update-2", "insert-4"])
        #expect(events.first { $0.kind == .update }?.changed == ColumnSet([1]))
        #expect(table.count == 3)
    }
}
