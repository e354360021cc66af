import LiveViews

/// Where triggers attach: the source registry in the server, a fixed set of caches in tests.
public protocol TriggerHub: Sendable {
    /// Attaches a trigger once the source has its first batch; see
    /// ``LiveViews/SourceRegistry/startTrigger(source:fire:clear:options:resume:)``.
    func startTrigger(source: String, fire: Filter, clear: Filter?, options: TriggerOptions, resume: TriggerResume?)
        async throws(LiveViewsError) -> TriggerStart
}

extension SourceRegistry: TriggerHub {}
