import Foundation
import Logging
import Testing
import Webhooks
@testable import Server

/// The demo's receiver checks deliveries as a real one must and says what each was.
@Suite struct DemoWebhookReceiverTests {
    static let secret = try! WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    let receiver = DemoWebhookReceiver(secret: Self.secret, logger: Logger(label: "test"))
    let body = Array(#"{"event_id":"e1","event_type":"FIRE","trigger_name":"high_risk","source":"positions","data":{"trader":"carol","risk_level":"high"}}"#.utf8)

    func signed(_ body: [UInt8], timestamp: Int64 = 1_700_000_000, secret: WebhookSecret = Self.secret) -> String {
        WebhookSigner(secret: secret).signature(id: "e1", timestamp: timestamp, body: body)
    }

    @Test func acceptsAVerifiedEventAndLogsItsRow() {
        let (status, line) = receiver.receive(id: "e1", timestamp: "1700000000", signature: signed(body), body: body, now: 1_700_000_010)
        #expect(status == 204)
        #expect(line == #"webhook received: FIRE positions.high_risk {"risk_level":"high","trader":"carol"} (signature verified, webhook-id e1)"#)
    }

    @Test func refusesWrongSignaturesStaleTimestampsAndOtherBodies() throws {
        let other = try WebhookSecret("whsec_" + Data(repeating: 7, count: 32).base64EncodedString())
        let wrong = receiver.receive(id: "e1", timestamp: "1700000000", signature: signed(body, secret: other), body: body, now: 1_700_000_000)
        #expect(wrong.0 == 401 && wrong.1.contains("no webhook-signature matches"))
        let stale = receiver.receive(id: "e1", timestamp: "1700000000", signature: signed(body), body: body, now: 1_700_001_000)
        #expect(stale.0 == 401 && stale.1.contains("replay"))
        let missing = receiver.receive(id: nil, timestamp: nil, signature: nil, body: body, now: 1_700_000_000)
        #expect(missing.0 == 401)
        let notAnEvent = Array(#"{"hello":"world"}"#.utf8)
        let unreadable = receiver.receive(id: "e1", timestamp: "1700000000", signature: signed(notAnEvent), body: notAnEvent, now: 1_700_000_000)
        #expect(unreadable.0 == 400 && unreadable.1.contains("not a trigger event"))
    }
}
