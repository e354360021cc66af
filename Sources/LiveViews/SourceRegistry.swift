import Synchronization
/// Starts each source on first use (or at startup when configured) and stops it after an
/// idle grace period once nobody uses it.
///
/// `run()` owns every feed task as a child of one task group (no detached tasks); run it in
/// the service group and cancel it to shut down. The clock is injected so tests drive the
/// grace period.
public actor SourceRegistry<Feed: SourceFeed, C: Clock> where C.Duration == Duration {
    private enum Command: Sendable {
        case start(name: String, generation: Int, cache: SourceCache, stop: AsyncStream<Void>)
        case released(name: String, generation: Int)
        case graceExpired(name: String, generation: Int, idleToken: Int)
        case pumpEnded(name: String, generation: Int)
    }

    private struct Running {
        let cache: SourceCache
        let generation: Int
        let stop: AsyncStream<Void>.Continuation
        /// Live subscriptions and triggers, counted here (not asked of the cache) so a
        /// subscription being set up keeps the source alive.
        var leases = 0
        var idleToken = 0
    }

    private let schemas: [String: SourceSchema]
    private let feed: Feed
    private let clock: C
    private let idleGrace: Duration
    private let eager: Set<String>
    private var running: [String: Running] = [:]
    private var generation = 0
    private var stopped = false
    // Unbounded by type, bounded in fact: one element per source start, per ended stream and
    // per idle timer, each of which is bounded by the live sources and streams.
    private let commands: AsyncStream<Command>
    private let commandSink: AsyncStream<Command>.Continuation

    /// - Parameters:
    ///   - eager: sources started when `run()` starts and kept running while idle.
    public init(schemas: [SourceSchema], feed: Feed, clock: C, idleGrace: Duration, eager: Set<String> = []) {
        var byName: [String: SourceSchema] = [:]
        for schema in schemas { byName[schema.name] = schema }
        self.schemas = byName
        self.feed = feed
        self.clock = clock
        self.idleGrace = idleGrace
        self.eager = eager
        (commands, commandSink) = AsyncStream.makeStream(of: Command.self)
    }

    public nonisolated func schema(named name: String) -> SourceSchema? { schemas[name] }

    /// Whether `source` is running now.
    public func isRunning(_ source: String) -> Bool { running[source] != nil }

    /// The status of every source, in name order.
    public func status() async -> [SourceStatus] {
        var result: [SourceStatus] = []
        for name in schemas.keys.sorted() {
            if let cache = running[name]?.cache {
                result.append(SourceStatus(name: name, isRunning: true, timestamp: await cache.timestamp, rowCount: await cache.rowCount))
            } else {
                result.append(SourceStatus(name: name, isRunning: false, timestamp: nil, rowCount: 0))
            }
        }
        return result
    }

    /// Runs the feeds until cancelled; then stops every source (streams end with `.stopped`).
    public func run() async {
        for name in eager.sorted() where schemas[name] != nil { _ = startIfNeeded(name) }
        await withDiscardingTaskGroup { group in
            for await command in commands {
                switch command {
                case .start(let name, let generation, let cache, let stop):
                    let feed = self.feed
                    let sink = commandSink
                    group.addTask {
                        await Self.pump(feed: feed, cache: cache, stop: stop)
                        sink.yield(.pumpEnded(name: name, generation: generation))
                    }
                case .released(let name, let generation):
                    guard var source = running[name], source.generation == generation else { continue }
                    source.leases -= 1
                    if source.leases == 0, !eager.contains(name) {
                        source.idleToken += 1
                        let (clock, grace, sink, token) = (self.clock, idleGrace, commandSink, source.idleToken)
                        group.addTask {
                            try? await clock.sleep(for: grace)
                            sink.yield(.graceExpired(name: name, generation: generation, idleToken: token))
                        }
                    }
                    running[name] = source
                case .graceExpired(let name, let generation, let idleToken):
                    guard let source = running[name], source.generation == generation,
                          source.leases == 0, source.idleToken == idleToken else { continue }
                    await stop(name)
                case .pumpEnded(let name, let generation):
                    if running[name]?.generation == generation { running[name] = nil }
                }
            }
            group.cancelAll()
        }
        stopped = true
        for name in running.keys.sorted() { await stop(name) }
    }

    /// Subscribes to `source`, starting it if needed; see ``SourceCache/subscribe(_:options:)``.
    public func subscribe(source: String, filter: Filter, options: SubscriptionOptions = SubscriptionOptions())
        async throws(LiveViewsError) -> Subscription {
        let (cache, generation) = try lease(source)
        do {
            return try await cache.subscribe(filter, options: options, onEnd: releaseHook(source, generation))
        } catch {
            commandSink.yield(.released(name: source, generation: generation))
            throw error
        }
    }

    /// Creates a trigger on `source`, starting it if needed and waiting for its first batch;
    /// see ``SourceCache/createTrigger(fire:clear:options:)``.
    public func createTrigger(source: String, fire: Filter, clear: Filter? = nil, options: TriggerOptions = TriggerOptions())
        async throws(LiveViewsError) -> TriggerSubscription {
        let start = try await startTrigger(source: source, fire: fire, clear: clear, options: options)
        start.events.sink.pushInitial(start.catchUp)
        return start.events
    }

    /// Attaches a trigger to `source`, starting it if needed, once the source has its first
    /// batch (a trigger primed on an empty cache would take every row for new); see
    /// ``SourceCache/startTrigger(fire:clear:options:resume:)``.
    public func startTrigger(
        source: String, fire: Filter, clear: Filter? = nil, options: TriggerOptions = TriggerOptions(), resume: TriggerResume? = nil
    ) async throws(LiveViewsError) -> TriggerStart {
        let (cache, generation) = try lease(source)
        do {
            try await cache.loaded()
            return try await cache.startTrigger(fire: fire, clear: clear, options: options, resume: resume,
                                                onEnd: releaseHook(source, generation))
        } catch {
            commandSink.yield(.released(name: source, generation: generation))
            throw error
        }
    }

    private func lease(_ source: String) throws(LiveViewsError) -> (SourceCache, Int) {
        guard !stopped else { throw LiveViewsError(.stopped, "the server is shutting down") }
        guard schemas[source] != nil else {
            throw LiveViewsError(.invalidSchema, "no source named '\(source)'; declare it in the schema file")
        }
        let cache = startIfNeeded(source)
        running[source]?.leases += 1
        return (cache, running[source]?.generation ?? 0)
    }

    private nonisolated func releaseHook(_ source: String, _ generation: Int) -> @Sendable () -> Void {
        let sink = commandSink
        return { sink.yield(.released(name: source, generation: generation)) }
    }

    private func startIfNeeded(_ name: String) -> SourceCache {
        if let source = running[name] { return source.cache }
        guard let schema = schemas[name] else { preconditionFailure("callers check the source exists") }
        generation += 1
        let cache = SourceCache(schema: schema)
        let (stop, stopSink) = AsyncStream.makeStream(of: Void.self)
        running[name] = Running(cache: cache, generation: generation, stop: stopSink)
        commandSink.yield(.start(name: name, generation: generation, cache: cache, stop: stop))
        return cache
    }

    private func stop(_ name: String) async {
        guard let source = running.removeValue(forKey: name) else { return }
        source.stop.finish()
        await source.cache.fail(LiveViewsError(.stopped, "source '\(name)' was stopped; subscribe again"))
    }

    /// Feeds `cache` from the feed until the feed ends or fails or `stop` finishes.
    private static func pump(feed: Feed, cache: SourceCache, stop: AsyncStream<Void>) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    let failed = Mutex(false)
                    try await feed.run(cache.schema) { event in
                        switch event {
                        case .batch(let batch): try await cache.apply(batch)
                        case .reset(let snapshot): try await cache.reset(to: snapshot)
                        case .failed(let error):
                            failed.withLock { $0 = true }
                            await cache.fail(error)
                        }
                    }
                    if !Task.isCancelled, !failed.withLock({ $0 }) {
                        await cache.fail(LiveViewsError(.sourceFailed, "the feed of source '\(cache.schema.name)' ended"))
                    }
                } catch {
                    let reason = (error as? LiveViewsError)?.description ?? "\(error)"
                    await cache.fail(LiveViewsError(.sourceFailed, "source '\(cache.schema.name)' failed: \(reason)"))
                }
            }
            group.addTask {
                for await _ in stop {}
            }
            await group.next()
            group.cancelAll()
        }
    }
}
