import Foundation

/// Which webhook URLs tycostream may call. A trigger's URL comes from a GraphQL client, so
/// without this anyone allowed to create a trigger could make the server POST to its own
/// loopback services, the private network or a cloud metadata endpoint (SSRF; OWASP
/// "Server-Side Request Forgery Prevention Cheat Sheet").
///
/// URLs are checked when a trigger is created (``validate(_:)``) and the host's resolved
/// addresses again at every delivery (``check(host:addresses:)``), because DNS can answer
/// differently later (DNS rebinding). Every resolved address must pass, not just one.
public struct EgressPolicy: Sendable, Hashable {
    /// Why an address is refused.
    public enum Category: String, Sendable, Hashable, CaseIterable {
        case loopback
        /// RFC 1918 and IPv6 unique-local (fc00::/7).
        case privateNetwork = "private"
        /// RFC 3927 169.254/16 and fe80::/10.
        case linkLocal = "link-local"
        /// RFC 6598 shared address space 100.64/10 (carrier-grade NAT).
        case sharedAddressSpace = "CGNAT"
        /// 0.0.0.0/8 and `::`.
        case unspecified
        case multicast
        /// IETF-reserved and benchmarking ranges, broadcast, site-local.
        case reserved
        /// Cloud instance metadata (169.254.169.254, fd00:ec2::254): never allowed by a category flag.
        case metadata
    }

    /// Loopback hosts (for local development and tests).
    public var allowLoopback: Bool
    /// Private, unique-local and CGNAT hosts (an on-premises deployment whose receivers are internal).
    public var allowPrivate: Bool
    /// Refuse plain `http` URLs.
    public var requireHTTPS: Bool
    /// Blocks always allowed, whatever their category (e.g. one internal subnet).
    public var allowedNetworks: [IPNetwork]
    /// Host names (lowercase) trusted as they are: their addresses are not checked.
    public var allowedHosts: Set<String>
    /// The longest URL accepted.
    public var maxURLLength: Int

    public init(
        allowLoopback: Bool = false, allowPrivate: Bool = false, requireHTTPS: Bool = false,
        allowedNetworks: [IPNetwork] = [], allowedHosts: Set<String> = [], maxURLLength: Int = 2048
    ) {
        self.allowLoopback = allowLoopback
        self.allowPrivate = allowPrivate
        self.requireHTTPS = requireHTTPS
        self.allowedNetworks = allowedNetworks
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
        self.maxURLLength = maxURLLength
    }

