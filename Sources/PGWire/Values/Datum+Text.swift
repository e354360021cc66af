import Foundation

/// Text-format decoding: PostgreSQL's `*_in` functions and Materialize's `strconv` output.
extension Datum {
    /// Decodes the text form of a value of `type`.
    ///
    /// Types we do not know become ``other(_:_:)`` (or ``raw(_:_:)`` if not UTF-8).
    public init(text bytes: ArraySlice<UInt8>, type: TypeOID) throws(PostgresError) {
        switch type {
        case .int8:
            guard let value = Datum.parseInteger(bytes) else { throw Datum.invalid("int8", bytes) }
            self = .int64(value)
        case .int4:
            guard let value = Datum.parseInteger(bytes), let narrow = Int32(exactly: value) else { throw Datum.invalid("int4", bytes) }
            self = .int32(narrow)
        case .int2:
            guard let value = Datum.parseInteger(bytes), let narrow = Int16(exactly: value) else { throw Datum.invalid("int2", bytes) }
            self = .int16(narrow)
        case .text, .varchar, .bpchar, .name, .unknown:
            guard let string = Datum.utf8String(bytes) else { throw Datum.invalid("text", bytes, "not UTF-8") }
            self = .text(string)
        case .char:
            if let string = Datum.utf8String(bytes) {
                self = .text(string)
            } else {
                self = .raw(.char, Array(bytes))
            }
        case .bool:
            self = .bool(try Datum.parseBool(bytes))
        case .numeric:
            guard let value = Numeric(text: bytes) else { throw Datum.invalid("numeric", bytes) }
            self = .numeric(value)
        case .float8:
            guard let value = Datum.parseDouble(bytes) else { throw Datum.invalid("float8", bytes) }
            self = .float64(value)
        case .float4:
            guard let value = Datum.parseDouble(bytes) else { throw Datum.invalid("float4", bytes) }
            let narrow = Float(value)
            guard narrow.isFinite || !value.isFinite else { throw Datum.invalid("float4", bytes, "out of range") }
            self = .float32(narrow)
        case .mzTimestamp:
            guard let value = Datum.parseUnsigned(bytes) else { throw Datum.invalid("mz_timestamp", bytes) }
            self = .mzTimestamp(value)
        case .timestamptz:
            self = .timestamptz(try Datum.parseTimestamp(bytes, withZone: true))
        case .timestamp:
            self = .timestamp(try Datum.parseTimestamp(bytes, withZone: false))
        case .date:
            self = .date(try Datum.parseDate(bytes))
        case .time:
            self = .time(try Datum.parseTime(bytes, withZone: false).microseconds)
        case .timetz:
            let (microseconds, offset) = try Datum.parseTime(bytes, withZone: true)
            self = .timetz(microseconds, offsetSeconds: offset)
        case .interval:
            self = .interval(try Datum.parseInterval(bytes))
        case .uuid:
            self = .uuid(try Datum.parseUUID(bytes))
        case .json, .jsonb:
            guard let string = Datum.utf8String(bytes) else { throw Datum.invalid("json", bytes, "not UTF-8") }
            self = type == .json ? .json(string) : .jsonb(string)
        case .bytea:
            self = .bytea(try Datum.parseBytea(bytes))
        default:
            if let element = type.arrayElement {
                self = .array(try Datum.parseArray(bytes, elementType: element))
            } else if let string = Datum.utf8String(bytes) {
                self = .other(type, string)
            } else {
                self = .raw(type, Array(bytes))
            }
        }
    }

    // MARK: Numbers

