import Foundation

/// SQL's three truth values (PostgreSQL manual, "Logical Operators").
enum Truth: UInt8, Sendable {
    case `false`
    case unknown
    case `true`

    init(_ value: Bool) { self = value ? .true : .false }

    var negated: Truth {
        switch self {
        case .false: .true
        case .unknown: .unknown
        case .true: .false
        }
    }
}

/// A compiled, simplified predicate over column indices.
///
/// Built once per filter; evaluation walks it without allocating or looking up names.
indirect enum FilterNode: Sendable {
    case constant(Bool)
    /// Two or more children; FALSE wins, then UNKNOWN.
    case and([FilterNode])
    /// Two or more children; TRUE wins, then UNKNOWN.
    case or([FilterNode])
    case not(FilterNode)
    case test(column: Int, FilterTest)

    func evaluate(_ row: some ColumnValues) -> Truth {
        switch self {
        case .constant(let value):
            return Truth(value)
        case .and(let children):
            var result = Truth.true
            for child in children {
                switch child.evaluate(row) {
                case .false: return .false
                case .unknown: result = .unknown
                case .true: break
                }
            }
            return result
        case .or(let children):
            var result = Truth.false
            for child in children {
                switch child.evaluate(row) {
                case .true: return .true
                case .unknown: result = .unknown
                case .false: break
                }
            }
            return result
        case .not(let child):
            return child.evaluate(row).negated
        case .test(let column, let test):
            return test.evaluate(row.value(at: column))
        }
    }

    func collectColumns(into columns: inout Set<Int>) {
        switch self {
        case .constant: break
        case .and(let children), .or(let children):
            for child in children { child.collectColumns(into: &columns) }
        case .not(let child): child.collectColumns(into: &columns)
        case .test(let column, _): columns.insert(column)
        }
    }

    /// The most selective top-level `_eq`/`_in` conjunct (fewest values; ties go to the
    /// first in canonical order, so the choice is deterministic).
    func pinned() -> Pinned? {
        switch self {
        case .test(let column, let test):
            return test.pinnedValues.map { Pinned(column: column, values: $0) }
        case .and(let children):
            var best: Pinned?
            for child in children {
                guard case .test(let column, let test) = child, let values = test.pinnedValues else { continue }
                if best == nil || values.count < best!.values.count {
                    best = Pinned(column: column, values: values)
                }
            }
            return best
        case .constant, .or, .not:
            return nil
        }
    }
}

/// One test of one column value.
enum FilterTest: Sendable {
    case isNull
    case isNotNull
    /// The operand has the form the cache stores for the column's type.
    case compare(FilterComparison, Value)
    case member(ValueSet)
    case notMember(ValueSet)
    case like(LikePattern)

    /// The values a matching row's column must take, when this test pins them.
    var pinnedValues: Set<Value>? {
        switch self {
        case .compare(.equal, let value): [value]
        case .member(let set): set.set
        case .compare, .isNull, .isNotNull, .notMember, .like: nil
        }
    }

    func evaluate(_ value: Value) -> Truth {
        switch self {
        case .isNull:
            return Truth(value.isNull)
        case .isNotNull:
            return Truth(!value.isNull)
        case .compare(let comparison, let operand):
            return comparison.evaluate(value, operand)
        case .member(let set):
            if value.isNull { return .unknown }
            return Truth(set.contains(value))
        case .notMember(let set):
            if value.isNull { return .unknown }
            return Truth(!set.contains(value))
        case .like(let pattern):
            guard case .string(let text) = value else { return .unknown }
            return Truth(pattern.matches(text))
        }
    }
}

/// A set of operand values for `_in`/`_nin` (and enum orderings, compiled to the set
/// of enum values that satisfy them).
///
/// Small sets are scanned linearly: for a handful of values that beats hashing.
struct ValueSet: Sendable {
    /// Sorted by canonical text, unique.
    let values: [Value]
    let set: Set<Value>
    private let useSet: Bool

    init(sortedUnique values: [Value]) {
        self.values = values
        self.set = Set(values)
        self.useSet = values.count > 8
    }

    func contains(_ value: Value) -> Bool {
        if useSet { return set.contains(value) }
        for candidate in values where candidate == value { return true }
        return false
    }
}

enum FilterComparison: String, Sendable {
    case equal = "eq"
    case notEqual = "neq"
    case less = "lt"
    case lessOrEqual = "lte"
    case greater = "gt"
    case greaterOrEqual = "gte"

    @inline(__always)
    func apply<T: Comparable>(_ a: T, _ b: T) -> Bool {
        switch self {
        case .equal: a == b
        case .notEqual: a != b
        case .less: a < b
        case .lessOrEqual: a <= b
        case .greater: a > b
        case .greaterOrEqual: a >= b
        }
    }

    /// Whether the comparison holds given `order` (-1, 0, 1) of the two values.
    @inline(__always)
    func holds(order: Int) -> Bool {
        switch self {
        case .equal: order == 0
        case .notEqual: order != 0
        case .less: order < 0
        case .lessOrEqual: order <= 0
        case .greater: order > 0
        case .greaterOrEqual: order >= 0
        }
    }

    /// Compares a row value with an operand of its column's type; NULL (or a value
    /// of another type, which a well-formed cache never holds) is UNKNOWN.
    func evaluate(_ value: Value, _ operand: Value) -> Truth {
        switch (value, operand) {
        case (.integer(let a), .integer(let b)):
            return Truth(apply(a, b))
        case (.float(let a), .float(let b)):
            if !a.isNaN && !b.isNaN { return Truth(apply(a, b)) }
            // PostgreSQL: NaN equals NaN and sorts above every other value.
            let order = a.isNaN ? (b.isNaN ? 0 : 1) : -1
            return Truth(holds(order: order))
        case (.decimal(let a), .decimal(let b)):
            // ExactDecimal already orders NaN above everything and equal to itself.
            return Truth(apply(a, b))
        case (.string(let a), .string(let b)):
            return Truth(apply(a, b))
        case (.timestamp(let a), .timestamp(let b)), (.time(let a), .time(let b)):
            return Truth(apply(a, b))
        case (.date(let a), .date(let b)):
            return Truth(apply(a, b))
        case (.bool(let a), .bool(let b)):
            // false < true, as in PostgreSQL.
            return Truth(holds(order: a == b ? 0 : (a ? 1 : -1)))
        case (.uuid(let a), .uuid(let b)):
            return Truth(holds(order: compareBytes(a.uuid, b.uuid)))
        default:
            return .unknown
        }
    }
}

/// PostgreSQL orders uuids by their 16 bytes, unsigned, most significant first.
@inline(__always)
func compareBytes(_ a: uuid_t, _ b: uuid_t) -> Int {
    withUnsafeBytes(of: a) { left in
        withUnsafeBytes(of: b) { right in
            for index in 0..<16 where left[index] != right[index] {
                return left[index] < right[index] ? -1 : 1
            }
            return 0
        }
    }
}
