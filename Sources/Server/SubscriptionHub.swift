import LiveViews

/// Where subscriptions come from: the source registry in the server, a fixed set of caches in tests.
public protocol SubscriptionHub: Sendable {
    func subscribe(source: String, filter: Filter, options: SubscriptionOptions) async throws(LiveViewsError) -> Subscription
    /// Every source's status, for `/ready`.
    func status() async -> [SourceStatus]
}

extension SourceRegistry: SubscriptionHub {}
