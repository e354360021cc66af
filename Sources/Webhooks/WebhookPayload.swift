import LiveViews
import PGWire

/// The JSON body POSTed for one trigger transition, in upstream tycostream's shape
/// (docs/features/triggers.md, "Webhook Payload"; deterministic_event_ids.md):
///
/// ```json
/// {"event_id":"…","event_type":"FIRE","trigger_name":"large_trade_alert","source":"trades",
///  "timestamp":"2024-01-15T10:30:00.000Z","mz_timestamp":"1705314600000","data":{"id":1,…}}
/// ```
///
/// `event_id` is deterministic: the same transition (source, trigger, row key, database
/// timestamp, FIRE/CLEAR) always gets the same id, so a receiver deduplicates redeliveries and
/// the replays of a catch-up after a restart. It is also the Standard Webhooks `webhook-id`.
/// `timestamp` is when tycostream saw the transition; `mz_timestamp` is Materialize's logical
/// time (ms) as a string (it exceeds 2^53 in principle, and upstream sends it as a string).
public struct WebhookPayload: Sendable, Hashable {
    /// Upstream's `event_type`.
    public enum EventType: String, Sendable, Hashable, CaseIterable {
        /// The row started matching `fire`.
        case fire = "FIRE"
        /// The row stopped matching (or was deleted).
        case clear = "CLEAR"

        public init(_ kind: TriggerEvent.Kind) {
            switch kind {
            case .fire: self = .fire
            case .clear: self = .clear
            }
        }
    }

    public let eventID: String
    public let eventType: EventType
    public let source: String
    public let triggerName: String
    /// The row's primary key as a compact JSON array (``keyText(_:)``): the ordering lane.
    public let keyText: String
    public let mzTimestamp: UInt64
    /// When the transition was seen, in ms since the Unix epoch.
    public let createdAtMillis: Int64
    /// The exact bytes sent and signed; kept as is so every retry sends the same body.
    public let body: [UInt8]

    /// Builds the payload of a row given as column names and values (schema order).
    public init(
        source: String, trigger: String, eventType: EventType,
        columns: [String], values: [Value], keyValues: [Value],
        mzTimestamp: UInt64, createdAtMillis: Int64
    ) {
        precondition(columns.count == values.count, "a row has one value per column")
        let keyText = Self.keyText(keyValues)
        let eventID = Self.eventID(source: source, trigger: trigger, keyText: keyText, mzTimestamp: mzTimestamp, eventType: eventType)
        let body = Self.body(
            eventID: eventID, eventType: eventType, source: source, trigger: trigger, mzTimestamp: mzTimestamp,
            createdAtMillis: createdAtMillis, capacity: 160 + 24 * values.count
        ) { json in
            for index in values.indices {
                if index > 0 { json.byte(",") }
                json.string(columns[index])
                json.byte(":")
                json.value(values[index])
            }
        }
        self.init(
            eventID: eventID, eventType: eventType, source: source, triggerName: trigger, keyText: keyText,
            mzTimestamp: mzTimestamp, createdAtMillis: createdAtMillis, body: body)
    }

    /// The CLEAR of a key whose row was deleted while the server was down: only the key is
    /// known, so `data` holds the key columns. `keyText` is the key as stored
    /// (``keyText(_:)``), which keeps the event id the same as a live CLEAR's would be.
    ///
    /// - Throws: ``WebhooksError`` `invalidKey` when `keyText` is not a JSON array with one
    ///   scalar per key column (a damaged store).
    public static func vanishedClear(
        source: String, trigger: String, keyColumns: [String], keyText: String, mzTimestamp: UInt64, createdAtMillis: Int64
    ) throws(WebhooksError) -> WebhookPayload {
        guard let elements = KeyText.elements(keyText), elements.count == keyColumns.count else {
            throw WebhooksError(.invalidKey, "stored key \(keyText) does not match the key columns \(keyColumns)")
        }
        let eventID = Self.eventID(source: source, trigger: trigger, keyText: keyText, mzTimestamp: mzTimestamp, eventType: .clear)
        let body = Self.body(
            eventID: eventID, eventType: .clear, source: source, trigger: trigger, mzTimestamp: mzTimestamp,
            createdAtMillis: createdAtMillis, capacity: 160 + keyText.utf8.count
        ) { json in
            for (index, element) in elements.enumerated() {
                if index > 0 { json.byte(",") }
                json.string(keyColumns[index])
                json.byte(":")
                json.raw(element)
            }
        }
        return WebhookPayload(
            eventID: eventID, eventType: .clear, source: source, triggerName: trigger, keyText: keyText,
            mzTimestamp: mzTimestamp, createdAtMillis: createdAtMillis, body: body)
    }

