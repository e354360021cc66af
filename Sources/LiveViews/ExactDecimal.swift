/// An exact decimal number, as PostgreSQL's `numeric` and `int8` carry it.
///
/// Kept in canonical form (no leading zeros in the integer part, no trailing
/// zeros in the fraction, zero never negative) so equal numbers are equal
/// values and hash alike; ordering compares digit strings, never Doubles.
/// `NaN` and `±Infinity` exist as in PostgreSQL, where NaN sorts above
/// everything and equals itself.
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case finite
        case nan
        case infinity
        case negativeInfinity
    }

    public let kind: Kind
    public let isNegative: Bool
    /// Integer-part digits, ASCII, without leading zeros ("" for zero).
    let integerDigits: [UInt8]
    /// Fraction digits, ASCII, without trailing zeros.
    let fractionDigits: [UInt8]

    public static let nan = ExactDecimal(kind: .nan)
    public static let infinity = ExactDecimal(kind: .infinity)
    public static let negativeInfinity = ExactDecimal(kind: .negativeInfinity)

    private init(kind: Kind) {
        self.kind = kind
        self.isNegative = kind == .negativeInfinity
        self.integerDigits = []
        self.fractionDigits = []
    }

    private init(negative: Bool, integer: [UInt8], fraction: [UInt8]) {
        var integer = integer[...]
        while integer.first == UInt8(ascii: "0") { integer = integer.dropFirst() }
        var fraction = fraction[...]
        while fraction.last == UInt8(ascii: "0") { fraction = fraction.dropLast() }
        self.kind = .finite
        self.integerDigits = Array(integer)
        self.fractionDigits = Array(fraction)
        self.isNegative = negative && !(integer.isEmpty && fraction.isEmpty)
    }

    public init(_ value: Int64) {
        let magnitude = String(value.magnitude)
        self.init(negative: value < 0, integer: Array(magnitude.utf8), fraction: [])
    }

    /// Parses `[+-]digits[.digits][e[+-]digits]`, `NaN`, `Infinity`, `-Infinity`
    /// (case-insensitive, as PostgreSQL accepts them). Returns `nil` otherwise.
    public init?(_ text: String) {
        self.init(utf8: Array(text.utf8)[...])
    }

    /// Parses the same syntax from UTF-8 bytes.
    public init?(utf8 text: ArraySlice<UInt8>) {
        let lowered = String(decoding: text, as: UTF8.self).lowercased()
        switch lowered {
        case "nan": self.init(kind: .nan); return
        case "infinity", "+infinity", "inf", "+inf": self.init(kind: .infinity); return
        case "-infinity", "-inf": self.init(kind: .negativeInfinity); return
        default: break
        }
        var index = text.startIndex
        var negative = false
        if index < text.endIndex, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        var integer: [UInt8] = []
        var fraction: [UInt8] = []
        var sawDigit = false
        while index < text.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[index]) {
            integer.append(text[index])
            sawDigit = true
            index += 1
        }
        if index < text.endIndex, text[index] == UInt8(ascii: ".") {
            index += 1
            while index < text.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[index]) {
                fraction.append(text[index])
                sawDigit = true
                index += 1
            }
        }
        guard sawDigit else { return nil }
        var exponent = 0
        if index < text.endIndex, text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if index < text.endIndex, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") {
                exponentNegative = text[index] == UInt8(ascii: "-")
                index += 1
            }
            var digits = 0
            while index < text.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[index]) {
                exponent = exponent * 10 + Int(text[index] - UInt8(ascii: "0"))
                guard exponent <= 100_000 else { return nil }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            if exponentNegative { exponent = -exponent }
        }
        guard index == text.endIndex else { return nil }
        // Shift the decimal point by the exponent.
        var all = integer + fraction
        var pointPosition = integer.count + exponent
        if pointPosition < 0 {
            all.insert(contentsOf: repeatElement(UInt8(ascii: "0"), count: -pointPosition), at: 0)
            pointPosition = 0
        } else if pointPosition > all.count {
            all.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: pointPosition - all.count))
        }
        self.init(negative: negative, integer: Array(all[..<pointPosition]), fraction: Array(all[pointPosition...]))
    }

    public var isZero: Bool { kind == .finite && integerDigits.isEmpty && fractionDigits.isEmpty }

    /// The value as an `Int64` when it is an integer in range.
    public var int64Value: Int64? {
        guard kind == .finite, fractionDigits.isEmpty, integerDigits.count <= 19 else { return nil }
        var magnitude: UInt64 = 0
        for digit in integerDigits {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
        }
        if isNegative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    public var description: String {
        switch kind {
        case .nan: return "NaN"
        case .infinity: return "Infinity"
        case .negativeInfinity: return "-Infinity"
        case .finite:
            var text = isNegative ? "-" : ""
            text += integerDigits.isEmpty ? "0" : String(decoding: integerDigits, as: UTF8.self)
            if !fractionDigits.isEmpty {
                text += "." + String(decoding: fractionDigits, as: UTF8.self)
            }
            return text
        }
    }

    /// PostgreSQL's order: -Infinity < finite < Infinity < NaN.
    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        func rank(_ value: ExactDecimal) -> Int {
            switch value.kind {
            case .negativeInfinity: 0
            case .finite: 1
            case .infinity: 2
            case .nan: 3
            }
        }
        let (left, right) = (rank(lhs), rank(rhs))
        if left != right { return left < right }
        guard lhs.kind == .finite else { return false }
        if lhs.isNegative != rhs.isNegative { return lhs.isNegative }
        let magnitudeLess = compareMagnitude(lhs, rhs)
        return lhs.isNegative ? magnitudeLess == .greater : magnitudeLess == .less
    }

    private enum Ordering { case less, equal, greater }

    private static func compareMagnitude(_ lhs: ExactDecimal, _ rhs: ExactDecimal) -> Ordering {
        if lhs.integerDigits.count != rhs.integerDigits.count {
            return lhs.integerDigits.count < rhs.integerDigits.count ? .less : .greater
        }
        for (a, b) in zip(lhs.integerDigits, rhs.integerDigits) where a != b {
            return a < b ? .less : .greater
        }
        for (a, b) in zip(lhs.fractionDigits, rhs.fractionDigits) where a != b {
            return a < b ? .less : .greater
        }
        if lhs.fractionDigits.count != rhs.fractionDigits.count {
            return lhs.fractionDigits.count < rhs.fractionDigits.count ? .less : .greater
        }
        return .equal
    }
}
