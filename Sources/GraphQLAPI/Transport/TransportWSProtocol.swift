import GraphQL

/// The server side of graphql-transport-ws for one connection, as a sans-IO state machine
/// (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md).
///
/// Events in, ``WSAction``s out; the driver owns the socket, the timers and the operation tasks.
/// Where the spec leaves a choice, this follows graphql-ws's own server (`makeServer`):
/// - every invalid message (bad JSON, wrong field type, unknown `type`, a server-only type sent
///   by the client, a binary frame) closes 4400 with a short reason;
/// - `Subscribe` is checked for format first, then 4401 before the ack, then 4409 for an id
///   that is still active (queries included: ids are one namespace);
/// - a client `Complete` stops the operation and nothing more is sent for it, not even
///   `Complete`; `Complete` for an unknown id is ignored;
/// - `Ping` is answered with `Pong` in every state, before connection_init too; `Pong` is ignored.
/// Over ``WSConfiguration/maximumActiveOperations`` a `Subscribe` gets an `Error` for its id.
public struct TransportWSProtocol: WSStateMachine {
    enum State {
        /// Created, socket not yet open.
        case idle
        /// Open; the connection_init timer runs.
        case awaitingInit
        /// connection_init received; the driver's hook decides.
        case authorizing
        /// Acknowledged. Each active operation maps to its `next` frame prefix, built once.
        case ready(operations: [String: [UInt8]])
        /// We closed, or the peer did. Every event is ignored.
        case closed
    }

    private(set) var state: State = .idle
    public let configuration: WSConfiguration

    public init(configuration: WSConfiguration = WSConfiguration()) {
        self.configuration = configuration
    }

    /// The ids of the operations currently active, for diagnostics and tests.
    public var activeOperationIDs: Set<String> {
        guard case .ready(let operations) = state else { return [] }
        return Set(operations.keys)
    }

    /// Whether the machine has closed (by either side).
    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    public mutating func opened() -> [WSAction] {
        guard case .idle = state else { preconditionFailure("opened() called twice") }
        state = .awaitingInit
        return [.armTimer(.connectionInit, configuration.connectionInitTimeout)]
    }

    public mutating func received(text: String) -> [WSAction] {
        switch state {
        case .idle: preconditionFailure("received(text:) before opened()")
        case .closed: return []
        case .awaitingInit, .authorizing, .ready: break
        }
        guard text.utf8.count <= configuration.maximumMessageSize else {
            return close(.messageTooBig, "Message too big")
        }
        do throws(GraphQLAPIError) {
            let message = try ClientMessage(parsing: text, maximumDepth: configuration.maximumNestingDepth)
            return try handle(message)
        } catch {
            return close(.badRequest, error.message)
        }
    }

    private mutating func handle(_ message: ClientMessage) throws(GraphQLAPIError) -> [WSAction] {
        switch message.type {
        case "connection_init":
            let payload = try message.optionalObjectPayload()
            guard case .awaitingInit = state else {
                return close(.tooManyInitialisationRequests, "Too many initialisation requests")
            }
            state = .authorizing
            return [.cancelTimer(.connectionInit), .authorize(payload: payload)]

        case "ping":
            _ = try message.optionalObjectPayload()
            return [.sendText(ServerMessage.typeOnly("pong"))]

        case "pong":
            _ = try message.optionalObjectPayload()
            return []

        case "subscribe":
            let id = try message.id()
            let request = try message.operationRequest()
            guard case .ready(var operations) = state else {
                return close(.unauthorized, "Unauthorized")
            }
            guard operations[id] == nil else {
                return close(
                    .subscriberAlreadyExists, "Subscriber for \(id) already exists",
                    fallback: "Subscriber for <id> already exists")
            }
            guard operations.count < configuration.maximumActiveOperations else {
                return [.sendText(ServerMessage.errors(id: id, [Self.tooManyOperations(configuration)]))]
            }
            state = .closed  // keep `operations` uniquely referenced while it changes
            operations[id] = OperationFrame.prefix(id: id, type: .next)
            state = .ready(operations: operations)
            return [.startOperation(id: id, request: request)]

        case "complete":
            let id = try message.id()
            guard removeOperation(id) else { return [] }
            return [.stopOperation(id: id)]

        case "connection_ack", "next", "error":
            return close(.badRequest, "Unexpected message of type \(message.type) received")

        default:
            return close(.badRequest, "Invalid message 'type' property \"\(message.type)\"")
        }
    }

