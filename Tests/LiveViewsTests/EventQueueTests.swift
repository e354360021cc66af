import Testing
@testable import LiveViews

@Suite struct EventQueueTests {
    let layout = RowLayout(schema: Fixtures.small)

    func row(_ id: Int64, score: Int64 = 0, name: String = "n") -> Row {
        Row(bytes: try! layout.encode(Fixtures.smallRow(id, group: 1, name: name, score: score)), layout: layout)
    }

    func insert(_ row: Row) -> ViewEvent { ViewEvent(.insert, row: row, timestamp: 1) }
    func delete(_ row: Row) -> ViewEvent { ViewEvent(.delete, row: row, timestamp: 1) }
    func update(_ old: Row, _ new: Row) -> ViewEvent {
        ViewEvent(.update, row: new, previous: old, changed: new.changedColumns(from: old), timestamp: 1)
    }

    /// A queue that coalesces from the first event.
    func coalescing() -> EventQueue<ViewEvent> {
        EventQueue(capacity: 1, hardLimit: 100, alwaysCoalesce: true, key: { $0.key }, merge: { $0.merged(with: $1) })
    }

    @Test func insertThenUpdateIsInsertOfTheNewRow() {
        var queue = coalescing()
        _ = queue.push(insert(row(1)))
        _ = queue.push(update(row(1), row(1, score: 5)))
        let event = queue.pop()
        #expect(event?.operation == .insert)
        #expect(event?.row.value(at: 3) == .integer(5))
        #expect(queue.pop() == nil)
    }

    @Test func updateThenUpdateUnionsChangedColumns() {
        var queue = coalescing()
        _ = queue.push(update(row(1), row(1, score: 5)))
        _ = queue.push(update(row(1, score: 5), row(1, score: 5, name: "x")))
        let event = queue.pop()
        #expect(event?.operation == .update)
        #expect(event?.changed == ColumnSet([2, 3]))
        #expect(event?.previous?.value(at: 3) == .integer(0))
        #expect(event?.row.value(at: 2) == .string("x"))
    }

    @Test func updateThenDeleteIsDeleteOfTheRowTheClientSaw() {
        var queue = coalescing()
        _ = queue.push(update(row(1), row(1, score: 5)))
        _ = queue.push(delete(row(1, score: 5)))
        let event = queue.pop()
        #expect(event?.operation == .delete)
        #expect(event?.row.value(at: 3) == .integer(0))
    }

    @Test func insertThenDeleteIsNothing() {
        var queue = coalescing()
        _ = queue.push(insert(row(1)))
        _ = queue.push(insert(row(2)))
        _ = queue.push(delete(row(1)))
        #expect(queue.count == 1)
        #expect(queue.pop()?.row.value(at: 0) == .integer(2))
        #expect(queue.pop() == nil)
    }

    @Test func deleteThenInsertIsUpdateOfTheDifferenceOrNothing() {
        var queue = coalescing()
        _ = queue.push(delete(row(1)))
        _ = queue.push(insert(row(1, score: 3)))
        let event = queue.pop()
        #expect(event?.operation == .update)
        #expect(event?.changed == ColumnSet([3]))

        _ = queue.push(delete(row(2)))
        _ = queue.push(insert(row(2)))
        #expect(queue.pop() == nil)
    }

    @Test func updateDeleteInsertDiffsAgainstWhatTheClientSaw() {
        var queue = coalescing()
        _ = queue.push(update(row(1), row(1, score: 5)))
        _ = queue.push(delete(row(1, score: 5)))
        _ = queue.push(insert(row(1, score: 5)))
        let event = queue.pop()
        #expect(event?.operation == .update)
        #expect(event?.changed == ColumnSet([3]))
    }

    @Test func keepsEventsAsTheyAreUpToCapacity() {
        var queue = EventQueue<ViewEvent>(capacity: 3, hardLimit: 10, key: { $0.key }, merge: { $0.merged(with: $1) })
        _ = queue.push(insert(row(1)))
        _ = queue.push(update(row(1), row(1, score: 1)))
        _ = queue.push(update(row(1, score: 1), row(1, score: 2)))
        #expect(queue.count == 3)
        _ = queue.push(update(row(1, score: 2), row(1, score: 3)))
        #expect(queue.count == 1)
        #expect(queue.pop()?.row.value(at: 3) == .integer(3))
    }

