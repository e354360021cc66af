import Foundation
import HTTPTypes
import Hummingbird
import LiveViews
import Logging
import NIOCore
import Testing
@testable import Webhooks

/// What the receiver got and how it answers; scripted per test.
actor Inbox {
    struct Delivery: Sendable {
        var id: String
        var key: String
        var mz: UInt64
        var type: String
        var arrivedAt: ContinuousClock.Instant
    }

    private(set) var deliveries: [Delivery] = []
    private(set) var badSignatures = 0
    private(set) var requests = 0
    /// Statuses for the next requests, in order; then `defaultStatus`.
    var script: [(status: Int, retryAfter: String?)] = []
    var defaultStatus = 200
    /// A delay before answering for a given key (a slow endpoint for that key).
    var delays: [String: Duration] = [:]
    let secret: WebhookSecret

    init(secret: WebhookSecret) { self.secret = secret }

    func setScript(_ script: [(status: Int, retryAfter: String?)]) { self.script = script }
    func setDefault(_ status: Int) { defaultStatus = status }
    func setDelay(_ delay: Duration, forKey key: String) { delays[key] = delay }

    func handle(id: String?, timestamp: String?, signature: String?, body: [UInt8]) -> (Int, String?, Duration?) {
        requests += 1
        do {
            try WebhookSigner.verify(
                id: id ?? "", timestamp: timestamp ?? "", signatureHeader: signature ?? "", body: body, secrets: [secret],
                now: Int64(Date().timeIntervalSince1970))
        } catch {
            badSignatures += 1
            return (401, nil, nil)
        }
        let (status, retryAfter) = script.isEmpty ? (defaultStatus, nil) : script.removeFirst()
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let data = object["data"] as? [String: Any], let key = data["id"] as? Int,
              let mz = (object["mz_timestamp"] as? String).flatMap(UInt64.init), let type = object["event_type"] as? String,
              object["event_id"] as? String == id
        else { return (400, nil, nil) }
        if (200...299).contains(status) {
            deliveries.append(Delivery(id: id ?? "", key: "[\(key)]", mz: mz, type: type, arrivedAt: .now))
        }
        return (status, retryAfter, delays["[\(key)]"])
    }
}

/// A real HTTP receiver on loopback (Hummingbird), checking Standard Webhooks signatures.
struct Receiver {
    let port: Int
    let task: Task<Void, any Error>

    static func start(inbox: Inbox, port: Int = 0) async throws -> Receiver {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let body = Array(buffer.readableBytesView)
            func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { request.headers[$0] } }
            let (status, retryAfter, delay) = await inbox.handle(
                id: header("webhook-id"), timestamp: header("webhook-timestamp"), signature: header("webhook-signature"), body: body)
            if let delay { try await Task.sleep(for: delay) }
            var headers = HTTPFields()
            if let retryAfter, let name = HTTPField.Name("Retry-After") { headers[name] = retryAfter }
            return Response(status: .init(code: status), headers: headers)
        }
        let (bound, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }, logger: logger)
        let task = Task { try await app.run() }
        var iterator = bound.makeAsyncIterator()
        let actual = try #require(await iterator.next())
        return Receiver(port: actual, task: task)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

/// Polls until `condition` holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(10), _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

/// A resolver with fixed answers (DNS rebinding: a public name that now points at loopback).
struct FixedResolver: HostResolver {
    var answers: [String: [IPAddress]]
    func addresses(of host: String, port: Int) async throws -> [IPAddress] {
        guard let answer = answers[host] else { throw WebhooksError(.resolutionFailed, "no answer for \(host)") }
        return answer
    }
}

@Suite struct DelivererTests {
    static let secret = try! WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    let trigger = TriggerID(source: "trades", name: "big")

