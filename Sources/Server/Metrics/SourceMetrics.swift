import CoreMetrics

/// The series of one source, labelled `source`.
final class SourceMetrics: Sendable {
    let rowsReceived: Counter
    let bytesReceived: Counter
    let batches: Counter
    let changes: Counter
    let reconnects: Counter
    let resnapshots: Counter
    let failures: Counter
    let lag: Gauge
    let cacheRows: Gauge
    let streaming: Gauge
    /// Distinct views and triggers of the source (subscribers with one filter share a view).
    let sharedViews: Gauge

    init(source: String, factory: any MetricsFactory) {
        let labels = [("source", source)]
        rowsReceived = Counter(label: "tycostream_source_rows_received_total", dimensions: labels, factory: factory)
        bytesReceived = Counter(label: "tycostream_source_bytes_received_total", dimensions: labels, factory: factory)
        batches = Counter(label: "tycostream_source_batches_total", dimensions: labels, factory: factory)
        changes = Counter(label: "tycostream_source_changes_total", dimensions: labels, factory: factory)
        reconnects = Counter(label: "tycostream_source_reconnects_total", dimensions: labels, factory: factory)
        resnapshots = Counter(label: "tycostream_source_resnapshots_total", dimensions: labels, factory: factory)
        failures = Counter(label: "tycostream_source_failures_total", dimensions: labels, factory: factory)
        lag = Gauge(label: "tycostream_source_lag_milliseconds", dimensions: labels, factory: factory)
        cacheRows = Gauge(label: "tycostream_source_cache_rows", dimensions: labels, factory: factory)
        streaming = Gauge(label: "tycostream_source_streaming", dimensions: labels, factory: factory)
        sharedViews = Gauge(label: "tycostream_shared_views", dimensions: labels, factory: factory)
    }
}
