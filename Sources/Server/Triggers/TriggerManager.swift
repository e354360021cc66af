import Foundation
import GraphQL
import GraphQLAPI
import LiveViews
import Logging
import Webhooks

/// Runs webhook triggers (architecture.md, data flow 7): serves the trigger operations of the
/// API, keeps every stored trigger attached to its source, and hands its FIRE/CLEAR events to
/// the ``Webhooks/Deliverer``, which makes them durable before anything else happens.
///
/// No transition is lost, whatever stops the trigger (a restart, `kill -9`, the source
/// reconnecting, the trigger's queue overflowing): the outbox keeps the keys the trigger had
/// fired for and not cleared, and each (re-)attach compares them with the current rows
/// (``LiveViews/TriggerResume``). The catch-up events and the new matching set are written
/// in one fsync'd record batch, so a crash at any point repeats nothing and loses nothing;
/// event ids are deterministic, so a delivery retried after a crash carries the same id.
///
/// `run()` owns every trigger's task as a child of one task group, and the deliverer's.
public actor TriggerManager: TriggerService {
    private enum Command: Sendable {
        case start(TriggerID, generation: Int, stop: AsyncStream<Void>)
    }

    private let hub: any TriggerHub
    private let deliverer: Deliverer<ContinuousClock>
    private nonisolated let outbox: Outbox
    private let sources: [String: SourceDefinition]
    private let logger: Logger
    private let reattachDelay: @Sendable (Int) -> Duration
    private var running: [TriggerID: (generation: Int, stop: AsyncStream<Void>.Continuation)] = [:]
    private var generation = 0
    // Unbounded by type, bounded in fact: one element per trigger started.
    private let commands: AsyncStream<Command>
    private let commandSink: AsyncStream<Command>.Continuation

    /// - Parameters:
    ///   - reattachDelay: the wait before attaching a trigger again after its `n`th failure
    ///     in a row (the source failed or stopped, the store could not be written).
    public init(
        hub: any TriggerHub, sources: [SourceDefinition], deliverer: Deliverer<ContinuousClock>, logger: Logger,
        reattachDelay: @escaping @Sendable (Int) -> Duration = { failures in .milliseconds(min(30_000, 250 << min(failures, 7))) }
    ) {
        self.hub = hub
        self.deliverer = deliverer
        self.outbox = deliverer.outbox
        var byName: [String: SourceDefinition] = [:]
        for source in sources { byName[source.schema.name] = source }
        self.sources = byName
        self.logger = logger
        self.reattachDelay = reattachDelay
        (commands, commandSink) = AsyncStream.makeStream(of: Command.self)
    }

    /// Attaches every stored trigger and delivers until cancelled (graceful shutdown).
    /// Deliveries in flight then stay pending in the outbox and go out after a restart.
    public func run() async {
        let stored = outbox.triggers
        if !stored.isEmpty {
            logger.info("restoring \(stored.count) webhook triggers from \(outbox.directory)", metadata: [
                "pending": "\(outbox.pending().count)", "dead_letters": "\(outbox.deadLetters().count)",
            ])
        }
        for trigger in stored { start(trigger.id) }
        let deliverer = self.deliverer
        await withDiscardingTaskGroup { group in
            group.addTask { await deliverer.run() }
            for await command in commands {
                switch command {
                case .start(let id, _, let stop):
                    group.addTask { await self.follow(id, until: stop) }
                }
            }
            group.cancelAll()
        }
    }

    private func start(_ id: TriggerID) {
        generation += 1
        let (stop, stopSink) = AsyncStream.makeStream(of: Void.self)
        running[id]?.stop.finish()
        running[id] = (generation, stopSink)
        commandSink.yield(.start(id, generation: generation, stop: stop))
    }

    private func stop(_ id: TriggerID) {
        running.removeValue(forKey: id)?.stop.finish()
    }

    // MARK: Following one trigger

    /// Keeps `id` attached until `stop` finishes or the task is cancelled, attaching again
    /// after each failure.
    private nonisolated func follow(_ id: TriggerID, until stop: AsyncStream<Void>) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var failures = 0
                while !Task.isCancelled {
                    do {
                        try await self.forward(id) { failures = 0 }
                        return
                    } catch let error as WebhooksError where error.code == .unknownTrigger {
                        // Deleted, or replaced by a new trigger of the same name, which has its own task.
                        return
                    } catch let error as ServerError where error.code == .invalidTrigger {
                        // The stored definition no longer fits the schema: retrying cannot help.
                        self.logger.error("webhook trigger \(id) cannot run: \(error.message)")
                        return
                    } catch {
                        guard !Task.isCancelled else { return }
                        failures += 1
                        let delay = self.reattachDelay(failures)
                        self.logger.warning("webhook trigger \(id) detached: \(error); attaching again in \(delay)")
                        try? await Task.sleep(for: delay)
                    }
                }
            }
            group.addTask {
                for await _ in stop {}
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// One attachment: prime (catching up on what changed since the stored state), make the
    /// catch-up durable, then forward live events until the stream ends. Returns when the
    /// trigger is gone or the task cancelled; throws when the attachment broke.
    private nonisolated func forward(_ id: TriggerID, attached: () -> Void) async throws {
        guard let stored = outbox.trigger(id) else { return }
        guard let source = sources[id.source] else {
            throw ServerError(.invalidTrigger, "source '\(id.source)' is not in the schema file any more")
        }
        let fire = try Self.compile(stored.fire, for: source, field: "fire")
        let clear = try stored.clear.map { text throws(ServerError) in try Self.compile(text, for: source, field: "clear") }
        let checkpoint = outbox.checkpoint(id)
        let resume = checkpoint.map { _ in
            TriggerResume(previouslyMatching: outbox.matchingKeys(id), keyName: { WebhookPayload.keyText($0.keyValues) })
        }
        let start = try await hub.startTrigger(
            source: id.source, fire: fire, clear: clear, options: TriggerOptions(fireForExistingRows: stored.fireForExistingRows),
            resume: resume)
        defer { start.events.cancel() }

        let now = Self.wallClockMillis()
        var payloads = start.catchUp.map { WebhookPayload(source: id.source, trigger: id.name, event: $0, createdAtMillis: now) }
        let keyColumns = source.schema.primaryKey.map { source.schema.columns[$0].name }
        for key in start.vanished.sorted() {
            payloads.append(try WebhookPayload.vanishedClear(
                source: id.source, trigger: id.name, keyColumns: keyColumns, keyText: key, mzTimestamp: start.timestamp,
                createdAtMillis: now))
        }
        let matching = Set(start.matching.map { WebhookPayload.keyText($0.keyValues) })
        try await deliverer.resume(id, enqueue: payloads, matchingKeys: matching, checkpoint: start.timestamp, definedAs: stored)
        attached()
        logger.info("webhook trigger \(id) attached", metadata: [
            "matching": "\(matching.count)", "catch_up_events": "\(payloads.count)", "resumed": "\(checkpoint != nil)",
            "timestamp": "\(start.timestamp)",
        ])

        while true {
            let batch = try await start.events.nextBatch(limit: 4096)
            if batch.isEmpty { return }
            try await deliverer.enqueue(batch, for: id, definedAs: stored)
        }
    }

    /// A stored filter (JSON text, as ``FilterInput/jsonText`` wrote it) compiled for `source`.
    static func compile(_ text: String, for source: SourceDefinition, field: String) throws(ServerError) -> Filter {
        do {
            let map = try JSONDecoder().decode(Map.self, from: Data(text.utf8))
            return try Filter(FilterInput(graphQL: map), schema: source.schema)
        } catch {
            throw ServerError(.invalidTrigger, "the stored '\(field)' filter does not fit source '\(source.schema.name)': \(error)")
        }
    }

    static func wallClockMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    // MARK: TriggerService

    public func listTriggers(source: SourceDefinition) async throws -> [TriggerDefinition] {
        var result: [TriggerDefinition] = []
        for stored in outbox.triggers where stored.id.source == source.schema.name {
            result.append(await view(stored))
        }
        return result
    }

    public func trigger(source: SourceDefinition, name: String) async throws -> TriggerDefinition? {
        guard let stored = outbox.trigger(TriggerID(source: source.schema.name, name: name)) else { return nil }
        return await view(stored)
    }

    /// Longest trigger name accepted.
    static let maximumNameLength = 200

    public func createTrigger(source: SourceDefinition, _ trigger: TriggerDefinition) async throws -> TriggerDefinition {
        let name = trigger.name
        guard !name.isEmpty, name.count <= Self.maximumNameLength,
              !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ServerError(.invalidTrigger, "a trigger name must be 1 to \(Self.maximumNameLength) characters without control characters")
        }
        let id = TriggerID(source: source.schema.name, name: name)
        do {
            _ = try Filter(trigger.fire, schema: source.schema)
            if let clear = trigger.clear { _ = try Filter(clear, schema: source.schema) }
        } catch {
            throw ServerError(.invalidTrigger, "invalid filter for trigger '\(name)': \(error)")
        }
        // The store takes "" for unsigned: an explicit empty secret (an unset variable, say)
        // must not quietly turn signing off.
        if let secret = trigger.secret, secret.isEmpty {
            throw ServerError(.invalidTrigger, "the secret is empty; give a whsec_… secret, or leave the field out for unsigned deliveries")
        }
        let stored = StoredTrigger(
            id: id, webhook: trigger.webhook, fire: trigger.fire.jsonText, clear: trigger.clear?.jsonText,
            secret: trigger.secret ?? "", fireForExistingRows: trigger.fireForExistingRows, createdAtMillis: Self.wallClockMillis())
        do {
            try await deliverer.createTrigger(stored)
        } catch {
            throw Self.serverError(error, trigger: id)
        }
        start(id)
        logger.info("webhook trigger \(id) created", metadata: [
            "webhook": "\(stored.webhook)", "signed": "\(!stored.secret.isEmpty)", "fire_for_existing_rows": "\(stored.fireForExistingRows)",
        ])
        return await view(stored)
    }

    public func deleteTrigger(source: SourceDefinition, name: String) async throws -> TriggerDefinition {
        let id = TriggerID(source: source.schema.name, name: name)
        guard let stored = outbox.trigger(id) else {
            throw ServerError(.unknownTrigger, "no trigger named '\(name)' on source '\(id.source)'")
        }
        let definition = await view(stored)
        stop(id)
        do {
            try await deliverer.deleteTrigger(id)
        } catch {
            throw Self.serverError(error, trigger: id)
        }
        logger.info("webhook trigger \(id) deleted", metadata: ["dropped_pending": "\(definition.status?.pending ?? 0)"])
        return definition
    }

    public func deadLetters(source: String?, trigger: String?) async throws -> [DeadLetterView] {
        outbox.deadLetters()
            .filter { (source == nil || $0.payload.source == source) && (trigger == nil || $0.payload.triggerName == trigger) }
            .map { letter in
                DeadLetterView(
                    eventID: letter.payload.eventID, source: letter.payload.source, triggerName: letter.payload.triggerName,
                    eventType: letter.payload.eventType.rawValue, attempts: letter.attempts, reason: letter.reason,
                    failedAt: ISO8601.timestamp(millis: letter.atMillis), payload: String(decoding: letter.payload.body, as: UTF8.self))
            }
    }

    public func retryDeadLetter(eventID: String) async throws -> Bool {
        do {
            try await deliverer.retryDeadLetter(eventID)
            return true
        } catch where error.code == .unknownDelivery {
            return false
        } catch {
            throw Self.serverError(error, trigger: nil)
        }
    }

    public func discardDeadLetter(eventID: String) async throws -> Bool {
        do {
            try deliverer.discardDeadLetter(eventID)
            return true
        } catch where error.code == .unknownDelivery {
            return false
        } catch {
            throw Self.serverError(error, trigger: nil)
        }
    }

    private func view(_ stored: StoredTrigger) async -> TriggerDefinition {
        let status = await deliverer.status(of: stored.id)
        func input(_ text: String) -> FilterInput {
            (try? JSONDecoder().decode(Map.self, from: Data(text.utf8))).flatMap { try? FilterInput(graphQL: $0) } ?? .string(text)
        }
        return TriggerDefinition(
            name: stored.id.name, webhook: stored.webhook, fire: input(stored.fire), clear: stored.clear.map(input),
            fireForExistingRows: stored.fireForExistingRows, signed: !stored.secret.isEmpty,
            status: TriggerStatus(
                pending: status.pending, delivered: status.delivered, failedAttempts: status.failedAttempts,
                consecutiveFailures: status.consecutiveFailures, deadLetters: status.deadLetters,
                lastSuccess: status.lastSuccessMillis.map(ISO8601.timestamp(millis:)),
                lastFailure: status.lastFailureMillis.map(ISO8601.timestamp(millis:)), lastError: status.lastError))
    }

    private static func serverError(_ error: WebhooksError, trigger: TriggerID?) -> ServerError {
        switch error.code {
        case .duplicateTrigger: ServerError(.duplicateTrigger, error.message)
        case .unknownTrigger: ServerError(.unknownTrigger, error.message)
        case .invalidURL, .egressRefused, .invalidSecret: ServerError(.invalidTrigger, error.message)
        default: ServerError(.triggerStore, "the trigger store failed: \(error.message)")
        }
    }
}