    func configuration(maxAttempts: Int = 3, scheduled: Int = 4096, egress: EgressPolicy = EgressPolicy(allowLoopback: true))
        -> Deliverer<ContinuousClock>.Configuration {
        Deliverer<ContinuousClock>.Configuration(
            delivery: DeliveryPolicy(timeout: .seconds(5), maxAttempts: maxAttempts, initialBackoff: .milliseconds(20),
                                     maxBackoff: .milliseconds(80), jitter: 0.5),
            egress: egress, maxConcurrentDeliveries: 8, maxConcurrentDeliveriesPerTrigger: 8, maxScheduledPerTrigger: scheduled)
    }

    func makeDeliverer(_ directory: TemporaryDirectory, _ configuration: Deliverer<ContinuousClock>.Configuration,
                       resolver: any HostResolver = SystemHostResolver()) throws -> Deliverer<ContinuousClock> {
        Deliverer(
            outbox: try Outbox(directory: directory.path), configuration: configuration, resolver: resolver, clock: ContinuousClock(),
            wallClockMillis: { Int64(Date().timeIntervalSince1970 * 1000) }, random: { 0.5 })
    }

    func stored(port: Int, host: String = "127.0.0.1") -> StoredTrigger {
        StoredTrigger(id: trigger, webhook: "http://\(host):\(port)/hook", fire: "{}", secret: Self.secret.text, createdAtMillis: 0)
    }

    /// FIRE/CLEAR pairs for `keys`, interleaved across keys, timestamps increasing.
    func transitions(keys: [Int64], rounds: Int) -> [WebhookPayload] {
        var payloads: [WebhookPayload] = []
        var mz: UInt64 = 100
        for _ in 0..<rounds {
            for type in [WebhookPayload.EventType.fire, .clear] {
                for key in keys {
                    mz += 1
                    payloads.append(samplePayload(key: key, type: type, mz: mz))
                }
            }
        }
        return payloads
    }

    func withRunning<T>(_ deliverer: Deliverer<ContinuousClock>, _ body: () async throws -> T) async rethrows -> T {
        let run = Task { await deliverer.run() }
        defer { run.cancel() }
        let result = try await body()
        run.cancel()
        await run.value
        return result
    }

    @Test func everyEventArrivesSignedAndInOrderPerKeyWithoutBlockingOtherKeys() async throws {
        let inbox = Inbox(secret: Self.secret)
        await inbox.setDelay(.milliseconds(40), forKey: "[1]")
        let receiver = try await Receiver.start(inbox: inbox)
        let directory = TemporaryDirectory()
        let deliverer = try makeDeliverer(directory, configuration())
        try await deliverer.createTrigger(stored(port: receiver.port))
        let payloads = transitions(keys: [1, 2, 3], rounds: 4)
        try await withRunning(deliverer) {
            try await deliverer.enqueue(payloads)
            #expect(await eventually { await deliverer.status(of: trigger).delivered == payloads.count })
        }
        await receiver.stop()
        let deliveries = await inbox.deliveries
        #expect(deliveries.count == payloads.count)
        #expect(Set(deliveries.map(\.id)) == Set(payloads.map(\.eventID)))
        #expect(await inbox.badSignatures == 0)
        for key in ["[1]", "[2]", "[3]"] {
            let ofKey = deliveries.filter { $0.key == key }
            #expect(ofKey.map(\.mz) == ofKey.map(\.mz).sorted(), "order of \(key)")
            #expect(ofKey.map(\.type) == Array(repeating: ["FIRE", "CLEAR"], count: 4).flatMap { $0 })
        }
        // The slow key held back only itself: the fast keys were done long before it.
        let lastFast = try #require(deliveries.filter { $0.key != "[1]" }.map(\.arrivedAt).max())
        let lastSlow = try #require(deliveries.filter { $0.key == "[1]" }.map(\.arrivedAt).max())
        #expect(lastFast < lastSlow)
        let status = await deliverer.status(of: trigger)
        #expect(status.delivered == payloads.count)
        #expect(status.pending == 0)
        #expect(status.lastSuccessMillis != nil)
    }

