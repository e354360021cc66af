/// Parsers for the date and time operands of filters, over UTF-8 bytes.
///
/// Timestamps accept ISO-8601 / RFC 3339 and PostgreSQL's output form:
/// `YYYY-MM-DD`, then optionally `T`, `t` or a space and `HH:MM[:SS[.fraction]]`, then
/// optionally `Z`, `z` or an offset `±HH`, `±HHMM`, `±HH:MM`. No zone means UTC, as
/// Materialize's `timestamp` (without time zone) values are shown to clients.
/// Fractions beyond microseconds are rounded half up, as PostgreSQL rounds.
enum TemporalText {
    static let microsecondsPerDay: Int64 = 86_400_000_000

    /// Microseconds since 1970-01-01T00:00:00Z.
    static func timestamp(_ text: String) -> Int64? {
        var reader = Reader(Array(text.utf8))
        guard let days = reader.date() else { return nil }
        var micros = Int64(days) * microsecondsPerDay
        if reader.atEnd { return micros }
        guard reader.take(UInt8(ascii: "T")) || reader.take(UInt8(ascii: "t")) || reader.take(UInt8(ascii: " ")),
            let clock = reader.clock()
        else { return nil }
        micros += clock
        if reader.atEnd { return micros }
        if reader.take(UInt8(ascii: "Z")) || reader.take(UInt8(ascii: "z")) {
            return reader.atEnd ? micros : nil
        }
        let sign: Int64
        if reader.take(UInt8(ascii: "+")) {
            sign = 1
        } else if reader.take(UInt8(ascii: "-")) {
            sign = -1
        } else {
            return nil
        }
        guard let hours = reader.digits(2), hours <= 15 else { return nil }
        var minutes = 0
        if !reader.atEnd {
            _ = reader.take(UInt8(ascii: ":"))
            guard let value = reader.digits(2), value <= 59 else { return nil }
            minutes = value
        }
        guard reader.atEnd else { return nil }
        return micros - sign * Int64(hours * 60 + minutes) * 60_000_000
    }

    /// Days since 1970-01-01, from `YYYY-MM-DD`.
    static func date(_ text: String) -> Int32? {
        var reader = Reader(Array(text.utf8))
        guard let days = reader.date(), reader.atEnd else { return nil }
        return Int32(days)
    }

    /// Microseconds since midnight, from `HH:MM[:SS[.ffffff]]` (`24:00:00` allowed, as
    /// PostgreSQL allows it).
    static func time(_ text: String) -> Int64? {
        var reader = Reader(Array(text.utf8))
        guard let clock = reader.clock(), reader.atEnd else { return nil }
        return clock
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
    /// `days_from_civil`).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func digits(_ count: Int) -> Int? {
            guard bytes.count - index >= count else { return nil }
            var value = 0
            for _ in 0..<count {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
                index += 1
            }
            return value
        }

        mutating func date() -> Int? {
            guard let year = digits(4), take(UInt8(ascii: "-")),
                let month = digits(2), take(UInt8(ascii: "-")),
                let day = digits(2),
                year >= 1, (1...12).contains(month), day >= 1
            else { return nil }
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            guard day <= lengths[month - 1] else { return nil }
            return TemporalText.days(year: year, month: month, day: day)
        }

        mutating func clock() -> Int64? {
            guard let hour = digits(2), take(UInt8(ascii: ":")), let minute = digits(2),
                hour <= 24, minute <= 59
            else { return nil }
            var second = 0
            var micros: Int64 = 0
            if take(UInt8(ascii: ":")) {
                guard let value = digits(2), value <= 59 else { return nil }
                second = value
                if take(UInt8(ascii: ".")) {
                    var scale: Int64 = 100_000
                    var sawDigit = false
                    var roundUp = false
                    while index < bytes.count {
                        let digit = bytes[index] &- UInt8(ascii: "0")
                        guard digit < 10 else { break }
                        if scale > 0 {
                            micros += Int64(digit) * scale
                        } else if scale == 0 {
                            roundUp = digit >= 5
                        }
                        scale = scale <= 0 ? -1 : scale / 10
                        sawDigit = true
                        index += 1
                    }
                    guard sawDigit else { return nil }
                    if roundUp { micros += 1 }
                }
            }
            let total = (Int64(hour) * 3600 + Int64(minute) * 60 + Int64(second)) * 1_000_000 + micros
            guard total <= TemporalText.microsecondsPerDay else { return nil }
            return total
        }
    }
}