    /// `[spaces][+-]digits[spaces]` without overflow; nil on anything else.
    static func parseInteger(_ bytes: ArraySlice<UInt8>) -> Int64? {
        bytes.withUnsafeBytes { raw -> Int64? in
            var start = 0, end = raw.count
            while start < end, raw[start] == 0x20 { start += 1 }
            while end > start, raw[end - 1] == 0x20 { end -= 1 }
            guard start < end else { return nil }
            var negative = false
            if raw[start] == UInt8(ascii: "-") || raw[start] == UInt8(ascii: "+") {
                negative = raw[start] == UInt8(ascii: "-")
                start += 1
                guard start < end else { return nil }
            }
            var magnitude: UInt64 = 0
            for index in start..<end {
                let digit = raw[index] &- 0x30
                guard digit < 10 else { return nil }
                let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(UInt64(digit))
                guard !o1, !o2 else { return nil }
                magnitude = sum
            }
            if negative {
                if magnitude == UInt64(Int64.max) + 1 { return .min }
                return magnitude <= UInt64(Int64.max) ? -Int64(magnitude) : nil
            }
            return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
        }
    }

    /// Plain decimal digits as a UInt64 (an `mz_timestamp`).
    static func parseUnsigned(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        guard !bytes.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            let digit = byte &- 0x30
            guard digit < 10 else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(digit))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }

    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Parses a float8/float4 text: decimal with optional exponent, `NaN`, `Infinity`, `-Infinity`
    /// (case-insensitive, also `inf`). Values with at most 15 significant digits and a small
    /// exponent are exact with one multiplication (Clinger's fast path); the rest go to the
    /// standard library's correctly rounded parser.
    static func parseDouble(_ bytes: ArraySlice<UInt8>) -> Double? {
        bytes.withUnsafeBytes { raw -> Double? in
            var start = 0, end = raw.count
            while start < end, raw[start] == 0x20 { start += 1 }
            while end > start, raw[end - 1] == 0x20 { end -= 1 }
            guard start < end else { return nil }
            var index = start
            var negative = false
            if raw[index] == UInt8(ascii: "-") || raw[index] == UInt8(ascii: "+") {
                negative = raw[index] == UInt8(ascii: "-")
                index += 1
                guard index < end else { return nil }
            }
            if !isDigit(raw[index]), raw[index] != UInt8(ascii: ".") {
                let word = UnsafeRawBufferPointer(rebasing: raw[index..<end])
                if asciiEqualsIgnoringCase(word, "infinity") || asciiEqualsIgnoringCase(word, "inf") {
                    return negative ? -.infinity : .infinity
                }
                if index == start, asciiEqualsIgnoringCase(word, "nan") { return .nan }
                return nil
            }
            var mantissa: UInt64 = 0
            var significant = 0
            var exponent = 0
            var sawDigit = false
            var sawPoint = false
            var simple = true
            while index < end {
                let byte = raw[index]
                if isDigit(byte) {
                    sawDigit = true
                    if mantissa != 0 || byte != 0x30 { significant += 1 }
                    if significant <= 19 {
                        mantissa = mantissa &* 10 &+ UInt64(byte &- 0x30)
                        if sawPoint { exponent -= 1 }
                    } else {
                        simple = false
                        if !sawPoint { exponent += 1 }
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
                guard raw[index] | 0x20 == UInt8(ascii: "e") else { return nil }
                index += 1
                var exponentNegative = false
                if index < end, raw[index] == UInt8(ascii: "-") || raw[index] == UInt8(ascii: "+") {
                    exponentNegative = raw[index] == UInt8(ascii: "-")
                    index += 1
                }
                guard index < end else { return nil }
                var value = 0
                while index < end {
                    guard isDigit(raw[index]) else { return nil }
                    if value < 100_000 { value = value * 10 + Int(raw[index] &- 0x30) }
                    index += 1
                }
                exponent += exponentNegative ? -value : value
            }
            if simple, significant <= 15, exponent >= -22, exponent <= 22 {
                var value = Double(mantissa)
                value = exponent < 0 ? value / powersOfTen[-exponent] : value * powersOfTen[exponent]
                return negative ? -value : value
            }
            // Validated above to be a plain decimal; the standard library rounds correctly.
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<end]), as: UTF8.self)
            return Double(text)
        }
    }

    static func parseBool(_ bytes: ArraySlice<UInt8>) throws(PostgresError) -> Bool {
        if bytes.count == 1 {
            switch bytes.first! {
            case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "1"): return true
            case UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "0"): return false
            default: break
            }
        }
        let result = bytes.withUnsafeBytes { raw -> Bool? in
            if asciiEqualsIgnoringCase(raw, "true") || asciiEqualsIgnoringCase(raw, "yes") || asciiEqualsIgnoringCase(raw, "on") { return true }
            if asciiEqualsIgnoringCase(raw, "false") || asciiEqualsIgnoringCase(raw, "no") || asciiEqualsIgnoringCase(raw, "off") { return false }
            return nil
        }
        guard let result else { throw Datum.invalid("bool", bytes) }
        return result
    }

    // MARK: Dates and times

    /// `[-]Y…Y-MM-DD[ BC]`, `infinity`, `-infinity` → days since 1970-01-01.
    static func parseDate(_ bytes: ArraySlice<UInt8>) throws(PostgresError) -> Int32 {
        let result = bytes.withUnsafeBytes { raw -> Int32? in
            var scanner = TextScanner(raw)
            scanner.skipSpaces()
            if scanner.consumeWord("infinity") { scanner.skipSpaces(); return scanner.isAtEnd ? .max : nil }
            if scanner.consumeWord("-infinity") { scanner.skipSpaces(); return scanner.isAtEnd ? .min : nil }
            guard let days = scanner.readDate() else { return nil }
            scanner.skipSpaces()
            guard scanner.isAtEnd, let narrow = Int32(exactly: days), narrow != .max, narrow != .min else { return nil }
            return narrow
        }
        guard let result else { throw Datum.invalid("date", bytes) }
        return result
    }

    /// `HH:MM[:SS[.ffffff]]` and for timetz a zone `+HH[:MM[:SS]]`/`-…`/`Z`.
    static func parseTime(_ bytes: ArraySlice<UInt8>, withZone: Bool) throws(PostgresError) -> (microseconds: Int64, offset: Int32) {
        let result = bytes.withUnsafeBytes { raw -> (Int64, Int32)? in
            var scanner = TextScanner(raw)
            scanner.skipSpaces()
            guard let microseconds = scanner.readTimeOfDay() else { return nil }
            var offset: Int32 = 0
            if withZone {
                guard let zone = scanner.readZone() else { return nil }
                offset = zone
            }
            scanner.skipSpaces()
            return scanner.isAtEnd ? (microseconds, offset) : nil
        }
        guard let result else { throw Datum.invalid(withZone ? "timetz" : "time", bytes) }
        return result
    }

    /// `Y…Y-MM-DD HH:MM:SS[.ffffff][zone][ BC]` (also with `T`), `infinity`, `-infinity`
    /// → microseconds since 1970-01-01 (UTC when `withZone`; a zone on a plain timestamp is ignored,
    /// as PostgreSQL does).
    static func parseTimestamp(_ bytes: ArraySlice<UInt8>, withZone: Bool) throws(PostgresError) -> Int64 {
        let result = bytes.withUnsafeBytes { raw -> Int64? in
            var scanner = TextScanner(raw)
            scanner.skipSpaces()
            if scanner.consumeWord("infinity") { scanner.skipSpaces(); return scanner.isAtEnd ? .max : nil }
            if scanner.consumeWord("-infinity") { scanner.skipSpaces(); return scanner.isAtEnd ? .min : nil }
            guard let start = scanner.readDatePart() else { return nil }
            var year = start.year
            var time: Int64 = 0
            var offset: Int32 = 0
            if scanner.consume(0x20) || scanner.consume(UInt8(ascii: "T")) {
                scanner.skipSpaces()
                if let value = scanner.readTimeOfDay() {
                    time = value
                    if let zone = scanner.readOptionalZone() { offset = zone } else { return nil }
                }
            }
            scanner.skipSpaces()
            if scanner.consumeWord("bc") {
                guard year >= 1 else { return nil }
                year = 1 - year
                scanner.skipSpaces()
            } else if scanner.consumeWord("ad") {
                scanner.skipSpaces()
            }
            guard scanner.isAtEnd, DateMath.daysInMonth(year: year, month: start.month) >= start.day else { return nil }
            let days = DateMath.days(year: year, month: start.month, day: start.day)
            let (dayMicros, o1) = days.multipliedReportingOverflow(by: DateMath.microsecondsPerDay)
            let (local, o2) = dayMicros.addingReportingOverflow(time)
            let (utc, o3) = local.subtractingReportingOverflow(withZone ? Int64(offset) * DateMath.microsecondsPerSecond : 0)
            guard !o1, !o2, !o3, utc != .max, utc != .min else { return nil }
            return utc
        }
        guard let result else { throw Datum.invalid(withZone ? "timestamptz" : "timestamp", bytes) }
        return result
    }

    // MARK: Interval

    /// PostgreSQL's `postgres` and `postgres_verbose` styles and Materialize's variant:
    /// `1 year 2 mons 3 days 04:05:06.789`, `-1 days +02:03:00`, `1 month`, `@ 1 hour ago`.
    static func parseInterval(_ bytes: ArraySlice<UInt8>) throws(PostgresError) -> Interval {
        let result = bytes.withUnsafeBytes { raw -> Interval? in
            var scanner = TextScanner(raw)
            var months: Int64 = 0, days: Int64 = 0, micros: Int64 = 0
            var sawField = false
            scanner.skipSpaces()
            _ = scanner.consume(UInt8(ascii: "@"))
            while true {
                scanner.skipSpaces()
                if scanner.isAtEnd { break }
                if scanner.consumeWord("ago") {
                    scanner.skipSpaces()
                    guard scanner.isAtEnd, sawField else { return nil }
                    guard months != .min, days != .min, micros != .min else { return nil }
                    months = -months; days = -days; micros = -micros
                    break
                }
                var negative = false
                if scanner.consume(UInt8(ascii: "-")) { negative = true } else { _ = scanner.consume(UInt8(ascii: "+")) }
                guard let whole = scanner.readNumber() else { return nil }
                if scanner.peek == UInt8(ascii: ":") {
                    // A time field: hours (any size) : minutes [: seconds [.fraction]].
                    guard scanner.consume(UInt8(ascii: ":")), let minutes = scanner.readNumber(), minutes < 60 else { return nil }
                    var seconds: Int64 = 0, fraction: Int64 = 0
                    if scanner.consume(UInt8(ascii: ":")) {
                        guard let value = scanner.readNumber(), value < 60 else { return nil }
                        seconds = value
                        if scanner.consume(UInt8(ascii: ".")) {
                            guard let value = scanner.readFractionMicroseconds() else { return nil }
                            fraction = value
                        }
                    }
                    let (hourMicros, o1) = UInt64(whole).multipliedReportingOverflow(by: 3_600_000_000)
                    let (total, o2) = hourMicros.addingReportingOverflow(UInt64(minutes * 60_000_000 + seconds * 1_000_000 + fraction))
                    guard !o1, !o2, let signed = Datum.signed(total, negative: negative) else { return nil }
                    let (sum, o3) = micros.addingReportingOverflow(signed)
                    guard !o3 else { return nil }
                    micros = sum
                    sawField = true
                    continue
                }
                var fraction: Int64 = 0  // microseconds of a unit, for a fractional second-ish value
                var hasFraction = false
                if scanner.consume(UInt8(ascii: ".")) {
                    guard let value = scanner.readFractionMicroseconds() else { return nil }
                    fraction = value
                    hasFraction = true
                }
                scanner.skipSpaces()
                let unitStart = scanner.index
                while let byte = scanner.peek, (byte | 0x20) >= UInt8(ascii: "a"), (byte | 0x20) <= UInt8(ascii: "z") { scanner.index += 1 }
                let unit = UnsafeRawBufferPointer(rebasing: raw[unitStart..<scanner.index])
                guard let value = Datum.signed(UInt64(whole), negative: negative) else { return nil }
                let signedFraction = negative ? -fraction : fraction
                var addMonths: Int64 = 0, addDays: Int64 = 0, addMicros: Int64 = 0
                var overflow = false
                func scaled(_ value: Int64, _ factor: Int64) -> Int64 {
                    let (product, o) = value.multipliedReportingOverflow(by: factor)
                    overflow = overflow || o
                    return product
                }
                func plus(_ lhs: Int64, _ rhs: Int64) -> Int64 {
                    let (sum, o) = lhs.addingReportingOverflow(rhs)
                    overflow = overflow || o
                    return sum
                }
                switch unit.count == 0 ? "second" : Datum.intervalUnit(unit) {
                case "year": guard !hasFraction else { return nil }; addMonths = scaled(value, 12)
                case "month": guard !hasFraction else { return nil }; addMonths = value
                case "week": guard !hasFraction else { return nil }; addDays = scaled(value, 7)
                case "day": guard !hasFraction else { return nil }; addDays = value
                case "hour": addMicros = plus(scaled(value, 3_600_000_000), signedFraction * 3600)
                case "minute": addMicros = plus(scaled(value, 60_000_000), signedFraction * 60)
                case "second": addMicros = plus(scaled(value, 1_000_000), signedFraction)
                case "millisecond": addMicros = plus(scaled(value, 1000), signedFraction / 1000)
                case "microsecond": guard !hasFraction else { return nil }; addMicros = value
                default: return nil
                }
                let (m, o1) = months.addingReportingOverflow(addMonths)
                let (d, o2) = days.addingReportingOverflow(addDays)
                let (u, o3) = micros.addingReportingOverflow(addMicros)
                guard !overflow, !o1, !o2, !o3 else { return nil }
                months = m; days = d; micros = u
                sawField = true
            }
            guard sawField, let m = Int32(exactly: months), let d = Int32(exactly: days) else { return nil }
            return Interval(months: m, days: d, microseconds: micros)
        }
        guard let result else { throw Datum.invalid("interval", bytes) }
        return result
    }

    static func signed(_ magnitude: UInt64, negative: Bool) -> Int64? {
        if negative {
            if magnitude == UInt64(Int64.max) + 1 { return .min }
            return magnitude <= UInt64(Int64.max) ? -Int64(magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    private static func intervalUnit(_ unit: UnsafeRawBufferPointer) -> String? {
        let table: [(StaticString, String)] = [
            ("year", "year"), ("years", "year"), ("yr", "year"), ("yrs", "year"), ("y", "year"),
            ("mon", "month"), ("mons", "month"), ("month", "month"), ("months", "month"),
            ("week", "week"), ("weeks", "week"), ("w", "week"),
            ("day", "day"), ("days", "day"), ("d", "day"),
            ("hour", "hour"), ("hours", "hour"), ("hr", "hour"), ("hrs", "hour"), ("h", "hour"),
            ("minute", "minute"), ("minutes", "minute"), ("min", "minute"), ("mins", "minute"), ("m", "minute"),
            ("second", "second"), ("seconds", "second"), ("sec", "second"), ("secs", "second"), ("s", "second"),
            ("millisecond", "millisecond"), ("milliseconds", "millisecond"), ("ms", "millisecond"), ("msec", "millisecond"), ("msecs", "millisecond"),
            ("microsecond", "microsecond"), ("microseconds", "microsecond"), ("us", "microsecond"), ("usec", "microsecond"), ("usecs", "microsecond"),
        ]
        for (spelling, canonical) in table where asciiEqualsIgnoringCase(unit, spelling) { return canonical }
        return nil
    }

    // MARK: Other types

    /// 32 hex digits, hyphens anywhere between groups of 4, optional braces (as `uuid_in`).
    static func parseUUID(_ bytes: ArraySlice<UInt8>) throws(PostgresError) -> UUID {
        if let uuid = bytes.withUnsafeBufferPointer(Datum.canonicalUUID) { return uuid }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &value) { out -> Bool in
            var body = bytes[...]
            if body.first == UInt8(ascii: "{") {
                guard body.last == UInt8(ascii: "}"), body.count >= 2 else { return false }
                body = body.dropFirst().dropLast()
            }
            var nibbles = 0
            for byte in body {
                if byte == UInt8(ascii: "-") {
                    guard nibbles > 0, nibbles % 4 == 0, nibbles < 32 else { return false }
                    continue
                }
                guard let nibble = hexValue(byte), nibbles < 32 else { return false }
                out[nibbles / 2] = nibbles % 2 == 0 ? nibble << 4 : out[nibbles / 2] | nibble
                nibbles += 1
            }
            return nibbles == 32 && body.last != UInt8(ascii: "-")
        }
        guard ok else { throw Datum.invalid("uuid", bytes) }
        return UUID(uuid: value)
    }

    /// `\x` + hex (pairs, whitespace between pairs allowed), or the legacy escape form.
    static func parseBytea(_ bytes: ArraySlice<UInt8>) throws(PostgresError) -> [UInt8] {
        var out: [UInt8] = []
        var index = bytes.startIndex
        if bytes.count >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "x") {
            out.reserveCapacity((bytes.count - 2) / 2)
            index += 2
            while index < bytes.endIndex {
                let byte = bytes[index]
                if byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D { index += 1; continue }
                guard index + 1 < bytes.endIndex, let high = hexValue(byte), let low = hexValue(bytes[index + 1]) else {
                    throw Datum.invalid("bytea", bytes, "bad hex digits")
                }
                out.append(high << 4 | low)
                index += 2
            }
            return out
        }
        out.reserveCapacity(bytes.count)
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\") else { out.append(byte); index += 1; continue }
            if index + 1 < bytes.endIndex, bytes[index + 1] == UInt8(ascii: "\\") {
                out.append(byte)
                index += 2
                continue
            }
            guard index + 3 < bytes.endIndex else { throw Datum.invalid("bytea", bytes, "bad escape") }
            let d1 = bytes[index + 1] &- 0x30, d2 = bytes[index + 2] &- 0x30, d3 = bytes[index + 3] &- 0x30
            guard d1 < 4, d2 < 8, d3 < 8 else { throw Datum.invalid("bytea", bytes, "bad escape") }
            out.append(d1 << 6 | d2 << 3 | d3)
            index += 4
        }
        return out
    }
}

