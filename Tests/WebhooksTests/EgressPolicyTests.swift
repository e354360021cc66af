import Testing
@testable import Webhooks

@Suite struct EgressPolicyTests {
    func refusal(_ url: String, _ policy: EgressPolicy = EgressPolicy()) -> WebhooksError.Code? {
        do {
            _ = try policy.validate(url)
            return nil
        } catch { return error.code }
    }

    @Test func acceptsPublicHTTPURLs() throws {
        let endpoint = try EgressPolicy().validate("https://Hooks.Example.com/in?x=1")
        #expect(endpoint.host == "hooks.example.com")
        #expect(endpoint.port == 443)
        #expect(endpoint.pathAndQuery == "/in?x=1")
        #expect(refusal("http://93.184.216.34:8080") == nil)
        #expect(refusal("http://[2606:2800:220:1:248:1893:25c8:1946]/") == nil)
    }

    @Test func refusesMalformedURLs() {
        #expect(refusal("not a url") == .invalidURL)
        #expect(refusal("ftp://example.com/") == .invalidURL)
        #expect(refusal("file:///etc/passwd") == .invalidURL)
        #expect(refusal("https:///path") == .invalidURL)
        #expect(refusal("https://user:pw@example.com/") == .invalidURL)
        #expect(refusal("http://example.com/", EgressPolicy(requireHTTPS: true)) == .invalidURL)
        #expect(refusal("https://example.com/" + String(repeating: "a", count: 3000)) == .invalidURL)
    }

    @Test func refusesSpecialAddressLiterals() {
        for url in [
            "http://127.0.0.1/", "http://localhost:8080/", "http://[::1]/", "http://10.1.2.3/", "http://172.20.0.1/",
            "http://192.168.1.1/", "http://[fd12::1]/", "http://169.254.1.1/", "http://[fe80::1]/", "http://100.64.0.1/",
            "http://0.0.0.0/", "http://[::]/", "http://169.254.169.254/latest/meta-data", "http://[fd00:ec2::254]/",
            "http://[::ffff:127.0.0.1]/", "http://[64:ff9b::a9fe:a9fe]/", "http://224.0.0.1/",
        ] {
            #expect(refusal(url) == .egressRefused, "\(url)")
        }
    }

    @Test func configurationAllowsCategoriesButNeverMetadata() throws {
        let local = EgressPolicy(allowLoopback: true)
        #expect(refusal("http://127.0.0.1:9000/", local) == nil)
        #expect(refusal("http://localhost/", local) == nil)
        #expect(refusal("http://10.0.0.1/", local) == .egressRefused)
        let privateNetworks = EgressPolicy(allowPrivate: true)
        #expect(refusal("http://10.0.0.1/", privateNetworks) == nil)
        #expect(refusal("http://[fd12::1]/", privateNetworks) == nil)
        #expect(refusal("http://169.254.169.254/", privateNetworks) == .egressRefused)
        #expect(refusal("http://[fd00:ec2::254]/", privateNetworks) == .egressRefused)
        let subnet = EgressPolicy(allowedNetworks: [try #require(IPNetwork("10.9.0.0/16"))])
        #expect(refusal("http://10.9.3.4/", subnet) == nil)
        #expect(refusal("http://10.8.3.4/", subnet) == .egressRefused)
    }

    @Test func resolvedAddressesMustAllPass() throws {
        let policy = EgressPolicy(allowedHosts: ["trusted.internal"])
        let publicAddress = try #require(IPAddress("93.184.216.34"))
        let loopback = try #require(IPAddress("127.0.0.1"))
        try policy.check(host: "hooks.example.com", addresses: [publicAddress])
        #expect(throws: WebhooksError.self) { try policy.check(host: "rebind.example.com", addresses: [publicAddress, loopback]) }
        #expect(throws: WebhooksError.self) { try policy.check(host: "empty.example.com", addresses: []) }
        try policy.check(host: "Trusted.Internal", addresses: [loopback])
    }

    @Test func parsesAddressesAndNetworks() throws {
        #expect(IPAddress("1.2.3.4")?.bytes == [1, 2, 3, 4])
        #expect(IPAddress("::1")?.bytes.count == 16)
        #expect(IPAddress("[fe80::1%eth0]")?.description == "fe80::1")
        #expect(IPAddress("1.2.3") == nil)
        #expect(IPAddress("999.1.1.1") == nil)
        #expect(IPAddress("") == nil)
        let network = try #require(IPNetwork("172.16.0.0/12"))
        #expect(network.contains(try #require(IPAddress("172.31.255.255"))))
        #expect(!network.contains(try #require(IPAddress("172.32.0.0"))))
        #expect(!network.contains(try #require(IPAddress("::1"))))
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("10.0.0.0/x") == nil)
        #expect(EgressPolicy.category(of: try #require(IPAddress("8.8.8.8"))) == nil)
    }

    @Test func systemResolverResolvesLiteralsAndLocalhost() async throws {
        let resolver = SystemHostResolver()
        #expect(try await resolver.addresses(of: "127.0.0.1", port: 80) == [try #require(IPAddress("127.0.0.1"))])
        let local = try await resolver.addresses(of: "localhost", port: 80)
        #expect(!local.isEmpty)
        #expect(local.allSatisfy { EgressPolicy.category(of: $0) == .loopback })
        await #expect(throws: WebhooksError.self) { try await resolver.addresses(of: "no-such-host.invalid", port: 80) }
    }
}
