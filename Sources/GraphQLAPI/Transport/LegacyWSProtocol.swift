import GraphQL

/// The server side of Apollo's legacy subscriptions-transport-ws (subprotocol `graphql-ws`)
/// for one connection, as a sans-IO state machine
/// (https://github.com/apollographql/subscriptions-transport-ws/blob/master/PROTOCOL.md).
///
/// The protocol is lenient where graphql-transport-ws closes, and this keeps it so, following
/// the reference server (`server.ts`):
/// - a message that cannot be parsed gets `connection_error` and is otherwise ignored; an
///   unknown `type` gets `error` (`Invalid message type!`);
/// - Apollo's client sends `start` right after `connection_init` without waiting for the ack,
///   so starts that arrive while the init hook runs are queued (at most
///   ``WSConfiguration/maximumActiveOperations``) and started after `connection_ack`;
///   a `start` before any `connection_init` gets `error` (the reference server would run it
///   unauthenticated);
/// - `start` with the id of an active operation replaces it; `stop` stops it and answers
///   `complete`; unknown ids are ignored;
/// - a second `connection_init` gets `connection_error` and changes nothing.
/// Closes: `connection_terminate` → 1000, binary → 1003, too big → 1009, init hook rejects →
/// `connection_error` then 4403, no connection_init in time → 4408.
public struct LegacyWSProtocol: WSStateMachine {
    struct PendingStart: Equatable {
        var id: String
        var request: OperationRequest
    }

    enum State {
        /// Created, socket not yet open.
        case idle
        /// Open; the connection_init timer runs.
        case awaitingInit
        /// connection_init received; the driver's hook decides. Starts wait here in order.
        case authorizing(pending: [PendingStart])
        /// Acknowledged. Each active operation maps to its `data` frame prefix, built once.
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
        let message: ClientMessage
        do throws(GraphQLAPIError) {
            message = try ClientMessage(parsing: text, maximumDepth: configuration.maximumNestingDepth)
        } catch {
            return [.sendText(ServerMessage.connectionError(error.message))]
        }
        switch message.type {
        case "connection_init": return connectionInit(message)
        case "start": return start(message)
        case "stop": return stop(message)
        case "connection_terminate": return close(.normalClosure, "")
        default:
            return [
                .sendText(
                    ServerMessage.legacyError(id: message.idIfPresent, GraphQLError(message: "Invalid message type!")))
            ]
        }
    }

    private mutating func connectionInit(_ message: ClientMessage) -> [WSAction] {
        let payload: Map?
        do throws(GraphQLAPIError) {
            payload = try message.optionalObjectPayload()
        } catch {
            return [.sendText(ServerMessage.connectionError(error.message))]
        }
        guard case .awaitingInit = state else {
            return [.sendText(ServerMessage.connectionError("connection_init was already received"))]
        }
        state = .authorizing(pending: [])
        return [.cancelTimer(.connectionInit), .authorize(payload: payload)]
    }

    private mutating func start(_ message: ClientMessage) -> [WSAction] {
        let id: String
        do throws(GraphQLAPIError) {
            id = try message.id()
        } catch {
            return [.sendText(ServerMessage.connectionError(error.message))]
        }
        let request: OperationRequest
        do throws(GraphQLAPIError) {
            request = try message.operationRequest()
        } catch {
            return [.sendText(ServerMessage.legacyError(id: id, GraphQLError(message: error.message)))]
        }
        switch state {
        case .idle, .closed:
            preconditionFailure("checked in received(text:)")
        case .awaitingInit:
            return [
                .sendText(
                    ServerMessage.legacyError(
                        id: id, GraphQLError(message: "Send connection_init before starting operations")))
            ]
        case .authorizing(var pending):
            state = .closed  // keep `pending` uniquely referenced while it changes
            defer { state = .authorizing(pending: pending) }
            if let index = pending.firstIndex(where: { $0.id == id }) {
                pending[index].request = request
                return []
            }
            guard pending.count < configuration.maximumActiveOperations else {
                return [.sendText(ServerMessage.legacyError(id: id, TransportWSProtocol.tooManyOperations(configuration)))]
            }
            pending.append(PendingStart(id: id, request: request))
            return []
        case .ready(var operations):
            var actions: [WSAction] = []
            if operations[id] != nil {
                actions.append(.stopOperation(id: id))  // the reference server unsubscribes the old one first
            } else if operations.count >= configuration.maximumActiveOperations {
                return [.sendText(ServerMessage.legacyError(id: id, TransportWSProtocol.tooManyOperations(configuration)))]
            }
            state = .closed
            operations[id] = OperationFrame.prefix(id: id, type: .data)
            state = .ready(operations: operations)
            actions.append(.startOperation(id: id, request: request))
            return actions
        }
    }

