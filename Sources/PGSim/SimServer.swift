import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix
import PGWire

/// A Postgres-wire server that behaves like Materialize for our purposes: tests, the demo, users.
///
/// One ``ServerSession`` state machine per connection, driven here with a `NIOAsyncChannel`;
/// statements run against a shared ``Catalog`` through an ``Executor``; SUBSCRIBE is streamed by
/// a ``SubscribeStream`` fed from the catalog's commit log. Writes await the channel's
/// writability, so a client that stops reading stops the stream (the log keeps the history,
/// bounded by the catalog's retention), and heartbeats advance progress every
/// ``Configuration/heartbeatInterval``.
///
/// Lifetimes are structured: ``withRunning(_:catalog:_:)`` binds, serves and stops around a body;
/// ``run()`` serves until its task is cancelled.
public final class SimServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks an ephemeral port; read the bound one from ``SimServer/port``.
        public var port: Int
        public var session: ServerSession.Configuration
        /// How often a running subscribe advances its progress to the catalog's now.
        public var heartbeatInterval: Duration
        public var faults: Faults

        public init(
            host: String = "127.0.0.1", port: Int = 0, session: ServerSession.Configuration = .init(),
            heartbeatInterval: Duration = .seconds(1), faults: Faults = .none
        ) {
            self.host = host
            self.port = port
            self.session = session
            self.heartbeatInterval = heartbeatInterval
            self.faults = faults
        }
    }

    public let configuration: Configuration
    public let catalog: Catalog
    /// The port the server listens on.
    public let port: Int
    private let serverChannel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    private let state: NIOLockedValueBox<SharedState>

    /// What connections share: the cancel registry, process ids, faults and their generator.
    private struct SharedState {
        var nextProcessID: Int32 = 1
        var running: [Int32: (secret: Int32, token: CancelToken)] = [:]
        var faults: Faults
        var randomDropGenerator: SeededGenerator?
        var randomDropSeed: UInt64?
        var secrets = SystemRandomNumberGenerator()
    }

    private init(
        configuration: Configuration, catalog: Catalog,
        serverChannel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    ) {
        self.configuration = configuration
        self.catalog = catalog
        self.serverChannel = serverChannel
        self.port = serverChannel.channel.localAddress?.port ?? configuration.port
        self.state = NIOLockedValueBox(SharedState(faults: configuration.faults))
    }

    /// Binds the listening socket; call ``run()`` to serve.
    public static func bind(
        _ configuration: Configuration, catalog: Catalog,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SimServer {
        let channel = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { child in
                child.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child)
                }
            }
        return SimServer(configuration: configuration, catalog: catalog, serverChannel: channel)
    }

    /// Binds, serves while `body` runs, then closes every connection.
    public static func withRunning<Result: Sendable>(
        _ configuration: Configuration = .init(), catalog: Catalog = Catalog(),
        _ body: (SimServer) async throws -> Result
    ) async throws -> Result {
        let server = try await bind(configuration, catalog: catalog)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            do {
                let result = try await body(server)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Accepts and serves connections until the task is cancelled.
    public func run() async throws {
        let serverChannel = self.serverChannel
        try await withTaskCancellationHandler {
            try await serverChannel.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } onCancel: {
            serverChannel.channel.close(promise: nil)
        }
    }

    /// Replaces the faults; subscribes that start from now on use them.
    public func setFaults(_ faults: Faults) {
        state.withLockedValue { $0.faults = faults }
    }

    public var faults: Faults { state.withLockedValue { $0.faults } }

    // MARK: Connections

    private enum Event: Sendable {
        case bytes([UInt8])
        case queryDone(Executor.Session)
        case closed
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let token = CancelToken()
        let key: BackendKeyData = state.withLockedValue { shared in
            let id = shared.nextProcessID
            shared.nextProcessID = id == .max ? 1 : id + 1
            let secret = Int32(truncatingIfNeeded: shared.secrets.next())
            shared.running[id] = (secret, token)
            return BackendKeyData(processID: id, secretKey: secret)
        }
        defer { _ = state.withLockedValue { $0.running.removeValue(forKey: key.processID) } }
        var generator = SystemRandomNumberGenerator()
        let nonceAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        let nonce = String(decoding: (0..<24).map { _ in nonceAlphabet[Int(generator.next() % UInt64(nonceAlphabet.count))] }, as: UTF8.self)
        var session = ServerSession(configuration: configuration.session, key: key, nonce: nonce)
        let channel = connection.channel
        do {
            try await withTaskCancellationHandler {
                try await connection.executeThenClose { inbound, outbound in
                    let writer = Writer(outbound: outbound, channel: channel)
                    let (events, continuation) = AsyncStream<Event>.makeStream()
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask {
                            // Bounded: the session cuts off a client that pipelines more than
                            // maximumBufferedBytes while a statement runs.
                            do {
                                for try await buffer in inbound {
                                    continuation.yield(.bytes(Array(buffer.readableBytesView)))
                                }
                            } catch {}
                            continuation.yield(.closed)
                        }
                        var executorSession = Executor.Session()
                        loop: for await event in events {
                            let actions: [ServerSession.Action]
                            switch event {
                            case .bytes(let bytes): actions = session.receive(bytes)
                            case .queryDone(let updated):
                                executorSession = updated
                                actions = session.queryFinished(status: updated.transaction)
                            case .closed: break loop
                            }
                            for action in actions {
                                switch action {
                                case .write(let bytes):
                                    guard await writer.write(bytes) else { break loop }
                                case .execute(let sql):
                                    if executorSession.variables.isEmpty, let startup = session.startup {
                                        executorSession.variables = startup.variables(mzVersion: configuration.session.mzVersion)
                                    }
                                    let current = executorSession
                                    group.addTask {
                                        let updated = await self.runQuery(sql, session: current, writer: writer, token: token)
                                        continuation.yield(.queryDone(updated))
                                    }
                                case .cancel(let target):
                                    await self.cancel(target)
                                case .close:
                                    break loop
                                }
                            }
                        }
                        channel.close(promise: nil)
                        continuation.finish()
                        group.cancelAll()
                    }
                }
            } onCancel: {
                channel.close(promise: nil)
            }
        } catch {
            // The connection is gone; there is nobody to tell.
        }
    }

    /// Cancels the statement of the session with this key, if the secret matches (never answered).
    func cancel(_ key: BackendKeyData) async {
        let token: CancelToken? = state.withLockedValue { shared in
            guard let entry = shared.running[key.processID], entry.secret == key.secretKey else { return nil }
            return entry.token
        }
        if let token, let waiter = token.cancel() {
            await catalog.wake(waiter)
        }
    }

    // MARK: Queries

    /// Runs every statement of one Query message, writing results; stops at the first error.
    private func runQuery(_ sql: String, session: Executor.Session, writer: Writer, token: CancelToken) async -> Executor.Session {
        var session = session
        let executor = Executor(catalog: catalog)
        token.begin()
        defer { token.end() }
        let statements: [Statement]
        do {
            statements = try SQLParser.parse(sql)
        } catch {
            fail(&session)
            _ = await writer.write(BackendMessage.errorResponse(error.diagnostic).encoded())
            return session
        }
        for statement in statements {
            do throws(SimError) {
                if case .subscribe(let text, let offset) = statement {
                    switch try await runSubscribe(text, characterOffset: offset, writer: writer, token: token) {
                    case .finished: continue
                    case .failed:
                        fail(&session)
                        return session
                    case .connectionLost:
                        return session
                    }
                }
                let messages = try await executor.execute(statement, session: &session)
                guard await writer.write(messages) else { return session }
            } catch {
                fail(&session)
                _ = await writer.write(BackendMessage.errorResponse(error.diagnostic).encoded())
                return session
            }
        }
        return session
    }

    private func fail(_ session: inout Executor.Session) {
        if session.transaction == .inTransaction { session.transaction = .failed }
    }

    private func runSubscribe(
        _ text: String, characterOffset: Int, writer: Writer, token: CancelToken
    ) async throws(SimError) -> SubscribeEnd {
        let statement: SubscribeStatement
        do {
            statement = try SubscribeStatement(parsing: text)
        } catch {
            var shifted = error
            if let position = error.diagnostic.position {
                shifted.diagnostic[.position] = String(position + characterOffset)
            }
            throw shifted
        }
        let (faults, plan) = makeFaultPlan()
        var requested: UInt64?
        var atLeast = false
        switch statement.asOf {
        case .exactly(let t): requested = t
        case .atLeast(let t):
            requested = t
            atLeast = true
        case nil: break
        }
        if let floor = faults.refuseAsOfBefore, let requested, requested < floor, !atLeast {
            throw Catalog.asOfTooOld(requested, since: floor)
        }
        let begin = try await catalog.beginSubscribe(table: statement.table, asOf: requested, atLeast: atLeast)
        var stream = try SubscribeStream(statement: statement, schema: begin.schema, asOf: begin.asOf, snapshot: begin.snapshot)
        let (waiterID, signals) = await catalog.addWaiter()
        guard token.attach(waiter: waiterID) else {
            await catalog.removeWaiter(waiterID)
            _ = await writer.write(stream.finish(error: CancelToken.canceled))
            return .failed
        }
        let catalog = self.catalog
        let interval = configuration.heartbeatInterval
        let end = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    await catalog.wake(waiterID)
                }
            }
            var sender = FaultySender(writer: writer, plan: plan, token: token)
            let end = await Self.stream(
                &stream, tableID: begin.tableID, position: begin.position, catalog: catalog, signals: signals,
                sender: &sender, token: token, interval: interval)
            group.cancelAll()
            return end
        }
        await catalog.removeWaiter(waiterID)
        return end
    }

    /// The subscribe loop: commits from the log, heartbeats when caught up, cancel and faults.
    private static func stream(
        _ stream: inout SubscribeStream, tableID: UInt64, position start: Int, catalog: Catalog,
        signals: AsyncStream<Void>, sender: inout FaultySender, token: CancelToken, interval: Duration
    ) async -> SubscribeEnd {
        var signals = signals.makeAsyncIterator()
        var position = start
        let clock = ContinuousClock()
        var lastHeartbeat = clock.now
        if let end = await sender.send(stream.start(), stream: &stream) { return end }
        while true {
            if token.isCancelled {
                return await sender.finish(&stream, error: CancelToken.canceled)
            }
            switch await catalog.read(table: tableID, after: position) {
            case .dropped(let diagnostic), .fellBehind(let diagnostic):
                return await sender.finish(&stream, error: diagnostic)
            case .commits(let commits, let next):
                for commit in commits {
                    if let end = await sender.send(stream.apply(commit), stream: &stream) { return end }
                    if token.isCancelled { break }
                }
                if next != position {
                    position = next
                    continue
                }
            }
            if clock.now - lastHeartbeat >= interval {
                lastHeartbeat = clock.now
                let now = await catalog.readTimestamp()
                if let end = await sender.send(stream.heartbeat(upTo: now), stream: &stream) { return end }
                continue  // a commit may have landed meanwhile
            }
            guard await signals.next() != nil else { return .connectionLost }
        }
    }

    /// Draws this subscribe's fault points, clearing one-shot faults.
    private func makeFaultPlan() -> (Faults, FaultPlan) {
        state.withLockedValue { shared in
            let faults = shared.faults
            var dropAt = faults.drop?.messages
            if faults.drop?.once == true { shared.faults.drop = nil }
            if let random = faults.randomDrop {
                if shared.randomDropSeed != random.seed || shared.randomDropGenerator == nil {
                    shared.randomDropGenerator = SeededGenerator(seed: random.seed)
                    shared.randomDropSeed = random.seed
                }
                let point = 1 + Int(shared.randomDropGenerator!.next() % UInt64(max(1, random.maximumMessages)))
                dropAt = min(dropAt ?? .max, point)
            }
            var errorAt: (Int, Diagnostic)?
            if let error = faults.error {
                errorAt = (error.messages, Diagnostic(severity: "ERROR", sqlState: error.sqlState, message: error.message))
                if error.once { shared.faults.error = nil }
            }
            var stallAt: (Int, Duration)?
            if let stall = faults.stall {
                stallAt = (stall.messages, stall.duration)
                if stall.once { shared.faults.stall = nil }
            }
            return (faults, FaultPlan(dropAt: dropAt, errorAt: errorAt, stallAt: stallAt))
        }
    }
}

