/// Proleptic Gregorian calendar arithmetic on plain integers (no Foundation, no time zones):
/// the server always speaks UTC to us (`TimeZone` is `UTC`, materialize-subscribe.md §4).
///
/// Algorithms from Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms"
/// (https://howardhinnant.github.io/date_algorithms.html). Year 0 is 1 BC.
enum DateMath {
    static let microsecondsPerSecond: Int64 = 1_000_000
    static let microsecondsPerDay: Int64 = 86_400_000_000
    /// Days from 1970-01-01 to 2000-01-01, PostgreSQL's binary epoch.
    static let postgresEpochDays: Int64 = 10_957
    static let postgresEpochMicroseconds: Int64 = 946_684_800_000_000

    /// Days since 1970-01-01 of a civil date (valid for any Int32-ish year).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Floor division and the non-negative remainder.
    static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }
}

/// A cursor over the bytes of one text value, for the date/time and interval parsers.
struct TextScanner {
    let bytes: UnsafeRawBufferPointer
    var index: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        index = 0
    }

    var isAtEnd: Bool { index >= bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipSpaces() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    /// Reads one or more ASCII digits as a non-negative integer (at most 18 digits).
    mutating func readNumber() -> Int64? {
        var value: Int64 = 0
        let start = index
        while index < bytes.count, isDigit(bytes[index]) {
            guard index - start < 18 else { return nil }
            value = value * 10 + Int64(bytes[index] &- 0x30)
            index += 1
        }
        return index > start ? value : nil
    }

    /// Reads a fraction after a `.` (digits only) as microseconds, rounding past six digits.
    mutating func readFractionMicroseconds() -> Int64? {
        var value: Int64 = 0
        var count = 0
        let start = index
        var roundUp = false
        while index < bytes.count, isDigit(bytes[index]) {
            let digit = Int64(bytes[index] &- 0x30)
            if count < 6 {
                value = value * 10 + digit
            } else if count == 6 {
                roundUp = digit >= 5
            }
            count += 1
            index += 1
        }
        guard index > start else { return nil }
        while count < 6 {
            value *= 10
            count += 1
        }
        return value + (roundUp ? 1 : 0)
    }

    /// Whether the rest (ignoring case) is exactly `word`; consumes it if so.
    mutating func consumeWord(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        let candidate = UnsafeRawBufferPointer(rebasing: bytes[index..<index + count])
        guard asciiEqualsIgnoringCase(candidate, word) else { return false }
        index += count
        return true
    }
}