    private mutating func stop(_ message: ClientMessage) -> [WSAction] {
        let id: String
        do throws(GraphQLAPIError) {
            id = try message.id()
        } catch {
            return [.sendText(ServerMessage.connectionError(error.message))]
        }
        switch state {
        case .idle, .closed:
            preconditionFailure("checked in received(text:)")
        case .awaitingInit:
            return []
        case .authorizing(var pending):
            guard let index = pending.firstIndex(where: { $0.id == id }) else { return [] }
            state = .closed
            pending.remove(at: index)
            state = .authorizing(pending: pending)
            return [.sendText(ServerMessage.complete(id: id))]
        case .ready:
            guard removeOperation(id) else { return [] }
            return [.stopOperation(id: id), .sendText(ServerMessage.complete(id: id))]
        }
    }

    /// Closes 1003: the protocol is text-only and never defined 4400.
    public mutating func receivedBinary() -> [WSAction] {
        switch state {
        case .idle: preconditionFailure("receivedBinary() before opened()")
        case .closed: return []
        case .awaitingInit, .authorizing, .ready: return close(.unsupportedData, "Binary messages are not supported")
        }
    }

    public mutating func timerFired(_ timer: WSTimer) -> [WSAction] {
        switch (timer, state) {
        case (.connectionInit, .awaitingInit):
            return close(.connectionInitialisationTimeout, "Connection initialisation timeout")
        case (.keepAlive, .ready):
            guard let interval = configuration.keepAliveInterval else { return [] }
            return [.sendText(Self.keepAlive), .armTimer(.keepAlive, interval)]
        case (.connectionInit, _), (.keepAlive, _):
            return []  // a stale timer the driver could not cancel in time
        }
    }

    static let keepAlive = ServerMessage.typeOnly("ka")

    /// Sends `connection_ack` (the legacy ack has no payload, so `ackPayload` is not sent), the
    /// first `ka` and arms the keep-alive timer, then starts the operations queued meanwhile.
    public mutating func connectionAccepted(ackPayload: Map? = nil) -> [WSAction] {
        switch state {
        case .authorizing(let pending):
            var actions: [WSAction] = [.sendText(ServerMessage.typeOnly("connection_ack"))]
            if let interval = configuration.keepAliveInterval {
                actions.append(.sendText(Self.keepAlive))
                actions.append(.armTimer(.keepAlive, interval))
            }
            var operations: [String: [UInt8]] = [:]
            for start in pending {
                operations[start.id] = OperationFrame.prefix(id: start.id, type: .data)
                actions.append(.startOperation(id: start.id, request: start.request))
            }
            state = .ready(operations: operations)
            return actions
        case .closed:
            return []  // the socket went away while the hook ran
        case .idle, .awaitingInit, .ready:
            preconditionFailure("connectionAccepted() without a pending authorize action")
        }
    }

    /// Sends `connection_error` with `message`, then closes 4403.
    public mutating func connectionRejected(message: String) -> [WSAction] {
        switch state {
        case .authorizing:
            var actions: [WSAction] = [.sendText(ServerMessage.connectionError(message))]
            actions.append(contentsOf: close(.forbidden, "Forbidden"))
            return actions
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

    /// Sends `error` with the first error (the legacy payload is one error object); the
    /// operation ends without `complete`, as Apollo's client forgets it on `error`.
    public mutating func operationFailed(id: String, errors: [GraphQLError]) -> [WSAction] {
        guard removeOperation(id) else { return [] }
        let error = errors.first ?? GraphQLError(message: "The operation failed")
        return [.sendText(ServerMessage.legacyError(id: id, error))]
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

    private mutating func removeOperation(_ id: String) -> Bool {
        guard case .ready(var operations) = state else { return false }
        state = .closed
        let removed = operations.removeValue(forKey: id) != nil
        state = .ready(operations: operations)
        return removed
    }

    private mutating func close(_ code: WSCloseCode, _ reason: String) -> [WSAction] {
        var actions = cleanUp()
        state = .closed
        actions.append(.close(code: code, reason: WSCloseCode.limitReason(reason)))
        return actions
    }

    private func cleanUp() -> [WSAction] {
        switch state {
        case .idle, .closed, .authorizing: return []
        case .awaitingInit: return [.cancelTimer(.connectionInit)]
        case .ready(let operations):
            var actions: [WSAction] = configuration.keepAliveInterval == nil ? [] : [.cancelTimer(.keepAlive)]
            actions.append(contentsOf: operations.keys.sorted().map { .stopOperation(id: $0) })
            return actions
        }
    }
}
