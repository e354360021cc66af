import AsyncHTTPClient
import Foundation
import LiveViews
import Logging
import NIOCore
import NIOHTTP1

/// Delivery counters of one trigger (upstream's "list trigger state").
public struct DeliveryStatus: Sendable, Hashable {
    /// Deliveries waiting in the outbox, in flight or retrying.
    public var pending: Int
    public var deadLetters: Int
    public var delivered: Int
    /// Failed attempts (each retry counts).
    public var failedAttempts: Int
    /// Failed attempts since the last success.
    public var consecutiveFailures: Int
    public var lastSuccessMillis: Int64?
    public var lastFailureMillis: Int64?
    public var lastError: String?

    public init() {
        pending = 0
        deadLetters = 0
        delivered = 0
        failedAttempts = 0
        consecutiveFailures = 0
    }
}

/// Delivers webhook triggers: takes trigger events, makes them durable in the ``Outbox``, and
/// POSTs them signed (``WebhookSigner``) with retries (``DeliveryPolicy``) to URLs the
/// ``EgressPolicy`` allows, checking the host's addresses again at each attempt.
///
/// ``enqueue(_:for:)`` returns once the deliveries are durable; it never waits for a receiver.
/// ``run()`` does the sending until its task is cancelled; deliveries in flight then stay in the
/// outbox and are sent again after a restart (at-least-once; receivers deduplicate by
/// `webhook-id`, which is the deterministic `event_id`).
///
/// Time and randomness are injected: `clock` for backoff waits, `wallClockMillis` for payload and
/// signature timestamps, `random` for jitter.
public actor Deliverer<C: Clock> where C.Duration == Duration {
    public struct Configuration: Sendable {
        public var delivery: DeliveryPolicy
        public var egress: EgressPolicy
        /// Attempts in flight at once, in all.
        public var maxConcurrentDeliveries: Int
        /// Attempts in flight at once for one trigger.
        public var maxConcurrentDeliveriesPerTrigger: Int
        /// Deliveries of one trigger held in memory; the rest wait in the outbox only.
        public var maxScheduledPerTrigger: Int
        public var userAgent: String

        public init(
            delivery: DeliveryPolicy = DeliveryPolicy(), egress: EgressPolicy = EgressPolicy(),
            maxConcurrentDeliveries: Int = 64, maxConcurrentDeliveriesPerTrigger: Int = 16,
            maxScheduledPerTrigger: Int = 4096, userAgent: String = "tycostream-webhooks/1"
        ) {
            self.delivery = delivery
            self.egress = egress
            self.maxConcurrentDeliveries = maxConcurrentDeliveries
            self.maxConcurrentDeliveriesPerTrigger = maxConcurrentDeliveriesPerTrigger
            self.maxScheduledPerTrigger = maxScheduledPerTrigger
            self.userAgent = userAgent
        }
    }

    public nonisolated let outbox: Outbox
    private let configuration: Configuration
    private let resolver: any HostResolver
    private let clock: C
    private let wallClockMillis: @Sendable () -> Int64
    private let random: @Sendable () -> Double
    private let logger: Logger
    private let observer: (any DeliveryObserver)?
    private var scheduler: DeliveryScheduler<C.Instant>
    private var statuses: [TriggerID: DeliveryStatus] = [:]
    private var signers: [TriggerID: (secret: String, signer: WebhookSigner)] = [:]
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private var timerDeadline: C.Instant?

    public init(
        outbox: Outbox, configuration: Configuration = Configuration(), resolver: any HostResolver = SystemHostResolver(),
        clock: C, wallClockMillis: @escaping @Sendable () -> Int64, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        logger: Logger = Logger(label: "tycostream.webhooks"), observer: (any DeliveryObserver)? = nil
    ) {
        self.outbox = outbox
        self.configuration = configuration
        self.resolver = resolver
        self.clock = clock
        self.wallClockMillis = wallClockMillis
        self.random = random
        self.logger = logger
        self.observer = observer
        scheduler = DeliveryScheduler(
            maxInFlight: configuration.maxConcurrentDeliveries,
            maxInFlightPerTrigger: configuration.maxConcurrentDeliveriesPerTrigger,
            maxScheduledPerTrigger: configuration.maxScheduledPerTrigger)
        // One pending wake-up is enough: the loop looks at everything when it wakes.
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wakeups = stream
        wake = continuation
        // Deliveries left by a previous run are loaded when `run()` starts.
        for trigger in outbox.triggers { scheduler.markSpilled(trigger.id) }
        let counts = outbox.counts
        observer?.backlog(pending: counts.pending, deadLetters: counts.deadLetters)
    }

    /// Tells the observer what the outbox holds now.
    private nonisolated func reportBacklog() {
        guard let observer else { return }
        let counts = outbox.counts
        observer.backlog(pending: counts.pending, deadLetters: counts.deadLetters)
    }

    /// Schedules deliveries the outbox just accepted, and tells the observer.
    private func schedule(_ added: [PendingDelivery]) {
        guard !added.isEmpty else { return }
        var perTrigger: [TriggerID: Int] = [:]
        for delivery in added {
            scheduler.add(eventID: delivery.payload.eventID, trigger: delivery.trigger, key: delivery.payload.keyText)
            perTrigger[delivery.trigger, default: 0] += 1
        }
        if let observer {
            for (trigger, count) in perTrigger { observer.enqueued(trigger: trigger, count: count) }
        }
        reportBacklog()
        wake.yield()
    }

    // MARK: Triggers

    /// Validates and stores a trigger (URL against the egress policy, secret format).
    ///
    /// - Throws: ``WebhooksError`` `duplicateTrigger`, `invalidURL`, `egressRefused`, `invalidSecret`, `storage`.
    public func createTrigger(_ trigger: StoredTrigger, matchingKeys: Set<String> = [], checkpoint: UInt64? = nil)
        throws(WebhooksError) {
        guard outbox.trigger(trigger.id) == nil else {
            throw WebhooksError(.duplicateTrigger, "trigger '\(trigger.id.name)' already exists on source '\(trigger.id.source)'")
        }
        _ = try configuration.egress.validate(trigger.webhook)
        // No secret: deliveries go unsigned (still with `webhook-id` and `webhook-timestamp`).
        if !trigger.secret.isEmpty { _ = try WebhookSecret(trigger.secret) }
        try outbox.saveTrigger(trigger, matchingKeys: matchingKeys, checkpoint: checkpoint)
    }

    /// Deletes a trigger with everything it still had to deliver.
    public func deleteTrigger(_ id: TriggerID) throws(WebhooksError) {
        try outbox.deleteTrigger(id)
        scheduler.remove(id)
        statuses[id] = nil
        signers[id] = nil
        reportBacklog()
    }

    // MARK: Events

    /// Makes the trigger's events durable (one fsync) and schedules them; returns their event ids.
    ///
    /// - Parameter expected: the definition the events were computed with. When given, the
    ///   events are refused (`unknownTrigger`) unless the stored trigger is still exactly that
    ///   one: a trigger deleted and created again under the same name must not receive what the
    ///   old one's filter produced while it was being stopped.
    @discardableResult
    public func enqueue(_ events: [TriggerEvent], for trigger: TriggerID, definedAs expected: StoredTrigger? = nil)
        throws(WebhooksError) -> [String] {
        try check(trigger, definedAs: expected)
        let now = wallClockMillis()
        let payloads = events.map { WebhookPayload(source: trigger.source, trigger: trigger.name, event: $0, createdAtMillis: now) }
        try enqueue(payloads)
        return payloads.map(\.eventID)
    }

    /// Makes payloads durable (one fsync) and schedules them.
    public func enqueue(_ payloads: [WebhookPayload]) throws(WebhooksError) {
        for payload in payloads {
            let id = TriggerID(source: payload.source, name: payload.triggerName)
            guard outbox.trigger(id) != nil else {
                throw WebhooksError(.unknownTrigger, "no trigger '\(id.name)' on source '\(id.source)'")
            }
        }
        schedule(try outbox.enqueue(payloads))
    }

    /// Attaches (or re-attaches) a trigger's state after priming: enqueues its catch-up
    /// deliveries and records its matching keys and checkpoint in one durable write
    /// (``Outbox/resume(_:enqueue:matchingKeys:checkpoint:)``), then schedules the deliveries.
    ///
    /// - Parameter expected: as in ``enqueue(_:for:definedAs:)``.
    public func resume(
        _ id: TriggerID, enqueue payloads: [WebhookPayload], matchingKeys: Set<String>, checkpoint: UInt64,
        definedAs expected: StoredTrigger? = nil
    ) throws(WebhooksError) {
        try check(id, definedAs: expected)
        schedule(try outbox.resume(id, enqueue: payloads, matchingKeys: matchingKeys, checkpoint: checkpoint))
    }

    /// Refuses work computed for a definition that is no longer the stored one. Checked on the
    /// actor, which alone creates and deletes triggers, so nothing changes between this and the write.
    private func check(_ id: TriggerID, definedAs expected: StoredTrigger?) throws(WebhooksError) {
        guard let expected, outbox.trigger(id) != expected else { return }
        throw WebhooksError(.unknownTrigger, "trigger '\(id.name)' on source '\(id.source)' was deleted or replaced")
    }

    // MARK: Status and dead letters

    public func status(of trigger: TriggerID) -> DeliveryStatus {
        var status = statuses[trigger] ?? DeliveryStatus()
        status.pending = outbox.pendingCount(of: trigger)
        status.deadLetters = outbox.deadLetters(of: trigger).count
        return status
    }

    public nonisolated func deadLetters(of trigger: TriggerID? = nil) -> [DeadLetter] { outbox.deadLetters(of: trigger) }

    /// Puts a dead letter back in line (attempts reset), behind what its key has pending.
    public func retryDeadLetter(_ eventID: String) throws(WebhooksError) {
        let delivery = try outbox.reviveDeadLetter(eventID)
        scheduler.add(eventID: eventID, trigger: delivery.trigger, key: delivery.payload.keyText)
        reportBacklog()
        wake.yield()
    }

    /// Drops a dead letter for good.
    public nonisolated func discardDeadLetter(_ eventID: String) throws(WebhooksError) {
        try outbox.discardDeadLetter(eventID)
        reportBacklog()
    }

    // MARK: Sending

    /// Sends deliveries until the calling task is cancelled. Call it once per deliverer (it
    /// consumes the deliverer's single wake-up stream); a service group runs it for the server.
    public func run() async {
        var clientConfiguration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        clientConfiguration.httpVersion = .automatic
        // Our retry policy decides when to try again; a refused connection is one failed attempt.
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        clientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = configuration.maxConcurrentDeliveriesPerTrigger
        clientConfiguration.timeout.connect = .milliseconds(Self.milliseconds(configuration.delivery.timeout))
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration)
        wake.yield()
        await withDiscardingTaskGroup { group in
            for await _ in wakeups {
                refillSpilled()
                scheduler.wake(now: clock.now)
                for start in scheduler.start() {
                    guard let work = prepare(start) else {
                        scheduler.finish(start, .done)
                        continue
                    }
                    group.addTask {
                        let started = ContinuousClock.now
                        let result = await Self.attempt(work, client: client)
                        // Shutting down: the delivery stays pending as it was, not a failed attempt.
                        guard !Task.isCancelled else { return }
                        await self.complete(start, work: work, result: result, duration: ContinuousClock.now - started)
                    }
                }
                armTimer(in: &group)
            }
            group.cancelAll()
        }
        try? await client.shutdown()
    }

    private func refillSpilled() {
        for trigger in scheduler.spilled where scheduler.wantsRefill(trigger) {
            scheduler.refill(trigger, with: outbox.pending(of: trigger))
        }
    }

    /// Starts a sleep for the earliest retry time, unless one already ends sooner.
    private func armTimer(in group: inout DiscardingTaskGroup) {
        guard let next = scheduler.nextWake else { return }
        if let timerDeadline, timerDeadline <= next, timerDeadline > clock.now { return }
        timerDeadline = next
        let clock = clock
        group.addTask {
            try? await clock.sleep(until: next, tolerance: nil)
            await self.timerFired(next)
        }
    }

    private func timerFired(_ deadline: C.Instant) {
        if timerDeadline == deadline { timerDeadline = nil }
        wake.yield()
    }

    struct Work: Sendable {
        var payload: WebhookPayload
        var attempt: Int
        var webhook: String
        /// `nil` for a trigger without a secret.
        var signer: WebhookSigner?
        var egress: EgressPolicy
        var resolver: any HostResolver
        var policy: DeliveryPolicy
        var timestampSeconds: Int64
        var userAgent: String
    }

    private func prepare(_ start: DeliveryScheduler<C.Instant>.Start) -> Work? {
        guard let delivery = outbox.delivery(start.eventID), let trigger = outbox.trigger(delivery.trigger) else { return nil }
        let signer: WebhookSigner?
        if trigger.secret.isEmpty {
            signer = nil
        } else if let cached = signers[trigger.id], cached.secret == trigger.secret {
            signer = cached.signer
        } else {
            guard let secret = try? WebhookSecret(trigger.secret) else { return nil }
            let made = WebhookSigner(secret: secret)
            signers[trigger.id] = (trigger.secret, made)
            signer = made
        }
        return Work(
            payload: delivery.payload, attempt: delivery.attempts + 1, webhook: trigger.webhook, signer: signer,
            egress: configuration.egress, resolver: resolver, policy: configuration.delivery,
            timestampSeconds: wallClockMillis() / 1000, userAgent: configuration.userAgent)
    }

    /// One POST: check the URL and the host's current addresses, sign, send, read the status.
    static func attempt(_ work: Work, client: HTTPClient) async -> DeliveryPolicy.AttemptResult {
        let endpoint: WebhookEndpoint
        let addresses: [IPAddress]
        do {
            endpoint = try work.egress.validate(work.webhook)
            addresses = try await work.resolver.addresses(of: endpoint.host, port: endpoint.port)
        } catch let error as WebhooksError where error.code != .resolutionFailed {
            return .refused(error.message)
        } catch {
            return .transportFailure("cannot resolve '\(work.webhook)': \(error)")
        }
        do throws(WebhooksError) {
            try work.egress.check(host: endpoint.host, addresses: addresses)
        } catch {
            return .refused(error.message)
        }
        var request = HTTPClientRequest(url: endpoint.requestURL(pinnedTo: addresses.first))
        request.method = .POST
        request.headers.add(name: "Host", value: endpoint.hostHeader)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: work.userAgent)
        if let signer = work.signer {
            for header in signer.headers(id: work.payload.eventID, timestamp: work.timestampSeconds, body: work.payload.body) {
                request.headers.add(name: header.name, value: header.value)
            }
        } else {
            request.headers.add(name: WebhookSigner.Header.id, value: work.payload.eventID)
            request.headers.add(name: WebhookSigner.Header.timestamp, value: String(work.timestampSeconds))
        }
        request.body = .bytes(ByteBuffer(bytes: work.payload.body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(milliseconds(work.policy.timeout)))
            _ = try? await response.body.collect(upTo: work.policy.maxResponseBytes)
            return .response(status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"))
        } catch {
            return .transportFailure(String(describing: error))
        }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    private func complete(
        _ start: DeliveryScheduler<C.Instant>.Start, work: Work, result: DeliveryPolicy.AttemptResult, duration: Duration
    ) {
        defer { wake.yield() }
        guard outbox.delivery(start.eventID) != nil else {
            // The trigger was deleted meanwhile.
            scheduler.finish(start, .done)
            return
        }
        let now = wallClockMillis()
        let decision = configuration.delivery.decide(attempt: work.attempt, result: result, nowMillis: now, random: random())
        var status = statuses[start.lane.trigger] ?? DeliveryStatus()
        var outcome: DeliveryOutcome?
        do {
            switch decision {
            case .delivered:
                try outbox.markDelivered(start.eventID)
                status.delivered += 1
                status.consecutiveFailures = 0
                status.lastSuccessMillis = now
                outcome = .delivered
                scheduler.finish(start, .done)
            case .retry(let delay, let reason):
                try outbox.recordAttempts(start.eventID, work.attempt)
                note(failure: reason, at: now, in: &status)
                outcome = .retrying
                scheduler.finish(start, .retry(at: clock.now.advanced(by: delay)))
            case .deadLetter(let reason):
                try outbox.recordAttempts(start.eventID, work.attempt)
                try outbox.markDead(start.eventID, reason: reason, atMillis: now)
                note(failure: reason, at: now, in: &status)
                logger.warning("webhook delivery dead-lettered", metadata: [
                    "trigger": "\(start.lane.trigger)", "event_id": "\(start.eventID)", "reason": "\(reason)",
                ])
                outcome = .deadLettered
                scheduler.finish(start, .done)
            }
        } catch {
            // The outbox could not record the outcome: retry later rather than lose it.
            logger.error("webhook outbox write failed", metadata: ["error": "\(error)"])
            scheduler.finish(start, .retry(at: clock.now.advanced(by: configuration.delivery.initialBackoff)))
        }
        statuses[start.lane.trigger] = status
        // Only outcomes the outbox recorded count: a failed write leaves the delivery as it was.
        if let outcome, let observer {
            let sinceCreated = Duration.milliseconds(max(0, now - work.payload.createdAtMillis))
            observer.attempted(trigger: start.lane.trigger, outcome: outcome, duration: duration, sinceCreated: sinceCreated)
            if outcome != .retrying { reportBacklog() }
        }
    }

    private func note(failure reason: String, at now: Int64, in status: inout DeliveryStatus) {
        status.failedAttempts += 1
        status.consecutiveFailures += 1
        status.lastFailureMillis = now
        status.lastError = reason
    }
}

extension Deliverer where C == ContinuousClock {
    /// A deliverer on the real clocks.
    public init(
        outbox: Outbox, configuration: Configuration = Configuration(), resolver: any HostResolver = SystemHostResolver(),
        logger: Logger = Logger(label: "tycostream.webhooks"), observer: (any DeliveryObserver)? = nil
    ) {
        self.init(
            outbox: outbox, configuration: configuration, resolver: resolver, clock: ContinuousClock(),
            wallClockMillis: { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }, logger: logger,
            observer: observer)
    }
}
