import GraphQL
import GraphQLAPI
import Testing

@Suite struct DocumentCacheTests {
    static let a = "subscription { things { operation } }"
    static let b = "subscription { pairs { operation } }"
    static let c = "subscription { things { fields } }"

    @Test func parsesOnceAndReturnsTheSameDocument() throws {
        let cache = DocumentCache(api: try ProjectionFixture.api())
        let first = try cache.document(for: Self.a).get()
        let second = try cache.document(for: Self.a).get()
        #expect(first.text == Self.a)
        #expect(first.document == second.document)
        #expect(cache.count == 1)
    }

    @Test func evictsTheLeastRecentlyUsed() throws {
        let cache = DocumentCache(api: try ProjectionFixture.api(), capacity: 2)
        _ = cache.document(for: Self.a)
        _ = cache.document(for: Self.b)
        _ = cache.document(for: Self.a)  // a is now the most recent
        _ = cache.document(for: Self.c)  // evicts b
        #expect(cache.count == 2)
        #expect(cache.contains(Self.a))
        #expect(!cache.contains(Self.b))
        #expect(cache.contains(Self.c))
        _ = cache.document(for: Self.b)  // evicts a
        #expect(!cache.contains(Self.a))
        #expect(cache.contains(Self.b) && cache.contains(Self.c))
        for index in 0..<50 { _ = cache.document(for: "subscription { things { operation } } # \(index)") }
        #expect(cache.count == 2)
    }

    @Test func validationErrorsCarryLocationsAndAreCached() throws {
        let cache = DocumentCache(api: try ProjectionFixture.api())
        let text = "subscription {\n  things { operation nope }\n}"
        guard case .failure(let errors) = cache.document(for: text) else {
            Issue.record("an unknown field validated")
            return
        }
        let error = try #require(errors.errors.first)
        #expect(error.message.contains("nope"))
        #expect(error.locations == [SourceLocation(line: 2, column: 22)])
        #expect(cache.contains(text))
    }

    @Test func syntaxErrorsAreGraphQLErrors() throws {
        let cache = DocumentCache(api: try ProjectionFixture.api())
        guard case .failure(let errors) = cache.document(for: "subscription { things { ") else {
            Issue.record("a truncated document parsed")
            return
        }
        #expect(errors.errors.first?.message.contains("Syntax Error") == true)
        #expect(errors.errors.first?.locations.isEmpty == false)
    }

    @Test func refusesDeepNestingAndLongTextsWithoutParsing() throws {
        let cache = DocumentCache(api: try ProjectionFixture.api(), maximumQueryBytes: 1000, maximumNestingDepth: 16)
        let deep = "subscription { things(where: " + String(repeating: "{_not: ", count: 100_000) + "{}"
            + String(repeating: "}", count: 100_000) + ") { operation } }"
        let bounded = DocumentCache(api: try ProjectionFixture.api(), maximumQueryBytes: 10_000_000, maximumNestingDepth: 16)
        guard case .failure(let nested) = bounded.document(for: deep) else {
            Issue.record("a 100k-deep document was accepted")
            return
        }
        #expect(nested.errors.first?.message.contains("nests deeper than 16") == true)
        #expect(nested.errors.first?.locations.first?.line == 1)
        guard case .failure(let long) = cache.document(for: String(repeating: " ", count: 1001) + Self.a) else {
            Issue.record("an over-long document was accepted")
            return
        }
        #expect(long.errors.first?.message.contains("limit is 1000") == true)
        // Brackets inside strings and comments do not count.
        let quoted = #"subscription { things(where: { name: { _eq: "{{{{{{{{{{{{{{{{{{{{" } }) { operation } } # (((((((((((((((((("#
        #expect(throws: Never.self) { try bounded.document(for: quoted).get() }
    }
}