extension Datum {
    /// The canonical 36-byte form PostgreSQL and Materialize print, without the per-byte state of
    /// the general parser; `nil` sends anything else (braces, missing dashes, bad hex) to it.
    static func canonicalUUID(_ text: UnsafeBufferPointer<UInt8>) -> UUID? {
        guard text.count == 36, text[8] == 0x2D, text[13] == 0x2D, text[18] == 0x2D, text[23] == 0x2D else { return nil }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var invalid: UInt8 = 0
        // A table, not a comparison: hex digits mix 0-9 and a-f at random, so a branch per
        // nibble is mispredicted about half the time (it was 13% of a text COPY decode).
        hexNibbles.withUnsafeBufferPointer { table in
            withUnsafeMutableBytes(of: &value) { out in
                for pair in 0..<16 {
                    // Skip the dash after the 4th, 6th, 8th and 10th byte.
                    let at = pair &* 2 &+ (pair >= 4 ? 1 : 0) &+ (pair >= 6 ? 1 : 0) &+ (pair >= 8 ? 1 : 0) &+ (pair >= 10 ? 1 : 0)
                    let high = table[Int(text[at])], low = table[Int(text[at &+ 1])]
                    invalid |= high | low
                    out[pair] = high << 4 | low
                }
            }
        }
        return invalid & 0xF0 == 0 ? UUID(uuid: value) : nil
    }

