import Foundation
import LiveViews

/// Builds a webhook body: compact JSON (RFC 8259) written with the project's one JSON writer
/// (`LiveViews.JSONWriter`), so a value looks the same in a webhook as in a subscription.
struct JSONBody {
    var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }
    mutating func byte(_ ascii: Unicode.Scalar) { bytes.append(UInt8(ascii: ascii)) }

    /// A JSON string literal.
    mutating func string(_ text: String) {
        JSONWriter.writeString(text, to: &bytes)
    }

    static let hexDigits = Array("0123456789abcdef".utf8)

    /// A column value with its type kept, as subscriptions show it: numbers as numbers, exact
    /// decimals as strings (a JavaScript receiver would round a large int8 or numeric), instants
    /// as ISO-8601 UTC, JSON columns embedded as JSON. One difference: non-finite floats become
    /// the strings Postgres prints (GraphQL's Float has no form for them, a webhook body does).
    mutating func value(_ value: Value) {
        switch value {
        case .float(let number) where number.isNaN:
            string("NaN")
        case .float(let number) where number.isInfinite:
            string(number < 0 ? "-Infinity" : "Infinity")
        case .json(let text) where text.isEmpty:
            raw("null")
        default:
            JSONWriter.writeValue(value, to: &bytes)
        }
    }
}

/// ISO-8601 / RFC 3339 text for instants, dates and times, without Foundation formatters
/// (which are slow and locale-sensitive).
public enum ISO8601 {
    /// `2024-01-15T10:30:00.123Z`: millisecond precision, as JavaScript's `toISOString` prints.
    public static func timestamp(millis: Int64) -> String {
        let (seconds, fraction) = floorDivMod(millis, 1_000)
        let (days, secondOfDay) = floorDivMod(seconds, 86_400)
        return date(days: days) + "T" + clock(secondOfDay) + "." + pad(fraction, 3) + "Z"
    }

    /// `YYYY-MM-DD` for days since 1970-01-01 (proleptic Gregorian).
    static func date(days: Int64) -> String {
        let (year, month, day) = civil(days: days)
        let yearText = year >= 0 && year <= 9999 ? pad(year, 4) : String(year)
        return yearText + "-" + pad(month, 2) + "-" + pad(day, 2)
    }

    private static func clock(_ secondOfDay: Int64) -> String {
        pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
    }

    static func floorDivMod(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Howard Hinnant's `civil_from_days` (http://howardhinnant.github.io/date_algorithms.html).
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The inverse: days since 1970-01-01 of a proleptic Gregorian date.
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
