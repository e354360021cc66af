/// The GraphQL-over-WebSocket subprotocols this server speaks, chosen from the client's
/// `Sec-WebSocket-Protocol` offer (RFC 6455 §4.2.2: the server picks one it supports).
public enum Subprotocol: String, Sendable, Hashable, CaseIterable {
    /// https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md — preferred.
    case graphqlTransportWS = "graphql-transport-ws"
    /// Apollo's legacy subscriptions-transport-ws
    /// (https://github.com/apollographql/subscriptions-transport-ws/blob/master/PROTOCOL.md),
    /// which confusingly calls its subprotocol `graphql-ws`.
    case graphqlWS = "graphql-ws"

    /// Picks the subprotocol from `Sec-WebSocket-Protocol` header values. Each value may list
    /// several comma-separated names with spaces or tabs around them; names match exactly
    /// (RFC 6455 tokens are case-sensitive). `graphql-transport-ws` wins over `graphql-ws`
    /// whatever the client's order, because the legacy protocol is unmaintained.
    ///
    /// `nil`: nothing acceptable. The driver then either refuses the upgrade (HTTP 400; a
    /// browser sees only close code 1006) or — recommended, as graphql-ws does — accepts it
    /// without a subprotocol and closes at once with ``WSAction/subprotocolNotAcceptable``
    /// (4406 `Subprotocol not acceptable`) so that the client learns why.
    public static func negotiate(_ headerValues: some Sequence<String>) -> Subprotocol? {
        var offeredLegacy = false
        for value in headerValues {
            for name in value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
                switch trimmed(name) {
                case let name where name.elementsEqual(Subprotocol.graphqlTransportWS.rawValue.utf8):
                    return .graphqlTransportWS
                case let name where name.elementsEqual(Subprotocol.graphqlWS.rawValue.utf8):
                    offeredLegacy = true
                default:
                    continue
                }
            }
        }
        return offeredLegacy ? .graphqlWS : nil
    }

    /// ``negotiate(_:)-(Sequence<String>)`` for one header value; `nil` header: nothing offered.
    public static func negotiate(_ headerValue: String?) -> Subprotocol? {
        guard let headerValue else { return nil }
        return negotiate(CollectionOfOne(headerValue))
    }

    private static func trimmed(_ name: Substring.UTF8View) -> Substring.UTF8View {
        var name = name
        while let first = name.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { name.removeFirst() }
        while let last = name.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { name.removeLast() }
        return name
    }
}
