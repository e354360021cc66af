/// An exact decimal number, as PostgreSQL's and Materialize's `numeric`.
///
/// Values are kept normalised (no leading or trailing zero digits in the
/// coefficient), so equality and hashing are by value: `1.50 == 1.5`. The
/// coefficient stays in a `UInt64` when it fits, which covers every
/// `mz_timestamp` without allocating; longer values keep their decimal digits.
/// Never goes through `Double`. Binary layout:
/// https://github.com/postgres/postgres/blob/master/src/backend/utils/adt/numeric.c (`numeric_send`).
public struct Numeric: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Which kind of value this is; `nan` and the infinities carry no digits.
    public enum Kind: Sendable, Hashable {
        case finite
        case nan
        case infinity
        case negativeInfinity
    }

    @usableFromInline
    enum Coefficient: Sendable, Hashable {
        /// Fits in 64 bits (and has no trailing zero digits unless it is 0).
        case small(UInt64)
        /// Decimal digits 0…9, most significant first; no leading or trailing zeros; > UInt64.max.
        case large([UInt8])
    }

    public let kind: Kind
    /// Whether a finite value is below zero (never true for zero).
    public let isNegative: Bool
    @usableFromInline let coefficient: Coefficient
    /// The value is `coefficient × 10^exponent`.
    @usableFromInline let exponent: Int

    public static let nan = Numeric(kind: .nan)
    public static let infinity = Numeric(kind: .infinity)
    public static let negativeInfinity = Numeric(kind: .negativeInfinity)
    public static let zero = Numeric(negative: false, small: 0, exponent: 0)

    private init(kind: Kind) {
        self.kind = kind
        isNegative = false
        coefficient = .small(0)
        exponent = 0
    }

    /// Builds a normalised value from a 64-bit coefficient.
    @usableFromInline
    init(negative: Bool, small: UInt64, exponent: Int) {
        kind = .finite
        if small == 0 {
            isNegative = false
            coefficient = .small(0)
            self.exponent = 0
            return
        }
        var value = small
        var exponent = exponent
        while value % 10 == 0 {
            value /= 10
            exponent += 1
        }
        isNegative = negative
        coefficient = .small(value)
        self.exponent = exponent
    }

    /// Builds a normalised value from decimal digits (0…9, most significant first).
    init(negative: Bool, digits: [UInt8], exponent: Int) {
        var start = 0
        var end = digits.count
        while start < end, digits[start] == 0 { start += 1 }
        var exponent = exponent
        while end > start, digits[end - 1] == 0 {
            end -= 1
            exponent += 1
        }
        if start == end {
            self = .zero
            return
        }
        if end - start <= 19 {
            var value: UInt64 = 0
            for digit in digits[start..<end] { value = value &* 10 &+ UInt64(digit) }
            self.init(negative: negative, small: value, exponent: exponent)
            return
        }
        if end - start == 20 {
            var value: UInt64 = 0
            var overflow = false
            for digit in digits[start..<end] {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
                overflow = overflow || o1 || o2
                value = sum
            }
            if !overflow {
                self.init(negative: negative, small: value, exponent: exponent)
                return
            }
        }
        self.init(largeNegative: negative, digits: Array(digits[start..<end]), exponent: exponent)
    }

    private init(largeNegative: Bool, digits: [UInt8], exponent: Int) {
        kind = .finite
        isNegative = largeNegative
        coefficient = .large(digits)
        self.exponent = exponent
    }

    /// An integer value.
    public init(_ value: Int64) {
        self.init(negative: value < 0, small: value.magnitude, exponent: 0)
    }

    /// An unsigned integer value (an `mz_timestamp`).
    public init(_ value: UInt64) {
        self.init(negative: false, small: value, exponent: 0)
    }

    /// Parses the text form: `[+-]digits[.digits][e[+-]digits]`, `NaN`, `Infinity`, `-Infinity`
    /// (case-insensitive, surrounding spaces allowed, as `numeric_in` does).
    public init?(_ text: String) {
        var text = text
        guard let value = text.withUTF8({ Numeric(bytes: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = value
    }

    /// Parses the text form from bytes.
    public init?(text: ArraySlice<UInt8>) {
        guard let value = text.withUnsafeBytes({ Numeric(bytes: $0) }) else { return nil }
        self = value
    }

    init?(bytes: UnsafeRawBufferPointer) {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 { end -= 1 }
        guard start < end else { return nil }
        var negative = false
        var index = start
        if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        if index < end, !isDigit(bytes[index]), bytes[index] != UInt8(ascii: ".") {
            let word = UnsafeRawBufferPointer(rebasing: bytes[index..<end])
            if asciiEqualsIgnoringCase(word, "infinity") || asciiEqualsIgnoringCase(word, "inf") {
                self = negative ? .negativeInfinity : .infinity
                return
            }
            if index == start, asciiEqualsIgnoringCase(word, "nan") {
                self = .nan
                return
            }
            return nil
        }
        // Fast path: up to 19 significant digits accumulate in a UInt64.
        var small: UInt64 = 0
        var smallDigits = 0
        var digits: [UInt8] = []
        var useDigits = false
        var exponent = 0
        var sawDigit = false
        var sawPoint = false
        while index < end {
            let byte = bytes[index]
            if isDigit(byte) {
                sawDigit = true
                let digit = byte &- 0x30
                if sawPoint { exponent -= 1 }
                if !useDigits {
                    if smallDigits < 19 {
                        small = small &* 10 &+ UInt64(digit)
                        if small != 0 { smallDigits += 1 }
                    } else {
                        useDigits = true
                        digits = decimalDigits(of: small)
                        digits.append(digit)
                    }
                } else {
                    digits.append(digit)
                }
            } else if byte == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else {
                break
            }
            index += 1
        }
        guard sawDigit else { return nil }
        if index < end {
            guard bytes[index] | 0x20 == UInt8(ascii: "e") else { return nil }
            index += 1
            var exponentNegative = false
            if index < end, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard index < end else { return nil }
            var value = 0
            while index < end {
                guard isDigit(bytes[index]), value < 100_000_000 else { return nil }
                value = value * 10 + Int(bytes[index] &- 0x30)
                index += 1
            }
            exponent += exponentNegative ? -value : value
        }
        // PostgreSQL's limits (131072 digits before the point, 16383 after), with room for the
        // digits themselves; a larger exponent would make the text form absurdly long.
        guard exponent > -40_000, exponent < 140_000 else { return nil }
        if useDigits {
            self.init(negative: negative, digits: digits, exponent: exponent)
        } else {
            self.init(negative: negative, small: small, exponent: exponent)
        }
    }

    /// The decimal digits of the coefficient, most significant first.
    var digits: [UInt8] {
        switch coefficient {
        case .small(let value): decimalDigits(of: value)
        case .large(let digits): digits
        }
    }

    /// Whether this is a finite whole number.
    public var isInteger: Bool { kind == .finite && exponent >= 0 }

    /// The value as an `Int64` when it is a whole number in range, else `nil`.
    public var int64Value: Int64? {
        guard let magnitude = magnitudeAsUInt64 else { return nil }
        if isNegative {
            if magnitude == UInt64(Int64.max) + 1 { return .min }
            return magnitude <= UInt64(Int64.max) ? -Int64(magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// The value as a `UInt64` when it is a non-negative whole number in range, else `nil`.
    /// SUBSCRIBE sends `mz_timestamp` as numeric(39,0); this is how to read it.
    public var uint64Value: UInt64? {
        guard !isNegative else { return nil }
        return magnitudeAsUInt64
    }

    private var magnitudeAsUInt64: UInt64? {
        guard kind == .finite, exponent >= 0, case .small(var value) = coefficient else { return nil }
        for _ in 0..<exponent {
            let (next, overflow) = value.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            value = next
        }
        return value
    }

    /// The canonical text form: plain decimal, never an exponent, no trailing fraction zeros;
    /// `NaN`, `Infinity`, `-Infinity`. This is how Materialize prints numeric.
    public var description: String {
        String(decoding: textBytes(), as: UTF8.self)
    }

    /// The canonical text form as bytes (see ``description``).
    public func textBytes() -> [UInt8] {
        var out: [UInt8] = []
        appendText(to: &out)
        return out
    }

    func appendText(to out: inout [UInt8]) {
        switch kind {
        case .nan: out.append(contentsOf: "NaN".utf8); return
        case .infinity: out.append(contentsOf: "Infinity".utf8); return
        case .negativeInfinity: out.append(contentsOf: "-Infinity".utf8); return
        case .finite: break
        }
        if isNegative { out.append(UInt8(ascii: "-")) }
        if case .small(let value) = coefficient, exponent >= 0 {
            appendDecimal(value, to: &out)
            for _ in 0..<exponent { out.append(0x30) }
            return
        }
        let digits = self.digits
        if exponent >= 0 {
            for digit in digits { out.append(digit + 0x30) }
            for _ in 0..<exponent { out.append(0x30) }
            return
        }
        let integerCount = digits.count + exponent
        if integerCount <= 0 {
            out.append(0x30)
            out.append(UInt8(ascii: "."))
            for _ in 0 ..< -integerCount { out.append(0x30) }
            for digit in digits { out.append(digit + 0x30) }
        } else {
            for digit in digits[..<integerCount] { out.append(digit + 0x30) }
            out.append(UInt8(ascii: "."))
            for digit in digits[integerCount...] { out.append(digit + 0x30) }
        }
    }

    /// The number of digits after the decimal point in the canonical text form.
    var scale: Int { kind == .finite ? max(0, -exponent) : 0 }

    // MARK: Ordering

    /// PostgreSQL's order: -Infinity < finite < Infinity < NaN (NaN equals itself).
    public static func < (lhs: Numeric, rhs: Numeric) -> Bool {
        lhs.rank != rhs.rank ? lhs.rank < rhs.rank : (lhs.rank == 1 && compareFinite(lhs, rhs) < 0)
    }

    private var rank: Int {
        switch kind {
        case .negativeInfinity: 0
        case .finite: 1
        case .infinity: 2
        case .nan: 3
        }
    }

    private static func compareFinite(_ lhs: Numeric, _ rhs: Numeric) -> Int {
        let lhsSign = lhs.signum, rhsSign = rhs.signum
        if lhsSign != rhsSign { return lhsSign < rhsSign ? -1 : 1 }
        if lhsSign == 0 { return 0 }
        let magnitude = compareMagnitude(lhs, rhs)
        return lhsSign < 0 ? -magnitude : magnitude
    }

    private var signum: Int {
        if case .small(0) = coefficient { return 0 }
        return isNegative ? -1 : 1
    }

    private static func compareMagnitude(_ lhs: Numeric, _ rhs: Numeric) -> Int {
        let lhsDigits = lhs.digits, rhsDigits = rhs.digits
        // Position of the most significant digit.
        let lhsTop = lhsDigits.count + lhs.exponent, rhsTop = rhsDigits.count + rhs.exponent
        if lhsTop != rhsTop { return lhsTop < rhsTop ? -1 : 1 }
        for index in 0..<max(lhsDigits.count, rhsDigits.count) {
            let left = index < lhsDigits.count ? lhsDigits[index] : 0
            let right = index < rhsDigits.count ? rhsDigits[index] : 0
            if left != right { return left < right ? -1 : 1 }
        }
        return 0
    }
}

// MARK: - Binary form

extension Numeric {
    private static let signPositive: UInt16 = 0x0000
    private static let signNegative: UInt16 = 0x4000
    private static let signNaN: UInt16 = 0xC000
    private static let signPositiveInfinity: UInt16 = 0xD000
    private static let signNegativeInfinity: UInt16 = 0xF000

    /// Decodes `numeric_send`'s layout: Int16 ndigits, Int16 weight, UInt16 sign, Int16 dscale,
    /// then ndigits base-10000 digits. Leading and trailing zero groups are accepted, because
    /// Materialize does not always normalise (materialize-subscribe.md §1d).
    public init(binary bytes: ArraySlice<UInt8>) throws(PostgresError) {
        var reader = ByteReader(bytes)
        guard let count = reader.readInt16(), let weight = reader.readInt16(),
              let sign = reader.readUInt16(), let dscale = reader.readInt16()
        else { throw Datum.invalid("numeric", bytes, "needs an 8-byte header") }
        guard count >= 0, dscale >= 0, reader.remaining == Int(count) * 2 else {
            throw Datum.invalid("numeric", bytes, "digit count \(count) does not match \(reader.remaining) bytes")
        }
        switch sign {
        case Self.signNaN: self = .nan; return
        case Self.signPositiveInfinity: self = .infinity; return
        case Self.signNegativeInfinity: self = .negativeInfinity; return
        case Self.signPositive, Self.signNegative: break
        default: throw Datum.invalid("numeric", bytes, "unknown sign 0x\(String(sign, radix: 16))")
        }
        let negative = sign == Self.signNegative
        // The last group has weight `weight - count + 1`, i.e. decimal exponent 4× that.
        let exponent = 4 * (Int(weight) - Int(count) + 1)
        var small: UInt64 = 0
        var fits = true
        var groups: [UInt16] = []
        for _ in 0..<Int(count) {
            let group = reader.readUInt16()!  // length checked above
            guard group < 10000 else { throw Datum.invalid("numeric", bytes, "digit group \(group) is over 9999") }
            if fits {
                let (times, o1) = small.multipliedReportingOverflow(by: 10000)
                let (sum, o2) = times.addingReportingOverflow(UInt64(group))
                if o1 || o2 {
                    fits = false
                } else {
                    small = sum
                    continue
                }
            }
            groups.append(group)
        }
        if fits {
            self.init(negative: negative, small: small, exponent: exponent)
            return
        }
        var digits = decimalDigits(of: small)
        // Pad the prefix's digits to whole groups: it held `count - groups.count` groups.
        let prefixGroups = Int(count) - groups.count
        if digits.count < prefixGroups * 4 {
            digits.insert(contentsOf: repeatElement(0, count: prefixGroups * 4 - digits.count), at: 0)
        }
        for group in groups {
            digits.append(UInt8(group / 1000))
            digits.append(UInt8(group / 100 % 10))
            digits.append(UInt8(group / 10 % 10))
            digits.append(UInt8(group % 10))
        }
        self.init(negative: negative, digits: digits, exponent: exponent)
    }

    /// Encodes as `numeric_send` does (normalised groups, dscale = digits after the point).
    public func binaryBytes() -> [UInt8] {
        var writer = ByteWriter(capacity: 16)
        switch kind {
        case .nan, .infinity, .negativeInfinity:
            let sign = kind == .nan ? Self.signNaN : (kind == .infinity ? Self.signPositiveInfinity : Self.signNegativeInfinity)
            writer.writeInt16(0); writer.writeInt16(0); writer.writeUInt16(sign); writer.writeInt16(0)
            return writer.bytes
        case .finite:
            break
        }
        if signum == 0 {
            writer.writeInt16(0); writer.writeInt16(0); writer.writeUInt16(Self.signPositive); writer.writeInt16(0)
            return writer.bytes
        }
        var digits = self.digits
        // Align the last digit to a group boundary: append zeros until the exponent is a multiple of 4.
        let pad = ((exponent % 4) + 4) % 4
        digits.append(contentsOf: repeatElement(0, count: pad))
        let alignedExponent = exponent - pad
        let lead = (4 - digits.count % 4) % 4
        digits.insert(contentsOf: repeatElement(0, count: lead), at: 0)
        var groups: [Int16] = []
        var index = 0
        while index < digits.count {
            groups.append(Int16(digits[index]) * 1000 + Int16(digits[index + 1]) * 100 + Int16(digits[index + 2]) * 10 + Int16(digits[index + 3]))
            index += 4
        }
        while groups.last == 0 { groups.removeLast() }  // cannot happen for normalised digits, kept for safety
        let weight = alignedExponent / 4 + groups.count - 1
        writer.writeInt16(Int16(clamping: groups.count))
        writer.writeInt16(Int16(clamping: weight))
        writer.writeUInt16(isNegative ? Self.signNegative : Self.signPositive)
        writer.writeInt16(Int16(clamping: scale))
        for group in groups { writer.writeInt16(group) }
        return writer.bytes
    }
}

// MARK: - Helpers shared by the value parsers

@inline(__always)
func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

/// Case-insensitive comparison of ASCII bytes with a lowercase ASCII literal.
func asciiEqualsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
    guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
    let literal = lowercase.utf8Start
    for index in 0..<bytes.count {
        let byte = bytes[index]
        let folded = (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
        if folded != literal[index] { return false }
    }
    return true
}

func decimalDigits(of value: UInt64) -> [UInt8] {
    if value == 0 { return [0] }
    var digits: [UInt8] = []
    var value = value
    while value > 0 {
        digits.append(UInt8(value % 10))
        value /= 10
    }
    digits.reverse()
    return digits
}

/// Appends the decimal form of `value` without building a String.
func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
    if value < 10 {
        out.append(UInt8(value) + 0x30)
        return
    }
    var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
    withUnsafeMutableBytes(of: &buffer) { scratch in
        var position = scratch.count
        var value = value
        while value > 0 {
            position -= 1
            scratch[position] = UInt8(value % 10) + 0x30
            value /= 10
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[position...]))
    }
}

func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
    if value < 0 { out.append(UInt8(ascii: "-")) }
    appendDecimal(value.magnitude, to: &out)
}
