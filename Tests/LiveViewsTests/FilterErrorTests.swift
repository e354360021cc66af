import LiveViews
import Testing

@Suite struct FilterErrorTests {
    typealias F = FilterFixture

    /// Compiles `json`, expecting an invalidFilter error at `path` whose message contains `fragment`.
    func expectError(
        _ json: String, path: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = F.error(json)
        #expect(error?.code == .invalidFilter, sourceLocation: sourceLocation)
        #expect(error?.path == path, "\(error?.description ?? "no error")", sourceLocation: sourceLocation)
        #expect(
            error?.message.contains(fragment) == true, "\(error?.message ?? "no error")",
            sourceLocation: sourceLocation)
    }

    @Test func unknownColumnListsTheValidOnes() {
        expectError(#"{"nope": {"_eq": 1}}"#, path: "where.nope", "id, price, big, name")
        expectError(#"{"_and": [{"id": {"_eq": 1}}, {"nope": {"_eq": 1}}]}"#, path: "where._and[1].nope", "unknown column 'nope'")
        expectError(#"{"_xor": []}"#, path: "where._xor", "unknown column '_xor'")
    }

    @Test func unknownOperatorListsTheValidOnes() {
        expectError(#"{"id": {"_regex": "x"}}"#, path: "where.id._regex", "valid operators: _eq")
        expectError(#"{"id": {"eq": 1}}"#, path: "where.id.eq", "unknown operator 'eq'")
    }

    @Test func wrongOperandTypesSayWhatIsExpected() {
        expectError(#"{"id": {"_eq": "1"}}"#, path: "where.id._eq", "whole number")
        expectError(#"{"id": {"_gt": 2.5}}"#, path: "where.id._gt", "whole number")
        expectError(#"{"id": {"_eq": 1e30}}"#, path: "where.id._eq", "whole number")
        expectError(#"{"price": {"_eq": "1"}}"#, path: "where.price._eq", "a number")
        expectError(#"{"big": {"_eq": "12x"}}"#, path: "where.big._eq", "decimal string")
        expectError(#"{"big": {"_eq": true}}"#, path: "where.big._eq", "decimal string")
        expectError(#"{"name": {"_eq": 1}}"#, path: "where.name._eq", "a string")
        expectError(#"{"uid": {"_eq": "not-a-uuid"}}"#, path: "where.uid._eq", "UUID")
        expectError(#"{"active": {"_eq": "true"}}"#, path: "where.active._eq", "true or false")
        expectError(#"{"day": {"_eq": "2024-02-30"}}"#, path: "where.day._eq", "YYYY-MM-DD")
        expectError(#"{"clock": {"_eq": "25:00"}}"#, path: "where.clock._eq", "HH:MM")
        expectError(#"{"rank": {"_eq": 1}}"#, path: "where.rank._eq", "Rank values")
        expectError(#"{"id": {"_in": [1, "2"]}}"#, path: "where.id._in[1]", "whole number")
    }

    @Test func malformedTimestampsAreRejected() {
        for text in [
            "2024-1-02T03:04:05Z", "2024-01-02T03:04:05+2", "2024-01-02X03:04:05",
            "2024-01-02T03:04:05.Z", "2024-13-01", "yesterday", "2024-01-02T03:04:05+16:00", "",
        ] {
            expectError(#"{"at": {"_gt": "\#(text)"}}"#, path: "where.at._gt", "ISO-8601")
        }
    }

    @Test func unknownEnumValueListsTheValues() {
        expectError(#"{"rank": {"_gte": "diamond"}}"#, path: "where.rank._gte", "bronze, silver, gold, platinum")
        expectError(#"{"rank": {"_in": ["gold", "diamond"]}}"#, path: "where.rank._in[1]", "unknown value \"diamond\"")
    }

    @Test func listOperatorsNeedLists() {
        expectError(#"{"id": {"_in": 1}}"#, path: "where.id._in", "expects a list")
        expectError(#"{"id": {"_nin": {"a": 1}}}"#, path: "where.id._nin", "expects a list")
        expectError(#"{"_and": {"id": {"_eq": 1}}}"#, path: "where._and", "expects a list")
        expectError(#"{"_or": {"id": {"_eq": 1}}}"#, path: "where._or", "expects a list")
        expectError(#"{"_not": [{"id": {"_eq": 1}}]}"#, path: "where._not", "expects an expression object")
        expectError(#"{"_not": null}"#, path: "where._not", "expects an expression object")
        expectError(#"{"_or": [1]}"#, path: "where._or[0]", "expected an object")
    }

    @Test func nullOperandsAreRejectedExceptForIsNull() {
        expectError(#"{"id": {"_eq": null}}"#, path: "where.id._eq", "_is_null")
        expectError(#"{"id": {"_in": [1, null]}}"#, path: "where.id._in[1]", "_is_null")
        expectError(#"{"id": {"_is_null": null}}"#, path: "where.id._is_null", "true or false")
        expectError(#"{"id": {"_is_null": "yes"}}"#, path: "where.id._is_null", "true or false")
        expectError(#"{"id": null}"#, path: "where.id", "object of comparison operators")
        expectError(#"{"id": 5}"#, path: "where.id", "object of comparison operators")
    }

    @Test func textAndJsonOperatorsAreCheckedAgainstTheColumnType() {
        expectError(#"{"id": {"_like": "1%"}}"#, path: "where.id._like", "only to String columns")
        expectError(#"{"rank": {"_ilike": "g%"}}"#, path: "where.rank._ilike", "only to String columns")
        expectError(#"{"uid": {"_nlike": "1%"}}"#, path: "where.uid._nlike", "only to String columns")
        expectError(#"{"name": {"_like": 1}}"#, path: "where.name._like", "pattern string")
        expectError(#"{"name": {"_like": "abc\\"}}"#, path: "where.name._like", "escape character")
        expectError(#"{"meta": {"_eq": "{}"}}"#, path: "where.meta._eq", "only _is_null")
        expectError(#"{"tags": {"_in": []}}"#, path: "where.tags._in", "only _is_null")
        expectError(#"{"tags": {"_contains": []}}"#, path: "where.tags._contains", "valid operators: _is_null")
    }

    @Test func topLevelMustBeAnObjectAndNestingIsBounded() {
        expectError(#"[1]"#, path: "where", "expected an object")
        var deep = #"{"id": {"_eq": 1}}"#
        for _ in 0..<40 { deep = #"{"_not": \#(deep)}"# }
        let error = F.error(deep)
        #expect(error?.message.contains("nested more than") == true)
        #expect(error?.path?.hasPrefix("where._not._not") == true)
    }

    @Test func errorsAreReportedInKeyOrderWhateverTheClientOrder() {
        let a = F.error(#"{"zzz": {"_eq": 1}, "aaa": {"_eq": 1}}"#)
        let b = F.error(#"{"aaa": {"_eq": 1}, "zzz": {"_eq": 1}}"#)
        #expect(a == b)
        #expect(a?.path == "where.aaa")
    }
}