/// Writes encoded messages to the connection, awaiting its writability (the backpressure).
struct Writer: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let channel: any Channel

    /// `false` once the connection is gone.
    func write(_ bytes: [UInt8]) async -> Bool {
        guard !bytes.isEmpty else { return true }
        do {
            try await outbound.write(ByteBuffer(bytes: bytes))
            return true
        } catch {
            return false
        }
    }

    func write(_ messages: [BackendMessage]) async -> Bool {
        guard !messages.isEmpty else { return true }
        var writer = ByteWriter(capacity: 256)
        for message in messages { message.encode(into: &writer) }
        return await write(writer.bytes)
    }

    /// Closes the connection abruptly (the drop fault).
    func drop() {
        channel.close(promise: nil)
    }
}

/// Sends a subscribe's messages, acting on its fault plan between rows.
struct FaultySender {
    let writer: Writer
    var plan: FaultPlan
    let token: CancelToken

    /// Sends the messages; returns how the subscribe ended if it did.
    mutating func send(_ messages: [BackendMessage], stream: inout SubscribeStream) async -> SubscribeEnd? {
        guard !messages.isEmpty else { return nil }
        if plan.isEmpty {
            return await writer.write(messages) ? nil : .connectionLost
        }
        var pending = ByteWriter(capacity: 256)
        for message in messages {
            message.encode(into: &pending)
            switch message {
            case .dataRow, .copyData: break
            default: continue
            }
            switch plan.rowSent() {
            case .proceed:
                continue
            case .drop:
                _ = await writer.write(pending.bytes)
                writer.drop()
                return .connectionLost
            case .error(let diagnostic):
                guard await writer.write(pending.bytes) else { return .connectionLost }
                return await finish(&stream, error: diagnostic)
            case .stall(let duration):
                guard await writer.write(pending.bytes) else { return .connectionLost }
                pending = ByteWriter(capacity: 256)
                let clock = ContinuousClock()
                let deadline = clock.now + duration
                while clock.now < deadline && !token.isCancelled && !Task.isCancelled {
                    try? await Task.sleep(for: min(.milliseconds(20), deadline - clock.now))
                }
            }
        }
        return await writer.write(pending.bytes) ? nil : .connectionLost
    }

