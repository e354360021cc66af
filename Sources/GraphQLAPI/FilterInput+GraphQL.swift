import GraphQL
import LiveViews
import OrderedCollections

extension FilterInput {
    /// How deeply `_and` / `_or` / `_not` may nest. Filters come from clients; the bound keeps a
    /// hostile document from exhausting the stack in this conversion or in the filter compiler.
    public static let maximumDepth = 32

    /// Converts a coerced GraphQL argument value (variables substituted, enum literals already
    /// turned into their `.string` values by the schema's enum types) into a ``FilterInput``.
    ///
    /// Absent object fields (`undefined`) are left out, as GraphQL says an absent input field
    /// is not the same as an explicit `null`
    /// (https://spec.graphql.org/October2021/#sec-Input-Objects.Input-Coercion).
    ///
    /// - Throws: ``GraphQLAPIError`` with code `invalidArgument` when the value nests deeper than
    ///   ``maximumDepth`` or is `undefined` at the top.
    public init(graphQL value: Map) throws(GraphQLAPIError) {
        self = try Self.convert(value, depth: 0, path: "where")
    }

    /// The `where` argument of a subscription: absent or `null` means every row, as `{}` does.
    public static func whereArgument(_ value: Map) throws(GraphQLAPIError) -> FilterInput {
        if value.isUndefined || value.isNull { return .object([:]) }
        return try FilterInput(graphQL: value)
    }

    private static func convert(_ value: Map, depth: Int, path: String) throws(GraphQLAPIError) -> FilterInput {
        guard depth <= maximumDepth else {
            throw GraphQLAPIError(
                .invalidArgument,
                "\(path): the filter nests deeper than \(maximumDepth) levels; flatten it with `_and` / `_or` lists")
        }
        switch value {
        case .undefined:
            throw GraphQLAPIError(.invalidArgument, "\(path): a value is missing; give a value or leave the field out")
        case .null:
            return .null
        case .bool(let bool):
            return .bool(bool)
        case .number(let number):
            return convert(number)
        case .string(let string):
            return .string(string)
        case .array(let items):
            var result: [FilterInput] = []
            result.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                result.append(try convert(item, depth: depth + 1, path: "\(path)[\(index)]"))
            }
            return .list(result)
        case .dictionary(let fields):
            var result: [String: FilterInput] = [:]
            result.reserveCapacity(fields.count)
            for (key, field) in fields where !field.isUndefined {
                result[key] = try convert(field, depth: depth + 1, path: "\(path).\(key)")
            }
            return .object(result)
        }
    }

    private static func convert(_ number: Number) -> FilterInput {
        switch number.storageType {
        case .bool:
            return .bool(number.boolValue)
        case .int:
            return .int(number.int64Value)
        case .double:
            return .float(number.doubleValue)
        case .unknown:
            // A number of unknown origin (e.g. a JSON variable): integral values within
            // Double's exact range are integers, the rest floats.
            let double = number.doubleValue
            if double.rounded() == double, abs(double) <= 9_007_199_254_740_992 {
                return .int(Int64(double))
            }
            return .float(double)
        }
    }

    /// The filter as compact JSON text with sorted keys: how upstream's `Trigger.fire` and
    /// `Trigger.clear` (both `String`) carry an expression back to clients.
    public var jsonText: String {
        var text = ""
        writeJSON(to: &text)
        return text
    }

    private func writeJSON(to text: inout String) {
        switch self {
        case .null: text += "null"
        case .bool(let bool): text += bool ? "true" : "false"
        case .int(let int): text += String(int)
        case .float(let double): text += double.isFinite ? "\(double)" : "null"
        case .string(let string): Self.writeJSONString(string, to: &text)
        case .list(let items):
            text += "["
            for (index, item) in items.enumerated() {
                if index > 0 { text += "," }
                item.writeJSON(to: &text)
            }
            text += "]"
        case .object(let fields):
            text += "{"
            for (index, key) in fields.keys.sorted().enumerated() {
                if index > 0 { text += "," }
                Self.writeJSONString(key, to: &text)
                text += ":"
                fields[key]?.writeJSON(to: &text)
            }
            text += "}"
        }
    }

    private static func writeJSONString(_ string: String, to text: inout String) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
