import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Resolves webhook host names, so deliveries check the addresses they are about to call.
/// Injected: tests answer with fixed addresses (and simulate DNS rebinding).
public protocol HostResolver: Sendable {
    func addresses(of host: String, port: Int) async throws -> [IPAddress]
}

/// The system resolver (`getaddrinfo`), run on a Dispatch queue so a slow DNS server blocks
/// no task of the cooperative pool.
public struct SystemHostResolver: HostResolver {
    public init() {}

    public func addresses(of host: String, port: Int) async throws -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { () throws(WebhooksError) in try Self.resolve(host, port) })
            }
        }
    }

    private static func resolve(_ host: String, _ port: Int) throws(WebhooksError) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw WebhooksError(.resolutionFailed, "cannot resolve webhook host '\(host)' (getaddrinfo error \(status))")
        }
        defer { freeaddrinfo(first) }
        var result: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let raw = entry.pointee.ai_addr {
                switch Int32(raw.pointee.sa_family) {
                case AF_INET:
                    let bytes = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                    }
                    if let address = IPAddress(bytes: bytes), !result.contains(address) { result.append(address) }
                case AF_INET6:
                    let bytes = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                    }
                    if let address = IPAddress(bytes: bytes), !result.contains(address) { result.append(address) }
                default:
                    break
                }
            }
            cursor = entry.pointee.ai_next
        }
        return result
    }
}
