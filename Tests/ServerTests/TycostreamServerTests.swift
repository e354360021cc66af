import Foundation
import Testing
@testable import Server

/// Routes over real TCP: the WebSocket upgrade and subprotocol negotiation, the UI pages,
/// and GET query decoding.
@Suite struct TycostreamServerTests {
    @Test func negotiatesEachSubprotocolInTheHeader() async throws {
        try await TestServer.with { port, _ in
            for (offered, chosen) in [
                (["graphql-transport-ws"], "graphql-transport-ws"), (["graphql-ws"], "graphql-ws"),
                (["foo", "graphql-ws"], "graphql-ws"),
            ] {
                try await RawClient.connect(port: port) { client in
                    let head = try await client.upgrade(protocols: offered)
                    #expect(head.status == 101)
                    #expect(head.headers["sec-websocket-protocol"] == chosen)
                    try await client.send(#"{"type":"connection_init"}"#)
                    #expect(try await client.receiveMessage() == .text(#"{"type":"connection_ack"}"#))
                }
            }
        }
    }

    /// As graphql-ws does: the upgrade succeeds without a subprotocol, then closes 4406 so a
    /// browser can read why.
    @Test func connectionsBeyondTheLimitAreClosedWith1013() async throws {
        try await TestServer.with(maximumConnections: 1) { port, _ in
            try await RawClient.connect(port: port) { first in
                _ = try await first.upgrade(protocols: ["graphql-transport-ws"])
                try await first.send(#"{"type":"connection_init"}"#)
                #expect(try await first.receiveMessage() == .text(#"{"type":"connection_ack"}"#))
                try await RawClient.connect(port: port) { second in
                    _ = try await second.upgrade(protocols: ["graphql-transport-ws"])
                    #expect(try await second.receiveMessage() == .close(code: 1013, reason: "Too many connections; try again later"))
                }
            }
            // The place is free again once the first connection has gone.
            var admitted = false
            for _ in 0..<50 where !admitted {
                try await RawClient.connect(port: port) { client in
                    _ = try await client.upgrade(protocols: ["graphql-transport-ws"])
                    try await client.send(#"{"type":"connection_init"}"#)
                    admitted = try await client.receiveMessage() == .text(#"{"type":"connection_ack"}"#)
                }
                if !admitted { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(admitted)
        }
    }

    @Test func closesWith4406WhenNoSubprotocolIsAcceptable() async throws {
        try await TestServer.with { port, _ in
            for offered in [nil, ["foo"], ["graphql-transport-ws-2"]] as [[String]?] {
                try await RawClient.connect(port: port) { client in
                    let head = try await client.upgrade(protocols: offered)
                    #expect(head.status == 101)
                    #expect(head.headers["sec-websocket-protocol"] == nil)
                    #expect(try await client.receiveMessage() == .close(code: 4406, reason: "Subprotocol not acceptable"))
                }
            }
        }
    }

    @Test func servesGraphiQLAndTheLivePageWhenTheUIIsOn() async throws {
        try await TestServer.with(ui: true) { port, _ in
            let (graphiQL, page) = try await RawClient.connect(port: port) { client in
                try await client.get("/graphql", headers: ["Accept": "text/html"])
            }
            #expect(graphiQL.status == 200)
            #expect(graphiQL.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(page.contains("GraphiQL"))
            #expect(page.contains(#"location.origin + "/graphql""#))
            #expect(page.contains("subscription"))  // the default query subscribes to the first source
            #expect(page.contains("items"))
            let (live, livePage) = try await RawClient.connect(port: port) { client in try await client.get("/") }
            #expect(live.status == 200)
            #expect(livePage.contains("<title>tycostream live</title>"))
            // An API client asking for JSON still gets the API.
            let (api, _) = try await RawClient.connect(port: port) { client in try await client.get("/graphql") }
            #expect(api.status == 400)
        }
    }

    @Test func servesNoPagesWhenTheUIIsOff() async throws {
        try await TestServer.with(ui: false) { port, _ in
            let (graphiQL, body) = try await RawClient.connect(port: port) { client in
                try await client.get("/graphql", headers: ["Accept": "text/html"])
            }
            #expect(graphiQL.status == 400)
            #expect(body.contains("errors"))
            let (live, _) = try await RawClient.connect(port: port) { client in try await client.get("/") }
            #expect(live.status == 404)
        }
    }

    /// Browsers, URLSearchParams and Python's urlencode write spaces in a query string as `+`.
    @Test func decodesPlusAsSpaceInGetQueries() async throws {
        try await TestServer.with { port, _ in
            let (head, body) = try await RawClient.connect(port: port) { client in
                try await client.get("/graphql?query=%7B+__typename+%7D&operationName=")
            }
            #expect(head.status == 200)
            #expect(body == #"{"data":{"__typename":"Query"}}"#)
        }
    }

    @Test func formParametersFollowURLEncodedForms() {
        let parameters = TycostreamServer.formParameters("query=%7B+a+%7D&x=1%2B1&x=2&empty=&bare&bad=%ZZ&%ZZ=1")
        #expect(parameters["query"] == "{ a }")
        #expect(parameters["x"] == "1+1")  // an encoded plus stays a plus; the first of repeated names wins
        #expect(parameters["empty"] == "")
        #expect(parameters["bare"] == "")
        #expect(parameters["bad"] == nil)
        #expect(parameters.count == 4)
        #expect(TycostreamServer.formParameters(nil).isEmpty)
    }
}
