import Foundation

/// Checks a ``FilterInput`` against a schema and compiles it into a ``FilterNode``
/// together with its canonical text.
///
/// Keys are visited in sorted order, so the first error reported does not depend on
/// the client's key order. Depth and list lengths are bounded: filters come from
/// clients.
struct FilterCompiler {
    /// Deepest nesting of `_and`/`_or`/`_not` accepted.
    static let maximumDepth = 32
    /// Longest `_and`/`_or`/`_in`/`_nin` list accepted.
    static let maximumListCount = 10_000

    /// A compiled, simplified sub-expression and its canonical text.
    struct Compiled {
        var node: FilterNode
        var text: String
        /// The children of an AND or OR (so a parent can flatten them), or the
        /// operand of a NOT (so a double negation can unwrap it); empty otherwise.
        var parts: [Compiled]

        static func constant(_ value: Bool) -> Compiled {
            Compiled(node: .constant(value), text: value ? "true" : "false", parts: [])
        }
    }

    let schema: SourceSchema

    /// Compiles a boolean expression object: the AND of its entries.
    func compileObject(_ input: FilterInput, path: String, depth: Int) throws(LiveViewsError) -> Compiled {
        guard depth <= Self.maximumDepth else {
            throw Self.error("expression is nested more than \(Self.maximumDepth) levels deep; flatten it", path)
        }
        guard case .object(let entries) = input else {
            throw Self.error(
                "expected an object of column names and _and/_or/_not, got \(Self.describe(input))", path)
        }
        var conjuncts: [Compiled] = []
        for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
            let childPath = "\(path).\(key)"
            switch key {
            case "_and", "_or":
                guard case .list(let items) = value else {
                    throw Self.error("\(key) expects a list of expressions, got \(Self.describe(value))", childPath)
                }
                guard items.count <= Self.maximumListCount else {
                    throw Self.error("\(key) has more than \(Self.maximumListCount) expressions", childPath)
                }
                var parts: [Compiled] = []
                parts.reserveCapacity(items.count)
                for (index, item) in items.enumerated() {
                    parts.append(try compileObject(item, path: "\(childPath)[\(index)]", depth: depth + 1))
                }
                conjuncts.append(key == "_and" ? Self.and(parts) : Self.or(parts))
            case "_not":
                guard case .object = value else {
                    throw Self.error("_not expects an expression object, got \(Self.describe(value))", childPath)
                }
                conjuncts.append(Self.not(try compileObject(value, path: childPath, depth: depth + 1)))
            default:
                guard let column = schema.columnIndex(named: key) else {
                    let names = schema.columns.map(\.name).joined(separator: ", ")
                    throw Self.error(
                        "unknown column '\(key)' in source '\(schema.name)'; valid columns: \(names) (and _and, _or, _not)",
                        childPath)
                }
                conjuncts.append(try compileColumn(column, value, path: childPath))
            }
        }
        return Self.and(conjuncts)
    }

    /// Compiles `column: {op: operand, ...}`: the AND of its operators.
    private func compileColumn(_ index: Int, _ input: FilterInput, path: String) throws(LiveViewsError) -> Compiled {
        let column = schema.columns[index]
        guard case .object(let operators) = input else {
            throw Self.error(
                "expected an object of comparison operators such as {_eq: ...} for column '\(column.name)', got \(Self.describe(input))",
                path)
        }
        var tests: [Compiled] = []
        for (name, operand) in operators.sorted(by: { $0.key < $1.key }) {
            tests.append(try compileOperator(name, operand, column: index, path: "\(path).\(name)"))
        }
        return Self.and(tests)
    }

    private func compileOperator(
        _ name: String, _ operand: FilterInput, column index: Int, path: String
    ) throws(LiveViewsError) -> Compiled {
        let column = schema.columns[index]
        switch name {
        case "_is_null":
            guard case .bool(let isNull) = operand else {
                throw Self.error("_is_null expects true or false, got \(Self.describe(operand))", path)
            }
            return leaf(index, isNull ? .isNull : .isNotNull, isNull ? "is_null" : "not_null")

        case "_eq", "_neq", "_gt", "_gte", "_lt", "_lte":
            let comparison = FilterComparison(rawValue: String(name.dropFirst()))!
            try requireComparable(column, name, path: path)
            let value = try operandValue(operand, column: column, path: path)
            if case .enumeration(let type) = column.type, comparison != .equal, comparison != .notEqual,
                case .string(let text) = value, let operandOrdinal = type.ordinal(of: text)
            {
                // An enum ordering is the set of declared values on the right side of it:
                // evaluation needs no ordinal lookup, and the set can be pinned.
                var satisfying: [Value] = []
                for (ordinal, member) in type.values.enumerated()
                where type.ordinal(of: member) == ordinal && comparison.apply(ordinal, operandOrdinal) {
                    satisfying.append(.string(member))
                }
                return membership(index, satisfying, negated: false)
            }
            return leaf(index, .compare(comparison, value), "\(comparison.rawValue) \(Self.format(value))")

        case "_in", "_nin":
            try requireComparable(column, name, path: path)
            guard case .list(let items) = operand else {
                throw Self.error("\(name) expects a list of values, got \(Self.describe(operand))", path)
            }
            guard items.count <= Self.maximumListCount else {
                throw Self.error("\(name) has more than \(Self.maximumListCount) values", path)
            }
            var values: [Value] = []
            values.reserveCapacity(items.count)
            for (offset, item) in items.enumerated() {
                values.append(try operandValue(item, column: column, path: "\(path)[\(offset)]"))
            }
            return membership(index, values, negated: name == "_nin")

        case "_like", "_ilike", "_nlike", "_nilike":
            guard case .string = column.type else {
                throw Self.error(
                    "\(name) applies only to String columns; column '\(column.name)' is \(column.type)", path)
            }
            guard case .string(let text) = operand else {
                throw Self.error("\(name) expects a pattern string, got \(Self.describe(operand))", path)
            }
            let caseInsensitive = name.hasSuffix("ilike")
            guard
                let pattern = LikePattern(
                    text, caseInsensitive: caseInsensitive, negated: name.hasPrefix("_n"))
            else {
                throw Self.error(
                    "\(name) pattern must not end with the escape character '\\'; write '\\\\' for a literal backslash",
                    path)
            }
            return leaf(index, .like(pattern), "\(name.dropFirst()) \(Self.quote(pattern.text))")

        default:
            let valid: String
            switch column.type {
            case .json, .array: valid = "_is_null"
            case .string: valid = "_eq, _neq, _gt, _gte, _lt, _lte, _in, _nin, _is_null, _like, _ilike, _nlike, _nilike"
            default: valid = "_eq, _neq, _gt, _gte, _lt, _lte, _in, _nin, _is_null"
            }
            throw Self.error(
                "unknown operator '\(name)' for column '\(column.name)' (\(column.type)); valid operators: \(valid)",
                path)
        }
    }

    private func requireComparable(_ column: SourceSchema.Column, _ name: String, path: String) throws(LiveViewsError) {
        switch column.type {
        case .json, .array:
            throw Self.error(
                "\(name) is not supported on \(column.type) column '\(column.name)'; only _is_null is", path)
        default:
            return
        }
    }

    /// `_in`/`_nin`: sorted, de-duplicated values; an empty list is FALSE/TRUE as in
    /// Hasura, and a single value is the same as `_eq`/`_neq`.
    private func membership(_ index: Int, _ values: [Value], negated: Bool) -> Compiled {
        var byText: [String: Value] = [:]
        for value in values { byText[Self.format(value)] = value }
        let sorted = byText.sorted { $0.key < $1.key }
        if sorted.isEmpty { return .constant(negated) }
        if sorted.count == 1 {
            let comparison: FilterComparison = negated ? .notEqual : .equal
            return leaf(index, .compare(comparison, sorted[0].value), "\(comparison.rawValue) \(sorted[0].key)")
        }
        let set = ValueSet(sortedUnique: sorted.map(\.value))
        let text = (negated ? "nin [" : "in [") + sorted.map(\.key).joined(separator: ",") + "]"
        return leaf(index, negated ? .notMember(set) : .member(set), text)
    }

    private func leaf(_ index: Int, _ test: FilterTest, _ text: String) -> Compiled {
        Compiled(
            node: .test(column: index, test),
            text: "\(Self.quote(schema.columns[index].name)) \(text)",
            parts: [])
    }

    /// Converts an operand to the form the cache stores for the column's type.
    private func operandValue(
        _ input: FilterInput, column: SourceSchema.Column, path: String
    ) throws(LiveViewsError) -> Value {
        if case .null = input {
            throw Self.error("null is not a valid operand here; use _is_null: true to match NULL", path)
        }
        switch (column.type, input) {
        case (.integer, .int(let value)):
            return .integer(value)
        case (.integer, .float(let value))
        where value.rounded(.towardZero) == value && value >= -9.223_372_036_854_775_808e18
            && value < 9.223_372_036_854_775_808e18:
            return .integer(Int64(value))
        case (.float, .int(let value)):
            return .float(Double(value))
        case (.float, .float(let value)):
            return .float(value == 0 ? 0 : value)  // -0.0 and 0.0 are one value
        case (.bigInt, .int(let value)):
            return .decimal(ExactDecimal(value))
        case (.bigInt, .string(let text)):
            if let decimal = ExactDecimal(text) { return .decimal(decimal) }
        case (.bigInt, .float(let value)) where value.isFinite:
            if let decimal = ExactDecimal("\(value)") { return .decimal(decimal) }
        case (.string, .string(let text)):
            return .string(text)
        case (.uuid, .string(let text)):
            if let uuid = UUID(uuidString: text) { return .uuid(uuid) }
        case (.timestamp, .string(let text)):
            if let micros = TemporalText.timestamp(text) { return .timestamp(micros) }
        case (.date, .string(let text)):
            if let days = TemporalText.date(text) { return .date(days) }
        case (.time, .string(let text)):
            if let micros = TemporalText.time(text) { return .time(micros) }
        case (.boolean, .bool(let value)):
            return .bool(value)
        case (.enumeration(let type), .string(let text)):
            guard type.ordinal(of: text) != nil else {
                throw Self.error(
                    "unknown value \(Self.quote(text)) for enum \(type.name) of column '\(column.name)'; valid values: \(type.values.joined(separator: ", "))",
                    path)
            }
            return .string(text)
        default:
            break
        }
        throw Self.error(
            "expected \(Self.expectation(column.type)) for column '\(column.name)' (\(column.type)), got \(Self.describe(input))",
            path)
    }

    private static func expectation(_ type: ColumnType) -> String {
        switch type {
        case .integer: "a whole number"
        case .float: "a number"
        case .bigInt: "a whole number or a decimal string such as \"12345678901234567890\""
        case .string: "a string"
        case .uuid: "a UUID string such as \"123e4567-e89b-12d3-a456-426614174000\""
        case .timestamp: "an ISO-8601 timestamp string such as \"2024-01-02T03:04:05Z\" or \"2024-01-02 03:04:05.5+02:00\""
        case .date: "a date string \"YYYY-MM-DD\""
        case .time: "a time string \"HH:MM[:SS[.ffffff]]\""
        case .boolean: "true or false"
        case .json, .array: "no operand (only _is_null is supported)"
        case .enumeration(let type): "one of the \(type.name) values (\(type.values.joined(separator: ", ")))"
        }
    }

    // MARK: - Simplification

    /// AND: constants folded (FALSE wins, TRUE dropped), nested ANDs flattened,
    /// children sorted and de-duplicated by canonical text. Sound in three-valued logic.
    static func and(_ parts: [Compiled]) -> Compiled {
        var items: [Compiled] = []
        for part in parts {
            switch part.node {
            case .constant(true): continue
            case .constant(false): return .constant(false)
            case .and: items.append(contentsOf: part.parts)
            case .or, .not, .test: items.append(part)
            }
        }
        return combine(items, isAnd: true)
    }

    /// OR: the dual of ``and(_:)``.
    static func or(_ parts: [Compiled]) -> Compiled {
        var items: [Compiled] = []
        for part in parts {
            switch part.node {
            case .constant(false): continue
            case .constant(true): return .constant(true)
            case .or: items.append(contentsOf: part.parts)
            case .and, .not, .test: items.append(part)
            }
        }
        return combine(items, isAnd: false)
    }

    /// NOT: constants flipped, double negation removed (NOT NOT x = x holds for UNKNOWN too).
    static func not(_ part: Compiled) -> Compiled {
        switch part.node {
        case .constant(let value): return .constant(!value)
        case .not: return part.parts[0]
        case .and, .or, .test: return Compiled(node: .not(part.node), text: "not(\(part.text))", parts: [part])
        }
    }

    private static func combine(_ items: [Compiled], isAnd: Bool) -> Compiled {
        var seen = Set<String>()
        var unique: [Compiled] = []
        for item in items.sorted(by: { $0.text < $1.text }) where seen.insert(item.text).inserted {
            unique.append(item)
        }
        if unique.isEmpty { return .constant(isAnd) }
        if unique.count == 1 { return unique[0] }
        let nodes = unique.map(\.node)
        let text = (isAnd ? "and(" : "or(") + unique.map(\.text).joined(separator: ",") + ")"
        return Compiled(node: isAnd ? .and(nodes) : .or(nodes), text: text, parts: unique)
    }

    // MARK: - Text

    /// Canonical text of an operand; unambiguous given the column's type.
    static func format(_ value: Value) -> String {
        switch value {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .integer(let value): String(value)
        case .float(let value): "\(value)"
        case .decimal(let value): value.description
        case .string(let value): quote(value)
        case .uuid(let value): value.uuidString.lowercased()
        case .timestamp(let value), .time(let value): String(value)
        case .date(let value): String(value)
        case .json(let value): quote(value)
        }
    }

    /// A JSON string literal.
    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    static func describe(_ input: FilterInput) -> String {
        switch input {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .int(let value): "\(value)"
        case .float(let value): "\(value)"
        case .string(let value): value.count > 60 ? quote(String(value.prefix(60))) + "…" : quote(value)
        case .list: "a list"
        case .object: "an object"
        }
    }

    static func error(_ message: String, _ path: String) -> LiveViewsError {
        LiveViewsError(.invalidFilter, message, path: path)
    }
}
