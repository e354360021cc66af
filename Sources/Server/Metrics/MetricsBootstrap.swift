import CoreMetrics
import Prometheus
import Synchronization

/// The process-wide swift-metrics backend: one `PrometheusMetricsFactory` over one registry,
/// bootstrapped at most once (`MetricsSystem.bootstrap` traps when called twice), so metrics
/// recorded by libraries through the global `MetricsSystem` land in the same `/metrics`.
///
/// Only ``ServerRunner`` uses it; tests build their own ``ServerMetrics`` over a fresh
/// registry and never touch the global system.
enum MetricsBootstrap {
    private static let shared = Mutex<PrometheusMetricsFactory?>(nil)

    /// The process's factory, bootstrapping `MetricsSystem` with it on the first call.
    static func factory() -> PrometheusMetricsFactory {
        shared.withLock { factory in
            if let factory { return factory }
            let made = PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())
            MetricsSystem.bootstrap(made)
            factory = made
            return made
        }
    }

    /// Server metrics recorded through the process's factory into its registry.
    static func metrics(sources: [String]) -> ServerMetrics {
        let factory = factory()
        return ServerMetrics(factory: factory, registry: factory.registry, sources: sources)
    }
}
