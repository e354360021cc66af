/// Limits and timings of one GraphQL WebSocket connection. The defaults are safe for a public
/// endpoint; each limit says what happens when it is reached.
public struct WSConfiguration: Sendable, Hashable {
    /// The longest text message accepted, in UTF-8 bytes. Longer: close 1009 (RFC 6455 "message
    /// too big"), on both protocols. Drivers should also cap WebSocket frame size at about this.
    public var maximumMessageSize: Int
    /// How many operations may be active at once on one connection. A `subscribe`/`start` over
    /// the limit gets an error for that operation only; the connection and its other operations
    /// stay up (closing would punish a well-behaved page that opens one subscription too many).
    public var maximumActiveOperations: Int
    /// How long after the socket opens connection_init must arrive; then close 4408.
    public var connectionInitTimeout: Duration
    /// Legacy protocol: how often to send `ka`; `nil` sends none. Apollo's client drops the
    /// connection after 30 s without one, so keep this well below.
    public var keepAliveInterval: Duration?
    /// How deeply a client message's JSON may nest (variables included). Deeper: the message is
    /// invalid.
    public var maximumNestingDepth: Int

    public init(
        maximumMessageSize: Int = 256 * 1024,
        maximumActiveOperations: Int = 100,
        connectionInitTimeout: Duration = .seconds(10),
        keepAliveInterval: Duration? = .seconds(10),
        maximumNestingDepth: Int = 64
    ) {
        self.maximumMessageSize = maximumMessageSize
        self.maximumActiveOperations = maximumActiveOperations
        self.connectionInitTimeout = connectionInitTimeout
        self.keepAliveInterval = keepAliveInterval
        self.maximumNestingDepth = maximumNestingDepth
    }
}
