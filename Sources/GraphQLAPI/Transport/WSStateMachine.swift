import GraphQL

/// The events every GraphQL WebSocket protocol machine takes, so that one generic driver can
/// run either protocol. One machine per connection; the driver calls ``opened()`` first.
///
/// Driver contract: perform the returned actions in order; after a ``WSAction/stopOperation(id:)``
/// or a ``WSAction/close(code:reason:)`` report nothing more for that operation (a client may
/// reuse an id for a new operation as soon as the old one is complete).
public protocol WSStateMachine: Sendable {
    init(configuration: WSConfiguration)

    /// The ids of the operations running now.
    var activeOperationIDs: Set<String> { get }

    /// The socket is open: arms the connection_init timer.
    mutating func opened() -> [WSAction]
    /// A complete text message arrived.
    mutating func received(text: String) -> [WSAction]
    /// A binary message arrived; neither protocol has any.
    mutating func receivedBinary() -> [WSAction]
    /// A timer armed by ``WSAction/armTimer(_:_:)`` fired.
    mutating func timerFired(_ timer: WSTimer) -> [WSAction]
    /// The connection_init hook (``WSAction/authorize(payload:)``) accepted the client.
    mutating func connectionAccepted(ackPayload: Map?) -> [WSAction]
    /// The connection_init hook rejected the client; `message` is shown to the client where
    /// the protocol has a place for it.
    mutating func connectionRejected(message: String) -> [WSAction]
    /// The hot path: an operation produced a result already encoded as `{"data":…}`.
    mutating func operationEmitted(id: String, payload: [UInt8]) -> EmitAction
    /// An operation failed (validation, permissions, a source that went away).
    mutating func operationFailed(id: String, errors: [GraphQLError]) -> [WSAction]
    /// An operation's source ended (a query after its single result, or a subscription).
    mutating func operationCompleted(id: String) -> [WSAction]
    /// The server is shutting down: close 1001 and stop every operation.
    mutating func shutdown() -> [WSAction]
    /// The peer closed the socket or it failed: stop every operation and timer.
    mutating func closedByPeer() -> [WSAction]
}
