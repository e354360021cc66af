import Foundation

/// A Standard Webhooks signing secret: `whsec_` followed by the base64 of 24 to 64 random bytes
/// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md,
/// "Signature scheme"). Each trigger has its own, so a leaked secret exposes one endpoint.
public struct WebhookSecret: Sendable, Hashable, CustomStringConvertible {
    /// The prefix the spec gives symmetric secrets.
    public static let prefix = "whsec_"

    /// The raw key bytes (the HMAC key).
    public let bytes: [UInt8]

    /// Parses `whsec_<base64>`; the bare base64 is accepted too, as the spec's libraries do.
    public init(_ text: String) throws(WebhooksError) {
        let encoded = text.hasPrefix(Self.prefix) ? String(text.dropFirst(Self.prefix.count)) : text
        guard let data = Data(base64Encoded: encoded) else {
            throw WebhooksError(.invalidSecret, "a webhook secret is 'whsec_' followed by standard base64")
        }
        try self.init(bytes: Array(data))
    }

    /// Wraps raw key bytes; the spec asks for 24 to 64 of them.
    public init(bytes: [UInt8]) throws(WebhooksError) {
        guard (24...64).contains(bytes.count) else {
            throw WebhooksError(.invalidSecret, "a webhook secret must hold 24 to 64 bytes, this one holds \(bytes.count)")
        }
        self.bytes = bytes
    }

    private init(checked bytes: [UInt8]) { self.bytes = bytes }

    /// A fresh 32-byte secret from `generator` (pass `SystemRandomNumberGenerator()` in production).
    public static func generate(using generator: inout some RandomNumberGenerator) -> WebhookSecret {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return WebhookSecret(checked: bytes)
    }

    /// The `whsec_…` text given to the receiver.
    public var text: String { Self.prefix + Data(bytes).base64EncodedString() }

    /// Never prints the key.
    public var description: String { "whsec_…(\(bytes.count) bytes)" }
}