    /// Each byte's ``hexValue(_:)``, or 0xFF.
    private static let hexNibbles: [UInt8] = (0...255).map { hexValue(UInt8($0)) ?? 0xFF }

    /// `String(validating:as:)` without its cost on ASCII: the generic validator is not specialized
    /// and looks up type metadata on every call (6% of a COPY decode); ASCII needs no validation.
    @inline(__always)
    static func utf8String(_ bytes: ArraySlice<UInt8>) -> String? {
        bytes.withUnsafeBufferPointer { buffer -> String? in
            var index = 0
            var high: UInt64 = 0
            let raw = UnsafeRawBufferPointer(buffer)
            while index &+ 8 <= buffer.count {
                high |= raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                index &+= 8
            }
            while index < buffer.count {
                high |= UInt64(buffer[index])
                index &+= 1
            }
            if high & 0x8080_8080_8080_8080 == 0 { return String(decoding: buffer, as: UTF8.self) }
            return String(validating: buffer, as: UTF8.self)
        }
    }
}

@inline(__always)
func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 0x30...0x39: byte - 0x30
    case 0x41...0x46: byte - 0x41 + 10
    case 0x61...0x66: byte - 0x61 + 10
    default: nil
    }
}

extension TextScanner {
    /// `Y…Y-MM-DD` with optional leading `-`? No: years are unsigned, BC comes as a suffix.
    mutating func readDatePart() -> (year: Int64, month: Int64, day: Int64)? {
        guard let year = readNumber(), year <= 5_000_000, consume(UInt8(ascii: "-")),
              let month = readNumber(), (1...12).contains(month), consume(UInt8(ascii: "-")),
              let day = readNumber(), day >= 1, day <= 31
        else { return nil }
        return (year, month, day)
    }

