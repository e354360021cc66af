import PGWire

/// A trigger, named by its source and its name (names are scoped by source, as upstream does).
public struct TriggerID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var source: String
    public var name: String

    public init(source: String, name: String) {
        self.source = source
        self.name = name
    }

    public static func < (lhs: TriggerID, rhs: TriggerID) -> Bool {
        (lhs.source, lhs.name) < (rhs.source, rhs.name)
    }

    public var description: String { "\(source).\(name)" }
}

/// A trigger definition as the outbox keeps it, so triggers survive a restart.
public struct StoredTrigger: Sendable, Hashable {
    public var id: TriggerID
    public var webhook: String
    /// The `fire` filter as canonical JSON text (the GraphQL layer owns the format).
    public var fire: String
    /// The `clear` filter as canonical JSON text, `nil` for "no longer matching fire".
    public var clear: String?
    /// The signing secret, `whsec_…`.
    public var secret: String
    /// ``LiveViews/TriggerOptions/fireForExistingRows``.
    public var fireForExistingRows: Bool
    public var createdAtMillis: Int64

    public init(
        id: TriggerID, webhook: String, fire: String, clear: String? = nil, secret: String,
        fireForExistingRows: Bool = false, createdAtMillis: Int64
    ) {
        self.id = id
        self.webhook = webhook
        self.fire = fire
        self.clear = clear
        self.secret = secret
        self.fireForExistingRows = fireForExistingRows
        self.createdAtMillis = createdAtMillis
    }
}

/// One entry of the outbox log. The state is the replay of these (``OutboxState``).
enum OutboxRecord: Sendable, Hashable {
    case trigger(StoredTrigger)
    /// Removes the trigger with its pending deliveries, dead letters, keys and checkpoint.
    case triggerDeleted(TriggerID)
    /// A delivery to make. A FIRE also adds its key to the trigger's matching set, a CLEAR
    /// removes it, and the checkpoint advances to its timestamp: one record, so the matching
    /// set and the deliveries can never disagree after a crash.
    case enqueued(WebhookPayload)
    case attempted(eventID: String, attempts: Int)
    case delivered(eventID: String)
    case deadLettered(eventID: String, reason: String, atMillis: Int64)
    /// A dead letter back to pending, attempts reset.
    case revived(eventID: String)
    case discarded(eventID: String)
    /// The last database timestamp the trigger has fully processed.
    case checkpoint(TriggerID, UInt64)
    /// Replaces the trigger's whole matching set (priming at creation, compaction).
    case matching(TriggerID, [String])

    private enum Tag: UInt8 {
        case trigger = 1, triggerDeleted, enqueued, attempted, delivered, deadLettered, revived, discarded, checkpoint, matching
    }

    func encode(into writer: inout ByteWriter) {
        switch self {
        case .trigger(let trigger):
            writer.writeUInt8(Tag.trigger.rawValue)
            writer.write(trigger.id)
            writer.write(trigger.webhook)
            writer.write(trigger.fire)
            writer.write(optional: trigger.clear)
            writer.write(trigger.secret)
            writer.writeUInt8(trigger.fireForExistingRows ? 1 : 0)
            writer.writeInt64(trigger.createdAtMillis)
        case .triggerDeleted(let id):
            writer.writeUInt8(Tag.triggerDeleted.rawValue)
            writer.write(id)
        case .enqueued(let payload):
            writer.writeUInt8(Tag.enqueued.rawValue)
            writer.write(payload.eventID)
            writer.writeUInt8(payload.eventType == .fire ? 0 : 1)
            writer.write(TriggerID(source: payload.source, name: payload.triggerName))
            writer.write(payload.keyText)
            writer.writeUInt64(payload.mzTimestamp)
            writer.writeInt64(payload.createdAtMillis)
            writer.writeUInt32(UInt32(payload.body.count))
            writer.writeBytes(payload.body)
        case .attempted(let eventID, let attempts):
            writer.writeUInt8(Tag.attempted.rawValue)
            writer.write(eventID)
            writer.writeUInt32(UInt32(clamping: attempts))
        case .delivered(let eventID):
            writer.writeUInt8(Tag.delivered.rawValue)
            writer.write(eventID)
        case .deadLettered(let eventID, let reason, let atMillis):
            writer.writeUInt8(Tag.deadLettered.rawValue)
            writer.write(eventID)
            writer.write(reason)
            writer.writeInt64(atMillis)
        case .revived(let eventID):
            writer.writeUInt8(Tag.revived.rawValue)
            writer.write(eventID)
        case .discarded(let eventID):
            writer.writeUInt8(Tag.discarded.rawValue)
            writer.write(eventID)
        case .checkpoint(let id, let timestamp):
            writer.writeUInt8(Tag.checkpoint.rawValue)
            writer.write(id)
            writer.writeUInt64(timestamp)
        case .matching(let id, let keys):
            writer.writeUInt8(Tag.matching.rawValue)
            writer.write(id)
            writer.writeUInt32(UInt32(keys.count))
            for key in keys { writer.write(key) }
        }
    }

