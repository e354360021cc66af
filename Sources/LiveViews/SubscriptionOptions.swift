/// How a subscriber's queue behaves (architecture.md, data flow 5).
public struct SubscriptionOptions: Sendable {
    /// Pending events past which the queue coalesces per key.
    public var capacity: Int
    /// Pending distinct keys (after coalescing) past which the subscriber is ended with
    /// ``LiveViewsError/Code/subscriberOverflow``.
    public var hardLimit: Int
    /// The columns the subscriber carries (its projection); UPDATEs that change none of them
    /// are not queued. `nil` carries every column.
    public var columns: ColumnSet?
    /// At most one message per key per interval: pending events are coalesced and released
    /// together once per interval.
    public var window: CoalescingWindow?

    public init(capacity: Int = 1024, hardLimit: Int = 65_536, columns: ColumnSet? = nil,
                window: CoalescingWindow? = nil) {
        self.capacity = max(1, capacity)
        self.hardLimit = max(self.capacity, hardLimit)
        self.columns = columns
        self.window = window
    }
}

/// A per-subscriber coalescing window: an interval and the clock that measures it
/// (injected, so tests drive time).
public struct CoalescingWindow: Sendable {
    public let interval: Duration
    let sleep: @Sendable (Duration) async throws -> Void

    public init<C: Clock>(_ interval: Duration, clock: C) where C.Duration == Duration {
        self.interval = interval
        self.sleep = { duration in try await clock.sleep(for: duration) }
    }
}

/// How a trigger is created and queued.
public struct TriggerOptions: Sendable {
    /// Fire for rows that already match `fire` when the trigger is created. By default the
    /// trigger is primed from the current rows silently and only later changes fire.
    public var fireForExistingRows: Bool
    /// Pending trigger events past which the trigger's stream is ended (trigger events are
    /// never coalesced: each one is a delivery).
    public var hardLimit: Int

    public init(fireForExistingRows: Bool = false, hardLimit: Int = 65_536) {
        self.fireForExistingRows = fireForExistingRows
        self.hardLimit = max(1, hardLimit)
    }
}