    /// The body every payload shares; `data` writes the members of the `data` object.
    private static func body(
        eventID: String, eventType: EventType, source: String, trigger: String, mzTimestamp: UInt64, createdAtMillis: Int64,
        capacity: Int, data: (inout JSONBody) -> Void
    ) -> [UInt8] {
        var json = JSONBody(capacity: capacity)
        json.raw("{\"event_id\":")
        json.string(eventID)
        json.raw(",\"event_type\":")
        json.string(eventType.rawValue)
        json.raw(",\"trigger_name\":")
        json.string(trigger)
        json.raw(",\"source\":")
        json.string(source)
        json.raw(",\"timestamp\":")
        json.string(ISO8601.timestamp(millis: createdAtMillis))
        json.raw(",\"mz_timestamp\":")
        json.string(String(mzTimestamp))
        json.raw(",\"data\":{")
        data(&json)
        json.raw("}}")
        return json.bytes
    }

    /// Builds the payload of a trigger event: the full row, named by its schema.
    public init(source: String, trigger: String, event: TriggerEvent, createdAtMillis: Int64) {
        let row = event.row
        self.init(
            source: source, trigger: trigger, eventType: EventType(event.kind),
            columns: row.schema.columns.map(\.name), values: row.values, keyValues: row.keyValues,
            mzTimestamp: event.timestamp, createdAtMillis: createdAtMillis)
    }

    /// Rebuilds a stored payload (the outbox keeps the fields and the exact body).
    init(
        eventID: String, eventType: EventType, source: String, triggerName: String, keyText: String,
        mzTimestamp: UInt64, createdAtMillis: Int64, body: [UInt8]
    ) {
        self.eventID = eventID
        self.eventType = eventType
        self.source = source
        self.triggerName = triggerName
        self.keyText = keyText
        self.mzTimestamp = mzTimestamp
        self.createdAtMillis = createdAtMillis
        self.body = body
    }

    /// A primary key as compact JSON (`[42]`, `["AAPL",3]`): stable across restarts, so it names
    /// the key in event ids, ordering lanes and the outbox's matching sets.
    public static func keyText(_ keyValues: [Value]) -> String {
        var json = JSONBody(capacity: 32)
        json.byte("[")
        for (index, value) in keyValues.enumerated() {
            if index > 0 { json.byte(",") }
            json.value(value)
        }
        json.byte("]")
        return String(decoding: json.bytes, as: UTF8.self)
    }

    /// The deterministic id: SHA-256 over the length-prefixed fields, formatted as an RFC 9562
    /// version 8 (custom) UUID. Length prefixes make `("a:b", "c")` and `("a", "b:c")` differ.
    public static func eventID(source: String, trigger: String, keyText: String, mzTimestamp: UInt64, eventType: EventType)
        -> String {
        var hash = SHA256()
        for field in ["tycostream.webhook.v1", source, trigger, keyText, String(mzTimestamp), eventType.rawValue] {
            let utf8 = Array(field.utf8)
            let length = UInt32(truncatingIfNeeded: utf8.count)
            hash.update([UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)])
            hash.update(utf8)
        }
        var digest = Array(hash.finalize().prefix(16))
        digest[6] = digest[6] & 0x0F | 0x80
        digest[8] = digest[8] & 0x3F | 0x80
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, byte) in digest.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(JSONBody.hexDigits[Int(byte >> 4)])
            text.append(JSONBody.hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
