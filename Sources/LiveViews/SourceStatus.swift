/// Where one source stands, for health and readiness reports.
public struct SourceStatus: Sendable, Hashable {
    public let name: String
    public let isRunning: Bool
    /// The timestamp of the last applied batch; `nil` until the snapshot has arrived.
    public let timestamp: UInt64?
    public let rowCount: Int
    /// Distinct views and triggers the source routes events to (``SourceCache/viewCount``):
    /// subscribers with the same filter share one, so this against the active subscriptions
    /// shows how much sharing saves.
    public let viewCount: Int

    public init(name: String, isRunning: Bool, timestamp: UInt64?, rowCount: Int, viewCount: Int = 0) {
        self.name = name
        self.isRunning = isRunning
        self.timestamp = timestamp
        self.rowCount = rowCount
        self.viewCount = viewCount
    }
}
