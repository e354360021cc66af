import GraphQL
import LiveViews
import OrderedCollections

/// Builds the server's control messages byte by byte: no `JSONEncoder`, no Foundation, and a
/// key order fixed by us so that tests can compare exact bytes.
struct JSONBuilder {
    var bytes: [UInt8] = []

    init(capacity: Int = 64) {
        bytes.reserveCapacity(capacity)
    }

    mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func raw(_ other: [UInt8]) {
        bytes.append(contentsOf: other)
    }

    /// Writes `string` as a JSON string literal, with the escaping the projections use.
    mutating func string(_ string: String) {
        JSONWriter.writeString(string, to: &bytes)
    }


    mutating func value(_ value: Map) {
        switch value {
        case .undefined, .null: raw("null")
        case .bool(let bool): bool ? raw("true") : raw("false")
        case .number(let number): self.number(number)
        case .string(let string): self.string(string)
        case .array(let array):
            bytes.append(UInt8(ascii: "["))
            for (offset, element) in array.enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                self.value(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .dictionary(let dictionary):
            bytes.append(UInt8(ascii: "{"))
            var first = true
            // `undefined` means "absent" in GraphQLSwift: leave the key out rather than invent a null.
            for (key, element) in dictionary where !element.isUndefined {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                string(key)
                bytes.append(UInt8(ascii: ":"))
                self.value(element)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private mutating func number(_ number: Number) {
        switch number.storageType {
        case .bool: number.boolValue ? raw("true") : raw("false")
        case .int: bytes.append(contentsOf: String(number.intValue).utf8)
        case .double, .unknown:
            let double = number.doubleValue
            if !double.isFinite {
                raw("null")  // JSON has no NaN or infinity, as JSON.stringify says.
            } else if double == double.rounded(), abs(double) < 1e15 {
                bytes.append(contentsOf: String(Int(double)).utf8)
            } else {
                bytes.append(contentsOf: String(double).utf8)
            }
        }
    }

    mutating func object(_ dictionary: [String: Map]) {
        value(.dictionary(.init(uniqueKeysWithValues: dictionary.sorted { $0.key < $1.key })))
    }

    /// A GraphQL error as the GraphQL spec's response format says
    /// (https://spec.graphql.org/October2021/#sec-Errors): `message`, then `locations`, `path`
    /// and `extensions` when present.
    mutating func error(_ error: GraphQLError) {
        raw("{\"message\":")
        string(error.message)
        if !error.locations.isEmpty {
            raw(",\"locations\":[")
            for (offset, location) in error.locations.enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                raw("{\"line\":")
                bytes.append(contentsOf: String(location.line).utf8)
                raw(",\"column\":")
                bytes.append(contentsOf: String(location.column).utf8)
                bytes.append(UInt8(ascii: "}"))
            }
            bytes.append(UInt8(ascii: "]"))
        }
        if !error.path.elements.isEmpty {
            raw(",\"path\":[")
            for (offset, element) in error.path.elements.enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                switch element {
                case .index(let index): bytes.append(contentsOf: String(index).utf8)
                case .key(let key): string(key)
                }
            }
            bytes.append(UInt8(ascii: "]"))
        }
        if !error.extensions.isEmpty {
            raw(",\"extensions\":")
            object(error.extensions)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func errors(_ errors: [GraphQLError]) {
        bytes.append(UInt8(ascii: "["))
        for (offset, error) in errors.enumerated() {
            if offset > 0 { bytes.append(UInt8(ascii: ",")) }
            self.error(error)
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
