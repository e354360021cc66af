import Foundation
import GraphQLAPI
import Ingest
import LiveViews
import Logging
import NIOCore
import PGClient
import ServiceLifecycle
import UnixSignals
import Webhooks

/// Starts everything `tycostream serve` runs: the schema, one resilient SUBSCRIBE per
/// source, the view graph and the HTTP/WebSocket server, in one service group that drains
/// on SIGTERM and SIGINT.
public enum ServerRunner {
    /// Loads the schema file and builds the services; `onListening` receives the bound port.
    public static func run(
        configuration: ServerConfiguration, logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let file = try SchemaFile.load(path: configuration.schemaPath)
        try await checkSchema(file, configuration: configuration, logger: logger)
        let sources = file.sources.map { IngestSource(schema: $0.schema, object: $0.object) }
        let metrics = MetricsBootstrap.metrics(sources: sources.map(\.schema.name))
        let feed = SubscribeFeed(
            connection: configuration.database, sources: sources, clock: ContinuousClock(),
            observer: LoggingIngestObserver(logger: logger, metrics: metrics))
        let registry = SourceRegistry(
            schemas: sources.map(\.schema), feed: feed, clock: ContinuousClock(), idleGrace: .seconds(60),
            eager: Set(sources.map(\.schema.name)))
        let outbox: Outbox
        do {
            outbox = try Outbox(directory: configuration.triggers.store)
        } catch {
            throw ServerError(.triggerStore, "cannot open the trigger store (TRIGGER_STORE=\(configuration.triggers.store)): \(error.message)")
        }
        if outbox.discardedBytesAtOpen > 0 {
            logger.warning("trigger store: dropped \(outbox.discardedBytesAtOpen) bytes of a write cut short by a crash (never acknowledged)")
        }
        let deliverer = Deliverer<ContinuousClock>(
            outbox: outbox,
            configuration: .init(delivery: configuration.triggers.delivery, egress: configuration.triggers.egress),
            logger: logger, observer: metrics)
        let triggers = TriggerManager(hub: registry, sources: file.sources, deliverer: deliverer, logger: logger)
        let api = try APISchema(file: file, resolvers: Resolvers(triggers: triggers))
        let service = try GraphQLService(
            api: api, hub: registry, maximumQueryBytes: configuration.limits.maxMessageBytes,
            maximumNestingDepth: configuration.limits.maxQueryDepth, metrics: metrics)
        var webSocket = WSConfiguration()
        webSocket.maximumMessageSize = configuration.limits.maxMessageBytes
        webSocket.maximumActiveOperations = configuration.limits.maxSubscriptionsPerConnection
        webSocket.connectionInitTimeout = configuration.limits.connectionInitTimeout
        let options = TycostreamServer.Options(
            host: configuration.graphQLHost, port: configuration.graphQLPort, ui: configuration.graphQLUI,
            maximumRequestBytes: configuration.limits.maxMessageBytes, webSocket: webSocket,
            maximumConnections: configuration.limits.maxConnections)
        let application = TycostreamServer.application(service: service, options: options, logger: logger) { channel in
            let port = channel.localAddress?.port ?? configuration.graphQLPort
            logger.info("GraphQL at http://\(configuration.graphQLHost):\(port)/graphql (WebSocket: graphql-transport-ws, graphql-ws)")
            await onListening(port)
        }
        logger.info("loaded \(file.sources.count) sources from \(configuration.schemaPath); connecting to \(configuration.database.host):\(configuration.database.port)")
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: RegistryService(registry: registry)), .init(service: TriggerManagerService(manager: triggers)),
                    .init(service: application),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

extension ServerRunner {
    /// The same check as `tycostream check`, at startup: a schema that does not match the
    /// database stops the server with the report. An unreachable database does not: ingest
    /// keeps retrying, and sources become ready when it answers.
    static func checkSchema(_ file: SchemaFile, configuration: ServerConfiguration, logger: Logger) async throws {
        let report: SchemaCheckReport
        do {
            report = try await SchemaCheck(schema: file).run(configuration.database)
        } catch {
            logger.warning("could not check the schema against the database yet: \(error)")
            return
        }
        guard report.isOK else {
            throw ServerError(.schemaMismatch, "the schema file does not match the database:\n\(report.text)")
        }
        logger.info("schema check passed for \(file.sources.count) sources")
    }
}

/// Runs the source registry inside the service group; cancelled on graceful shutdown.
struct RegistryService<Feed: SourceFeed>: Service {
    let registry: SourceRegistry<Feed, ContinuousClock>

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await registry.run()
        }
    }
}

/// Runs the webhook triggers inside the service group; cancelled on graceful shutdown, after
/// the HTTP server has stopped (services stop in reverse order), so no trigger is created
/// while it winds down. Pending deliveries stay in the outbox for the next start.
struct TriggerManagerService: Service {
    let manager: TriggerManager

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await manager.run()
        }
    }
}

/// Logs what ingest does, one line per notable event (not per row), and counts it all in
/// the server's metrics.
struct LoggingIngestObserver: IngestObserver {
    let logger: Logger
    let metrics: ServerMetrics

    func received(source: String, rows: Int, bytes: Int) {
        metrics.received(source: source, rows: rows, bytes: bytes)
    }

    func progressed(source: String, timestamp: UInt64, lagMilliseconds: Int64) {
        metrics.progressed(source: source, timestamp: timestamp, lagMilliseconds: lagMilliseconds)
    }

    func delivered(source: String, timestamp: UInt64, changes: Int, isSnapshot: Bool) {
        metrics.delivered(source: source, timestamp: timestamp, changes: changes, isSnapshot: isSnapshot)
        if isSnapshot {
            logger.info("source \(source): snapshot of \(changes) rows at \(timestamp)")
        } else {
            logger.trace("source \(source): batch of \(changes) changes at \(timestamp)")
        }
    }

    func reconnecting(source: String, attempt: Int, delay: Duration, reason: String) {
        metrics.reconnecting(source: source, attempt: attempt, delay: delay, reason: reason)
        logger.warning("source \(source): reconnecting in \(delay) (attempt \(attempt)): \(reason)")
    }

    func resnapshotting(source: String, reason: String) {
        metrics.resnapshotting(source: source, reason: reason)
        logger.warning("source \(source): cannot resume (\(reason)); taking a fresh snapshot")
    }

    func failed(source: String, error: IngestError) {
        metrics.failed(source: source, error: error)
        logger.error("source \(source) stopped: \(error)")
    }
}
