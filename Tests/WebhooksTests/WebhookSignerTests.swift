import Testing
@testable import Webhooks

@Suite struct WebhookSignerTests {
    // The reference vector of the Standard Webhooks specification and its libraries.
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1_614_265_330
    static let body = Array("{\"test\": 2432232314}".utf8)
    static let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    @Test func matchesTheReferenceVector() throws {
        let signer = WebhookSigner(secret: try WebhookSecret(Self.secret))
        #expect(signer.signature(id: Self.id, timestamp: Self.timestamp, body: Self.body) == Self.expected)
        let headers = signer.headers(id: Self.id, timestamp: Self.timestamp, body: Self.body)
        #expect(headers.map(\.name) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(headers.map(\.value) == [Self.id, "1614265330", Self.expected])
    }

    @Test func verifiesTheReferenceVector() throws {
        let secret = try WebhookSecret(Self.secret)
        try WebhookSigner.verify(
            id: Self.id, timestamp: "1614265330", signatureHeader: "v1,bm90IGl0 " + Self.expected, body: Self.body,
            secrets: [secret], now: Self.timestamp + 10)
    }

    @Test func refusesTamperingReplayAndWrongSecrets() throws {
        let secret = try WebhookSecret(Self.secret)
        var generator = SystemRandomNumberGenerator()
        let other = WebhookSecret.generate(using: &generator)
        func verify(id: String = Self.id, timestamp: String = "1614265330", header: String = Self.expected,
                    body: [UInt8] = Self.body, secrets: [WebhookSecret]? = nil, now: Int64 = Self.timestamp) -> WebhooksError? {
            do {
                try WebhookSigner.verify(id: id, timestamp: timestamp, signatureHeader: header, body: body,
                                         secrets: secrets ?? [secret], now: now)
                return nil
            } catch { return error }
        }
        #expect(verify() == nil)
        #expect(verify(body: Array("{\"test\": 2432232315}".utf8))?.code == .invalidSignature)
        #expect(verify(id: "msg_other")?.code == .invalidSignature)
        #expect(verify(now: Self.timestamp + 301)?.code == .invalidSignature)
        #expect(verify(timestamp: "soon")?.code == .invalidSignature)
        #expect(verify(header: "v2," + Self.expected.dropFirst(3))?.code == .invalidSignature)
        #expect(verify(secrets: [other])?.code == .invalidSignature)
        #expect(verify(secrets: [other, secret]) == nil)  // rotation: either secret
    }

    @Test func secretsRoundTripAndBadOnesAreRefused() throws {
        var generator = SystemRandomNumberGenerator()
        let secret = WebhookSecret.generate(using: &generator)
        #expect(secret.text.hasPrefix("whsec_"))
        #expect(try WebhookSecret(secret.text) == secret)
        #expect(secret.bytes.count == 32)
        #expect(!secret.description.contains(String(secret.text.dropFirst(6))))
        #expect(throws: WebhooksError.self) { try WebhookSecret("whsec_not base64!") }
        #expect(throws: WebhooksError.self) { try WebhookSecret("whsec_c2hvcnQ=") }  // "short"
        #expect(try WebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == WebhookSecret(Self.secret))
    }
}
