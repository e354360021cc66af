import Foundation
import GraphQL
import GraphQLAPI
import LiveViews
import Testing

/// A schema with every column type, a composite-key source, and helpers that turn rows into
/// real ``ViewEvent``s (through a ``SourceCache``) and run GraphQLSwift's executor on them.
enum ProjectionFixture {
    static let yaml = """
        enums:
          mood: [happy, sad]
        sources:
          things:
            primary_key: id
            columns:
              id: Integer
              name: String
              ratio: Float
              big: BigInt
              uid: UUID
              at: Timestamp
              day: Date
              clock: Time
              flag: Boolean
              doc: JSON
              list: Array
              mood: mood
          pairs:
            primary_key: [a, b]
            columns:
              a: Integer
              b: String
              note: String
              size: Float
        """

    static func api(_ resolvers: Resolvers = Resolvers()) throws -> APISchema {
        try APISchema(file: SchemaFile(yaml: yaml, path: "projection.yaml"), resolvers: resolvers)
    }

    static func source(_ name: String) throws -> SourceDefinition {
        try #require(try api().file.source(named: name))
    }

    static let uuid = UUID(uuidString: "5F0C2B1E-8A4D-4C3B-9E2F-1A2B3C4D5E6F")!

    /// Row 1 of `things`: awkward text, every type set.
    static let full: [LiveViews.Value] = [
        .integer(1), .string("Zoë \"q\" \\ \n\t\u{1}\u{7f} 😀 /path"), .float(2.5),
        .decimal(ExactDecimal("12345678901234567890.5")!), .uuid(uuid), .timestamp(1_700_000_000_123_456),
        .date(19_000), .time(45_296_000_001), .bool(true), .json(#"{"k":[1,2.5,"x",null,true]}"#),
        .json(#"[1,"a",null]"#), .string("happy"),
    ]
    /// Row 2: only the key.
    static let nulls: [LiveViews.Value] = [.integer(2)] + Array(repeating: .null, count: 11)
    /// Row 1 after an update of `name`, `ratio` and `mood`.
    static let updated: [LiveViews.Value] = {
        var row = full
        row[1] = .string("renamed")
        row[2] = .float(1e-7)
        row[11] = .string("sad")
        return row
    }()

    /// INSERT row 1, INSERT row 2, UPDATE row 1, DELETE row 2, as a view delivers them.
    static func events(source: String = "things", batches: [SourceBatch]? = nil, count: Int = 4) async throws -> [ViewEvent] {
        let schema = try Self.source(source).schema
        let cache = SourceCache(schema: schema)
        let subscription = try await cache.subscribe(.all)
        let batches = batches ?? [
            SourceBatch(timestamp: 1, changes: [.upsert(full), .upsert(nulls)]),
            SourceBatch(timestamp: 2, changes: [.upsert(updated)]),
            SourceBatch(timestamp: 3, changes: [.delete(key: [.integer(2)])]),
        ]
        for batch in batches { try await cache.apply(batch) }
        var events: [ViewEvent] = []
        var iterator = subscription.makeAsyncIterator()
        while events.count < count, let event = try await iterator.next() { events.append(event) }
        subscription.cancel()
        return events
    }

    /// What GraphQLSwift's executor sends for `document` when the source stream yields `events`.
    static func executorPayloads(
        _ document: String, events: [ViewEvent], variables: [String: Map] = [:], operationName: String? = nil
    ) async throws -> [String] {
        let api = try api(Resolvers(subscriptions: FixedUpdates(updates: events.map(RowUpdate.init))))
        let result = try await graphqlSubscribe(
            schema: api.schema, request: document, variableValues: variables, operationName: operationName)
        let stream = try result.get()
        let encoder = GraphQLJSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        var payloads: [String] = []
        for try await payload in stream {
            // GraphQLSwift 4.3.0 treats a resolver's `Map.null` as a value and reports
            // "<Scalar> cannot represent … null" while still writing `null`; APISchema's column
            // resolvers return `Map.null` for null columns. Only those errors are tolerated, and
            // only the `data` is compared.
            #expect(
                payload.errors.allSatisfy { $0.message.hasSuffix("value: null") || $0.message.hasSuffix("value: null.") },
                "executor errors: \(payload.errors)")
            payloads.append(String(decoding: try encoder.encode(GraphQLResult(data: payload.data)), as: UTF8.self))
        }
        return payloads
    }

    /// What our compiled projection writes for the same document and events.
    static func projectedPayloads(
        _ document: String, events: [ViewEvent], variables: [String: Map] = [:], operationName: String? = nil
    ) async throws -> (SubscriptionPlan, [String]) {
        let plan = try await plan(document, variables: variables, operationName: operationName).get()
        return (plan, events.map { String(decoding: plan.projection.encode($0), as: UTF8.self) })
    }

    static func plan(_ document: String, variables: [String: Map] = [:], operationName: String? = nil) async throws
        -> Result<SubscriptionPlan, GraphQLErrors> {
        let api = try api()
        switch DocumentCache(api: api).document(for: document) {
        case .failure(let errors): return .failure(errors)
        case .success(let validated):
            return try await SubscriptionPlanner(api: api).plan(validated, operationName: operationName, variables: variables)
        }
    }
}

/// Yields fixed updates whatever the filter: the executor reference for projections.
struct FixedUpdates: SubscriptionService {
    let updates: [RowUpdate]
    func subscribe(source: SourceDefinition, where filter: FilterInput, context: any Sendable) async throws
        -> AsyncThrowingStream<RowUpdate, any Error> {
        let updates = self.updates
        return AsyncThrowingStream { continuation in
            for update in updates { continuation.yield(update) }
            continuation.finish()
        }
    }
}

@Suite struct ProjectionTests {
    static let documents: [(name: String, text: String, variables: [String: Map])] = [
        ("every column and field", """
            subscription { things { operation data { id name ratio big uid at day clock flag doc list mood } fields } }
            """, [:]),
        ("aliases", """
            subscription Aliased { t: things { f: fields op: operation d: data { key: id n: name when: at m: mood } } }
            """, [:]),
        ("__typename at every level", """
            subscription { things { __typename data { __typename id } operation kind: __typename } }
            """, [:]),
        ("named fragments with type conditions", """
            subscription { things { ...U } }
            fragment U on thingsUpdate { operation data { ...R id } }
            fragment R on things { name mood }
            """, [:]),
        ("inline fragments and field merging", """
            subscription {
              things {
                ... on thingsUpdate { data { id } }
                data { name }
                ... { operation }
                data { id ratio }
                operation
              }
            }
            """, [:]),
        ("@include/@skip with variables (on)", """
            subscription ($withName: Boolean!, $skipOp: Boolean = false) {
              things { operation @skip(if: $skipOp) data { id name @include(if: $withName) ratio @skip(if: true) } fields @include(if: false) }
            }
            """, ["withName": true]),
        ("@include/@skip with variables (off)", """
            subscription ($withName: Boolean!, $skipOp: Boolean = false) {
              things { operation @skip(if: $skipOp) data { id name @include(if: $withName) ratio @skip(if: true) } fields @include(if: false) }
            }
            """, ["withName": false, "skipOp": true]),
        ("directives on fragments", """
            subscription ($on: Boolean!) {
              things { ...U @include(if: $on) ... on thingsUpdate @skip(if: $on) { fields } data { id } }
            }
            fragment U on thingsUpdate { operation }
            """, ["on": false]),
        ("nested fragment spreads", """
            subscription { things { ...A } }
            fragment A on thingsUpdate { ...B data { id } }
            fragment B on thingsUpdate { fields data { ...C } ...B2 }
            fragment B2 on thingsUpdate { data { ...C big } }
            fragment C on things { flag day ... on things { clock } }
            """, [:]),
        ("partial: operation only", "subscription { things { operation } }", [:]),
        ("partial: data only", "subscription { things { data { name uid } } }", [:]),
        ("where with variables", """
            subscription Filtered($m: mood, $n: Int = 0) {
              things(where: { _or: [{ mood: { _eq: $m } }, { id: { _gt: $n } }] }) { operation data { id mood } }
            }
            """, ["m": "happy"]),
    ]

