import GraphQL
import GraphQLAPI
import LiveViews
import Testing

/// ``SubscriptionPlanner``: source, response key, `where`, and errors as GraphQL errors.
@Suite struct ProjectionPlanTests {
    func errors(_ document: String, variables: [String: Map] = [:], operationName: String? = nil) async throws
        -> [GraphQLError] {
        switch try await ProjectionFixture.plan(document, variables: variables, operationName: operationName) {
        case .success(let plan): Issue.record("planned \(plan.source.name)"); return []
        case .failure(let errors): return errors.errors
        }
    }

    @Test func planCarriesSourceKeyAndFilter() async throws {
        let plan = try await ProjectionFixture.plan(
            """
            subscription Watch($m: mood!, $min: Float = 1.5) {
              mine: things(where: { mood: { _eq: $m }, ratio: { _gte: $min } }) { operation }
            }
            """, variables: ["m": "sad"]
        ).get()
        #expect(plan.source.name == "things")
        #expect(plan.responseKey == "mine")
        #expect(plan.whereInput == .object([
            "mood": .object(["_eq": .string("sad")]), "ratio": .object(["_gte": .float(1.5)]),
        ]))
        var sadAndHigh = ProjectionFixture.updated
        sadAndHigh[2] = .float(2)
        #expect(plan.filter.matches(sadAndHigh))
        #expect(!plan.filter.matches(ProjectionFixture.updated))
        #expect(!plan.filter.matches(ProjectionFixture.full))
    }

    @Test func absentOrNullWhereMatchesEveryRow() async throws {
        for document in ["subscription { things { operation } }", "subscription { things(where: null) { operation } }"] {
            let plan = try await ProjectionFixture.plan(document).get()
            #expect(plan.whereInput == .object([:]))
            #expect(plan.filter.isAll)
        }
    }

    @Test func operationNameSelectsTheSubscription() async throws {
        let document = """
            subscription A { things { operation } }
            subscription B { b: pairs { fields } }
            """
        let plan = try await ProjectionFixture.plan(document, operationName: "B").get()
        #expect(plan.source.name == "pairs")
        #expect(plan.responseKey == "b")
        let missing = try await errors(document)
        #expect(missing.first?.message.contains("operation name") == true)
        let unknown = try await errors(document, operationName: "C")
        #expect(unknown.first?.message.contains("Unknown operation named \"C\"") == true)
    }

    @Test func unknownSourceIsAValidationErrorWithItsLocation() async throws {
        let found = try await errors("subscription {\n  nowhere { operation }\n}")
        let error = try #require(found.first)
        #expect(error.message.contains("nowhere"))
        #expect(error.locations.first == SourceLocation(line: 2, column: 3))
    }

    @Test func missingAndIllTypedVariablesAreErrors() async throws {
        let document = "subscription ($m: mood!) { things(where: { mood: { _eq: $m } }) { operation } }"
        let missing = try await errors(document)
        #expect(missing.first?.message.contains("$m") == true)
        #expect(missing.first?.locations.first == SourceLocation(line: 1, column: 15))
        let wrong = try await errors(document, variables: ["m": "angry"])
        #expect(wrong.first?.message.contains("$m") == true)
        let skip = try await errors(
            "subscription ($s: Boolean!) { things { operation @skip(if: $s) } }", variables: ["s": "yes"])
        #expect(skip.first?.message.contains("$s") == true)
    }

    @Test func badWhereIsAnError() async throws {
        let typed = try await errors(#"subscription { things(where: { ratio: { _eq: "high" } }) { operation } }"#)
        #expect(!typed.isEmpty)
        let uncompilable = try await errors(#"subscription { things(where: { at: { _gt: "not a time" } }) { operation } }"#)
        let error = try #require(uncompilable.first)
        #expect(error.message.hasPrefix("where:"))
        #expect(error.locations.first == SourceLocation(line: 1, column: 23))
    }

    @Test func notASubscriptionIsAnError() async throws {
        let found = try await errors("query { things_triggers { name } }")
        #expect(found.first?.message.contains("not a subscription") == true)
    }

    @Test func exactlyOneRootField() async throws {
        let two = try await errors("subscription { things { operation } pairs { operation } }")
        #expect(two.first?.message.contains("exactly one") == true)
        let typename = try await errors("subscription { __typename things { operation } }")
        #expect(typename.first?.message.contains("exactly one") == true)
        let none = try await errors("subscription { things @skip(if: true) { operation } }")
        #expect(none.first?.message.contains("no source") == true)
    }

    @Test func conflictingFieldsUnderOneKeyAreAnError() async throws {
        let found = try await errors("subscription { things { x: operation x: fields } }")
        let error = try #require(found.first)
        #expect(error.message.contains("\"x\" conflict"))
        #expect(error.locations.count == 2)
    }

    @Test func validatedDocumentReportsOperationTypes() throws {
        let cache = DocumentCache(api: try ProjectionFixture.api())
        let document = try cache.document(for: "query Q { things_triggers { name } } subscription S { things { operation } }").get()
        #expect(document.operationType(named: "Q") == .query)
        #expect(document.operationType(named: "S") == .subscription)
        #expect(document.operationType(named: nil) == nil)
    }
}
