import Foundation
import LiveViews
import Testing

@Suite struct FilterTests {
    typealias F = FilterFixture

    @Test func emptyObjectAndNullMatchEverything() throws {
        let empty = try F.filter("{}")
        #expect(empty.isAll)
        #expect(empty == Filter.all)
        #expect(empty.matches(F.row([:])))
        #expect(try F.filter("null") == Filter.all)
        #expect(Filter.all.columnsRead.isEmpty)
        #expect(Filter.all.pinned == nil)
        #expect(try F.filter(#"{"id": {}}"#).isAll)
        #expect(try !F.filter(#"{"id": {"_eq": 1}}"#).isAll)
    }

    @Test func integerOperators() throws {
        let five = Value.integer(5)
        #expect(try F.matches(#"{"id": {"_eq": 5}}"#, "id", five))
        #expect(try !F.matches(#"{"id": {"_eq": 6}}"#, "id", five))
        #expect(try F.matches(#"{"id": {"_neq": 6}}"#, "id", five))
        #expect(try !F.matches(#"{"id": {"_neq": 5}}"#, "id", five))
        #expect(try F.matches(#"{"id": {"_gt": 4}}"#, "id", five))
        #expect(try !F.matches(#"{"id": {"_gt": 5}}"#, "id", five))
        #expect(try F.matches(#"{"id": {"_gte": 5}}"#, "id", five))
        #expect(try !F.matches(#"{"id": {"_gte": 6}}"#, "id", five))
        #expect(try F.matches(#"{"id": {"_lt": 6}}"#, "id", five))
        #expect(try !F.matches(#"{"id": {"_lt": 5}}"#, "id", five))
        #expect(try F.matches(#"{"id": {"_lte": 5}}"#, "id", five))
        #expect(try !F.matches(#"{"id": {"_lte": 4}}"#, "id", five))
        #expect(try F.matches(#"{"id": {"_in": [1, 5, 9]}}"#, "id", five))
        #expect(try !F.matches(#"{"id": {"_in": [1, 9]}}"#, "id", five))
        #expect(try F.matches(#"{"id": {"_nin": [1, 9]}}"#, "id", five))
        #expect(try !F.matches(#"{"id": {"_nin": [5, 9]}}"#, "id", five))
        // A whole-number float operand is the integer; int64 extremes compare exactly.
        #expect(try F.matches(#"{"id": {"_eq": 5.0}}"#, "id", five))
        #expect(try F.matches(#"{"id": {"_gt": 9223372036854775806}}"#, "id", .integer(.max)))
        #expect(try !F.matches(#"{"id": {"_gt": 9223372036854775807}}"#, "id", .integer(.max)))
    }

