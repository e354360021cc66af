import Testing
@testable import LiveViews

@Suite struct ColumnSetTests {
    @Test func insertsUnionsAndIterates() {
        var set = ColumnSet([1, 5])
        set.insert(70)
        #expect(set.contains(70) && set.contains(1) && !set.contains(2) && !set.contains(200))
        #expect(Array(set) == [1, 5, 70])
        #expect(set.count == 3)
        let union = set.union(ColumnSet([2, 130]))
        #expect(Array(union) == [1, 2, 5, 70, 130])
        #expect(union.intersects(ColumnSet([130])))
        #expect(!set.intersects(ColumnSet([3])))
        #expect(ColumnSet([1]) == ColumnSet([1]).union(ColumnSet()))
        #expect(ColumnSet().isEmpty)
    }
}
