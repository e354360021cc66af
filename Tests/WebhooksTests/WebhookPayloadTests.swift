import Foundation
import LiveViews
import Testing
@testable import Webhooks

@Suite struct WebhookPayloadTests {
    func payload(_ type: WebhookPayload.EventType = .fire, key: Int64 = 12345, mz: UInt64 = 1_705_314_600_000) -> WebhookPayload {
        WebhookPayload(
            source: "trades", trigger: "large_trade_alert", eventType: type,
            columns: ["id", "symbol", "quantity", "price", "big", "at", "note", "meta", "flag"],
            values: [
                .integer(key), .string("AAPL \"x\"\n"), .integer(15000), .float(150.5), .decimal(ExactDecimal("12345678901234567890")!),
                .timestamp(1_705_314_600_123_456), .null, .json("{\"a\":[1,2]}"), .bool(true),
            ],
            keyValues: [.integer(key)], mzTimestamp: mz, createdAtMillis: 1_705_314_600_000)
    }

    @Test func bodyHasUpstreamShapeWithTypedValues() throws {
        let body = String(decoding: payload().body, as: UTF8.self)
        let id = payload().eventID
        #expect(body == """
            {"event_id":"\(id)","event_type":"FIRE","trigger_name":"large_trade_alert","source":"trades",\
            "timestamp":"2024-01-15T10:30:00.000Z","mz_timestamp":"1705314600000","data":{"id":12345,\
            "symbol":"AAPL \\"x\\"\\n","quantity":15000,"price":150.5,"big":"12345678901234567890",\
            "at":"2024-01-15T10:30:00.123456Z","note":null,"meta":{"a":[1,2]},"flag":true}}
            """)
        // And it is valid JSON a receiver can parse.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(payload().body)) as? [String: Any])
        #expect(object["event_type"] as? String == "FIRE")
        #expect((object["data"] as? [String: Any])?["quantity"] as? Int == 15000)
    }

    @Test func eventIDIsDeterministicAndFormattedAsUUID() throws {
        #expect(payload().eventID == payload().eventID)
        #expect(payload(.fire).eventID != payload(.clear).eventID)
        #expect(payload(key: 1).eventID != payload(key: 2).eventID)
        #expect(payload(mz: 1).eventID != payload(mz: 2).eventID)
        let uuid = try #require(UUID(uuidString: payload().eventID))
        #expect(uuid.uuidString.lowercased() == payload().eventID)
        let bytes = Array(payload().eventID.utf8)
        #expect(bytes[14] == UInt8(ascii: "8"))  // version 8
        // Field boundaries are unambiguous.
        let a = WebhookPayload.eventID(source: "s", trigger: "a:b", keyText: "[1]", mzTimestamp: 1, eventType: .fire)
        let b = WebhookPayload.eventID(source: "s:a", trigger: "b", keyText: "[1]", mzTimestamp: 1, eventType: .fire)
        #expect(a != b)
    }

    @Test func keyTextIsCompactJSON() {
        #expect(WebhookPayload.keyText([.integer(42)]) == "[42]")
        #expect(WebhookPayload.keyText([.string("AAPL"), .integer(3)]) == "[\"AAPL\",3]")
    }

    @Test func calendarTextIsISO8601() {
        #expect(ISO8601.timestamp(millis: 0) == "1970-01-01T00:00:00.000Z")
        #expect(ISO8601.timestamp(millis: -1) == "1969-12-31T23:59:59.999Z")
        #expect(ISO8601.date(days: 19737) == "2024-01-15")
        #expect(ISO8601.date(days: -719_528) == "0000-01-01")
        #expect(ISO8601.days(year: 2024, month: 1, day: 15) == 19737)
        for days: Int64 in [-800_000, -1, 0, 59, 60, 11_016, 2_932_896] {
            let (y, m, d) = ISO8601.civil(days: days)
            #expect(ISO8601.days(year: y, month: m, day: d) == days)
        }
        var writer = JSONBody()
        writer.value(.float(.nan))
        writer.value(.float(-.infinity))
        writer.string("\u{01}")
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "\"NaN\"\"-Infinity\"\"\\u0001\"")
    }
}