    @Test func severalOperatorsOnOneColumnAreAnded() throws {
        let filter = try F.filter(#"{"id": {"_gte": 10, "_lt": 20}}"#)
        #expect(filter.matches(F.row(["id": .integer(10)])))
        #expect(filter.matches(F.row(["id": .integer(19)])))
        #expect(!filter.matches(F.row(["id": .integer(20)])))
        #expect(!filter.matches(F.row(["id": .integer(9)])))
    }

    @Test func floatOperatorsAcceptIntegerOperandsAndOrderNaNLikePostgres() throws {
        #expect(try F.matches(#"{"price": {"_eq": 2}}"#, "price", .float(2)))
        #expect(try F.matches(#"{"price": {"_gt": 2}}"#, "price", .float(2.5)))
        #expect(try F.matches(#"{"price": {"_lte": 2.5}}"#, "price", .float(2.5)))
        #expect(try !F.matches(#"{"price": {"_lt": 2.5}}"#, "price", .float(2.5)))
        #expect(try F.matches(#"{"price": {"_neq": 2.5}}"#, "price", .float(2.25)))
        #expect(try F.matches(#"{"price": {"_gte": -1e300}}"#, "price", .float(0)))
        #expect(try F.matches(#"{"price": {"_in": [0.5, 1.5]}}"#, "price", .float(1.5)))
        #expect(try F.matches(#"{"price": {"_nin": [0.5, 1.5]}}"#, "price", .float(2)))
        #expect(try F.matches(#"{"price": {"_eq": 0}}"#, "price", .float(-0.0)))
        #expect(try F.matches(#"{"price": {"_in": [-0.0, 7]}}"#, "price", .float(0)))
        // NaN is greater than every number and not equal to any of them.
        #expect(try F.matches(#"{"price": {"_gt": 1e308}}"#, "price", .float(.nan)))
        #expect(try !F.matches(#"{"price": {"_lt": 1e308}}"#, "price", .float(.nan)))
        #expect(try F.matches(#"{"price": {"_neq": 1}}"#, "price", .float(.nan)))
        #expect(try !F.matches(#"{"price": {"_eq": 1}}"#, "price", .float(.nan)))
        #expect(try F.matches(#"{"price": {"_nin": [1, 2]}}"#, "price", .float(.nan)))
        #expect(try F.matches(#"{"price": {"_gt": 1}}"#, "price", .float(.infinity)))
    }

    @Test func bigIntComparesExactlyBeyondDoublePrecision() throws {
        let big = try #require(ExactDecimal("12345678901234567890123456789"))
        let value = Value.decimal(big)
        #expect(try F.matches(#"{"big": {"_eq": "12345678901234567890123456789"}}"#, "big", value))
        // These two differ only past Double's 53 bits.
        #expect(try !F.matches(#"{"big": {"_eq": "12345678901234567890123456788"}}"#, "big", value))
        #expect(try F.matches(#"{"big": {"_gt": "12345678901234567890123456788"}}"#, "big", value))
        #expect(try !F.matches(#"{"big": {"_gt": "12345678901234567890123456789"}}"#, "big", value))
        #expect(try F.matches(#"{"big": {"_gte": "12345678901234567890123456789.0"}}"#, "big", value))
        #expect(try F.matches(#"{"big": {"_lt": "1.2345678901234567890123456789e29"}}"#, "big", .decimal(ExactDecimal(5))))
        #expect(try F.matches(#"{"big": {"_lte": 5}}"#, "big", .decimal(ExactDecimal(5))))
        #expect(try F.matches(#"{"big": {"_neq": 5}}"#, "big", value))
        #expect(try F.matches(#"{"big": {"_in": ["1", "12345678901234567890123456789"]}}"#, "big", value))
        #expect(try !F.matches(#"{"big": {"_nin": ["1", "12345678901234567890123456789"]}}"#, "big", value))
        #expect(try F.matches(#"{"big": {"_eq": 2.5}}"#, "big", .decimal(try #require(ExactDecimal("2.50")))))
        // NaN equals NaN and sorts above everything, as in PostgreSQL's numeric.
        #expect(try F.matches(#"{"big": {"_eq": "NaN"}}"#, "big", .decimal(.nan)))
        #expect(try F.matches(#"{"big": {"_gt": "Infinity"}}"#, "big", .decimal(.nan)))
    }

    @Test func stringOperators() throws {
        let apple = Value.string("apple")
        #expect(try F.matches(#"{"name": {"_eq": "apple"}}"#, "name", apple))
        #expect(try F.matches(#"{"name": {"_neq": "Apple"}}"#, "name", apple))
        #expect(try F.matches(#"{"name": {"_gt": "ap"}}"#, "name", apple))
        #expect(try F.matches(#"{"name": {"_gte": "apple"}}"#, "name", apple))
        #expect(try F.matches(#"{"name": {"_lt": "b"}}"#, "name", apple))
        #expect(try !F.matches(#"{"name": {"_lte": "a"}}"#, "name", apple))
        #expect(try F.matches(#"{"name": {"_in": ["pear", "apple"]}}"#, "name", apple))
        #expect(try F.matches(#"{"name": {"_nin": ["pear", "plum"]}}"#, "name", apple))
        #expect(try F.matches(#"{"name": {"_like": "a%e"}}"#, "name", apple))
        #expect(try !F.matches(#"{"name": {"_like": "A%"}}"#, "name", apple))
        #expect(try F.matches(#"{"name": {"_ilike": "A%LE"}}"#, "name", apple))
        #expect(try F.matches(#"{"name": {"_nlike": "A%"}}"#, "name", apple))
        #expect(try !F.matches(#"{"name": {"_nilike": "A%"}}"#, "name", apple))
        #expect(try !F.matches(#"{"name": {"_like": "%"}}"#, "name", .null))
        #expect(try !F.matches(#"{"name": {"_nlike": "x%"}}"#, "name", .null))
    }

    @Test func uuidOperatorsAcceptAnyCaseAndOrderByBytes() throws {
        let uuid = try #require(UUID(uuidString: "123e4567-e89b-12d3-a456-426614174000"))
        let value = Value.uuid(uuid)
        #expect(try F.matches(#"{"uid": {"_eq": "123E4567-E89B-12D3-A456-426614174000"}}"#, "uid", value))
        #expect(try F.matches(#"{"uid": {"_eq": "123e4567-e89b-12d3-a456-426614174000"}}"#, "uid", value))
        #expect(try F.matches(#"{"uid": {"_neq": "00000000-0000-0000-0000-000000000000"}}"#, "uid", value))
        #expect(try F.matches(#"{"uid": {"_gt": "023e4567-e89b-12d3-a456-426614174000"}}"#, "uid", value))
        #expect(try F.matches(#"{"uid": {"_gte": "123e4567-e89b-12d3-a456-426614174000"}}"#, "uid", value))
        #expect(try F.matches(#"{"uid": {"_lt": "f23e4567-e89b-12d3-a456-426614174000"}}"#, "uid", value))
        #expect(try !F.matches(#"{"uid": {"_lte": "123e4567-e89b-12d3-a456-426614173fff"}}"#, "uid", value))
        #expect(try F.matches(#"{"uid": {"_in": ["123e4567-e89b-12d3-a456-426614174000", "00000000-0000-0000-0000-000000000001"]}}"#, "uid", value))
        #expect(try !F.matches(#"{"uid": {"_nin": ["123e4567-e89b-12d3-a456-426614174000", "00000000-0000-0000-0000-000000000001"]}}"#, "uid", value))
    }

    @Test func timestampsCompareAsInstants() throws {
        // 2024-01-02T03:04:05Z
        let instant: Int64 = 1_704_164_645_000_000
        let value = Value.timestamp(instant)
        #expect(try F.matches(#"{"at": {"_eq": "2024-01-02T03:04:05Z"}}"#, "at", value))
        #expect(try F.matches(#"{"at": {"_eq": "2024-01-02 03:04:05"}}"#, "at", value))
        #expect(try F.matches(#"{"at": {"_eq": "2024-01-02T05:04:05+02:00"}}"#, "at", value))
        #expect(try F.matches(#"{"at": {"_eq": "2024-01-01T22:34:05-04:30"}}"#, "at", value))
        #expect(try F.matches(#"{"at": {"_eq": "2024-01-02T03:04:05.000000Z"}}"#, "at", value))
        #expect(try F.matches(#"{"at": {"_gt": "2024-01-02T03:04:04.999999Z"}}"#, "at", value))
        #expect(try !F.matches(#"{"at": {"_gt": "2024-01-02T03:04:05.000001Z"}}"#, "at", value))
        #expect(try F.matches(#"{"at": {"_gte": "2024-01-02"}}"#, "at", value))
        #expect(try F.matches(#"{"at": {"_lt": "2024-01-02T04:04:05+01:00"}}"#, "at", .timestamp(instant - 1)))
        #expect(try F.matches(#"{"at": {"_lte": "2024-01-02T03:04:05Z"}}"#, "at", value))
        #expect(try F.matches(#"{"at": {"_neq": "2024-01-02T03:04:05+00:01"}}"#, "at", value))
        #expect(try F.matches(#"{"at": {"_in": ["2024-01-02T04:04:05+01:00", "2020-01-01T00:00:00Z"]}}"#, "at", value))
        #expect(try F.matches(#"{"at": {"_nin": ["2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"]}}"#, "at", value))
    }

    @Test func datesAndTimesCompareByValue() throws {
        let day = Value.date(19_724)  // 2024-01-02
        #expect(try F.matches(#"{"day": {"_eq": "2024-01-02"}}"#, "day", day))
        #expect(try F.matches(#"{"day": {"_neq": "2024-01-03"}}"#, "day", day))
        #expect(try F.matches(#"{"day": {"_gt": "2023-12-31"}}"#, "day", day))
        #expect(try F.matches(#"{"day": {"_gte": "2024-01-02"}}"#, "day", day))
        #expect(try F.matches(#"{"day": {"_lt": "2024-02-01"}}"#, "day", day))
        #expect(try !F.matches(#"{"day": {"_lte": "2024-01-01"}}"#, "day", day))
        #expect(try F.matches(#"{"day": {"_in": ["2024-01-02", "1970-01-01"]}}"#, "day", day))
        #expect(try F.matches(#"{"day": {"_eq": "1970-01-01"}}"#, "day", .date(0)))
        #expect(try F.matches(#"{"day": {"_eq": "1969-12-31"}}"#, "day", .date(-1)))

        let clock = Value.time(((9 * 60 + 30) * 60 + 15) * 1_000_000 + 250_000)  // 09:30:15.25
        #expect(try F.matches(#"{"clock": {"_eq": "09:30:15.25"}}"#, "clock", clock))
        #expect(try F.matches(#"{"clock": {"_gt": "09:30"}}"#, "clock", clock))
        #expect(try F.matches(#"{"clock": {"_gte": "09:30:15.250000"}}"#, "clock", clock))
        #expect(try F.matches(#"{"clock": {"_lt": "09:30:16"}}"#, "clock", clock))
        #expect(try !F.matches(#"{"clock": {"_lte": "09:30:15"}}"#, "clock", clock))
        #expect(try F.matches(#"{"clock": {"_neq": "09:30:15"}}"#, "clock", clock))
        #expect(try F.matches(#"{"clock": {"_nin": ["09:30", "10:00"]}}"#, "clock", clock))
    }

    @Test func booleanOperators() throws {
        #expect(try F.matches(#"{"active": {"_eq": true}}"#, "active", .bool(true)))
        #expect(try !F.matches(#"{"active": {"_eq": true}}"#, "active", .bool(false)))
        #expect(try F.matches(#"{"active": {"_neq": true}}"#, "active", .bool(false)))
        #expect(try F.matches(#"{"active": {"_gt": false}}"#, "active", .bool(true)))
        #expect(try F.matches(#"{"active": {"_gte": false}}"#, "active", .bool(false)))
        #expect(try F.matches(#"{"active": {"_lt": true}}"#, "active", .bool(false)))
        #expect(try !F.matches(#"{"active": {"_lte": false}}"#, "active", .bool(true)))
        #expect(try F.matches(#"{"active": {"_in": [true, false]}}"#, "active", .bool(false)))
        #expect(try !F.matches(#"{"active": {"_nin": [true, false]}}"#, "active", .bool(false)))
    }

    @Test func enumsCompareByDeclaredOrder() throws {
        #expect(try F.matches(#"{"rank": {"_gte": "silver"}}"#, "rank", .string("gold")))
        #expect(try F.matches(#"{"rank": {"_gte": "silver"}}"#, "rank", .string("silver")))
        #expect(try !F.matches(#"{"rank": {"_gte": "silver"}}"#, "rank", .string("bronze")))
        // Declared order, not alphabetical: "gold" < "platinum" but "silver" > "gold" alphabetically.
        #expect(try F.matches(#"{"rank": {"_lt": "gold"}}"#, "rank", .string("silver")))
        #expect(try !F.matches(#"{"rank": {"_gt": "gold"}}"#, "rank", .string("silver")))
        #expect(try F.matches(#"{"rank": {"_gt": "gold"}}"#, "rank", .string("platinum")))
        #expect(try F.matches(#"{"rank": {"_lte": "bronze"}}"#, "rank", .string("bronze")))
        #expect(try F.matches(#"{"rank": {"_eq": "gold"}}"#, "rank", .string("gold")))
        #expect(try F.matches(#"{"rank": {"_neq": "gold"}}"#, "rank", .string("silver")))
        #expect(try F.matches(#"{"rank": {"_in": ["gold", "silver"]}}"#, "rank", .string("silver")))
        #expect(try F.matches(#"{"rank": {"_nin": ["gold", "silver"]}}"#, "rank", .string("bronze")))
        #expect(try !F.matches(#"{"rank": {"_gt": "platinum"}}"#, "rank", .string("platinum")))
        #expect(try !F.matches(#"{"rank": {"_gte": "bronze"}}"#, "rank", .null))
        // An enum ordering means the same as the set of values it admits.
        #expect(try F.filter(#"{"rank": {"_gte": "gold"}}"#) == F.filter(#"{"rank": {"_in": ["platinum", "gold"]}}"#))
    }

    @Test func jsonAndArrayColumnsSupportIsNull() throws {
        #expect(try F.matches(#"{"meta": {"_is_null": true}}"#, "meta", .null))
        #expect(try F.matches(#"{"meta": {"_is_null": false}}"#, "meta", .json("{}")))
        #expect(try F.matches(#"{"tags": {"_is_null": false}}"#, "tags", .json("[1]")))
        #expect(try !F.matches(#"{"tags": {"_is_null": false}}"#, "tags", .null))
    }

    @Test func nullComparisonsAreUnknownEvenUnderNot() throws {
        let null = F.row([:])
        for json in [
            #"{"id": {"_eq": 1}}"#, #"{"id": {"_neq": 1}}"#, #"{"id": {"_gt": 1}}"#, #"{"id": {"_lte": 1}}"#,
            #"{"id": {"_in": [1, 2]}}"#, #"{"id": {"_nin": [1, 2]}}"#, #"{"name": {"_like": "%"}}"#,
            #"{"name": {"_nilike": "x"}}"#,
        ] {
            #expect(try !F.filter(json).matches(null), "\(json)")
            #expect(try !F.filter(#"{"_not": \#(json)}"#).matches(null), "_not \(json)")
        }
        #expect(try F.filter(#"{"id": {"_is_null": true}}"#).matches(null))
        #expect(try !F.filter(#"{"id": {"_is_null": false}}"#).matches(null))
        #expect(try F.filter(#"{"_not": {"id": {"_is_null": false}}}"#).matches(null))
        // UNKNOWN OR TRUE is TRUE; UNKNOWN AND FALSE is FALSE, whose negation matches.
        #expect(try F.filter(#"{"_or": [{"id": {"_eq": 1}}, {"name": {"_is_null": true}}]}"#).matches(null))
        #expect(try F.filter(#"{"_not": {"_and": [{"id": {"_eq": 1}}, {"name": {"_is_null": false}}]}}"#).matches(null))
        #expect(try !F.filter(#"{"_not": {"_or": [{"id": {"_eq": 1}}, {"name": {"_is_null": false}}]}}"#).matches(null))
    }

    @Test func logicalOperatorsNest() throws {
        let filter = try F.filter(
            #"{"_or": [{"id": {"_lt": 10}}, {"_and": [{"rank": {"_gte": "gold"}}, {"_not": {"active": {"_eq": false}}}]}]}"#)
        #expect(filter.matches(F.row(["id": .integer(5)])))
        #expect(filter.matches(F.row(["id": .integer(50), "rank": .string("gold"), "active": .bool(true)])))
        #expect(!filter.matches(F.row(["id": .integer(50), "rank": .string("gold"), "active": .bool(false)])))
        #expect(!filter.matches(F.row(["id": .integer(50), "rank": .string("silver"), "active": .bool(true)])))
        #expect(filter.columnsRead == [0, 8, 11])
        #expect(filter.pinned == nil)

        let anded = try F.filter(#"{"id": {"_gt": 1}, "_and": [{"id": {"_lt": 5}}], "_not": {"id": {"_eq": 3}}}"#)
        #expect(anded.matches(F.row(["id": .integer(2)])))
        #expect(!anded.matches(F.row(["id": .integer(3)])))
        #expect(!anded.matches(F.row(["id": .integer(5)])))
        #expect(try F.filter(#"{"_not": {"_not": {"id": {"_eq": 3}}}}"#) == F.filter(#"{"id": {"_eq": 3}}"#))
    }

    @Test func emptyListsFollowHasura() throws {
        let row = F.row(["id": .integer(1)])
        #expect(try F.filter(#"{"_and": []}"#).isAll)
        #expect(try !F.filter(#"{"_or": []}"#).matches(row))
        #expect(try F.filter(#"{"_not": {"_or": []}}"#).matches(row))
        #expect(try !F.filter(#"{"id": {"_in": []}}"#).matches(row))
        #expect(try F.filter(#"{"id": {"_nin": []}}"#).matches(row))
        #expect(try F.filter(#"{"id": {"_nin": []}}"#).isAll)
    }

    @Test func columnsReadAreSortedAndUnique() throws {
        let filter = try F.filter(
            #"{"rank": {"_eq": "gold"}, "id": {"_gt": 1, "_lt": 9}, "_or": [{"price": {"_gt": 1}}, {"id": {"_eq": 3}}]}"#)
        #expect(filter.columnsRead == [0, 1, 11])
        #expect(try F.filter(#"{"_or": [{"id": {"_eq": 1}}, {}]}"#).columnsRead == [])
    }

    @Test func pinnedIsTheMostSelectiveTopLevelEqualityOrMembership() throws {
        #expect(try F.filter(#"{"id": {"_eq": 7}}"#).pinned == Pinned(column: 0, values: [.integer(7)]))
        #expect(try F.filter(#"{"id": {"_in": [7, 8, 7]}}"#).pinned == Pinned(column: 0, values: [.integer(7), .integer(8)]))
        #expect(
            try F.filter(#"{"id": {"_in": [1, 2, 3]}, "name": {"_eq": "x"}, "price": {"_gt": 1}}"#).pinned
                == Pinned(column: 3, values: [.string("x")]))
        #expect(
            try F.filter(#"{"_and": [{"big": {"_eq": "10.50"}}, {"price": {"_lt": 3}}]}"#).pinned
                == Pinned(column: 2, values: [.decimal(try #require(ExactDecimal("10.5")))]))
        // Values have the cache's form for the column type.
        #expect(try F.filter(#"{"price": {"_eq": 2}}"#).pinned == Pinned(column: 1, values: [.float(2)]))
        #expect(
            try F.filter(#"{"at": {"_eq": "1970-01-01T00:00:01+00:00"}}"#).pinned
                == Pinned(column: 5, values: [.timestamp(1_000_000)]))
        #expect(
            try F.filter(#"{"uid": {"_eq": "123E4567-E89B-12D3-A456-426614174000"}}"#).pinned
                == Pinned(column: 4, values: [.uuid(try #require(UUID(uuidString: "123e4567-e89b-12d3-a456-426614174000")))]))
        #expect(
            try F.filter(#"{"rank": {"_gt": "silver"}}"#).pinned
                == Pinned(column: 11, values: [.string("gold"), .string("platinum")]))
        #expect(try F.filter(#"{"active": {"_eq": true}}"#).pinned == Pinned(column: 8, values: [.bool(true)]))
        // None under _or or _not, nor for other operators.
        #expect(try F.filter(#"{"_or": [{"id": {"_eq": 1}}, {"id": {"_eq": 2}}]}"#).pinned == nil)
        #expect(try F.filter(#"{"_not": {"id": {"_eq": 1}}}"#).pinned == nil)
        #expect(try F.filter(#"{"id": {"_neq": 1}}"#).pinned == nil)
        #expect(try F.filter(#"{"id": {"_nin": [1, 2]}}"#).pinned == nil)
        #expect(try F.filter(#"{"id": {"_gt": 1}}"#).pinned == nil)
    }

    @Test func pinnedNeverExcludesAMatchingRow() throws {
        let filters = [
            #"{"id": {"_in": [1, 2, 3]}, "price": {"_gt": 0}}"#, #"{"rank": {"_gte": "silver"}, "id": {"_lt": 5}}"#,
            #"{"_and": [{"id": {"_eq": 2}}, {"_or": [{"price": {"_gt": 1}}, {"price": {"_is_null": true}}]}]}"#,
        ]
        for json in filters {
            let filter = try F.filter(json)
            let pinned = try #require(filter.pinned)
            for id in Int64(0)...6 {
                for rank in ["bronze", "silver", "gold", "platinum"] {
                    for price in [Value.null, .float(0.5), .float(2)] {
                        let row = F.row(["id": .integer(id), "rank": .string(rank), "price": price])
                        if filter.matches(row) { #expect(pinned.values.contains(row[pinned.column]), "\(json)") }
                    }
                }
            }
        }
    }
}