    @Test func retriesOnServerErrors() async throws {
        let inbox = Inbox(secret: Self.secret)
        await inbox.setScript([(500, nil), (502, nil)])
        let receiver = try await Receiver.start(inbox: inbox)
        let directory = TemporaryDirectory()
        let deliverer = try makeDeliverer(directory, configuration())
        try await deliverer.createTrigger(stored(port: receiver.port))
        try await withRunning(deliverer) {
            try await deliverer.enqueue([samplePayload(key: 1, mz: 1)])
            #expect(await eventually { await deliverer.status(of: trigger).delivered == 1 })
        }
        await receiver.stop()
        #expect(await inbox.deliveries.count == 1)
        #expect(await inbox.requests == 3)
        let status = await deliverer.status(of: trigger)
        #expect(status.failedAttempts == 2)
        #expect(status.consecutiveFailures == 0)
        #expect(status.lastError == "HTTP 502")
        #expect(status.delivered == 1)
    }

    @Test func deliversOnceADownReceiverComesBack() async throws {
        let inbox = Inbox(secret: Self.secret)
        let probe = try await Receiver.start(inbox: inbox)
        let port = probe.port
        await probe.stop()
        let directory = TemporaryDirectory()
        let deliverer = try makeDeliverer(directory, configuration(maxAttempts: 1000))
        try await deliverer.createTrigger(stored(port: port))
        let payloads = transitions(keys: [1, 2], rounds: 2)
        try await withRunning(deliverer) {
            try await deliverer.enqueue(payloads)
            #expect(await eventually { await deliverer.status(of: trigger).failedAttempts >= 4 })
            let receiver = try await Receiver.start(inbox: inbox, port: port)
            #expect(await eventually { await inbox.deliveries.count == payloads.count })
            await receiver.stop()
        }
        let deliveries = await inbox.deliveries
        for key in ["[1]", "[2]"] {
            #expect(deliveries.filter { $0.key == key }.map(\.type) == ["FIRE", "CLEAR", "FIRE", "CLEAR"])
        }
    }

    @Test func honoursRetryAfter() async throws {
        let inbox = Inbox(secret: Self.secret)
        await inbox.setScript([(429, "1")])
        let receiver = try await Receiver.start(inbox: inbox)
        let directory = TemporaryDirectory()
        let deliverer = try makeDeliverer(directory, configuration())
        try await deliverer.createTrigger(stored(port: receiver.port))
        let started = ContinuousClock.now
        try await withRunning(deliverer) {
            try await deliverer.enqueue([samplePayload(key: 1, mz: 1)])
            #expect(await eventually { await inbox.deliveries.count == 1 })
        }
        await receiver.stop()
        let arrived = try #require(await inbox.deliveries.first).arrivedAt
        // The backoff alone would have retried after 20 ms.
        #expect(arrived - started >= .milliseconds(950))
    }

    @Test func deadLettersAfterTheLimitAndRetriesFromTheList() async throws {
        let inbox = Inbox(secret: Self.secret)
        await inbox.setDefault(500)
        let receiver = try await Receiver.start(inbox: inbox)
        let directory = TemporaryDirectory()
        let deliverer = try makeDeliverer(directory, configuration(maxAttempts: 3))
        try await deliverer.createTrigger(stored(port: receiver.port))
        let payload = samplePayload(key: 1, mz: 1)
        try await withRunning(deliverer) {
            try await deliverer.enqueue([payload])
            #expect(await eventually { deliverer.deadLetters().count == 1 })
            #expect(await inbox.requests == 3)
            let letter = try #require(deliverer.deadLetters(of: trigger).first)
            #expect(letter.payload.eventID == payload.eventID)
            #expect(letter.attempts == 3)
            #expect(letter.reason == "HTTP 500 after 3 attempts")
            #expect(await deliverer.status(of: trigger).deadLetters == 1)
            #expect(await deliverer.status(of: trigger).pending == 0)

            await inbox.setDefault(200)
            try await deliverer.retryDeadLetter(payload.eventID)
            #expect(await eventually { await inbox.deliveries.count == 1 })
            #expect(deliverer.deadLetters().isEmpty)
            await #expect(throws: WebhooksError.self) { try await deliverer.retryDeadLetter(payload.eventID) }
            #expect(throws: WebhooksError.self) { try deliverer.discardDeadLetter(payload.eventID) }
        }
        await receiver.stop()
        #expect(await inbox.deliveries.first?.id == payload.eventID)
    }