    @Test func overflowsPastTheHardLimitOfDistinctKeys() {
        var queue = EventQueue<ViewEvent>(capacity: 2, hardLimit: 4, key: { $0.key }, merge: { $0.merged(with: $1) })
        for id in 1...4 { #expect(queue.push(insert(row(Int64(id)))) == .queued) }
        #expect(queue.push(update(row(1), row(1, score: 9))) == .queued)
        #expect(queue.push(insert(row(5))) == .overflow)
    }

    @Test func initialRowsDoNotCountAgainstTheLimits() {
        var queue = EventQueue<ViewEvent>(capacity: 2, hardLimit: 3, key: { $0.key }, merge: { $0.merged(with: $1) })
        queue.pushInitial((1...10).map { insert(row(Int64($0))) })
        #expect(queue.push(insert(row(11))) == .queued)
        #expect(queue.push(insert(row(12))) == .queued)
        #expect(queue.count == 12)
        #expect(queue.pop()?.row.value(at: 0) == .integer(1))
    }

    @Test func withoutMergeOverflowsInsteadOfCoalescing() {
        var queue = EventQueue<ViewEvent>(capacity: 2, hardLimit: 2, key: { $0.key }, merge: nil)
        #expect(queue.push(insert(row(1))) == .queued)
        #expect(queue.push(delete(row(1))) == .queued)
        #expect(queue.push(insert(row(1))) == .overflow)
    }

    @Test func keepsOrderAcrossKeysAndCompacts() {
        var queue = EventQueue<ViewEvent>(capacity: 5000, hardLimit: 5000, key: { $0.key }, merge: { $0.merged(with: $1) })
        var expected: Int64 = 0
        for id in 0..<3000 {
            _ = queue.push(insert(row(Int64(id))))
            if id % 2 == 1 {
                #expect(queue.pop()?.row.value(at: 0) == .integer(expected))
                expected += 1
            }
        }
        while let event = queue.pop() {
            #expect(event.row.value(at: 0) == .integer(expected))
            expected += 1
        }
        #expect(expected == 3000)
    }
    @Test func countsEventsCoalescedAway() {
        var queue = coalescing()
        _ = queue.push(insert(row(1)))
        _ = queue.push(update(row(1), row(1, score: 5)))  // merged into the insert: 1
        _ = queue.push(insert(row(2)))
        _ = queue.push(delete(row(2)))  // cancels the insert of 2: both count
        #expect(queue.count == 1)
        #expect(queue.coalescedCount == 3)
    }

    @Test func countsWhatCoalescingPastCapacityMerges() {
        var queue = EventQueue<ViewEvent>(capacity: 2, hardLimit: 100, key: { $0.key }, merge: { $0.merged(with: $1) })
        _ = queue.push(update(row(1), row(1, score: 1)))
        _ = queue.push(update(row(1, score: 1), row(1, score: 2)))
        #expect(queue.coalescedCount == 0)  // within capacity, kept as they are
        _ = queue.push(update(row(1, score: 2), row(1, score: 3)))  // past capacity: the three become one
        #expect(queue.count == 1)
        #expect(queue.coalescedCount == 2)
        _ = queue.push(update(row(1, score: 3), row(1, score: 4)))
        #expect(queue.coalescedCount == 3)
    }

    @Test func aQueueThatKeepsUpCountsNothing() {
        var queue = EventQueue<ViewEvent>(capacity: 4, hardLimit: 8, key: { $0.key }, merge: { $0.merged(with: $1) })
        for score in 1...100 {
            _ = queue.push(update(row(1, score: Int64(score - 1)), row(1, score: Int64(score))))
            #expect(queue.pop() != nil)
        }
        #expect(queue.coalescedCount == 0)
    }
}
