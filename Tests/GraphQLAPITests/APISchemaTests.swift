import Foundation
import GraphQL
import GraphQLAPI
import LiveViews
import OrderedCollections
import Testing

@Suite struct APISchemaTests {
    static func upstreamSchema(_ resolvers: Resolvers = Resolvers()) throws -> APISchema {
        try APISchema(file: SchemaFile.load(path: fixtureSchemaPath("upstream-example.yaml")), resolvers: resolvers)
    }

    func errors(_ api: APISchema, _ document: String) throws -> [String] {
        try api.validate(parse(source: document)).map(\.message)
    }

    @Test func sdlMatchesSnapshot() throws {
        let sdl = try Self.upstreamSchema().sdl + "\n"
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Snapshots/upstream-example.graphql")
        let expected = try? String(contentsOf: url, encoding: .utf8)
        if expected == nil || ProcessInfo.processInfo.environment["SNAPSHOT_UPDATE"] == "1" {
            try sdl.write(to: url, atomically: true, encoding: .utf8)
            Issue.record("wrote the snapshot \(url.path); review it, commit it, and run again without SNAPSHOT_UPDATE")
            return
        }
        #expect(sdl == expected, "the SDL changed; if that is intended, rerun with SNAPSHOT_UPDATE=1 and review the diff")
    }

    @Test func schemaValidatesAndHasUpstreamNames() throws {
        let api = try Self.upstreamSchema()
        #expect(validateSchema(schema: api.schema).isEmpty)
        let sdl = api.sdl
        for line in [
            "trades(where: tradesExpression): tradesUpdate!",
            "trades_triggers: [Trigger!]!",
            "trades_trigger(name: String!): Trigger",
            "create_trades_trigger(input: tradesTriggerInput!): Trigger!",
            "delete_trades_trigger(name: String!): Trigger!",
            "operation: RowOperation!",
            "fields: [String!]!",
            "instrument_id: Int!",
            "net_position: String",
            "side: side",
            "side: sideComparison",
            "data: JSON",
            "_and: [tradesExpression!]",
            "_not: tradesExpression",
            "_is_null: Boolean",
            "_ilike: String",
            "fire: tradesExpression!",
            "clear: String",
        ] {
            #expect(sdl.contains(line), "SDL lacks \(line)")
        }
    }

    @Test func compositeKeyColumnsAreNonNull() throws {
        let api = try APISchema(file: SchemaFile.load(path: fixtureSchemaPath("composite-key.yaml")))
        let sdl = api.sdl
        #expect(sdl.contains("account_id: Int!"))
        #expect(sdl.contains("instrument_id: Int!"))
        #expect(sdl.contains("quantity: String\n"))
        #expect(sdl.contains("tags: JSON\n"))
    }

    @Test func nestedWhereValidates() throws {
        let api = try Self.upstreamSchema()
        let document = """
            subscription Trades($min: Int, $sides: [side!]) {
              trades(where: {
                _and: [
                  { quantity: { _gte: $min } },
                  { _or: [{ side: { _in: $sides } }, { side: { _eq: sell, _is_null: false } }] },
                  { _not: { executed_at: { _lt: "2024-01-01T00:00:00Z" } } },
                  { price: { _gt: 1.5, _lte: 10 } }
                ]
              }) {
                operation
                fields
                data { id side price executed_at __typename }
              }
            }
            """
        #expect(try errors(api, document) == [])
        #expect(try errors(api, "subscription { alerts { data { data } } }") == [])
        #expect(try errors(api, "subscription { live_pnl(where: {}) { operation } }") == [])
    }