    @Test func refusesForbiddenURLsAndRebindingHosts() async throws {
        let inbox = Inbox(secret: Self.secret)
        let receiver = try await Receiver.start(inbox: inbox)
        let directory = TemporaryDirectory()
        let loopback = try #require(IPAddress("127.0.0.1"))
        let deliverer = try makeDeliverer(
            directory, configuration(egress: EgressPolicy()), resolver: FixedResolver(answers: ["hooks.example.com": [loopback]]))
        for url in ["http://127.0.0.1:\(receiver.port)/hook", "http://169.254.169.254/latest", "ftp://example.com/", "http://localhost/"] {
            var definition = stored(port: receiver.port)
            definition = StoredTrigger(id: definition.id, webhook: url, fire: "{}", secret: Self.secret.text, createdAtMillis: 0)
            await #expect(throws: WebhooksError.self, "\(url)") { try await deliverer.createTrigger(definition) }
        }
        // A name that looks public at creation but resolves to loopback at delivery.
        try await deliverer.createTrigger(stored(port: receiver.port, host: "hooks.example.com"))
        try await withRunning(deliverer) {
            try await deliverer.enqueue([samplePayload(key: 1, mz: 1)])
            #expect(await eventually { deliverer.deadLetters().count == 1 })
        }
        await receiver.stop()
        #expect(await inbox.requests == 0)
        let letter = try #require(deliverer.deadLetters().first)
        #expect(letter.reason.contains("loopback"))
    }

    @Test func spilledBacklogStillArrivesInOrder() async throws {
        let inbox = Inbox(secret: Self.secret)
        let receiver = try await Receiver.start(inbox: inbox)
        let directory = TemporaryDirectory()
        let deliverer = try makeDeliverer(directory, configuration(scheduled: 2))
        try await deliverer.createTrigger(stored(port: receiver.port))
        let payloads = transitions(keys: [1, 2], rounds: 5)
        try await withRunning(deliverer) {
            for payload in payloads { try await deliverer.enqueue([payload]) }
            #expect(await eventually { await inbox.deliveries.count == payloads.count })
        }
        await receiver.stop()
        let deliveries = await inbox.deliveries
        for key in ["[1]", "[2]"] {
            let ofKey = deliveries.filter { $0.key == key }
            #expect(ofKey.map(\.mz) == payloads.filter { $0.keyText == key }.map(\.mzTimestamp))
        }
    }

    @Test func pendingDeliveriesSurviveARestartWithTheSameIDs() async throws {
        let inbox = Inbox(secret: Self.secret)
        let probe = try await Receiver.start(inbox: inbox)
        let port = probe.port
        await probe.stop()
        let directory = TemporaryDirectory()
        let payloads = transitions(keys: [1, 2], rounds: 1)
        do {
            let deliverer = try makeDeliverer(directory, configuration(maxAttempts: 1000))
            try await deliverer.createTrigger(stored(port: port))
            try await withRunning(deliverer) {
                try await deliverer.enqueue(payloads)
                #expect(await eventually { await deliverer.status(of: trigger).failedAttempts >= 2 })
            }
        }
        // A new process: the same store, the receiver now up.
        let receiver = try await Receiver.start(inbox: inbox, port: port)
        let deliverer = try makeDeliverer(directory, configuration(maxAttempts: 1000))
        #expect(deliverer.outbox.pending().count == payloads.count)
        #expect(deliverer.outbox.matchingKeys(trigger).isEmpty)
        #expect(deliverer.outbox.checkpoint(trigger) == payloads.map(\.mzTimestamp).max())
        // Catching up replays a transition still pending: it is not enqueued twice.
        try await deliverer.enqueue([payloads[0]])
        #expect(deliverer.outbox.pending().count == payloads.count)
        try await withRunning(deliverer) {
            #expect(await eventually { await inbox.deliveries.count == payloads.count })
            try await Task.sleep(for: .milliseconds(50))
        }
        await receiver.stop()
        #expect(await inbox.deliveries.map(\.id).sorted() == payloads.map(\.eventID).sorted())
    }

