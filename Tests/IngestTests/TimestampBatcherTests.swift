@testable import Ingest
import LiveViews
import Testing

@Suite struct TimestampBatcherTests {
    @Test func snapshotThenOneBatchPerClosedTimestamp() throws {
        var batcher = TimestampBatcher(source: "kv", expectsSnapshot: true)
        #expect(try batcher.add(.progress(100)) == nil)
        #expect(try batcher.add(.upsert(100, [.string("a"), .integer(1)])) == nil)
        #expect(try batcher.add(.upsert(100, [.string("b"), .integer(2)])) == nil)
        let snapshot = try #require(try batcher.add(.progress(101)))
        #expect(snapshot.snapshot == SourceSnapshot(timestamp: 100, rows: [[.string("a"), .integer(1)], [.string("b"), .integer(2)]]))
        #expect(snapshot.batches.isEmpty)
        #expect(snapshot.progress == 101)

        // Two timestamps closed by one progress row: two batches, in order; nothing at the progress itself.
        _ = try batcher.add(.upsert(105, [.string("z"), .integer(1)]))
        _ = try batcher.add(.delete(105, key: [.integer(2)]))
        _ = try batcher.add(.upsert(107, [.string("c"), .integer(3)]))
        _ = try batcher.add(.upsert(110, [.string("later"), .integer(4)]))
        let closed = try #require(try batcher.add(.progress(110)))
        #expect(closed.snapshot == nil)
        #expect(closed.batches == [
            SourceBatch(timestamp: 105, changes: [.upsert([.string("z"), .integer(1)]), .delete(key: [.integer(2)])]),
            SourceBatch(timestamp: 107, changes: [.upsert([.string("c"), .integer(3)])]),
        ])
        #expect(batcher.pendingCount == 1)
        let last = try #require(try batcher.add(.progress(111)))
        #expect(last.batches == [SourceBatch(timestamp: 110, changes: [.upsert([.string("later"), .integer(4)])])])
    }

    @Test func emptySnapshotAndHeartbeats() throws {
        var batcher = TimestampBatcher(source: "kv", expectsSnapshot: true)
        _ = try batcher.add(.progress(100))
        let snapshot = try #require(try batcher.add(.progress(200)))
        #expect(snapshot.snapshot == SourceSnapshot(timestamp: 100, rows: []))
        let heartbeat = try #require(try batcher.add(.progress(300)))
        #expect(heartbeat.batches.isEmpty)
        #expect(heartbeat.progress == 300)
    }

    @Test func resumedStreamsHaveNoSnapshot() throws {
        // Resumed AS OF P-1 with SNAPSHOT = false: the first progress row is at P-1.
        var batcher = TimestampBatcher(source: "kv", expectsSnapshot: false)
        let first = try #require(try batcher.add(.progress(999)))
        #expect(first.snapshot == nil)
        _ = try batcher.add(.upsert(1000, [.string("x"), .integer(1)]))
        let closed = try #require(try batcher.add(.progress(1001)))
        #expect(closed.batches == [SourceBatch(timestamp: 1000, changes: [.upsert([.string("x"), .integer(1)])])])
    }

    @Test func brokenOrderingIsAnError() throws {
        var batcher = TimestampBatcher(source: "kv", expectsSnapshot: false)
        _ = try batcher.add(.progress(10))
        _ = try batcher.add(.progress(20))
        #expect(throws: IngestError.self) { try batcher.add(.upsert(15, [.null, .integer(1)])) }
        #expect(throws: IngestError.self) { try batcher.add(.progress(19)) }
        var other = TimestampBatcher(source: "kv", expectsSnapshot: false)
        _ = try other.add(.upsert(30, [.null, .integer(1)]))
        #expect(throws: IngestError.self) { try other.add(.upsert(29, [.null, .integer(2)])) }
    }

    @Test func keyViolationIsReportedWithTheKey() throws {
        var batcher = TimestampBatcher(source: "kv", expectsSnapshot: false)
        let error = #expect(throws: IngestError.self) { try batcher.add(.keyViolation(5, key: [.integer(3)])) }
        #expect(error?.code == .keyViolation)
        #expect(error?.message.contains("(3)") == true)
    }
}
