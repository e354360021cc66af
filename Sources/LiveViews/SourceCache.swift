import Synchronization

/// The live rows of one source and everything that watches them: its shared views, triggers
/// and their subscribers (architecture.md, data flow 2–5 and 7).
///
/// One actor per source. It applies one batch at a time, turns it into ``RowEvent``s and
/// routes them through the view graph; subscribers are fed through bounded queues and never
/// awaited. Registering a subscriber happens inside the actor, between batches, so a late
/// joiner gets the rows as of the last applied batch plus every later batch: no gap, no
/// duplicate, whatever the interleaving.
public actor SourceCache {
    public nonisolated let schema: SourceSchema
    private var table: SourceTable
    private var graph = ViewGraph()
    private var failure: LiveViewsError?
    /// Streams that ended since the last sweep (bumped from any thread by their end hooks).
    private let endedStreams = EndedCounter()
    /// Callers of ``loaded()`` waiting for the first batch, by id.
    private var loadWaiters: [Int: CheckedContinuation<Result<Void, LiveViewsError>, Never>] = [:]
    private var nextWaiter = 0

    public init(schema: SourceSchema) {
        self.schema = schema
        self.table = SourceTable(schema: schema)
    }

    /// Number of rows.
    public var rowCount: Int { table.count }

    /// The timestamp of the last applied batch or snapshot.
    public var timestamp: UInt64? { table.timestamp }

    /// The current rows (no order).
    public func rows() -> [Row] { table.rows.map { table.row($0) } }

    /// The row with primary key `key` (values in key order).
    public func row(forKey key: [Value]) throws(LiveViewsError) -> Row? { try table.row(forKey: key) }

    /// Applies one batch, all or nothing, and delivers its events.
    ///
    /// - Throws: `.invalidBatch` when a change does not fit the schema (nothing is applied),
    ///   or the failure the source ended with.
    public func apply(_ batch: SourceBatch) throws(LiveViewsError) {
        try checkAlive()
        let events = try table.apply(batch)
        sweepIfNeeded()
        graph.route(events)
        resumeLoadWaiters()
    }

    /// Replaces every row with `snapshot`'s; subscribers receive only the difference, marked
    /// ``ViewEvent/fromReset``.
    public func reset(to snapshot: SourceSnapshot) throws(LiveViewsError) {
        try checkAlive()
        let events = try table.reset(to: snapshot)
        sweepIfNeeded()
        graph.route(events)
        resumeLoadWaiters()
    }

    /// Ends the source: every stream throws `error`, and later calls throw it too.
    public func fail(_ error: LiveViewsError) {
        guard failure == nil else { return }
        failure = error
        graph.finish(error)
        table = SourceTable(schema: schema)
        resumeLoadWaiters()
    }

    /// Subscribes to the rows matching `filter`: the current ones as INSERTs, then live events.
    ///
    /// Subscribers with the same filter (by canonical form) share one view.
    public func subscribe(_ filter: Filter, options: SubscriptionOptions = SubscriptionOptions()) throws(LiveViewsError)
        -> Subscription {
        try subscribe(filter, options: options, onEnd: nil)
    }

    func subscribe(_ filter: Filter, options: SubscriptionOptions, onEnd: (@Sendable () -> Void)?) throws(LiveViewsError)
        -> Subscription {
        try checkAlive()
        sweepIfNeeded()
        let view = graph.view(for: filter, table: table)
        let queue = EventQueue<ViewEvent>(
            capacity: options.capacity, hardLimit: options.hardLimit, alwaysCoalesce: options.window != nil,
            key: { $0.key }, merge: { $0.merged(with: $1) })
        let sink = EventSink(queue: queue, window: options.window)
        let timestamp = table.timestamp ?? 0
        sink.pushInitial(view.currentRows(table).map { ViewEvent(.insert, row: $0, timestamp: timestamp) })
        sink.setOnEnd(endHook(onEnd))
        view.add(View.Subscriber(sink: sink, columns: options.columns))
        return Subscription(sink: sink)
    }

    /// Creates a trigger. Rows already matching `fire` do not fire unless
    /// ``TriggerOptions/fireForExistingRows`` asks for it.
    public func createTrigger(fire: Filter, clear: Filter? = nil, options: TriggerOptions = TriggerOptions())
        throws(LiveViewsError) -> TriggerSubscription {
        try createTrigger(fire: fire, clear: clear, options: options, onEnd: nil)
    }

    func createTrigger(fire: Filter, clear: Filter?, options: TriggerOptions, onEnd: (@Sendable () -> Void)?)
        throws(LiveViewsError) -> TriggerSubscription {
        let start = try startTrigger(fire: fire, clear: clear, options: options, resume: nil, onEnd: onEnd)
        start.events.sink.pushInitial(start.catchUp)
        return start.events
    }

    /// Attaches a trigger and hands back its priming (see ``TriggerStart``) rather than queueing
    /// it: a caller that persists trigger state writes the catch-up and the new matching set
    /// together. Without `resume`, rows already matching `fire` are matching from the start and
    /// fire only with ``TriggerOptions/fireForExistingRows``.
    public func startTrigger(fire: Filter, clear: Filter? = nil, options: TriggerOptions = TriggerOptions(), resume: TriggerResume? = nil)
        throws(LiveViewsError) -> TriggerStart {
        try startTrigger(fire: fire, clear: clear, options: options, resume: resume, onEnd: nil)
    }

    func startTrigger(fire: Filter, clear: Filter?, options: TriggerOptions, resume: TriggerResume?, onEnd: (@Sendable () -> Void)?)
        throws(LiveViewsError) -> TriggerStart {
        try checkAlive()
        sweepIfNeeded()
        let queue = EventQueue<TriggerEvent>(
            capacity: options.hardLimit, hardLimit: options.hardLimit, key: { $0.key }, merge: nil)
        let sink = EventSink(queue: queue, window: nil)
        let trigger = TriggerView(fire: fire, clear: clear, sink: sink)
        let timestamp = table.timestamp ?? 0
        let catchUp: [TriggerEvent]
        let matching: [Row]
        var vanished: Set<String> = []
        if let resume {
            let primed = trigger.resume(table, from: resume)
            catchUp = primed.catchUp.map { TriggerEvent(kind: $0.0, row: $0.1, timestamp: timestamp) }
            matching = primed.matching
            vanished = primed.vanished
        } else {
            matching = trigger.prime(table)
            catchUp = options.fireForExistingRows ? matching.map { TriggerEvent(kind: .fire, row: $0, timestamp: timestamp) } : []
        }
        sink.setOnEnd(endHook(onEnd))
        graph.addTrigger(trigger)
        return TriggerStart(
            events: TriggerSubscription(sink: sink), timestamp: timestamp, catchUp: catchUp, matching: matching, vanished: vanished)
    }

    /// Waits until the source has applied its first batch or snapshot, so that a trigger primes
    /// against real rows rather than an empty cache (which would see every row as new).
    ///
    /// - Throws: the failure the source ended with, or `.stopped` when the task is cancelled.
    public func loaded() async throws(LiveViewsError) {
        try checkAlive()
        if table.timestamp != nil { return }
        let id = nextWaiter
        nextWaiter += 1
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, LiveViewsError>, Never>) in
                loadWaiters[id] = continuation
            }
        } onCancel: {
            Task { await self.resumeWaiter(id, .failure(LiveViewsError(.stopped, "waiting for the source was cancelled"))) }
        }
        try result.get()
    }

    private func resumeWaiter(_ id: Int, _ result: Result<Void, LiveViewsError>) {
        loadWaiters.removeValue(forKey: id)?.resume(returning: result)
    }

    private func resumeLoadWaiters() {
        guard !loadWaiters.isEmpty else { return }
        let result: Result<Void, LiveViewsError> = failure.map { .failure($0) } ?? .success(())
        let waiters = loadWaiters
        loadWaiters = [:]
        for continuation in waiters.values { continuation.resume(returning: result) }
    }

    /// Forgets ended streams and returns how many are still live.
    public func activeStreamCount() -> Int {
        _ = endedStreams.reset()
        return graph.sweep()
    }

    /// Number of distinct views and triggers (identical filters share a view).
    public var viewCount: Int { graph.nodeCount }

    /// How many (event, view) evaluations routing has performed so far.
    var evaluations: Int { graph.handled }

    private func endHook(_ extra: (@Sendable () -> Void)?) -> @Sendable () -> Void {
        let counter = endedStreams
        return {
            counter.bump()
            extra?()
        }
    }

    private func sweepIfNeeded() {
        if endedStreams.reset() { _ = graph.sweep() }
    }

    private func checkAlive() throws(LiveViewsError) {
        if let failure { throw failure }
    }
}

/// Counts streams that ended, from whichever thread ended them.
final class EndedCounter: Sendable {
    private let count = Atomic<Int>(0)

    func bump() { count.add(1, ordering: .relaxed) }

    /// Clears the count; whether it was non-zero.
    func reset() -> Bool { count.exchange(0, ordering: .relaxed) != 0 }
}
