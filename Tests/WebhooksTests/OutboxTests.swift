import Foundation
import LiveViews
import PGWire
import Testing
@testable import Webhooks

/// A fresh directory per test, removed afterwards.
final class TemporaryDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "webhooks-tests-" + UUID().uuidString
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func samplePayload(trigger: String = "big", key: Int64, type: WebhookPayload.EventType = .fire, mz: UInt64) -> WebhookPayload {
    WebhookPayload(
        source: "trades", trigger: trigger, eventType: type, columns: ["id", "qty"], values: [.integer(key), .integer(mz == 0 ? 1 : Int64(mz))],
        keyValues: [.integer(key)], mzTimestamp: mz, createdAtMillis: 1_700_000_000_000)
}

@Suite struct OutboxTests {
    let trigger = StoredTrigger(
        id: TriggerID(source: "trades", name: "big"), webhook: "https://example.com/hook", fire: "{\"qty\":{\"_gt\":10}}",
        clear: nil, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", fireForExistingRows: true, createdAtMillis: 5)

    @Test func reopensWithEverythingWritten() throws {
        let directory = TemporaryDirectory()
        do {
            let outbox = try Outbox(directory: directory.path)
            try outbox.saveTrigger(trigger, matchingKeys: ["[7]"], checkpoint: 10)
            let added = try outbox.enqueue([samplePayload(key: 1, mz: 11), samplePayload(key: 2, mz: 12), samplePayload(key: 7, type: .clear, mz: 12)])
            #expect(added.count == 3)
            try outbox.markDelivered(added[0].payload.eventID)
            try outbox.recordAttempts(added[1].payload.eventID, 3)
            try outbox.markDead(added[1].payload.eventID, reason: "HTTP 500 after 3 attempts", atMillis: 99)
        }
        let outbox = try Outbox(directory: directory.path)
        #expect(outbox.discardedBytesAtOpen == 0)
        #expect(outbox.triggers == [trigger])
        #expect(outbox.matchingKeys(trigger.id) == ["[1]", "[2]"])
        #expect(outbox.checkpoint(trigger.id) == 12)
        #expect(outbox.pending().map(\.payload) == [samplePayload(key: 7, type: .clear, mz: 12)])
        let dead = try #require(outbox.deadLetters().first)
        #expect(dead.payload == samplePayload(key: 2, mz: 12))
        #expect(dead.attempts == 3)
        #expect(dead.reason == "HTTP 500 after 3 attempts")

        let revived = try outbox.reviveDeadLetter(dead.payload.eventID)
        #expect(revived.attempts == 0)
        #expect(outbox.deadLetters().isEmpty)
        #expect(outbox.pending().map(\.payload.keyText) == ["[7]", "[2]"])
        #expect(throws: WebhooksError.self) { try outbox.reviveDeadLetter("nope") }
    }

    @Test func discardsAndDeletionsSurviveAReopen() throws {
        let directory = TemporaryDirectory()
        let other = StoredTrigger(id: TriggerID(source: "trades", name: "other"), webhook: "https://example.com/2", fire: "{}",
                                  secret: trigger.secret, createdAtMillis: 6)
        do {
            let outbox = try Outbox(directory: directory.path)
            try outbox.saveTrigger(trigger)
            try outbox.saveTrigger(other, matchingKeys: ["[3]"], checkpoint: 4)
            let added = try outbox.enqueue([samplePayload(key: 1, mz: 1), samplePayload(key: 2, mz: 2), samplePayload(trigger: "other", key: 3, mz: 5)])
            try outbox.markDead(added[0].payload.eventID, reason: "x", atMillis: 1)
            try outbox.markDead(added[1].payload.eventID, reason: "y", atMillis: 2)
            try outbox.discardDeadLetter(added[0].payload.eventID)
            #expect(throws: WebhooksError.self) { try outbox.discardDeadLetter(added[0].payload.eventID) }
            try outbox.deleteTrigger(other.id)
            #expect(throws: WebhooksError.self) { try outbox.deleteTrigger(other.id) }
        }
        let outbox = try Outbox(directory: directory.path)
        #expect(outbox.triggers == [trigger])
        #expect(outbox.deadLetters().map(\.reason) == ["y"])
        #expect(outbox.pending().isEmpty)
        #expect(outbox.matchingKeys(other.id).isEmpty)
        #expect(outbox.checkpoint(other.id) == nil)
    }

    @Test func duplicateTransitionsAreEnqueuedOnce() throws {
        let directory = TemporaryDirectory()
        let outbox = try Outbox(directory: directory.path)
        #expect(try outbox.enqueue([samplePayload(key: 1, mz: 5)]).count == 1)
        #expect(try outbox.enqueue([samplePayload(key: 1, mz: 5), samplePayload(key: 1, mz: 6)]).count == 1)
        #expect(outbox.pending().count == 2)
    }

    @Test func tornTailIsCutOffNotTrusted() throws {
        let directory = TemporaryDirectory()
        let logPath = directory.path + "/outbox.log"
        do {
            let outbox = try Outbox(directory: directory.path)
            try outbox.enqueue([samplePayload(key: 1, mz: 1)])
            try outbox.enqueue([samplePayload(key: 2, mz: 2)])
        }
        let full = try Data(contentsOf: URL(fileURLWithPath: logPath))
        let oneRecord = Outbox.frame([.enqueued(samplePayload(key: 2, mz: 2))]).count
        // Every cut inside the last record loses exactly that record.
        for cut in 1..<oneRecord {
            try full.prefix(full.count - cut).write(to: URL(fileURLWithPath: logPath))
            let outbox = try Outbox(directory: directory.path)
            #expect(outbox.pending().map(\.payload.keyText) == ["[1]"])
            #expect(outbox.discardedBytesAtOpen == oneRecord - cut)
            // And appending after recovery works.
            try outbox.enqueue([samplePayload(key: 3, mz: 3)])
        }
        // A flipped byte in the last record's body fails its checksum.
        var damaged = full
        damaged[damaged.count - 2] ^= 0xFF
        try damaged.write(to: URL(fileURLWithPath: logPath))
        let outbox = try Outbox(directory: directory.path)
        #expect(outbox.pending().map(\.payload.keyText) == ["[1]"])
    }

    @Test func foreignFilesAndSecondOpenersAreRefused() throws {
        let directory = TemporaryDirectory()
        let outbox = try Outbox(directory: directory.path)
        #expect(throws: WebhooksError.self) { try Outbox(directory: directory.path) }
        _ = outbox
        let other = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: other.path, withIntermediateDirectories: true)
        try Data("hello, world".utf8).write(to: URL(fileURLWithPath: other.path + "/outbox.log"))
        let error = #expect(throws: WebhooksError.self) { try Outbox(directory: other.path) }
        #expect(error?.code == .corruptStore)
    }