    @Test func triggerEventsFromASourceCacheArriveAsTypedPayloads() async throws {
        let schema = try SourceSchema(
            name: "trades", columns: [.init(name: "id", type: .integer), .init(name: "qty", type: .integer), .init(name: "symbol", type: .string)],
            primaryKey: ["id"])
        let cache = SourceCache(schema: schema)
        let subscription = try await cache.createTrigger(fire: try Filter(.object(["qty": .object(["_gt": .int(10)])]), schema: schema))
        try await cache.apply(SourceBatch(timestamp: 7, changes: [.upsert([.integer(1), .integer(50), .string("AAPL")])]))
        try await cache.apply(SourceBatch(timestamp: 8, changes: [.upsert([.integer(1), .integer(5), .string("AAPL")])]))
        var events: [TriggerEvent] = []
        for try await event in subscription {
            events.append(event)
            if events.count == 2 { break }
        }

        let inbox = Inbox(secret: Self.secret)
        let receiver = try await Receiver.start(inbox: inbox)
        let directory = TemporaryDirectory()
        let deliverer = try makeDeliverer(directory, configuration())
        try await deliverer.createTrigger(stored(port: receiver.port))
        let ids = try await deliverer.enqueue(events, for: trigger)
        #expect(deliverer.outbox.checkpoint(trigger) == 8)
        #expect(deliverer.outbox.matchingKeys(trigger).isEmpty)
        await withRunning(deliverer) {
            #expect(await eventually { await deliverer.status(of: trigger).delivered == 2 })
        }
        await receiver.stop()
        let deliveries = await inbox.deliveries
        #expect(deliveries.map(\.id) == ids)
        #expect(deliveries.map(\.type) == ["FIRE", "CLEAR"])
        #expect(deliveries.map(\.mz) == [7, 8])
        #expect(ids[0] == WebhookPayload.eventID(source: "trades", trigger: "big", keyText: "[1]", mzTimestamp: 7, eventType: .fire))
    }

    /// A trigger deleted and created again under the same name gets nothing computed for the old
    /// definition: the old trigger's task may still be finishing a batch when the new one exists.
    @Test func workForAReplacedDefinitionIsRefused() async throws {
        let directory = TemporaryDirectory()
        let deliverer = try makeDeliverer(directory, configuration())
        let old = stored(port: 9)
        try await deliverer.createTrigger(old)
        try await deliverer.deleteTrigger(trigger)
        var new = old
        new.fire = #"{"qty":{"_gt":99}}"#
        new.createdAtMillis = 1
        try await deliverer.createTrigger(new)
        let payload = samplePayload(key: 1, mz: 1)
        await #expect(throws: WebhooksError.self) {
            try await deliverer.resume(trigger, enqueue: [payload], matchingKeys: ["[1]"], checkpoint: 1, definedAs: old)
        }
        #expect(deliverer.outbox.pending().isEmpty)
        #expect(deliverer.outbox.matchingKeys(trigger).isEmpty)
        #expect(deliverer.outbox.checkpoint(trigger) == nil)
        // The current definition is accepted; so is a caller that does not say which it used.
        try await deliverer.resume(trigger, enqueue: [payload], matchingKeys: ["[1]"], checkpoint: 1, definedAs: new)
        #expect(deliverer.outbox.pending().map(\.payload.eventID) == [payload.eventID])
        #expect(deliverer.outbox.matchingKeys(trigger) == ["[1]"])
        try await deliverer.enqueue([samplePayload(key: 2, mz: 2)])
        #expect(deliverer.outbox.pending().count == 2)
    }
}
