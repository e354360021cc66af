import Foundation
import GraphQLAPI
import LiveViews
import Logging
import Testing
import Webhooks
@testable import Server

/// The trigger manager over a real `SourceCache` and a real outbox on disk. Webhooks point at
/// a closed loopback port with a long backoff, so deliveries stay pending and the outbox shows
/// exactly what was enqueued (delivery itself is tested in WebhooksTests and end to end).
@Suite struct TriggerManagerTests {
    static let schema = """
        sources:
          scores:
            primary_key: id
            columns:
              id: Integer
              score: Integer
              active: Boolean
        """
    static let hook = "http://127.0.0.1:9/hook"

    struct Hub: TriggerHub {
        let cache: SourceCache
        func startTrigger(source: String, fire: Filter, clear: Filter?, options: TriggerOptions, resume: TriggerResume?)
            async throws(LiveViewsError) -> TriggerStart {
            try await cache.loaded()
            return try await cache.startTrigger(fire: fire, clear: clear, options: options, resume: resume)
        }
    }

    let directory = NSTemporaryDirectory() + "trigger-manager-tests-" + UUID().uuidString
    let api: APISchema

    init() throws {
        api = try APISchema(file: SchemaFile(yaml: Self.schema))
    }

    var source: SourceDefinition { api.file.sources[0] }

    func row(_ id: Int64, _ score: Int64, active: Bool = true) -> [Value] { [.integer(id), .integer(score), .bool(active)] }

    func cache(_ rows: [[Value]], at timestamp: UInt64) async throws -> SourceCache {
        let cache = SourceCache(schema: source.schema)
        try await cache.reset(to: SourceSnapshot(timestamp: timestamp, rows: rows))
        return cache
    }

    /// Runs a manager over `cache` and the store for the duration of `body`, then stops it
    /// (as a graceful shutdown does) and lets go of the store.
    func withManager<T: Sendable>(
        _ cache: SourceCache, _ body: @Sendable (TriggerManager, Outbox) async throws -> T
    ) async throws -> T {
        let outbox = try Outbox(directory: directory)
        var delivery = DeliveryPolicy()
        delivery.initialBackoff = .seconds(600)
        delivery.maxBackoff = .seconds(600)
        delivery.jitter = 0
        let deliverer = Deliverer<ContinuousClock>(
            outbox: outbox, configuration: .init(delivery: delivery, egress: EgressPolicy(allowLoopback: true)))
        var logger = Logger(label: "TriggerManagerTests")
        logger.logLevel = .critical
        let manager = TriggerManager(hub: Hub(cache: cache), sources: api.file.sources, deliverer: deliverer, logger: logger)
        let running = Task { await manager.run() }
        defer { running.cancel() }
        let result = try await body(manager, outbox)
        running.cancel()
        await running.value
        return result
    }

    func hysteresis(_ name: String = "hot") -> TriggerDefinition {
        TriggerDefinition(
            name: name, webhook: Self.hook,
            fire: .object(["score": .object(["_gte": .int(100)])]),
            clear: .object(["_and": .list([.object(["score": .object(["_lt": .int(90)])]), .object(["active": .object(["_eq": .bool(false)])])])]))
    }

    static func pending(_ outbox: Outbox) -> [(type: String, key: String, body: String)] {
        outbox.pending().map { ($0.payload.eventType.rawValue, $0.payload.keyText, String(decoding: $0.payload.body, as: UTF8.self)) }
    }

    @Test func createRejectsBadInputClearly() async throws {
        let cache = try await cache([], at: 1)
        try await withManager(cache) { manager, _ in
            func message(_ definition: TriggerDefinition) async -> String {
                do {
                    _ = try await manager.createTrigger(source: source, definition)
                    return "accepted"
                } catch {
                    return "\(error)"
                }
            }
            var bad = hysteresis("")
            #expect(await message(bad).contains("trigger name"))
            bad = hysteresis()
            bad.fire = .object(["nope": .object(["_eq": .int(1)])])
            #expect(await message(bad).contains("nope"))
            bad = hysteresis()
            bad.webhook = "ftp://example.com/hook"
            #expect(await message(bad).contains("http"))
            bad = hysteresis()
            bad.secret = "whsec_!!"
            #expect(await message(bad) != "accepted")
            #expect(await message(hysteresis()) == "accepted")
            #expect(await message(hysteresis()).contains("already exists"))
            let names = try await manager.listTriggers(source: source).map(\.name)
            #expect(names == ["hot"])
        }
    }