    /// A whole date with optional ` BC`, as days since 1970-01-01.
    mutating func readDate() -> Int64? {
        guard let part = readDatePart() else { return nil }
        var year = part.year
        let mark = index
        skipSpaces()
        if consumeWord("bc") {
            guard year >= 1 else { return nil }
            year = 1 - year
        } else if !consumeWord("ad") {
            index = mark
        }
        guard DateMath.daysInMonth(year: year, month: part.month) >= part.day else { return nil }
        return DateMath.days(year: year, month: part.month, day: part.day)
    }

    /// `HH:MM[:SS[.f]]` as microseconds since midnight (24:00:00 allowed, nothing later).
    mutating func readTimeOfDay() -> Int64? {
        guard let hours = readNumber(), hours <= 24, consume(UInt8(ascii: ":")),
              let minutes = readNumber(), minutes < 60 else { return nil }
        var seconds: Int64 = 0, fraction: Int64 = 0
        if consume(UInt8(ascii: ":")) {
            guard let value = readNumber(), value <= 60 else { return nil }
            seconds = value
            if consume(UInt8(ascii: ".")) {
                guard let value = readFractionMicroseconds() else { return nil }
                fraction = value
            }
        }
        let total = ((hours * 60 + minutes) * 60 + seconds) * 1_000_000 + fraction
        return total <= DateMath.microsecondsPerDay ? total : nil
    }

