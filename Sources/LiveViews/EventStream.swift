import Synchronization

/// The events of one subscription or trigger, consumed as an `AsyncSequence`.
///
/// The source pushes into a bounded queue under a lock and never awaits the consumer, so a
/// slow or failing consumer delays nobody. The sequence ends (`nil`) when the consumer
/// cancels, and throws ``LiveViewsError`` when the source fails or stops
/// (`.sourceFailed`, `.stopped`) or the consumer fell too far behind (`.subscriberOverflow`).
/// Dropping the stream, or the task iterating it being cancelled, unsubscribes.
public final class EventStream<Event: Sendable>: AsyncSequence, Sendable {
    public typealias Element = Event
    public typealias Failure = LiveViewsError

    let sink: EventSink<Event>

    init(sink: EventSink<Event>) {
        self.sink = sink
    }

    deinit {
        sink.cancel()
    }

    /// Ends the subscription; the source forgets it on its next batch.
    public func cancel() {
        sink.cancel()
    }

    /// Whether the stream has ended (cancelled, failed or overflowed).
    public var isEnded: Bool { sink.isEnded }

    /// Waits for the next event, then takes whatever else is already queued, up to `limit`
    /// events in all: a consumer that writes each batch durably pays one write per burst, not
    /// one per event. Ignores a coalescing window. Empty when the stream ended normally.
    public func nextBatch(limit: Int) async throws(LiveViewsError) -> [Event] {
        guard let first = try await sink.next() else { return [] }
        var batch = [first]
        while batch.count < limit, let event = sink.poll() { batch.append(event) }
        return batch
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(stream: self)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let stream: EventStream

        public mutating func next() async throws(LiveViewsError) -> Event? {
            try await stream.sink.next()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(LiveViewsError) -> Event? {
            try await stream.sink.next()
        }
    }
}

/// A view's subscription: the view's current rows as INSERTs, then its live events in order.
public typealias Subscription = EventStream<ViewEvent>

/// A trigger's FIRE and CLEAR events.
public typealias TriggerSubscription = EventStream<TriggerEvent>

/// The shared end of a stream: the source side pushes, the consumer side awaits.
final class EventSink<Event: Sendable>: Sendable {
    private typealias Waiter = CheckedContinuation<Result<Event?, LiveViewsError>, Never>

    private enum End {
        case cancelled
        case failed(LiveViewsError)
        /// The error was delivered; later calls return `nil`.
        case delivered
    }

    private struct State {
        var queue: EventQueue<Event>
        var waiter: Waiter?
        var end: End?
        var onEnd: (@Sendable () -> Void)?
        /// Windowed mode: the released batch, reversed, and whether to wait before the next.
        var ready: [Event] = []
        var mustWait = false
    }

    private let state: Mutex<State>
    private let window: CoalescingWindow?

    init(queue: EventQueue<Event>, window: CoalescingWindow?, onEnd: (@Sendable () -> Void)? = nil) {
        self.state = Mutex(State(queue: queue, onEnd: onEnd))
        self.window = window
    }

    var isEnded: Bool { state.withLock { $0.end != nil } }

    /// Sets the hook called once when the stream ends, for whatever reason.
    func setOnEnd(_ hook: @escaping @Sendable () -> Void) {
        let endedAlready = state.withLock { state -> Bool in
            if state.end != nil { return true }
            state.onEnd = hook
            return false
        }
        if endedAlready { hook() }
    }

    func pushInitial(_ events: [Event]) {
        state.withLock { $0.queue.pushInitial(events) }
    }

    /// Queues `event`; `false` when the stream has ended and should be forgotten.
    @discardableResult
    func push(_ event: Event) -> Bool {
        let (alive, resume, hook) = state.withLock { state -> (Bool, (Waiter, Result<Event?, LiveViewsError>)?, (@Sendable () -> Void)?) in
            guard state.end == nil else { return (false, nil, nil) }
            if state.queue.push(event) == .overflow {
                let error = LiveViewsError(
                    .subscriberOverflow,
                    "the subscriber fell more than \(state.queue.hardLimit) changes behind and was ended; read faster, narrow the filter, or resubscribe")
                return (false, Self.end(&state, .failed(error)), Self.takeHook(&state))
            }
            return (true, Self.release(&state, windowed: window != nil), nil)
        }
        if let (waiter, result) = resume { waiter.resume(returning: result) }
        hook?()
        return alive
    }

    /// Ends the stream from the source side: consumers see `error` after nothing else.
    func finish(_ error: LiveViewsError) {
        let (resume, hook) = state.withLock { state in
            state.end == nil ? (Self.end(&state, .failed(error)), Self.takeHook(&state)) : (nil, nil)
        }
        if let (waiter, result) = resume { waiter.resume(returning: result) }
        hook?()
    }

    /// Ends the stream from the consumer side.
    func cancel() {
        let (resume, hook) = state.withLock { state in
            state.end == nil ? (Self.end(&state, .cancelled), Self.takeHook(&state)) : (nil, nil)
        }
        if let (waiter, result) = resume { waiter.resume(returning: result) }
        hook?()
    }

    private static func takeHook(_ state: inout State) -> (@Sendable () -> Void)? {
        defer { state.onEnd = nil }
        return state.onEnd
    }

    /// Records the end, drops pending events, and hands back a waiting consumer to resume.
    private static func end(_ state: inout State, _ end: End) -> (Waiter, Result<Event?, LiveViewsError>)? {
        state.end = end
        _ = state.queue.popAll()
        state.ready = []
        guard let waiter = state.waiter else { return nil }
        state.waiter = nil
        return (waiter, deliverEnd(&state))
    }

    private static func deliverEnd(_ state: inout State) -> Result<Event?, LiveViewsError> {
        switch state.end {
        case .failed(let error)?:
            state.end = .delivered
            return .failure(error)
        case .cancelled?, .delivered?, nil:
            return .success(nil)
        }
    }

    /// Takes the next event for a waiting consumer, if there is one.
    private static func release(_ state: inout State, windowed: Bool) -> (Waiter, Result<Event?, LiveViewsError>)? {
        guard let waiter = state.waiter, let event = take(&state, windowed: windowed) else { return nil }
        state.waiter = nil
        return (waiter, .success(event))
    }

    private static func take(_ state: inout State, windowed: Bool) -> Event? {
        guard windowed else { return state.queue.pop() }
        if let event = state.ready.popLast() { return event }
        guard !state.mustWait, !state.queue.isEmpty else { return nil }
        state.ready = state.queue.popAll().reversed()
        state.mustWait = true
        return state.ready.popLast()
    }

    /// The next pending event without waiting (ignores a coalescing window); `nil` when none.
    func poll() -> Event? {
        state.withLock { state in state.end == nil ? Self.take(&state, windowed: false) : nil }
    }

    func next() async throws(LiveViewsError) -> Event? {
        if let window {
            let mustWait = state.withLock { $0.ready.isEmpty && $0.mustWait && $0.end == nil }
            if mustWait {
                do {
                    try await window.sleep(window.interval)
                } catch {
                    cancel()
                }
                state.withLock { $0.mustWait = false }
            }
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: Waiter) in
                let immediate = state.withLock { state -> Result<Event?, LiveViewsError>? in
                    if let event = Self.take(&state, windowed: window != nil) { return .success(event) }
                    if state.end != nil { return Self.deliverEnd(&state) }
                    state.waiter = waiter
                    return nil
                }
                if let immediate { waiter.resume(returning: immediate) }
            }
        } onCancel: {
            cancel()
        }
        return try result.get()
    }
}
