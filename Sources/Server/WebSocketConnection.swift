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
        case startOperation(id: String, request: OperationRequest)
        case armTimer(WSTimer, Duration, token: Int)
    }

    static func serve(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, subprotocol: Subprotocol?,
        service: GraphQLService, configuration: WSConfiguration, logger: Logger
    ) async {
        switch subprotocol {
        case .graphqlTransportWS:
            await run(TransportWSProtocol(configuration: configuration), inbound, outbound, service, configuration, logger)
        case .graphqlWS:
            await run(LegacyWSProtocol(configuration: configuration), inbound, outbound, service, configuration, logger)
        case nil:
            // As graphql-ws does: accept the upgrade, then close with 4406 so browsers see the reason.
            if case .close(let code, let reason) = WSAction.subprotocolNotAcceptable {
                try? await outbound.close(.unknown(code.rawValue), reason: reason)
            }
        }
    }

    private static func run<Machine: WSStateMachine>(
        _ machine: Machine, _ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter,
        _ service: GraphQLService, _ configuration: WSConfiguration, _ logger: Logger
    ) async {
        let session = Session(machine: machine)
        let (commands, sink) = AsyncStream.makeStream(of: Command.self)
        let driver = Driver(session: session, outbound: outbound, commands: sink, logger: logger)
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
                case .startOperation(let id, let request):
                    group.addTask { await driver.runOperation(id: id, request: request, service: service) }
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
    actor Session<Machine: WSStateMachine> {
        private var machine: Machine
        private var subscriptions: [String: Subscription] = [:]
        private var timerTokens: [WSTimer: Int] = [:]
        private(set) var isClosed = false

        init(machine: Machine) {
            self.machine = machine
        }

        func update(_ step: (inout Machine) -> [WSAction]) -> [WSAction] {
            let actions = step(&machine)
            if actions.contains(where: { if case .close = $0 { true } else { false } }) { isClosed = true }
            return actions
        }

        func emit(id: String, payload: [UInt8]) -> EmitAction {
            machine.operationEmitted(id: id, payload: payload)
        }

        /// Records a started subscription; `false` when the operation was stopped meanwhile.
        func register(_ id: String, _ events: Subscription) -> Bool {
            guard !isClosed, machine.activeOperationIDs.contains(id) else { return false }
            subscriptions[id] = events
            return true
        }

        func finished(_ id: String) {
            subscriptions[id] = nil
        }

        func stop(_ id: String) {
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
        }
    }

    /// Carries out actions; shared by every task of the connection.
    struct Driver<Machine: WSStateMachine>: Sendable {
        let session: Session<Machine>
        let outbound: WebSocketOutboundWriter
        let commands: AsyncStream<Command>.Continuation
        let logger: Logger

        func perform(_ actions: [WSAction]) async {
            for action in actions {
                switch action {
                case .sendText(let bytes):
                    await write(bytes)
                case .close(let code, let reason):
                    try? await outbound.close(.unknown(code.rawValue), reason: reason)
                case .authorize:
                    // No connection_init hook is configured: every client is accepted.
                    await perform(await session.update { $0.connectionAccepted(ackPayload: nil) })
                case .startOperation(let id, let request):
                    commands.yield(.startOperation(id: id, request: request))
                case .stopOperation(let id):
                    await session.stop(id)
                case .armTimer(let timer, let duration):
                    let token = await session.armTimer(timer)
                    commands.yield(.armTimer(timer, duration, token: token))
                case .cancelTimer(let timer):
                    await session.cancelTimer(timer)
                }
            }
        }

        func runOperation(id: String, request: OperationRequest, service: GraphQLService) async {
            switch await service.start(request.graphQLRequest) {
            case .failed(let errors):
                await perform(await session.update { $0.operationFailed(id: id, errors: errors) })
            case .single(let payload):
                _ = await emit(id: id, payload: payload)
                await perform(await session.update { $0.operationCompleted(id: id) })
            case .stream(let live):
                guard await session.register(id, live.events) else {
                    live.events.cancel()
                    return
                }
                do {
                    for try await event in live.events {
                        guard await emit(id: id, payload: live.payload(for: event)) else {
                            live.events.cancel()
                            break
                        }
                    }
                    await session.finished(id)
                    await perform(await session.update { $0.operationCompleted(id: id) })
                } catch {
                    await session.finished(id)
                    logger.info("subscription \(id) ended: \(error.description)")
                    let message = error.code == .stopped ? "the subscription was stopped: \(error.description)" : error.description
                    await perform(await session.update { $0.operationFailed(id: id, errors: [GraphQLError(message: message)]) })
                }
            }
        }

        /// Sends a payload for `id`; `false` when the operation is no longer active.
        private func emit(id: String, payload: [UInt8]) async -> Bool {
            switch await session.emit(id: id, payload: payload) {
            case .send(let frame):
                var buffer = ByteBufferAllocator().buffer(capacity: frame.count)
                buffer.writeBytes(frame.prefix)
                buffer.writeBytes(frame.payload)
                buffer.writeInteger(OperationFrame.suffix)
                do {
                    try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: buffer)))
                    return true
                } catch {
                    return false
                }
            case .drop:
                return false
            }
        }

        private func write(_ bytes: [UInt8]) async {
            var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            try? await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: buffer)))
        }
    }
}