    static func tooManyOperations(_ configuration: WSConfiguration) -> GraphQLError {
        GraphQLError(
            message: "Too many active operations: at most \(configuration.maximumActiveOperations) "
                + "per connection; complete one before starting another")
    }

    public mutating func receivedBinary() -> [WSAction] {
        switch state {
        case .idle: preconditionFailure("receivedBinary() before opened()")
        case .closed: return []
        case .awaitingInit, .authorizing, .ready: return close(.badRequest, "Binary messages are not supported")
        }
    }

    public mutating func timerFired(_ timer: WSTimer) -> [WSAction] {
        switch (timer, state) {
        case (.connectionInit, .awaitingInit):
            return close(.connectionInitialisationTimeout, "Connection initialisation timeout")
        case (.connectionInit, _), (.keepAlive, _):
            return []  // a stale timer the driver could not cancel in time
        }
    }

    public mutating func connectionAccepted(ackPayload: Map? = nil) -> [WSAction] {
        switch state {
        case .authorizing:
            state = .ready(operations: [:])
            return [.sendText(ServerMessage.typeAndPayload("connection_ack", ackPayload))]
        case .closed:
            return []  // the socket went away while the hook ran
        case .idle, .awaitingInit, .ready:
            preconditionFailure("connectionAccepted() without a pending authorize action")
        }
    }

    /// Closes 4403 `Forbidden`; the protocol has no place for `message`.
    public mutating func connectionRejected(message: String) -> [WSAction] {
        switch state {
        case .authorizing:
            return close(.forbidden, "Forbidden")
        case .closed:
            return []
        case .idle, .awaitingInit, .ready:
            preconditionFailure("connectionRejected() without a pending authorize action")
        }
    }

    public mutating func operationEmitted(id: String, payload: [UInt8]) -> EmitAction {
        guard case .ready(let operations) = state, let prefix = operations[id] else { return .drop }
        return .send(OperationFrame(prefix: prefix, payload: payload))
    }

    /// Sends `Error` (which ends the operation: no `Complete` follows).
    public mutating func operationFailed(id: String, errors: [GraphQLError]) -> [WSAction] {
        guard removeOperation(id) else { return [] }
        return [.sendText(ServerMessage.errors(id: id, errors))]
    }

    public mutating func operationCompleted(id: String) -> [WSAction] {
        guard removeOperation(id) else { return [] }
        return [.sendText(ServerMessage.complete(id: id))]
    }

    public mutating func shutdown() -> [WSAction] {
        if case .closed = state { return [] }
        return close(.goingAway, "Server shutting down")
    }

    public mutating func closedByPeer() -> [WSAction] {
        let actions = cleanUp()
        state = .closed
        return actions
    }

    /// Removes an active operation; `false` if there is none with this id.
    private mutating func removeOperation(_ id: String) -> Bool {
        guard case .ready(var operations) = state else { return false }
        state = .closed
        let removed = operations.removeValue(forKey: id) != nil
        state = .ready(operations: operations)
        return removed
    }

    /// Stops every operation and timer, then closes.
    private mutating func close(_ code: WSCloseCode, _ reason: String, fallback: String? = nil) -> [WSAction] {
        var actions = cleanUp()
        state = .closed
        actions.append(.close(code: code, reason: WSCloseCode.limitReason(reason, fallback: fallback)))
        return actions
    }

    private func cleanUp() -> [WSAction] {
        switch state {
        case .idle, .closed, .authorizing: return []
        case .awaitingInit: return [.cancelTimer(.connectionInit)]
        case .ready(let operations): return operations.keys.sorted().map { .stopOperation(id: $0) }
        }
    }
}
