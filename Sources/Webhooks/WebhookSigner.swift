import Foundation
import PGWire

/// Signs deliveries as the Standard Webhooks specification v1 says
/// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
/// `webhook-signature: v1,<base64(HMAC-SHA256(secret, "<webhook-id>.<webhook-timestamp>.<body>"))>`.
///
/// The key is absorbed into HMAC states once (``HMAC/Key``), so signing a delivery costs two
/// SHA-256 passes over the body and nothing more.
public struct WebhookSigner: Sendable {
    /// The header names of the spec.
    public enum Header {
        public static let id = "webhook-id"
        public static let timestamp = "webhook-timestamp"
        public static let signature = "webhook-signature"
    }

    private let key: HMAC.Key

    public init(secret: WebhookSecret) {
        key = HMAC.Key(secret.bytes)
    }

    /// `v1,<base64 signature>` for one message.
    public func signature(id: String, timestamp: Int64, body: some Collection<UInt8>) -> String {
        "v1," + Data(mac(id: id, timestamp: String(timestamp), body: body)).base64EncodedString()
    }

    /// The three headers to send with `body`; `timestamp` is the send time in Unix seconds.
    public func headers(id: String, timestamp: Int64, body: some Collection<UInt8>) -> [(name: String, value: String)] {
        [
            (Header.id, id),
            (Header.timestamp, String(timestamp)),
            (Header.signature, signature(id: id, timestamp: timestamp, body: body)),
        ]
    }

    private func mac(id: String, timestamp: String, body: some Collection<UInt8>) -> [UInt8] {
        var hmac = HMAC(key: key)
        hmac.update(id.utf8)
        hmac.update(CollectionOfOne(UInt8(ascii: ".")))
        hmac.update(timestamp.utf8)
        hmac.update(CollectionOfOne(UInt8(ascii: ".")))
        hmac.update(body)
        return hmac.finalize()
    }

    /// Verifies a delivery as a receiver must: the timestamp within `tolerance` seconds of `now`
    /// (replay protection), and one of the space-separated `v1,` signatures matching, compared in
    /// constant time. Several secrets may be given while one is being rotated.
    ///
    /// - Throws: ``WebhooksError`` with code `invalidSignature` saying what failed.
    public static func verify(
        id: String, timestamp: String, signatureHeader: String, body: some Collection<UInt8>,
        secrets: [WebhookSecret], now: Int64, tolerance: Int64 = 300
    ) throws(WebhooksError) {
        guard !id.isEmpty else { throw WebhooksError(.invalidSignature, "the webhook-id header is missing") }
        guard let seconds = Int64(timestamp) else {
            throw WebhooksError(.invalidSignature, "the webhook-timestamp header is not Unix seconds")
        }
        guard seconds >= now - tolerance, seconds <= now + tolerance else {
            throw WebhooksError(.invalidSignature, "the webhook-timestamp is more than \(tolerance) s from now: refusing a possible replay")
        }
        let candidates = signatureHeader.split(separator: " ").compactMap { entry -> [UInt8]? in
            guard entry.hasPrefix("v1,"), let data = Data(base64Encoded: String(entry.dropFirst(3))) else { return nil }
            return Array(data)
        }
        guard !candidates.isEmpty else {
            throw WebhooksError(.invalidSignature, "the webhook-signature header has no v1 signature")
        }
        for secret in secrets {
            let expected = WebhookSigner(secret: secret).mac(id: id, timestamp: timestamp, body: body)
            for candidate in candidates where constantTimeEqual(candidate, expected) { return }
        }
        throw WebhooksError(.invalidSignature, "no webhook-signature matches: check the secret and that the body is unmodified")
    }

    /// Equality whose time does not depend on where the bytes differ.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