    @Test func compactsWhenTheLogOutgrowsItsContents() throws {
        let directory = TemporaryDirectory()
        do {
            let outbox = try Outbox(directory: directory.path, compactionThreshold: 4096)
            try outbox.saveTrigger(trigger)
            var peak = 0
            for index in 0..<200 {
                let added = try outbox.enqueue([samplePayload(key: Int64(index % 5), mz: UInt64(index))])
                try outbox.markDelivered(try #require(added.first).payload.eventID)
                peak = max(peak, outbox.logSize)
            }
            try outbox.enqueue([samplePayload(key: 42, mz: 1000)])
            #expect(peak < 12_000)  // without compaction it would be ~60 kB
        }
        let outbox = try Outbox(directory: directory.path)
        #expect(outbox.triggers == [trigger])
        #expect(outbox.pending().map(\.payload.keyText) == ["[42]"])
        #expect(outbox.matchingKeys(trigger.id) == ["[0]", "[1]", "[2]", "[3]", "[4]", "[42]"])
        #expect(outbox.checkpoint(trigger.id) == 1000)
    }

    @Test func snapshotRebuildsTheSameState() {
        var state = OutboxState()
        let records: [OutboxRecord] = [
            .trigger(trigger), .matching(trigger.id, ["[9]"]), .enqueued(samplePayload(key: 1, mz: 3)),
            .enqueued(samplePayload(key: 2, mz: 4)), .attempted(eventID: samplePayload(key: 2, mz: 4).eventID, attempts: 2),
            .enqueued(samplePayload(key: 9, type: .clear, mz: 5)),
            .deadLettered(eventID: samplePayload(key: 1, mz: 3).eventID, reason: "gone", atMillis: 7), .checkpoint(trigger.id, 8),
        ]
        for record in records { state.apply(record) }
        var rebuilt = OutboxState()
        for record in state.snapshot() { rebuilt.apply(record) }
        #expect(rebuilt.triggers == state.triggers)
        #expect(rebuilt.dead == state.dead)
        #expect(rebuilt.pendingInOrder().map(\.payload) == state.pendingInOrder().map(\.payload))
        #expect(rebuilt.pendingInOrder().map(\.attempts) == [2, 0])
        #expect(rebuilt.matching[trigger.id] == ["[1]", "[2]"])
        #expect(rebuilt.checkpoints == state.checkpoints)
        // Deleting a trigger removes everything of it.
        state.apply(.triggerDeleted(trigger.id))
        #expect(state.pending.isEmpty && state.dead.isEmpty && state.matching.isEmpty && state.triggers.isEmpty)
    }

    @Test func recordsRoundTripAndGarbageIsRefused() {
        let records: [OutboxRecord] = [
            .trigger(trigger), .triggerDeleted(trigger.id), .enqueued(samplePayload(key: 1, mz: 3)),
            .attempted(eventID: "e", attempts: 4), .delivered(eventID: "e"), .deadLettered(eventID: "e", reason: "r", atMillis: -1),
            .revived(eventID: "e"), .discarded(eventID: "e"), .checkpoint(trigger.id, .max), .matching(trigger.id, ["[1]", "[\"a\"]"]),
        ]
        for record in records {
            var writer = ByteWriter()
            record.encode(into: &writer)
            #expect(OutboxRecord.decode(writer.bytes[...]) == record)
            // Every strict prefix is refused, never a crash.
            for cut in 0..<writer.bytes.count {
                #expect(OutboxRecord.decode(writer.bytes[0..<cut]) == nil)
            }
            #expect(OutboxRecord.decode((writer.bytes + [0])[...]) == nil)
        }
        #expect(OutboxRecord.decode([0xEE][...]) == nil)
        #expect(OutboxRecord.decode([10, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF][...]) == nil)
    }
}
