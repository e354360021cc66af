import LiveViews
import Testing

@Suite struct FilterCanonicalTests {
    typealias F = FilterFixture

    @Test func reorderedButEqualFiltersAreEqual() throws {
        let pairs: [(String, String)] = [
            (#"{"id": {"_gt": 1, "_lt": 5}, "name": {"_eq": "x"}}"#, #"{"name": {"_eq": "x"}, "id": {"_lt": 5, "_gt": 1}}"#),
            (#"{"id": {"_in": [3, 1, 2, 1]}}"#, #"{"id": {"_in": [1, 2, 3]}}"#),
            (#"{"id": {"_nin": [2, 2.0, 1]}}"#, #"{"id": {"_nin": [1, 2]}}"#),
            (#"{"id": {"_in": [4]}}"#, #"{"id": {"_eq": 4}}"#),
            (#"{"id": {"_nin": [4]}}"#, #"{"id": {"_neq": 4}}"#),
            (#"{"_and": [{"id": {"_eq": 1}}, {"name": {"_eq": "x"}}]}"#, #"{"name": {"_eq": "x"}, "id": {"_eq": 1}}"#),
            (#"{"_or": [{"id": {"_eq": 1}}, {"id": {"_eq": 2}}]}"#, #"{"_or": [{"id": {"_eq": 2}}, {"id": {"_eq": 1}}]}"#),
            (#"{"_or": [{"id": {"_eq": 1}}, {"_or": [{"id": {"_eq": 2}}]}]}"#, #"{"_or": [{"id": {"_eq": 2}}, {"id": {"_eq": 1}}]}"#),
            (#"{"_and": [{"id": {"_eq": 1}}, {"id": {"_eq": 1}}]}"#, #"{"id": {"_eq": 1}}"#),
            (#"{"at": {"_eq": "2024-01-02T05:04:05+02:00"}}"#, #"{"at": {"_eq": "2024-01-02 03:04:05"}}"#),
            (#"{"uid": {"_eq": "123E4567-E89B-12D3-A456-426614174000"}}"#, #"{"uid": {"_eq": "123e4567-e89b-12d3-a456-426614174000"}}"#),
            (#"{"big": {"_eq": "007.50"}}"#, #"{"big": {"_eq": "7.5"}}"#),
            (#"{"price": {"_eq": 2}}"#, #"{"price": {"_eq": 2.0}}"#),
            (#"{"price": {"_eq": -0.0}}"#, #"{"price": {"_eq": 0}}"#),
            (#"{"name": {"_ilike": "ABC%"}}"#, #"{"name": {"_ilike": "abc%"}}"#),
            (#"{"_and": [], "id": {}}"#, #"{}"#),
            (#"{"_or": [{"id": {"_eq": 1}}, {}]}"#, #"{}"#),
            (#"{"_not": {"_not": {"id": {"_eq": 1}}}}"#, #"{"id": {"_eq": 1}}"#),
            (#"{"_or": [], "id": {"_eq": 1}}"#, #"{"id": {"_in": []}}"#),
        ]
        for (left, right) in pairs {
            let a = try F.filter(left)
            let b = try F.filter(right)
            #expect(a == b, "\(left) vs \(right): \(a.canonical) / \(b.canonical)")
            #expect(a.canonical == b.canonical)
            #expect(a.hashValue == b.hashValue)
        }
    }

    @Test func differentFiltersDiffer() throws {
        let filters = [
            #"{"id": {"_eq": 1}}"#, #"{"id": {"_eq": 2}}"#, #"{"id": {"_neq": 1}}"#, #"{"id": {"_gt": 1}}"#,
            #"{"id": {"_gte": 1}}"#, #"{"id": {"_in": [1, 2]}}"#, #"{"id": {"_nin": [1, 2]}}"#,
            #"{"id": {"_is_null": true}}"#, #"{"id": {"_is_null": false}}"#, #"{"_not": {"id": {"_eq": 1}}}"#,
            #"{"_or": [{"id": {"_eq": 1}}, {"price": {"_eq": 1}}]}"#, #"{"id": {"_eq": 1}, "price": {"_eq": 1}}"#,
            #"{"price": {"_eq": 1}}"#, #"{"name": {"_eq": "1"}}"#, #"{"name": {"_like": "a%"}}"#,
            #"{"name": {"_ilike": "a%"}}"#, #"{"name": {"_nlike": "a%"}}"#, #"{"name": {"_nilike": "a%"}}"#,
            #"{"name": {"_like": "a\\%"}}"#, #"{"name": {"_eq": "a\"b"}}"#, #"{"name": {"_eq": "a\\\"b"}}"#,
            #"{"_or": []}"#, #"{}"#,
        ]
        let compiled = try filters.map { json throws(LiveViewsError) in try F.filter(json) }
        #expect(Set(compiled).count == filters.count)
        #expect(Set(compiled.map(\.canonical)).count == filters.count)
    }

    @Test func canonicalTextIsReadable() throws {
        #expect(try F.filter("{}").canonical == "true")
        #expect(try F.filter(#"{"_or": []}"#).canonical == "false")
        #expect(try F.filter(#"{"id": {"_in": [3, 1]}}"#).canonical == #""id" in [1,3]"#)
        #expect(
            try F.filter(#"{"rank": {"_gte": "gold"}, "_not": {"name": {"_like": "x%"}}}"#).canonical
                == #"and("rank" in ["gold","platinum"],not("name" like "x%"))"#)
    }
}
