/// One outbound `next` (graphql-transport-ws) or `data` (legacy) message around a payload
/// that was encoded once and is shared by every subscriber that receives it.
///
/// The message is `prefix + payload + "}"` where `prefix` is
/// `{"id":"<escaped id>","type":"next","payload":` — built once when the operation starts, so
/// the per-event path neither escapes the id nor re-encodes the payload. A driver writes the
/// three parts straight into its outbound buffer (see ``write(into:)``); ``bytes`` joins them.
public struct OperationFrame: Sendable, Equatable {
    /// Everything before the payload; shared by all frames of one operation.
    public var prefix: [UInt8]
    /// The pre-encoded `{"data":…}` payload, shared, never copied here.
    public var payload: [UInt8]
    /// The single byte after the payload.
    public static let suffix = UInt8(ascii: "}")

    public init(prefix: [UInt8], payload: [UInt8]) {
        self.prefix = prefix
        self.payload = payload
    }

    /// The length of the whole message, for sizing an outbound buffer.
    public var count: Int { prefix.count + payload.count + 1 }

    /// The whole message as one array (one allocation).
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        write(into: &bytes)
        return bytes
    }

    /// Appends the whole message to `buffer`.
    public func write(into buffer: inout [UInt8]) {
        buffer.reserveCapacity(buffer.count + count)
        buffer.append(contentsOf: prefix)
        buffer.append(contentsOf: payload)
        buffer.append(Self.suffix)
    }

    /// `{"id":"<id>","type":"next","payload":<payload>}` (graphql-transport-ws `Next`).
    public static func next(id: String, payload: [UInt8]) -> [UInt8] {
        OperationFrame(prefix: prefix(id: id, type: .next), payload: payload).bytes
    }

    /// `{"id":"<id>","type":"data","payload":<payload>}` (subscriptions-transport-ws `GQL_DATA`).
    public static func data(id: String, payload: [UInt8]) -> [UInt8] {
        OperationFrame(prefix: prefix(id: id, type: .data), payload: payload).bytes
    }

    enum MessageType {
        case next, data
    }

    static func prefix(id: String, type: MessageType) -> [UInt8] {
        var writer = JSONBuilder(capacity: id.utf8.count + 32)
        writer.raw("{\"id\":")
        writer.string(id)
        switch type {
        case .next: writer.raw(",\"type\":\"next\",\"payload\":")
        case .data: writer.raw(",\"type\":\"data\",\"payload\":")
        }
        return writer.bytes
    }
}
