import Foundation

/// Encoders for the server side: our test server must send exactly what Materialize sends.
extension Datum {
    /// The text form as Materialize prints it (materialize-subscribe.md §5); `nil` for NULL.
    public func textBytes() -> [UInt8]? {
        var out: [UInt8] = []
        switch self {
        case .null: return nil
        case .bool(let value): out.append(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
        case .int16(let value): appendDecimal(Int64(value), to: &out)
        case .int32(let value): appendDecimal(Int64(value), to: &out)
        case .int64(let value): appendDecimal(value, to: &out)
        case .float32(let value): Datum.appendFloat(Double(value), description: value.description, isFloat32: true, to: &out)
        case .float64(let value): Datum.appendFloat(value, description: value.description, isFloat32: false, to: &out)
        case .numeric(let value): value.appendText(to: &out)
        case .text(let value), .json(let value), .other(_, let value): out.append(contentsOf: value.utf8)
        case .jsonb(let value): Datum.appendCompactJSON(value, to: &out)
        case .uuid(let value): Datum.appendUUID(value, to: &out)
        case .date(let days):
            if days == .max { return Array("infinity".utf8) }
            if days == .min { return Array("-infinity".utf8) }
            let year = Datum.appendDate(days: Int64(days), to: &out)
            if year <= 0 { out.append(contentsOf: " BC".utf8) }
        case .time(let micros):
            Datum.appendTime(micros, to: &out)
        case .timetz(let micros, let offset):
            Datum.appendTime(micros, to: &out)
            Datum.appendZone(offset, to: &out)
        case .timestamp(let micros), .timestamptz(let micros):
            if micros == .max { return Array("infinity".utf8) }
            if micros == .min { return Array("-infinity".utf8) }
            let (days, time) = DateMath.floorDivide(micros, DateMath.microsecondsPerDay)
            let year = Datum.appendDate(days: days, to: &out)
            out.append(0x20)
            Datum.appendTime(time, to: &out)
            if case .timestamptz = self { out.append(contentsOf: "+00".utf8) }
            if year <= 0 { out.append(contentsOf: " BC".utf8) }
        case .interval(let value): Datum.appendInterval(value, to: &out)
        case .bytea(let bytes):
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            out.reserveCapacity(2 + bytes.count * 2)
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "x"))
            for byte in bytes {
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            }
        case .array(let value): Datum.appendArrayText(value, to: &out)
        case .mzTimestamp(let value): appendDecimal(value, to: &out)
        case .raw(_, let bytes): return bytes
        }
        return out
    }

    /// The binary form per PostgreSQL's `*_send` functions; `nil` for NULL.
    public func binaryBytes() -> [UInt8]? {
        var writer = ByteWriter(capacity: 16)
        switch self {
        case .null: return nil
        case .bool(let value): writer.writeUInt8(value ? 1 : 0)
        case .int16(let value): writer.writeInt16(value)
        case .int32(let value): writer.writeInt32(value)
        case .int64(let value): writer.writeInt64(value)
        case .float32(let value): writer.writeUInt32(value.bitPattern)
        case .float64(let value): writer.writeUInt64(value.bitPattern)
        case .numeric(let value): return value.binaryBytes()
        case .text(let value), .json(let value), .other(_, let value): writer.writeBytes(value.utf8)
        case .jsonb(let value):
            writer.writeUInt8(1)
            writer.writeBytes(value.utf8)
        case .uuid(let value):
            withUnsafeBytes(of: value.uuid) { writer.writeBytes($0) }
        case .date(let days):
            writer.writeInt32(days == .max || days == .min ? days : Int32(clamping: Int64(days) - DateMath.postgresEpochDays))
        case .time(let micros): writer.writeInt64(micros)
        case .timetz(let micros, let offset):
            writer.writeInt64(micros)
            writer.writeInt32(-offset)
        case .timestamp(let micros), .timestamptz(let micros):
            if micros == .max || micros == .min {
                writer.writeInt64(micros)
            } else {
                let (shifted, overflow) = micros.subtractingReportingOverflow(DateMath.postgresEpochMicroseconds)
                writer.writeInt64(overflow ? .min : shifted)
            }
        case .interval(let value):
            writer.writeInt64(value.microseconds)
            writer.writeInt32(value.days)
            writer.writeInt32(value.months)
        case .bytea(let bytes), .raw(_, let bytes): return bytes
        case .array(let value): Datum.appendArrayBinary(value, to: &writer)
        case .mzTimestamp(let value): writer.writeUInt64(value)
        }
        return writer.bytes
    }

    // MARK: Floats

    /// Materialize's float text (`strconv::format_float`): ryu's shortest round-trip digits, with
    /// a trailing `.0` removed and `+` added to positive exponents. Ryu writes plain notation for
    /// decimal exponents in (-5, 16] (float8) or (-6, 13] (float4), scientific otherwise.
    static func appendFloat(_ value: Double, description: String, isFloat32: Bool, to out: inout [UInt8]) {
        if value.isNaN { out.append(contentsOf: "NaN".utf8); return }
        if value.isInfinite { out.append(contentsOf: (value < 0 ? "-Infinity" : "Infinity").utf8); return }
        if value.sign == .minus { out.append(UInt8(ascii: "-")) }
        if value == 0 { out.append(UInt8(ascii: "0")); return }
        // Swift's description is also shortest round-trip; take its digits and exponent.
        var digits: [UInt8] = []
        var fractionDigits = 0
        var exponent = 0
        var inFraction = false
        var utf8 = Array(description.utf8)[...]
        if utf8.first == UInt8(ascii: "-") { utf8 = utf8.dropFirst() }
        if let e = utf8.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            exponent = Int(String(decoding: utf8[(e + 1)...].drop(while: { $0 == UInt8(ascii: "+") }), as: UTF8.self)) ?? 0
            utf8 = utf8[..<e]
        }
        for byte in utf8 {
            if byte == UInt8(ascii: ".") { inFraction = true; continue }
            digits.append(byte)
            if inFraction { fractionDigits += 1 }
        }
        var k = exponent - fractionDigits
        while digits.last == UInt8(ascii: "0") { digits.removeLast(); k += 1 }
        while digits.first == UInt8(ascii: "0") { digits.removeFirst() }
        let length = digits.count
        let kk = length + k  // 10^(kk-1) <= |value| < 10^kk
        let upper = isFloat32 ? 13 : 16
        let lower = isFloat32 ? -6 : -5
        if k >= 0, kk <= upper {
            out.append(contentsOf: digits)
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: k))
        } else if kk > 0, kk <= upper {
            out.append(contentsOf: digits[..<kk])
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[kk...])
        } else if kk > lower, kk <= 0 {
            out.append(contentsOf: "0.".utf8)
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -kk))
            out.append(contentsOf: digits)
        } else {
            out.append(digits[0])
            if length > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: digits[1...])
            }
            out.append(UInt8(ascii: "e"))
            if kk - 1 >= 0 { out.append(UInt8(ascii: "+")) }
            appendDecimal(Int64(kk - 1), to: &out)
        }
    }

    // MARK: Dates and times

    /// Appends `YYYY-MM-DD` (at least 4 year digits; BC years as their positive number) and
    /// returns the astronomical year so the caller can add ` BC` where it belongs.
    static func appendDate(days: Int64, to out: inout [UInt8]) -> Int64 {
        let (year, month, day) = DateMath.civil(days: days)
        let shownYear = year <= 0 ? 1 - year : year
        appendPadded(UInt64(shownYear), width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(UInt64(month), width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(UInt64(day), width: 2, to: &out)
        return year
    }

    /// `HH:MM:SS[.ffffff]` with trailing fraction zeros trimmed; hours may exceed 24 (intervals).
    static func appendTime(_ micros: Int64, to out: inout [UInt8]) {
        appendClock(micros.magnitude, to: &out)
    }

    static func appendClock(_ micros: UInt64, to out: inout [UInt8]) {
        let fraction = micros % 1_000_000
        let seconds = micros / 1_000_000
        appendPadded(seconds / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(seconds / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(seconds % 60, width: 2, to: &out)
        if fraction != 0 {
            out.append(UInt8(ascii: "."))
            var digits = 6
            var trimmed = fraction
            while trimmed % 10 == 0 { trimmed /= 10; digits -= 1 }
            appendPadded(trimmed, width: digits, to: &out)
        }
    }

    /// `+HH[:MM[:SS]]` as PostgreSQL prints zone offsets.
    static func appendZone(_ offset: Int32, to out: inout [UInt8]) {
        out.append(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let magnitude = UInt64(offset.magnitude)
        appendPadded(magnitude / 3600, width: 2, to: &out)
        if magnitude % 3600 != 0 {
            out.append(UInt8(ascii: ":"))
            appendPadded(magnitude / 60 % 60, width: 2, to: &out)
            if magnitude % 60 != 0 {
                out.append(UInt8(ascii: ":"))
                appendPadded(magnitude % 60, width: 2, to: &out)
            }
        }
    }

    static func appendPadded(_ value: UInt64, width: Int, to out: inout [UInt8]) {
        var count = 1
        var probe = value
        while probe >= 10 { probe /= 10; count += 1 }
        if count < width { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - count)) }
        appendDecimal(value, to: &out)
    }

    /// PostgreSQL's `postgres` IntervalStyle (`EncodeInterval`) with Materialize's unit names:
    /// `year(s)`, `month(s)`, `day(s)`, then the clock; a `+` marks a positive field after a
    /// negative one; zero is `00:00:00`.
    static func appendInterval(_ value: Interval, to out: inout [UInt8]) {
        var isZero = true
        var isBefore = false
        func part(_ amount: Int64, _ unit: String) {
            guard amount != 0 else { return }
            if !isZero { out.append(0x20) }
            if isBefore, amount > 0 { out.append(UInt8(ascii: "+")) }
            appendDecimal(amount, to: &out)
            out.append(0x20)
            out.append(contentsOf: unit.utf8)
            if amount != 1 { out.append(UInt8(ascii: "s")) }
            isBefore = amount < 0
            isZero = false
        }
        part(Int64(value.months / 12), "year")
        part(Int64(value.months % 12), "month")
        part(Int64(value.days), "day")
        if isZero || value.microseconds != 0 {
            if !isZero { out.append(0x20) }
            if value.microseconds < 0 {
                out.append(UInt8(ascii: "-"))
            } else if isBefore {
                out.append(UInt8(ascii: "+"))
            }
            appendClock(value.microseconds.magnitude, to: &out)
        }
    }

    // MARK: Other types

    static func appendUUID(_ value: UUID, to out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        withUnsafeBytes(of: value.uuid) { bytes in
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            }
        }
    }

    /// Removes whitespace outside strings, as serde_json's compact output has none.
    static func appendCompactJSON(_ text: String, to out: inout [UInt8]) {
        var inString = false
        var escaped = false
        for byte in text.utf8 {
            if inString {
                out.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { continue }
            if byte == UInt8(ascii: "\"") { inString = true }
            out.append(byte)
        }
    }
}
