import Foundation

/// Writes JSON straight into a byte buffer: the one JSON writer of the project (subscription
/// payloads, webhook bodies, logs, health reports), so a value looks the same everywhere.
///
/// The formats are the ones GraphQLSwift's executor produces once its result is encoded with
/// `GraphQLJSONEncoder` (`.withoutEscapingSlashes`), so a compiled ``Projection`` and the
/// general executor give the same bytes: strings escape `"` `\` and U+0000–U+001F only
/// (`\b \f \n \r \t`, else `\u00xx`, RFC 8259 §7), everything else — including non-BMP
/// scalars — is copied as UTF-8; floats print as Swift's shortest round-trip form without a
/// trailing `.0`.
public enum JSONWriter {
    /// Appends `string` quoted and escaped.
    @inline(__always)
    public static func writeString(_ string: String, to buffer: inout [UInt8]) {
        var string = string
        string.withUTF8 { writeString(utf8: $0, to: &buffer) }
    }

    public static func writeString(utf8 bytes: UnsafeBufferPointer<UInt8>, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        var copyStart = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            if copyStart < index {
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copyStart..<index]))
            }
            buffer.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
            case 0x08: buffer.append(UInt8(ascii: "b"))
            case 0x0C: buffer.append(UInt8(ascii: "f"))
            case 0x0A: buffer.append(UInt8(ascii: "n"))
            case 0x0D: buffer.append(UInt8(ascii: "r"))
            case 0x09: buffer.append(UInt8(ascii: "t"))
            default:
                buffer.append(UInt8(ascii: "u"))
                buffer.append(UInt8(ascii: "0"))
                buffer.append(UInt8(ascii: "0"))
                buffer.append(hexDigit(byte >> 4))
                buffer.append(hexDigit(byte & 0x0F))
            }
            index += 1
            copyStart = index
        }
        if copyStart < count {
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copyStart..<count]))
        }
        buffer.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    /// Appends the decimal digits of `value` (no allocation).
    public static func writeInteger(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        writeUnsigned(value.magnitude, minimumDigits: 1, to: &buffer)
    }

    /// Appends `value` in decimal, left-padded with zeros to `minimumDigits`.
    @inline(__always)
    public static func writeUnsigned(_ value: UInt64, minimumDigits: Int, to buffer: inout [UInt8]) {
        // 20 digits hold UInt64.max; a tuple keeps the scratch space on the stack.
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { raw in
            var position = raw.count
            var rest = value
            repeat {
                position -= 1
                raw[position] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            while raw.count - position < minimumDigits && position > 0 {
                position -= 1
                raw[position] = UInt8(ascii: "0")
            }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[position...]))
        }
    }

    /// A finite float as GraphQLSwift encodes it (`description` without a trailing `.0`);
    /// NaN and ±Infinity, which JSON cannot carry, as `null` (GraphQL's `Float` excludes them).
    public static func writeFloat(_ value: Double, to buffer: inout [UInt8]) {
        guard value.isFinite else {
            buffer.append(contentsOf: nullLiteral)
            return
        }
        if value == value.rounded(.towardZero), abs(value) < 1e15 {
            // Integral and printed without an exponent: the same digits as `description`
            // minus ".0", without formatting a String.
            if value == 0 && value.sign == .minus {
                buffer.append(contentsOf: "-0".utf8)
            } else {
                writeInteger(Int64(value), to: &buffer)
            }
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        buffer.append(contentsOf: text.utf8)
    }

    public static let nullLiteral: [UInt8] = Array("null".utf8)
    public static let trueLiteral: [UInt8] = Array("true".utf8)
    public static let falseLiteral: [UInt8] = Array("false".utf8)

    // MARK: Dates and times

    public static let microsecondsPerDay: Int64 = 86_400_000_000

    /// `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` for microseconds since the Unix epoch, UTC; the
    /// fraction appears only when it is not zero, always with six digits.
    public static func writeTimestamp(_ micros: Int64, to buffer: inout [UInt8]) {
        let (days, timeOfDay) = floorDivide(micros, microsecondsPerDay)
        writeCivilDate(days: days, to: &buffer)
        buffer.append(UInt8(ascii: "T"))
        writeClock(timeOfDay, to: &buffer)
        buffer.append(UInt8(ascii: "Z"))
    }

    /// `YYYY-MM-DD` for days since 1970-01-01.
    public static func writeDate(days: Int32, to buffer: inout [UInt8]) {
        writeCivilDate(days: Int64(days), to: &buffer)
    }

    /// `HH:MM:SS[.ffffff]` for microseconds since midnight (`24:00:00` stays `24:00:00`, as
    /// PostgreSQL allows it).
    public static func writeTime(_ micros: Int64, to buffer: inout [UInt8]) {
        writeClock(max(0, micros), to: &buffer)
    }

    private static func writeClock(_ micros: Int64, to buffer: inout [UInt8]) {
        let seconds = micros / 1_000_000
        let fraction = micros % 1_000_000
        writeUnsigned(UInt64(seconds / 3600), minimumDigits: 2, to: &buffer)
        buffer.append(UInt8(ascii: ":"))
        writeUnsigned(UInt64(seconds / 60 % 60), minimumDigits: 2, to: &buffer)
        buffer.append(UInt8(ascii: ":"))
        writeUnsigned(UInt64(seconds % 60), minimumDigits: 2, to: &buffer)
        if fraction != 0 {
            buffer.append(UInt8(ascii: "."))
            writeUnsigned(UInt64(fraction), minimumDigits: 6, to: &buffer)
        }
    }

    /// The proleptic Gregorian date of a day number (Howard Hinnant's `civil_from_days`).
    /// Years outside 0…9999 get a sign and at least four digits (ISO 8601 expanded form).
    private static func writeCivilDate(days: Int64, to buffer: inout [UInt8]) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        if year < 0 {
            buffer.append(UInt8(ascii: "-"))
        } else if year > 9999 {
            buffer.append(UInt8(ascii: "+"))
        }
        writeUnsigned(year.magnitude, minimumDigits: 4, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        writeUnsigned(UInt64(month), minimumDigits: 2, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        writeUnsigned(UInt64(day), minimumDigits: 2, to: &buffer)
    }

    @inline(__always)
    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value / divisor
        let remainder = value % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    // MARK: Values

    /// Appends one column value as the API shows it (see ``Projection``).
    public static func writeValue(_ value: Value, to buffer: inout [UInt8]) {
        switch value {
        case .null: buffer.append(contentsOf: nullLiteral)
        case .bool(let bool): buffer.append(contentsOf: bool ? trueLiteral : falseLiteral)
        case .integer(let integer): writeInteger(integer, to: &buffer)
        case .float(let double): writeFloat(double, to: &buffer)
        case .decimal(let decimal): writeString(decimal.description, to: &buffer)
        case .string(let string): writeString(string, to: &buffer)
        case .uuid(let uuid): writeUUID(uuid.uuid, to: &buffer)
        case .timestamp(let micros):
            buffer.append(UInt8(ascii: "\""))
            writeTimestamp(micros, to: &buffer)
            buffer.append(UInt8(ascii: "\""))
        case .date(let days):
            buffer.append(UInt8(ascii: "\""))
            writeDate(days: days, to: &buffer)
            buffer.append(UInt8(ascii: "\""))
        case .time(let micros):
            buffer.append(UInt8(ascii: "\""))
            writeTime(micros, to: &buffer)
            buffer.append(UInt8(ascii: "\""))
        case .json(let text):
            // Stored as compact JSON text by ingest: copied as is.
            buffer.append(contentsOf: text.utf8)
        }
    }

    /// A UUID in lowercase 8-4-4-4-12 form, quoted, without formatting a String.
    public static func writeUUID(_ bytes: uuid_t, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        withUnsafeBytes(of: bytes) { raw in
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 { buffer.append(UInt8(ascii: "-")) }
                buffer.append(hexDigit(raw[index] >> 4))
                buffer.append(hexDigit(raw[index] & 0x0F))
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    /// The text a value shows as in a GraphQL `String` (what ``writeValue(_:to:)`` writes
    /// between quotes), for the executor path.
    public static func text(_ build: (inout [UInt8]) -> Void) -> String {
        var buffer: [UInt8] = []
        build(&buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
