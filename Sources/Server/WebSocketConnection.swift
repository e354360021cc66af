import GraphQL
import GraphQLAPI
import HummingbirdWebSocket
import LiveViews
import Logging
import NIOCore
import NIOWebSocket

/// Drives one WebSocket connection: a GraphQLAPI protocol state machine (graphql-transport-ws
/// or the legacy graphql-ws) fed with the socket's messages, its actions carried out here.
///
/// Structure: the parent task owns a task group and spawns operations and timers on request;
/// one child reads the socket. Every task writes to the socket directly, so a flood of client
/// messages is paced by the connection's own writes, and one subscription's events never wait
/// for another's.
enum WebSocketConnection {
    /// What only the parent task can do (it owns the task group).
    enum Command: Sendable {
        case startOperation(id: String, generation: Int, request: OperationRequest)
        case armTimer(WSTimer, Duration, token: Int)
    }

    /// Serves one upgraded connection until it closes.
    ///
    /// - Parameter remote: the peer's `host:port`, for the connection's log lines.
    static func serve(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, subprotocol: Subprotocol?,
        service: GraphQLService, configuration: WSConfiguration, logger: Logger, remote: String? = nil
    ) async {
        let log = ConnectionLog(logger: logger, remote: remote, subprotocol: subprotocol?.rawValue)
        defer { log.closed() }
        switch subprotocol {
        case .graphqlTransportWS:
            await run(TransportWSProtocol(configuration: configuration), inbound, outbound, service, configuration, log)
        case .graphqlWS:
            await run(LegacyWSProtocol(configuration: configuration), inbound, outbound, service, configuration, log)
        case nil:
            // As graphql-ws does: accept the upgrade, then close with 4406 so browsers see the reason.
            if case .close(let code, let reason) = WSAction.subprotocolNotAcceptable {
                log.closing(code: code.rawValue, reason: reason)
                try? await outbound.close(.unknown(code.rawValue), reason: reason)
            }
        }
    }

