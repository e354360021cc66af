import CoreMetrics
import LiveViews
import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory
import Synchronization

/// Everything the server counts, recorded through the swift-metrics API and exposed at
/// `GET /metrics` in the Prometheus text format
/// (https://prometheus.io/docs/instrumenting/exposition_formats/).
///
/// The factory is injected rather than taken from `MetricsSystem`: the process bootstraps
/// once (``MetricsBootstrap``), while tests run several servers in one process, each with
/// its own registry, so their counters never mix. Every handle is created once and kept:
/// a swift-metrics handle is a lookup in the registry under a lock, and dropping one would
/// make its series vanish from the exposition.
///
/// Names follow Prometheus conventions: `tycostream_` prefix, `_total` on counters, units in
/// the name (`_bytes`, `_milliseconds`), labels `source`, `operation` and `outcome`.
public final class ServerMetrics: Sendable {
    /// The registry `/metrics` renders; `nil` when metrics are off (then `/metrics` is 404).
    public let registry: PrometheusCollectorRegistry?
    let factory: any MetricsFactory

    // WebSocket transport.
    private let connections: Meter
    private let activeSubscriptions: Meter
    private let messagesSent: Counter
    private let bytesSent: Counter
    private let subscriberOverflows: Counter

    // Shared encodings: EncodingCache keeps running totals, copied here at scrape time.
    private let encodingHits: Counter
    private let encodingMisses: Counter
    private let encodingSeen = Mutex<(hits: Int, misses: Int)>((0, 0))

    // Coalescing in subscriber queues: LiveViews keeps a process-wide total, copied at scrape time.
    private let coalescedEvents: Counter
    private let coalescedSeen = Mutex(0)

    private let operations: [OperationKind: (ok: Counter, error: Counter)]
    let webhooks: WebhookMetrics
    private let sources = Mutex<[String: SourceMetrics]>([:])

    /// Records into `registry` through a `PrometheusMetricsFactory` made for it.
    ///
    /// - Parameter sources: sources whose series exist (at zero) from the start; others appear
    ///   when first reported.
    public convenience init(registry: PrometheusCollectorRegistry, sources: [String] = []) {
        self.init(factory: PrometheusMetricsFactory(registry: registry), registry: registry, sources: sources)
    }

    /// Records through `factory`; `registry` is what `/metrics` renders and should be the one
    /// `factory` writes to.
    public init(factory: any MetricsFactory, registry: PrometheusCollectorRegistry?, sources: [String] = []) {
        self.factory = factory
        self.registry = registry
        connections = Meter(label: "tycostream_websocket_connections", factory: factory)
        activeSubscriptions = Meter(label: "tycostream_subscriptions_active", factory: factory)
        messagesSent = Counter(label: "tycostream_websocket_messages_sent_total", factory: factory)
        bytesSent = Counter(label: "tycostream_websocket_bytes_sent_total", factory: factory)
        subscriberOverflows = Counter(label: "tycostream_subscriber_overflows_total", factory: factory)
        encodingHits = Counter(label: "tycostream_encoding_cache_hits_total", factory: factory)
        encodingMisses = Counter(label: "tycostream_encoding_cache_misses_total", factory: factory)
        coalescedEvents = Counter(label: "tycostream_coalesced_events_total", factory: factory)
        var operations: [OperationKind: (ok: Counter, error: Counter)] = [:]
        for kind in OperationKind.allCases {
            func counter(_ outcome: String) -> Counter {
                Counter(
                    label: "tycostream_graphql_operations_total",
                    dimensions: [("operation", kind.rawValue), ("outcome", outcome)], factory: factory)
            }
            operations[kind] = (counter("ok"), counter("error"))
        }
        self.operations = operations
        webhooks = WebhookMetrics(factory: factory)
        self.sources.withLock { table in
            for name in sources { table[name] = SourceMetrics(source: name, factory: factory) }
        }
    }

    /// Records nothing and serves no `/metrics`: for tools and tests that do not look.
    public static func disabled() -> ServerMetrics {
        ServerMetrics(factory: NOOPMetricsHandler.instance, registry: nil)
    }

    // MARK: WebSocket

    /// A WebSocket connection speaking a GraphQL subprotocol opened; pair with ``connectionClosed()``.
    func connectionOpened() { connections.increment() }
    func connectionClosed() { connections.decrement() }

    /// A subscription began streaming events; pair with ``subscriptionEnded()``.
    func subscriptionStarted() { activeSubscriptions.increment() }
    func subscriptionEnded() { activeSubscriptions.decrement() }

    /// A subscription ended because its subscriber fell too far behind (`.subscriberOverflow`).
    func subscriberOverflowed() { subscriberOverflows.increment() }

    /// One text message written to a WebSocket: its payload bytes, before compression and framing.
    func sent(bytes: Int) {
        messagesSent.increment()
        bytesSent.increment(by: bytes)
    }

    // MARK: GraphQL

    /// The kind of a GraphQL operation as a label value; `invalid` when the document did not
    /// parse or validate, so no type is known.
    enum OperationKind: String, CaseIterable, Sendable {
        case query, mutation, subscription, invalid
    }

    /// One operation started over any transport, and whether it produced a result without errors.
    func operation(_ kind: OperationKind, succeeded: Bool) {
        guard let counters = operations[kind] else { preconditionFailure("every OperationKind has counters") }
        (succeeded ? counters.ok : counters.error).increment()
    }

    // MARK: Sources

    /// The handles of `source`, created on first use.
    func source(_ name: String) -> SourceMetrics {
        sources.withLock { table in
            if let metrics = table[name] { return metrics }
            let metrics = SourceMetrics(source: name, factory: factory)
            table[name] = metrics
            return metrics
        }
    }

    // MARK: Exposition

    /// The Prometheus text exposition, after copying in what is read at scrape time: each
    /// source's cached rows, shared views and whether it streams, the encoding cache's totals
    /// and the events subscriber queues coalesced.
    ///
    /// - Parameter coalescedEvents: the running total of ``LiveViews/QueueStatistics``
    ///   (process-wide, so several servers in one process all see every queue's merges).
    /// - Returns: `nil` when metrics are off.
    public func exposition(
        statuses: [SourceStatus], encodings: (hits: Int, misses: Int),
        coalescedEvents coalesced: Int = QueueStatistics.coalescedEvents
    ) -> [UInt8]? {
        guard let registry else { return nil }
        for status in statuses {
            let metrics = source(status.name)
            metrics.cacheRows.record(status.rowCount)
            metrics.streaming.record(status.timestamp == nil ? 0 : 1)
            metrics.sharedViews.record(status.viewCount)
        }
        coalescedSeen.withLock { seen in
            if coalesced > seen { coalescedEvents.increment(by: coalesced - seen) }
            seen = max(seen, coalesced)
        }
        // Counters only go up: add what the cache counted since the last scrape. Under the
        // lock, so two concurrent scrapes never add the same encodings twice.
        encodingSeen.withLock { seen in
            if encodings.hits > seen.hits { encodingHits.increment(by: encodings.hits - seen.hits) }
            if encodings.misses > seen.misses { encodingMisses.increment(by: encodings.misses - seen.misses) }
            seen = (max(seen.hits, encodings.hits), max(seen.misses, encodings.misses))
        }
        return registry.emitToBuffer()
    }
}
