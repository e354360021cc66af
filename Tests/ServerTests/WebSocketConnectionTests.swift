import LiveViews
import Testing
@testable import Server

/// The WebSocket driver over real sockets. Operation ids are reused (graphql-transport-ws
/// frees an id on `complete`; a legacy `start` with an active id replaces the operation):
/// the end of the old operation must never complete or feed the new one.
@Suite struct WebSocketConnectionTests {
    static let subscription = #"subscription { items { operation fields data { id label } } }"#

    @Test func reusingAnIDAfterCompleteGetsALiveOperation() async throws {
        try await TestServer.with { port, items in
            try await RawClient.connect(port: port) { client in
                _ = try await client.upgrade(protocols: ["graphql-transport-ws"])
                try await client.send(#"{"type":"connection_init"}"#)
                #expect(try await client.receiveMessage() == .text(#"{"type":"connection_ack"}"#))
                let subscribe = #"{"type":"subscribe","id":"a","payload":{"query":"\#(Self.subscription)"}}"#
                for round in 0..<20 {
                    try await client.send(subscribe)
                    for _ in 0..<2 {
                        let message = try await client.receiveMessage()
                        guard case .text(let text) = message, text.hasPrefix(#"{"id":"a","type":"next""#) else {
                            Issue.record("round \(round): expected a snapshot event, got \(String(describing: message))")
                            return
                        }
                    }
                    // Complete and re-subscribe at once: the old operation ends while the new one runs.
                    try await client.send(#"{"type":"complete","id":"a"}"#)
                }
                try await client.send(subscribe)
                for _ in 0..<2 { _ = try await client.receiveMessage() }
                try await items.apply(SourceBatch(timestamp: 2, changes: [.upsert([.integer(1), .string("uno"), .string("low")])]))
                let update = try await client.receiveMessage()
                #expect(update == .text(
                    #"{"id":"a","type":"next","payload":{"data":{"items":{"operation":"UPDATE","fields":["label"],"data":{"id":1,"label":"uno"}}}}}"#))
            }
        }
    }

    @Test func aReplacedLegacyOperationDoesNotCompleteItsSuccessor() async throws {
        try await TestServer.with { port, items in
            try await RawClient.connect(port: port) { client in
                _ = try await client.upgrade(protocols: ["graphql-ws"])
                try await client.send(#"{"type":"connection_init"}"#)
                #expect(try await client.receiveMessage() == .text(#"{"type":"connection_ack"}"#))
                #expect(try await client.receiveMessage() == .text(#"{"type":"ka"}"#))
                try await client.send(#"{"type":"start","id":"s","payload":{"query":"\#(Self.subscription)"}}"#)
                for _ in 0..<2 { _ = try await client.receiveMessage() }
                try await client.send(
                    #"{"type":"start","id":"s","payload":{"query":"subscription { items(where: {id: {_eq: 2}}) { operation data { id } } }"}}"#)
                #expect(try await client.receiveMessage() == .text(
                    #"{"id":"s","type":"data","payload":{"data":{"items":{"operation":"INSERT","data":{"id":2}}}}}"#))
                try await items.apply(SourceBatch(timestamp: 2, changes: [.delete(key: [.integer(2)])]))
                #expect(try await client.receiveMessage() == .text(
                    #"{"id":"s","type":"data","payload":{"data":{"items":{"operation":"DELETE","data":{"id":2}}}}}"#))
                try await client.send(#"{"type":"stop","id":"s"}"#)
                #expect(try await client.receiveMessage() == .text(#"{"id":"s","type":"complete"}"#))
            }
        }
    }
}