    @Test(arguments: 0..<documents.count)
    func sameBytesAsTheExecutor(_ index: Int) async throws {
        let (name, text, variables) = Self.documents[index]
        let events = try await ProjectionFixture.events()
        #expect(events.map(\.operation) == [.insert, .insert, .update, .delete])
        let expected = try await ProjectionFixture.executorPayloads(text, events: events, variables: variables)
        let (_, actual) = try await ProjectionFixture.projectedPayloads(text, events: events, variables: variables)
        #expect(expected.count == events.count, "\(name)")
        for (ours, theirs) in zip(actual, expected) {
            #expect(ours == theirs, "\(name)")
        }
    }

    @Test func compositeKeyUpdateCarriesEveryKeyColumn() async throws {
        let events = try await ProjectionFixture.events(
            source: "pairs",
            batches: [
                SourceBatch(timestamp: 1, changes: [.upsert([.integer(1), .string("x"), .string("n"), .float(1)])]),
                SourceBatch(timestamp: 2, changes: [.upsert([.integer(1), .string("x"), .string("n"), .float(.infinity)])]),
                SourceBatch(timestamp: 3, changes: [.upsert([.integer(1), .string("x"), .string("m"), .float(.nan)])]),
                SourceBatch(timestamp: 4, changes: [.delete(key: [.integer(1), .string("x")])]),
            ])
        let document = "subscription { pairs { operation fields data { __typename note b a size } } }"
        let expected = try await ProjectionFixture.executorPayloads(document, events: events)
        let (_, actual) = try await ProjectionFixture.projectedPayloads(document, events: events)
        #expect(actual == expected)
        #expect(actual == [
            #"{"data":{"pairs":{"operation":"INSERT","fields":["a","b","note","size"],"data":{"__typename":"pairs","note":"n","b":"x","a":1,"size":1}}}}"#,
            #"{"data":{"pairs":{"operation":"UPDATE","fields":["size"],"data":{"__typename":"pairs","note":null,"b":"x","a":1,"size":null}}}}"#,
            #"{"data":{"pairs":{"operation":"UPDATE","fields":["note","size"],"data":{"__typename":"pairs","note":"m","b":"x","a":1,"size":null}}}}"#,
            #"{"data":{"pairs":{"operation":"DELETE","fields":["a","b","note","size"],"data":{"__typename":"pairs","note":"m","b":"x","a":1,"size":null}}}}"#,
        ])
    }

    @Test func exactBytesForEveryColumnType() async throws {
        let events = try await ProjectionFixture.events()
        let (_, payloads) = try await ProjectionFixture.projectedPayloads(
            "subscription { things { data { id name ratio big uid at day clock flag doc list mood } } }", events: events)
        #expect(payloads[0] == """
            {"data":{"things":{"data":{"id":1,"name":"Zoë \\"q\\" \\\\ \\n\\t\\u0001\u{7f} 😀 /path","ratio":2.5,\
            "big":"12345678901234567890.5","uid":"5f0c2b1e-8a4d-4c3b-9e2f-1a2b3c4d5e6f",\
            "at":"2023-11-14T22:13:20.123456Z","day":"2022-01-08","clock":"12:34:56.000001","flag":true,\
            "doc":{"k":[1,2.5,"x",null,true]},"list":[1,"a",null],"mood":"happy"}}}}
            """)
        #expect(payloads[1] == """
            {"data":{"things":{"data":{"id":2,"name":null,"ratio":null,"big":null,"uid":null,"at":null,"day":null,\
            "clock":null,"flag":null,"doc":null,"list":null,"mood":null}}}}
            """)
        #expect(payloads[2] == """
            {"data":{"things":{"data":{"id":1,"name":"renamed","ratio":1e-07,"big":null,"uid":null,"at":null,\
            "day":null,"clock":null,"flag":null,"doc":null,"list":null,"mood":"sad"}}}}
            """)
    }

    @Test func identicalSelectionsShareOneProjection() async throws {
        let plain = try await ProjectionFixture.plan("subscription { things { operation data { id name } } }").get()
        let spelledOtherwise = try await ProjectionFixture.plan("""
            subscription Other($x: Boolean = true) {
              things(where: { id: { _gt: 3 } }) { ...F data { name @include(if: $x) } }
            }
            fragment F on thingsUpdate { operation ... on thingsUpdate { data { id } } }
            """).get()
        let different = try await ProjectionFixture.plan("subscription { things { operation data { name id } } }").get()
        #expect(plain.projection == spelledOtherwise.projection)
        #expect(plain.projection.hashValue == spelledOtherwise.projection.hashValue)
        #expect(plain.projection != different.projection)
        #expect(Set([plain.projection, spelledOtherwise.projection, different.projection]).count == 2)
    }

    @Test func relevantColumnsFollowTheSelection() async throws {
        let source = try ProjectionFixture.source("things")
        let narrow = try await ProjectionFixture.plan("subscription { things { operation data { id name mood } } }").get()
        #expect(narrow.projection.selectedColumns == ColumnSet([0, 1, 11]))
        #expect(narrow.projection.relevantColumns == ColumnSet([0, 1, 11]))
        #expect(source.schema.columns[11].name == "mood")
        let withFields = try await ProjectionFixture.plan("subscription { things { fields data { id } } }").get()
        #expect(withFields.projection.selectsFields)
        #expect(withFields.projection.relevantColumns == nil)
    }

    @Test func encodeAppendsToAnExistingBuffer() async throws {
        let events = try await ProjectionFixture.events(count: 1)
        let plan = try await ProjectionFixture.plan("subscription { things { operation } }").get()
        var buffer = Array("prefix:".utf8)
        plan.projection.encode(events[0], into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == #"prefix:{"data":{"things":{"operation":"INSERT"}}}"#)
    }
}