    /// A zone `+HH[:MM[:SS]]`, `-HH…`, `+HHMM` or `Z` (after optional spaces), or `nil`.
    mutating func readZone() -> Int32? {
        skipSpaces()
        if consume(UInt8(ascii: "Z")) || consume(UInt8(ascii: "z")) { return 0 }
        let negative: Bool
        if consume(UInt8(ascii: "+")) { negative = false } else if consume(UInt8(ascii: "-")) { negative = true } else { return nil }
        let start = index
        guard var hours = readNumber() else { return nil }
        var minutes: Int64 = 0, seconds: Int64 = 0
        if index - start == 4 {  // +HHMM
            minutes = hours % 100
            hours /= 100
        } else {
            guard index - start <= 2 else { return nil }
            if consume(UInt8(ascii: ":")) {
                guard let value = readNumber() else { return nil }
                minutes = value
                if consume(UInt8(ascii: ":")) {
                    guard let value = readNumber() else { return nil }
                    seconds = value
                }
            }
        }
        guard hours <= 15 + 24, minutes < 60, seconds < 60 else { return nil }
        let total = Int32(hours * 3600 + minutes * 60 + seconds)
        return negative ? -total : total
    }

    /// A zone if one follows, 0 if none (only ` BC`/end can follow); `nil` when malformed.
    mutating func readOptionalZone() -> Int32? {
        let mark = index
        skipSpaces()
        guard let byte = peek, byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "Z") || byte == UInt8(ascii: "z") else {
            index = mark
            return 0
        }
        return readZone()
    }
}
