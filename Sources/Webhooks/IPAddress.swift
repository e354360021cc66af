#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as its network-order bytes (4 or 16).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public var isIPv4: Bool { bytes.count == 4 }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (brackets and a `%zone` are stripped).
    public init?(_ text: String) {
        var text = Substring(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if let zone = text.firstIndex(of: "%") { text = text[..<zone] }
        guard !text.isEmpty, text.utf8.count < 64 else { return nil }
        let plain = String(text)
        var v4 = in_addr()
        if inet_pton(AF_INET, plain, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, plain, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// The IPv4 address an IPv6 address carries: IPv4-mapped (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2)
    /// and NAT64 (`64:ff9b::a.b.c.d`, RFC 6052) reach that IPv4 host, so they are judged as it.
    public var embeddedIPv4: IPAddress? {
        guard bytes.count == 16 else { return nil }
        let mapped: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
        let nat64: [UInt8] = [0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]
        let head = Array(bytes[0..<12])
        guard head == mapped || head == nat64 else { return nil }
        return IPAddress(bytes: Array(bytes[12..<16]))
    }

    public var description: String {
        var storage = [CChar](repeating: 0, count: 64)
        let family = isIPv4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in
            storage.withUnsafeMutableBufferPointer { inet_ntop(family, raw.baseAddress, $0.baseAddress, 64) != nil }
        }
        guard ok else { return bytes.map(String.init).joined(separator: ".") }
        return String(decoding: storage.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A CIDR block such as `10.0.0.0/8` or `fc00::/7`.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { return nil }
        let maxLength = address.bytes.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...maxLength).contains(length) else { return nil }
            self.init(address: address, prefixLength: length)
        } else {
            self.init(address: address, prefixLength: maxLength)
        }
    }

    public init(address: IPAddress, prefixLength: Int) {
        precondition((0...address.bytes.count * 8).contains(prefixLength), "prefix length within the address")
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Whether `candidate` is in the block (never across families).
    public func contains(_ candidate: IPAddress) -> Bool {
        guard candidate.bytes.count == address.bytes.count else { return false }
        var remaining = prefixLength
        var index = 0
        while remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if candidate.bytes[index] & mask != address.bytes[index] & mask { return false }
            remaining -= 8
            index += 1
        }
        return true
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
