import GraphQL

/// What a protocol machine asks its driver to do, in the order given.
///
/// The machines (``TransportWSProtocol``, ``LegacyWSProtocol``) do no I/O: the driver performs
/// these actions on the socket, the operation tasks and its timers, then reports back with the
/// machine's event methods.
public enum WSAction: Sendable, Equatable {
    /// Send one text frame holding these UTF-8 bytes (a complete JSON message).
    case sendText([UInt8])
    /// Send a close frame and stop reading. The reason fits a close frame (≤ 123 bytes).
    /// Every operation still active was already listed as a ``stopOperation(id:)`` before it.
    case close(code: WSCloseCode, reason: String)
    /// Run the server's connection_init hook with the client's payload (`nil` when absent or
    /// `null`), then call `connectionAccepted(ackPayload:)` or `connectionRejected(message:)`.
    case authorize(payload: Map?)
    /// Start executing this operation; report results with `operationEmitted`,
    /// `operationFailed` and `operationCompleted` under the same id.
    case startOperation(id: String, request: OperationRequest)
    /// Stop the operation (cancel its task). From now on the driver must not report events of
    /// that operation: an id may be reused by the client for a new operation at once.
    case stopOperation(id: String)
    /// Arm (or re-arm) the one-shot timer of this kind; call `timerFired` when it fires.
    case armTimer(WSTimer, Duration)
    /// Disarm the timer of this kind; a late `timerFired` for it is ignored anyway.
    case cancelTimer(WSTimer)

    /// What to do when ``Subprotocol/negotiate(_:)`` finds nothing acceptable and the driver
    /// accepted the upgrade anyway (what graphql-ws does, so that browsers see a reason rather
    /// than an opaque 1006).
    public static let subprotocolNotAcceptable = WSAction.close(
        code: .subprotocolNotAcceptable, reason: "Subprotocol not acceptable")
}

/// What the hot path asks for when an operation emits a pre-encoded payload.
public enum EmitAction: Sendable, Equatable {
    /// Send this frame as one text message.
    case send(OperationFrame)
    /// The operation is no longer active (completed, failed, stopped by the client, or the
    /// connection closed): drop the payload. This is how "no Next after Complete" holds.
    case drop
}

/// The timers a protocol machine needs; the driver owns the clock.
public enum WSTimer: Sendable, Hashable {
    /// connection_init must arrive before this fires (graphql-ws `connectionInitWaitTimeout`).
    case connectionInit
    /// Legacy protocol only: send the next `ka` keep-alive message when this fires.
    case keepAlive
}
