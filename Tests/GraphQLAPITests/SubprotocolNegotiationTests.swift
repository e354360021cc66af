import GraphQLAPI
import Testing

@Suite struct SubprotocolNegotiationTests {
    @Test(arguments: [
        ("graphql-transport-ws", Subprotocol.graphqlTransportWS),
        ("graphql-ws", .graphqlWS),
        ("graphql-ws, graphql-transport-ws", .graphqlTransportWS),
        ("graphql-transport-ws,graphql-ws", .graphqlTransportWS),
        ("  graphql-ws\t,\tgraphql-transport-ws  ", .graphqlTransportWS),
        ("chat, graphql-ws", .graphqlWS),
        (",,graphql-ws,,", .graphqlWS),
    ])
    func acceptable(_ header: String, _ expected: Subprotocol) {
        #expect(Subprotocol.negotiate(header) == expected)
    }

    @Test(arguments: ["", " ", "chat", "GraphQL-WS", "graphql-transport-ws2", "graphql-ws;q=1", "graphql", ","])
    func notAcceptable(_ header: String) {
        #expect(Subprotocol.negotiate(header) == nil)
    }

    @Test func absentHeaderIsNotAcceptable() {
        #expect(Subprotocol.negotiate(nil as String?) == nil)
    }

    @Test func severalHeaderLinesAreOneOffer() {
        #expect(Subprotocol.negotiate(["graphql-ws", "graphql-transport-ws"]) == .graphqlTransportWS)
        #expect(Subprotocol.negotiate(["chat", "x, graphql-ws"]) == .graphqlWS)
        #expect(Subprotocol.negotiate([String]()) == nil)
    }

    @Test func rawValuesAreTheRegisteredNames() {
        #expect(Subprotocol.graphqlTransportWS.rawValue == "graphql-transport-ws")
        #expect(Subprotocol.graphqlWS.rawValue == "graphql-ws")
    }

    @Test func notAcceptableIsA4406Close() {
        #expect(WSAction.subprotocolNotAcceptable == .close(code: WSCloseCode(4406), reason: "Subprotocol not acceptable"))
    }
}
