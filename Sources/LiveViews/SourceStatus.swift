/// Where one source stands, for health and readiness reports.
public struct SourceStatus: Sendable, Hashable {
    public let name: String
    public let isRunning: Bool
    /// The timestamp of the last applied batch; `nil` until the snapshot has arrived.
    public let timestamp: UInt64?
    public let rowCount: Int

    public init(name: String, isRunning: Bool, timestamp: UInt64?, rowCount: Int) {
        self.name = name
        self.isRunning = isRunning
        self.timestamp = timestamp
        self.rowCount = rowCount
    }
}