    /// Checks a webhook URL's shape, and its address when the host is an IP literal.
    ///
    /// - Throws: ``WebhooksError`` `invalidURL` or `egressRefused`, saying why.
    public func validate(_ text: String) throws(WebhooksError) -> WebhookEndpoint {
        guard text.utf8.count <= maxURLLength else {
            throw WebhooksError(.invalidURL, "the webhook URL is longer than \(maxURLLength) bytes")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw WebhooksError(.invalidURL, "'\(text)' is not a URL; give an absolute http(s) URL")
        }
        guard scheme == "https" || scheme == "http" else {
            throw WebhooksError(.invalidURL, "the webhook URL must be http or https, not '\(scheme)'")
        }
        if requireHTTPS, scheme != "https" {
            throw WebhooksError(.invalidURL, "this server only calls https webhooks")
        }
        guard components.user == nil, components.password == nil else {
            throw WebhooksError(.invalidURL, "the webhook URL must not carry credentials; use the signing secret")
        }
        var host = (components.host ?? "").lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") { host.removeLast() }
        guard !host.isEmpty else { throw WebhooksError(.invalidURL, "the webhook URL '\(text)' has no host") }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65535).contains(port) else { throw WebhooksError(.invalidURL, "port \(port) is out of range") }
        var path = components.percentEncodedPath
        if path.isEmpty { path = "/" }
        if let query = components.percentEncodedQuery { path += "?" + query }
        let endpoint = WebhookEndpoint(url: text, isHTTPS: scheme == "https", host: host, port: port, pathAndQuery: path)
        if let literal = IPAddress(host) {
            try check(host: host, addresses: [literal])
        } else if host == "localhost" || host.hasSuffix(".localhost"), !allowLoopback, !allowedHosts.contains(host) {
            // RFC 6761 §6.3: always loopback; refuse without a DNS round trip.
            throw WebhooksError(.egressRefused, "webhook host '\(host)' is loopback; loopback webhooks are not allowed")
        }
        return endpoint
    }

    /// Checks every address `host` resolved to.
    ///
    /// - Throws: ``WebhooksError`` `egressRefused` naming the first refused address and its category.
    public func check(host: String, addresses: [IPAddress]) throws(WebhooksError) {
        if allowedHosts.contains(host.lowercased()) { return }
        guard !addresses.isEmpty else {
            throw WebhooksError(.resolutionFailed, "webhook host '\(host)' resolved to no address")
        }
        for address in addresses {
            if let category = refusal(for: address) {
                throw WebhooksError(
                    .egressRefused,
                    "webhook host '\(host)' resolves to \(address), a \(category.rawValue) address; allow it in the egress configuration if intended")
            }
        }
    }

    /// Why `address` is refused under this policy, or `nil` when it may be called.
    public func refusal(for address: IPAddress) -> Category? {
        if allowedNetworks.contains(where: { $0.contains(address) }) { return nil }
        guard let category = Self.category(of: address) else { return nil }
        switch category {
        case .loopback: return allowLoopback ? nil : category
        case .privateNetwork, .sharedAddressSpace: return allowPrivate ? nil : category
        case .linkLocal, .unspecified, .multicast, .reserved, .metadata: return category
        }
    }

    /// The special-purpose category of an address (IANA special-purpose registries), or `nil`
    /// for an ordinary public address. Embedded IPv4 addresses are judged as IPv4.
    public static func category(of address: IPAddress) -> Category? {
        if let embedded = address.embeddedIPv4 { return category(of: embedded) }
        for (network, category) in address.isIPv4 ? ipv4Ranges : ipv6Ranges where network.contains(address) {
            return category
        }
        return nil
    }

    // Order matters: the metadata host sits inside the link-local and unique-local blocks.
    private static let ipv4Ranges = table([
        ("169.254.169.254/32", .metadata), ("0.0.0.0/8", .unspecified), ("127.0.0.0/8", .loopback),
        ("10.0.0.0/8", .privateNetwork), ("172.16.0.0/12", .privateNetwork), ("192.168.0.0/16", .privateNetwork),
        ("100.64.0.0/10", .sharedAddressSpace), ("169.254.0.0/16", .linkLocal), ("192.0.0.0/24", .reserved),
        ("192.0.2.0/24", .reserved), ("198.18.0.0/15", .reserved), ("198.51.100.0/24", .reserved),
        ("203.0.113.0/24", .reserved), ("224.0.0.0/4", .multicast), ("240.0.0.0/4", .reserved),
    ])

    private static let ipv6Ranges = table([
        ("fd00:ec2::254/128", .metadata), ("::/128", .unspecified), ("::1/128", .loopback),
        ("fc00::/7", .privateNetwork), ("fe80::/10", .linkLocal), ("fec0::/10", .reserved),
        ("ff00::/8", .multicast), ("::/96", .reserved), ("100::/64", .reserved), ("2001:db8::/32", .reserved),
    ])

    private static func table(_ entries: [(String, Category)]) -> [(IPNetwork, Category)] {
        entries.map { entry in
            guard let network = IPNetwork(entry.0) else { preconditionFailure("bad built-in range \(entry.0)") }
            return (network, entry.1)
        }
    }
}

/// A validated webhook URL, split for delivery.
public struct WebhookEndpoint: Sendable, Hashable {
    /// The URL as the trigger gave it.
    public let url: String
    public let isHTTPS: Bool
    /// Lowercase host name or IP literal (no brackets).
    public let host: String
    public let port: Int
    /// The percent-encoded path and query, at least `/`.
    public let pathAndQuery: String

    /// The URL to request when connecting to `address` for this host: for plain http the
    /// address itself (the `Host` header keeps the name), so DNS cannot change between the
    /// check and the connection. For https the name, since certificate checks need it: the
    /// HTTP client resolves it again, a window of milliseconds in which a rebinding DNS server
    /// could still answer differently (pinning https needs a client per pinned address; see
    /// AsyncHTTPClient's `dnsOverride`).
    func requestURL(pinnedTo address: IPAddress?) -> String {
        guard !isHTTPS, let address else { return url }
        let hostText = address.isIPv4 ? address.description : "[\(address)]"
        return "http://\(hostText):\(port)\(pathAndQuery)"
    }

    /// The `Host` header for the request (RFC 9110 §7.2).
    var hostHeader: String {
        let name = IPAddress(host).map { $0.isIPv4 ? host : "[\(host)]" } ?? host
        let defaultPort = isHTTPS ? 443 : 80
        return port == defaultPort ? name : "\(name):\(port)"
    }
}