    @Test func invalidWhereFailsWithUsefulMessages() throws {
        let api = try Self.upstreamSchema()
        let unknownColumn = try errors(api, "subscription { trades(where: { qty: { _eq: 1 } }) { operation } }")
        #expect(unknownColumn.contains { $0.contains("qty") && $0.contains("tradesExpression") }, "\(unknownColumn)")

        let wrongOperand = try errors(api, "subscription { trades(where: { quantity: { _eq: \"ten\" } }) { operation } }")
        #expect(wrongOperand.contains { $0.contains("Int") }, "\(wrongOperand)")

        let badEnum = try errors(api, "subscription { trades(where: { side: { _eq: hold } }) { operation } }")
        #expect(badEnum.contains { $0.contains("hold") && $0.contains("side") }, "\(badEnum)")

        let unknownOperator = try errors(api, "subscription { trades(where: { quantity: { _like: \"1%\" } }) { operation } }")
        #expect(unknownOperator.contains { $0.contains("_like") && $0.contains("IntComparison") }, "\(unknownOperator)")

        let unknownField = try errors(api, "subscription { trades { data { nope } } }")
        #expect(unknownField.contains { $0.contains("nope") && $0.contains("trades") }, "\(unknownField)")
    }

    @Test func triggerOperationsFailClearlyWithoutTriggerService() async throws {
        let api = try Self.upstreamSchema()
        let query = try await graphql(schema: api.schema, request: "{ trades_triggers { name } }")
        #expect(query.errors.map(\.message) == ["triggers are not available in this server"])
        let mutation = try await graphql(
            schema: api.schema,
            request: """
                mutation { create_trades_trigger(input: { name: "big", webhook: "http://x", fire: { quantity: { _gt: 100 } } }) { name } }
                """)
        #expect(mutation.errors.map(\.message) == ["triggers are not available in this server"])
        #expect(mutation.data == nil)
    }

    @Test func triggerResolversCallThePluggedService() async throws {
        let service = RecordingTriggers()
        let api = try Self.upstreamSchema(Resolvers(triggers: service))
        let created = try await graphql(
            schema: api.schema,
            request: """
                mutation { create_trades_trigger(input: {
                  name: "big", webhook: "http://hook", fire: { side: { _eq: buy }, quantity: { _gt: 100 } }
                }) { name webhook fire clear } }
                """)
        #expect(created.errors.isEmpty, "\(created.errors)")
        #expect(
            created.data?["create_trades_trigger"]["fire"]
                == .string(#"{"quantity":{"_gt":100},"side":{"_eq":"buy"}}"#))
        #expect(created.data?["create_trades_trigger"]["clear"] == .null)
        let recorded = await service.created
        #expect(recorded.map(\.0) == ["trades"])
        #expect(recorded.first?.1.fire == .object(["side": .object(["_eq": .string("buy")]), "quantity": .object(["_gt": .int(100)])]))

        let listed = try await graphql(schema: api.schema, request: "{ alerts_triggers { name webhook } }")
        #expect(listed.data?["alerts_triggers"] == .array([.dictionary(["name": "big", "webhook": "http://hook"])]))
    }

    @Test func triggerAdditionsReachTheServiceAndTheSecretIsNeverShown() async throws {
        let service = RecordingTriggers()
        let api = try Self.upstreamSchema(Resolvers(triggers: service))
        let created = try await graphql(
            schema: api.schema,
            request: """
                mutation { create_trades_trigger(input: {
                  name: "signed", webhook: "http://hook", fire: { quantity: { _gt: 1 } },
                  fire_for_existing_rows: true, secret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
                }) { name fire_for_existing_rows signed status { pending delivered dead_letters last_success } } }
                """)
        #expect(created.errors.isEmpty, "\(created.errors)")
        let trigger = created.data?["create_trades_trigger"]
        #expect(trigger?["fire_for_existing_rows"] == .bool(true))
        #expect(trigger?["signed"] == .bool(true))
        #expect(trigger?["status"] == .dictionary(["pending": 0, "delivered": 0, "dead_letters": 0, "last_success": .null]))
        let recorded = await service.created.first?.1
        #expect(recorded?.secret == "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")
        #expect(recorded?.fireForExistingRows == true)
        // The Trigger type has no field that could carry the secret back.
        #expect(!api.sdl.contains("secret: String\n  status"))
        #expect(api.sdl.contains("type Trigger {"))

        let letters = try await graphql(
            schema: api.schema, request: #"{ webhook_dead_letters(source: "trades") { event_id source trigger_name attempts reason } }"#)
        #expect(letters.errors.isEmpty, "\(letters.errors)")
        #expect(letters.data?["webhook_dead_letters"] == .array([.dictionary([
            "event_id": "e1", "source": "trades", "trigger_name": "any", "attempts": 3, "reason": "HTTP 500",
        ])]))
        let retried = try await graphql(
            schema: api.schema, request: #"mutation { a: retry_webhook_dead_letter(event_id: "e1") b: discard_webhook_dead_letter(event_id: "nope") }"#)
        #expect(retried.data == ["a": true, "b": false])
    }

    @Test func subscriptionThroughExecutorUsesThePluggedService() async throws {
        let api = try Self.upstreamSchema(Resolvers(subscriptions: OneEventSubscriptions()))
        let result = try await graphqlSubscribe(
            schema: api.schema,
            request: "subscription { trades(where: { side: { _eq: sell } }) { operation fields data { id side price } } }")
        let stream = try result.get()
        var iterator = stream.makeAsyncIterator()
        let first = try await iterator.next()
        #expect(first?.errors.isEmpty == true, "\(String(describing: first?.errors))")
        #expect(
            first?.data
                == .dictionary([
                    "trades": .dictionary([
                        "operation": "INSERT", "fields": ["id", "side", "price"],
                        "data": .dictionary(["id": 7, "side": "sell", "price": 2.5]),
                    ])
                ]))
    }

    @Test func subscriptionWithoutServiceFailsClearly() async throws {
        let api = try Self.upstreamSchema()
        let result = try await graphqlSubscribe(schema: api.schema, request: "subscription { trades { operation } }")
        let message: String
        switch result {
        case .success: message = "subscribed"
        case .failure(let errors): message = errors.errors.map(\.message).joined()
        }
        #expect(message.contains("WebSocket"))
    }
}