    private static func run<Machine: WSStateMachine>(
        _ machine: Machine, _ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter,
        _ service: GraphQLService, _ configuration: WSConfiguration, _ log: ConnectionLog
    ) async {
        let logger = log.logger
        let session = Session(machine: machine)
        let (commands, sink) = AsyncStream.makeStream(of: Command.self)
        let driver = Driver(session: session, outbound: outbound, commands: sink, log: log, metrics: service.metrics)
        service.metrics.connectionOpened()
        defer { service.metrics.connectionClosed() }
        await driver.perform(await session.update { $0.opened() })
        await withDiscardingTaskGroup { group in
            group.addTask {
                do {
                    for try await message in inbound.messages(maxSize: configuration.maximumMessageSize) {
                        switch message {
                        case .text(let text): await driver.perform(await session.update { $0.received(text: text) })
                        case .binary: await driver.perform(await session.update { $0.receivedBinary() })
                        }
                        if await session.isClosed { break }
                    }
                } catch {
                    logger.debug("websocket read ended: \(error)")
                }
                await session.closedByPeer()
                sink.finish()
            }
            for await command in commands {
                switch command {
                case .startOperation(let id, let generation, let request):
                    group.addTask { await driver.runOperation(id: id, generation: generation, request: request, service: service) }
                case .armTimer(let timer, let duration, let token):
                    group.addTask {
                        try? await Task.sleep(for: duration)
                        guard await session.timerIsCurrent(timer, token: token) else { return }
                        await driver.perform(await session.update { $0.timerFired(timer) })
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Owns the state machine and the running subscriptions of one connection.
    ///
    /// Operation ids are reused: graphql-transport-ws frees an id on the client's `complete`,
    /// and the legacy `start` with an active id replaces the operation. So each started
    /// operation gets a generation, assigned and retired inside the same actor step as the
    /// machine's `startOperation`/`stopOperation` actions; the task of a stopped or replaced
    /// operation can then neither emit into nor complete its successor under the same id.
    actor Session<Machine: WSStateMachine> {
        private var machine: Machine
        /// The generation of each running operation, by id.
        private var generations: [String: Int] = [:]
        /// Generations of started operations whose task the driver has not spawned yet, in order.
        private var unspawned: [String: [Int]] = [:]
        private var lastGeneration = 0
        private var subscriptions: [String: Subscription] = [:]
        private var timerTokens: [WSTimer: Int] = [:]
        private(set) var isClosed = false

        init(machine: Machine) {
            self.machine = machine
        }

        /// Runs one machine step and does its bookkeeping before anything else can interleave.
        func update(_ step: (inout Machine) -> [WSAction]) -> [WSAction] {
            let actions = step(&machine)
            for action in actions {
                switch action {
                case .close:
                    isClosed = true
                case .stopOperation(let id):
                    retire(id)
                case .startOperation(let id, _):
                    retire(id)
                    lastGeneration += 1
                    generations[id] = lastGeneration
                    unspawned[id, default: []].append(lastGeneration)
                case .sendText, .authorize, .armTimer, .cancelTimer:
                    break
                }
            }
            return actions
        }

        /// The generation of the next `startOperation` action for `id` the driver carries out.
        ///
        /// Only the reading task performs actions that start operations, so they are taken in
        /// the order ``update(_:)`` assigned them.
        func spawn(_ id: String) -> Int {
            guard let generation = unspawned[id]?.first else {
                preconditionFailure("startOperation(\(id)) performed without update(_:) assigning it a generation")
            }
            unspawned[id]?.removeFirst()
            if unspawned[id]?.isEmpty == true { unspawned[id] = nil }
            return generation
        }

        func emit(id: String, generation: Int, payload: [UInt8]) -> EmitAction {
            guard generations[id] == generation else { return .drop }
            return machine.operationEmitted(id: id, payload: payload)
        }

        /// Records a started subscription; `false` when the operation was stopped or replaced meanwhile.
        func register(_ id: String, generation: Int, _ events: Subscription) -> Bool {
            guard !isClosed, generations[id] == generation, machine.activeOperationIDs.contains(id) else { return false }
            subscriptions[id] = events
            return true
        }

        /// Ends operation `id` of `generation` with `step` (complete or error), or does nothing
        /// when it was stopped or replaced meanwhile: its id may belong to a newer operation.
        func end(_ id: String, generation: Int, _ step: (inout Machine) -> [WSAction]) -> [WSAction] {
            guard !isClosed, generations[id] == generation else { return [] }
            generations[id] = nil
            subscriptions[id] = nil
            return update(step)
        }

        private func retire(_ id: String) {
            generations[id] = nil
            subscriptions.removeValue(forKey: id)?.cancel()
        }

        func armTimer(_ timer: WSTimer) -> Int {
            let token = (timerTokens[timer] ?? 0) + 1
            timerTokens[timer] = token
            return token
        }

        func cancelTimer(_ timer: WSTimer) {
            timerTokens[timer, default: 0] += 1
        }

        func timerIsCurrent(_ timer: WSTimer, token: Int) -> Bool {
            !isClosed && timerTokens[timer] == token
        }

        func closedByPeer() {
            isClosed = true
            _ = machine.closedByPeer()
            for events in subscriptions.values { events.cancel() }
            subscriptions.removeAll()
            generations.removeAll()
        }
    }

    /// Carries out actions; shared by every task of the connection.
    struct Driver<Machine: WSStateMachine>: Sendable {
        let session: Session<Machine>
        let outbound: WebSocketOutboundWriter
        let commands: AsyncStream<Command>.Continuation
        let log: ConnectionLog
        let metrics: ServerMetrics

        func perform(_ actions: [WSAction]) async {
            for action in actions {
                switch action {
                case .sendText(let bytes):
                    await write(bytes)
                case .close(let code, let reason):
                    log.closing(code: code.rawValue, reason: reason)
                    try? await outbound.close(.unknown(code.rawValue), reason: reason)
                case .authorize:
                    // No connection_init hook is configured: every client is accepted.
                    await perform(await session.update { $0.connectionAccepted(ackPayload: nil) })
                case .startOperation(let id, let request):
                    commands.yield(.startOperation(id: id, generation: await session.spawn(id), request: request))
                case .stopOperation:
                    break  // done by `Session.update`, in the same step as the machine's

                case .armTimer(let timer, let duration):
                    let token = await session.armTimer(timer)
                    commands.yield(.armTimer(timer, duration, token: token))
                case .cancelTimer(let timer):
                    await session.cancelTimer(timer)
                }
            }
        }

        func runOperation(id: String, generation: Int, request: OperationRequest, service: GraphQLService) async {
            switch await service.start(request.graphQLRequest) {
            case .failed(let errors):
                await perform(await session.end(id, generation: generation) { $0.operationFailed(id: id, errors: errors) })
            case .single(let payload):
                _ = await emit(id: id, generation: generation, payload: payload)
                await perform(await session.end(id, generation: generation) { $0.operationCompleted(id: id) })
            case .stream(let live):
                guard await session.register(id, generation: generation, live.events) else {
                    live.events.cancel()
                    return
                }
                let source = live.plan.source.name
                metrics.subscriptionStarted()
                log.subscriptionStarted(operation: id, source: source)
                defer { metrics.subscriptionEnded() }
                do {
                    var writeFailed = false
                    for try await event in live.events {
                        let emitted = await emit(id: id, generation: generation, payload: live.payload(for: event))
                        guard emitted == .sent else {
                            writeFailed = emitted == .writeFailed
                            live.events.cancel()
                            break
                        }
                    }
                    let actions = await session.end(id, generation: generation) { $0.operationCompleted(id: id) }
                    // The stream ends without an error only when cancelled: by the client
                    // (the session retired the operation), or by the connection going away.
                    let closed = await session.isClosed
                    let reason: ConnectionLog.SubscriptionEnd
                    if writeFailed || (actions.isEmpty && closed) {
                        reason = .connectionClosed
                    } else {
                        reason = actions.isEmpty ? .clientStop : .complete
                    }
                    log.subscriptionEnded(operation: id, source: source, reason)
                    await perform(actions)
                } catch {
                    // The subscriber fell too far behind: the slow client lost this subscription.
                    if error.code == .subscriberOverflow { metrics.subscriberOverflowed() }
                    let actions = await session.end(id, generation: generation) { machine in
                        let message = error.code == .stopped ? "the subscription was stopped: \(error.description)" : error.description
                        return machine.operationFailed(id: id, errors: [GraphQLError(message: message)])
                    }
                    let reason: ConnectionLog.SubscriptionEnd
                    switch error.code {
                    case .subscriberOverflow: reason = .overflow
                    case .stopped: reason = .sourceStopped
                    default: reason = .sourceFailure
                    }
                    let closed = await session.isClosed
                    if actions.isEmpty, closed {
                        log.subscriptionEnded(operation: id, source: source, .connectionClosed)
                    } else {
                        log.subscriptionEnded(operation: id, source: source, reason, error: error.description)
                    }
                    await perform(actions)
                }
            }
        }

        /// What became of a payload to send.
        enum Emitted: Equatable {
            case sent
            /// The operation is no longer active (stopped, replaced, or the connection closed).
            case inactive
            /// The socket refused the write: the peer is gone.
            case writeFailed
        }

        /// Sends a payload for `id`.
        private func emit(id: String, generation: Int, payload: [UInt8]) async -> Emitted {
            switch await session.emit(id: id, generation: generation, payload: payload) {
            case .send(let frame):
                var buffer = ByteBufferAllocator().buffer(capacity: frame.count)
                buffer.writeBytes(frame.prefix)
                buffer.writeBytes(frame.payload)
                buffer.writeInteger(OperationFrame.suffix)
                let count = buffer.readableBytes
                do {
                    try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: buffer)))
                    metrics.sent(bytes: count)
                    log.sent(bytes: count)
                    return .sent
                } catch {
                    return .writeFailed
                }
            case .drop:
                return .inactive
            }
        }

        private func write(_ bytes: [UInt8]) async {
            var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            do {
                try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: buffer)))
                metrics.sent(bytes: bytes.count)
                log.sent(bytes: bytes.count)
            } catch {
                // The peer is gone; the reading task ends the connection.
            }
        }
    }
}