    /// Ends the stream with an error (ErrorResponse, no CopyDone).
    func finish(_ stream: inout SubscribeStream, error: Diagnostic) async -> SubscribeEnd {
        await writer.write(stream.finish(error: error)) ? .failed : .connectionLost
    }
}

/// How a streamed SUBSCRIBE ended.
enum SubscribeEnd {
    /// Ended normally (UP TO reached); the next statement may run.
    case finished
    /// Ended with an ErrorResponse already written.
    case failed
    /// The connection is gone or was dropped on purpose.
    case connectionLost
}

/// Lets a CancelRequest on another connection stop this connection's running statement.
///
/// A class shared between the connection task and the cancel registry; its state is behind a
/// lock, hence `@unchecked Sendable`.
final class CancelToken: @unchecked Sendable {
    private enum State {
        case idle
        case running(waiter: UInt64?)
        case cancelled
    }

    private let state = NIOLockedValueBox(State.idle)

    static let canceled = Diagnostic(severity: "ERROR", sqlState: "57014", message: "canceling statement due to user request")

    /// A statement starts: a cancel from now on applies to it.
    func begin() { state.withLockedValue { $0 = .running(waiter: nil) } }

    /// The statement ended: a late cancel is ignored, as PostgreSQL ignores one between statements.
    func end() { state.withLockedValue { $0 = .idle } }

    /// Registers the catalog waiter to wake on cancel; `false` if already cancelled.
    func attach(waiter: UInt64) -> Bool {
        state.withLockedValue { state in
            switch state {
            case .cancelled: return false
            case .idle, .running: state = .running(waiter: waiter); return true
            }
        }
    }

    var isCancelled: Bool {
        state.withLockedValue { if case .cancelled = $0 { return true } else { return false } }
    }

    /// Marks the running statement cancelled; returns the waiter to wake. No effect when idle.
    func cancel() -> UInt64? {
        state.withLockedValue { state in
            switch state {
            case .idle, .cancelled: return nil
            case .running(let waiter):
                state = .cancelled
                return waiter
            }
        }
    }
}