actor RecordingTriggers: TriggerService {
    var created: [(String, TriggerDefinition)] = []

    func listTriggers(source: SourceDefinition) async throws -> [TriggerDefinition] { created.map(\.1) }
    func trigger(source: SourceDefinition, name: String) async throws -> TriggerDefinition? {
        created.first { $0.1.name == name }?.1
    }
    func createTrigger(source: SourceDefinition, _ trigger: TriggerDefinition) async throws -> TriggerDefinition {
        created.append((source.name, trigger))
        return trigger
    }
    func deleteTrigger(source: SourceDefinition, name: String) async throws -> TriggerDefinition {
        throw GraphQLAPIError(.invalidArgument, "no trigger \(name)")
    }
    func deadLetters(source: String?, trigger: String?) async throws -> [DeadLetterView] {
        [DeadLetterView(
            eventID: "e1", source: source ?? "any", triggerName: trigger ?? "any", eventType: "FIRE", attempts: 3,
            reason: "HTTP 500", failedAt: "2026-01-01T00:00:00.000Z", payload: "{}")]
    }
    func retryDeadLetter(eventID: String) async throws -> Bool { eventID == "e1" }
    func discardDeadLetter(eventID: String) async throws -> Bool { eventID == "e1" }
}

struct OneEventSubscriptions: SubscriptionService {
    func subscribe(source: SourceDefinition, where filter: FilterInput, context: any Sendable) async throws
        -> AsyncThrowingStream<RowUpdate, any Error>
    {
        #expect(source.name == "trades")
        #expect(filter == .object(["side": .object(["_eq": .string("sell")])]))
        return AsyncThrowingStream { continuation in
            continuation.yield(
                RowUpdate(operation: .insert, data: ["id": 7, "side": "sell", "price": 2.5], fields: ["id", "side", "price"]))
            continuation.finish()
        }
    }
}
