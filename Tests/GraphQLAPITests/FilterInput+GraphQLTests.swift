import GraphQL
import GraphQLAPI
import LiveViews
import OrderedCollections
import Testing

@Suite struct FilterInputGraphQLTests {
    @Test func convertsScalarsListsAndObjects() throws {
        let map: Map = [
            "_and": [
                ["quantity": ["_gte": 10, "_is_null": false]],
                ["price": ["_lt": 2.5]],
                ["side": ["_in": ["buy", "sell"]]],
                ["note": ["_eq": nil]],
            ]
        ]
        let filter = try FilterInput(graphQL: map)
        #expect(
            filter
                == .object([
                    "_and": .list([
                        .object(["quantity": .object(["_gte": .int(10), "_is_null": .bool(false)])]),
                        .object(["price": .object(["_lt": .float(2.5)])]),
                        .object(["side": .object(["_in": .list([.string("buy"), .string("sell")])])]),
                        .object(["note": .object(["_eq": .null])]),
                    ])
                ]))
    }

    @Test func absentFieldsAreLeftOut() throws {
        let map: Map = .dictionary(["a": ["_eq": 1], "b": .undefined])
        #expect(try FilterInput(graphQL: map) == .object(["a": .object(["_eq": .int(1)])]))
    }

    @Test func absentOrNullWhereMatchesEverything() throws {
        #expect(try FilterInput.whereArgument(.undefined) == .object([:]))
        #expect(try FilterInput.whereArgument(.null) == .object([:]))
        #expect(try FilterInput.whereArgument([:]) == .object([:]))
    }

    @Test func numbersKeepTheirKind() throws {
        #expect(try FilterInput(graphQL: .number(Number(Int64(9_000_000_000)))) == .int(9_000_000_000))
        #expect(try FilterInput(graphQL: .number(Number(1.0))) == .float(1.0))
        #expect(try FilterInput(graphQL: .bool(true)) == .bool(true))
    }

    @Test func tooDeepIsAnErrorNotACrash() {
        var map: Map = ["id": ["_eq": 1]]
        for _ in 0..<100 { map = ["_not": map] }
        let error = #expect(throws: GraphQLAPIError.self) { try FilterInput(graphQL: map) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("deeper than 32") == true)
    }

    @Test func undefinedAtTopIsAnError() {
        #expect(throws: GraphQLAPIError.self) { try FilterInput(graphQL: .undefined) }
    }

    /// End to end through GraphQLSwift's argument coercion: variables are substituted and enum
    /// literals arrive as strings.
    @Test func fromCoercedArguments() async throws {
        let box = FilterBox()
        let api = try APISchemaTests.upstreamSchema(Resolvers(subscriptions: CapturingSubscriptions(box: box)))
        let result = try await graphqlSubscribe(
            schema: api.schema,
            request: """
                subscription ($n: Int!) {
                  trades(where: { _or: [{ side: { _eq: buy } }, { quantity: { _gt: $n } }], price: { _gte: 3 } }) { operation }
                }
                """,
            variableValues: ["n": 5])
        _ = try result.get()
        let captured = await box.filter
        #expect(
            captured
                == .object([
                    "_or": .list([
                        .object(["side": .object(["_eq": .string("buy")])]),
                        .object(["quantity": .object(["_gt": .int(5)])]),
                    ]),
                    // A Float-typed position: GraphQL coerces the literal 3 to a float.
                    "price": .object(["_gte": .float(3)]),
                ]))
    }

    @Test func jsonTextIsSortedAndEscaped() {
        let filter: FilterInput = .object([
            "b": .list([.int(1), .float(1.5), .null, .bool(true)]), "a": .string("q\"\\\n\u{1}"),
        ])
        #expect(filter.jsonText == #"{"a":"q\"\\\n\u0001","b":[1,1.5,null,true]}"#)
    }
}

actor FilterBox {
    var filter: FilterInput?
    func set(_ filter: FilterInput) { self.filter = filter }
}

struct CapturingSubscriptions: SubscriptionService {
    let box: FilterBox
    func subscribe(source: SourceDefinition, where filter: FilterInput, context: any Sendable) async throws
        -> AsyncThrowingStream<RowUpdate, any Error>
    {
        await box.set(filter)
        return AsyncThrowingStream { $0.finish() }
    }
}