    /// Decodes one record's payload, which must be consumed exactly; `nil` when it is not a
    /// record this version wrote.
    static func decode(_ bytes: ArraySlice<UInt8>) -> OutboxRecord? {
        var reader = ByteReader(bytes)
        guard let record = decode(&reader), reader.isAtEnd else { return nil }
        return record
    }

    private static func decode(_ reader: inout ByteReader) -> OutboxRecord? {
        guard let raw = reader.readUInt8(), let tag = Tag(rawValue: raw) else { return nil }
        switch tag {
        case .trigger:
            guard let id = reader.readTriggerID(), let webhook = reader.readString(), let fire = reader.readString(),
                  let clear = reader.readOptionalString(), let secret = reader.readString(),
                  let flag = reader.readUInt8(), flag <= 1, let created = reader.readInt64()
            else { return nil }
            return .trigger(StoredTrigger(
                id: id, webhook: webhook, fire: fire, clear: clear, secret: secret, fireForExistingRows: flag == 1,
                createdAtMillis: created))
        case .triggerDeleted:
            return reader.readTriggerID().map { .triggerDeleted($0) }
        case .enqueued:
            guard let eventID = reader.readString(), let type = reader.readUInt8(), type <= 1,
                  let id = reader.readTriggerID(), let keyText = reader.readString(),
                  let mz = reader.readUInt64(), let created = reader.readInt64(),
                  let count = reader.readUInt32(), let body = reader.readBytes(Int(count))
            else { return nil }
            return .enqueued(WebhookPayload(
                eventID: eventID, eventType: type == 0 ? .fire : .clear, source: id.source, triggerName: id.name,
                keyText: keyText, mzTimestamp: mz, createdAtMillis: created, body: Array(body)))
        case .attempted:
            guard let eventID = reader.readString(), let attempts = reader.readUInt32() else { return nil }
            return .attempted(eventID: eventID, attempts: Int(attempts))
        case .delivered:
            return reader.readString().map { .delivered(eventID: $0) }
        case .deadLettered:
            guard let eventID = reader.readString(), let reason = reader.readString(), let at = reader.readInt64() else {
                return nil
            }
            return .deadLettered(eventID: eventID, reason: reason, atMillis: at)
        case .revived:
            return reader.readString().map { .revived(eventID: $0) }
        case .discarded:
            return reader.readString().map { .discarded(eventID: $0) }
        case .checkpoint:
            guard let id = reader.readTriggerID(), let timestamp = reader.readUInt64() else { return nil }
            return .checkpoint(id, timestamp)
        case .matching:
            guard let id = reader.readTriggerID(), let count = reader.readUInt32(), Int(count) <= reader.remaining / 4 else {
                return nil
            }
            var keys: [String] = []
            keys.reserveCapacity(Int(count))
            for _ in 0..<count {
                guard let key = reader.readString() else { return nil }
                keys.append(key)
            }
            return .matching(id, keys)
        }
    }
}

extension ByteWriter {
    mutating func write(_ text: String) {
        let utf8 = text.utf8
        writeUInt32(UInt32(utf8.count))
        writeBytes(utf8)
    }

    mutating func write(optional text: String?) {
        if let text {
            writeUInt8(1)
            write(text)
        } else {
            writeUInt8(0)
        }
    }

    mutating func write(_ id: TriggerID) {
        write(id.source)
        write(id.name)
    }
}

extension ByteReader {
    mutating func readString() -> String? {
        guard let count = readUInt32(), let bytes = readBytes(Int(count)) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func readOptionalString() -> String?? {
        switch readUInt8() {
        case 0: return .some(nil)
        case 1: return readString().map { .some($0) }
        default: return nil
        }
    }

    mutating func readTriggerID() -> TriggerID? {
        guard let source = readString(), let name = readString() else { return nil }
        return TriggerID(source: source, name: name)
    }
}