    @Test func transitionsAreEnqueuedDurablyWithTheirMatchingKeys() async throws {
        let cache = try await cache([row(1, 50), row(2, 120)], at: 1)
        try await withManager(cache) { manager, outbox in
            _ = try await manager.createTrigger(source: source, hysteresis())
            let id = TriggerID(source: "scores", name: "hot")
            // Row 2 already matched at creation: it is matching, silently.
            #expect(await eventually { outbox.checkpoint(id) == 1 })
            #expect(outbox.matchingKeys(id) == ["[2]"])
            try await cache.apply(SourceBatch(timestamp: 2, changes: [.upsert(row(1, 100))]))
            try await cache.apply(SourceBatch(timestamp: 3, changes: [.upsert(row(2, 80, active: true))]))  // clear needs active = false
            try await cache.apply(SourceBatch(timestamp: 4, changes: [.upsert(row(2, 80, active: false))]))
            #expect(await eventually { Self.pending(outbox).count == 2 })
            #expect(Self.pending(outbox).map { "\($0.type) \($0.key)" } == ["FIRE [1]", "CLEAR [2]"])
            #expect(outbox.matchingKeys(id) == ["[1]"])
            #expect(outbox.checkpoint(id) == 4)
            let listed = try #require(try await manager.trigger(source: source, name: "hot"))
            #expect(listed.status?.pending == 2)
            #expect(listed.clear != nil && listed.signed == false)
        }
    }

    @Test func aRestartCatchesUpOnWhatChangedWhileDown() async throws {
        let before = try await cache([row(1, 150), row(2, 150), row(3, 10), row(5, 150)], at: 10)
        try await withManager(before) { manager, outbox in
            _ = try await manager.createTrigger(source: source, hysteresis())
            #expect(await eventually { outbox.matchingKeys(TriggerID(source: "scores", name: "hot")) == ["[1]", "[2]", "[5]"] })
        }
        // Meanwhile: row 1 deleted, row 2 cleared, row 3 newly matching, row 5 in the
        // hysteresis band (still matching), row 4 new and not matching.
        let after = try await cache([row(2, 50, active: false), row(3, 200), row(4, 5), row(5, 95)], at: 20)
        let firstIDs = try await withManager(after) { manager, outbox in
            #expect(await eventually { Self.pending(outbox).count == 3 })
            let pending = Self.pending(outbox)
            #expect(Set(pending.map { "\($0.type) \($0.key)" }) == ["CLEAR [1]", "CLEAR [2]", "FIRE [3]"])
            let vanished = try #require(pending.first { $0.key == "[1]" })
            #expect(vanished.body.contains(#""data":{"id":1}"#))
            #expect(vanished.body.contains(#""mz_timestamp":"20""#))
            let cleared = try #require(pending.first { $0.key == "[2]" })
            #expect(cleared.body.contains(#""data":{"id":2,"score":50,"active":false}"#))
            #expect(outbox.matchingKeys(TriggerID(source: "scores", name: "hot")) == ["[3]", "[5]"])
            let names = try await manager.listTriggers(source: source).map(\.name)
            #expect(names == ["hot"])
            return Set(outbox.pending().map(\.payload.eventID))
        }
        // Another restart with nothing changed: nothing new, the pending ones unchanged.
        let again = try await cache([row(2, 50, active: false), row(3, 200), row(4, 5), row(5, 95)], at: 30)
        try await withManager(again) { _, outbox in
            #expect(await eventually { outbox.checkpoint(TriggerID(source: "scores", name: "hot")) == 30 })
            #expect(Set(outbox.pending().map(\.payload.eventID)) == firstIDs)
        }
    }

    @Test func deletingATriggerDropsItsPendingDeliveriesAndStopsIt() async throws {
        let cache = try await cache([row(1, 10)], at: 1)
        try await withManager(cache) { manager, outbox in
            _ = try await manager.createTrigger(source: source, hysteresis())
            #expect(await eventually { outbox.checkpoint(TriggerID(source: "scores", name: "hot")) != nil })
            try await cache.apply(SourceBatch(timestamp: 2, changes: [.upsert(row(1, 100))]))
            #expect(await eventually { outbox.pending().count == 1 })
            let deleted = try await manager.deleteTrigger(source: source, name: "hot")
            #expect(deleted.status?.pending == 1)
            #expect(outbox.pending().isEmpty && outbox.triggers.isEmpty)
            try await cache.apply(SourceBatch(timestamp: 3, changes: [.upsert(row(2, 100))]))
            try await Task.sleep(for: .milliseconds(50))
            #expect(outbox.pending().isEmpty)
            await #expect(throws: ServerError.self) { try await manager.deleteTrigger(source: source, name: "hot") }
        }
    }
}

/// Polls until `condition` holds or `timeout` passes.
private func eventually(timeout: Duration = .seconds(10), _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}
