/// A ``ByteReader`` whose reads throw a protocol violation naming the message and the field.
///
/// Field names are autoclosures so the success path builds no strings; only a failure pays for
/// the words that tell a user (or us, reading a capture) exactly what was wrong.
struct PayloadReader {
    var reader: ByteReader
    /// The message being read, e.g. `RowDescription ('T')`.
    let message: String

    init(_ payload: ArraySlice<UInt8>, message: String) {
        self.reader = ByteReader(payload)
        self.message = message
    }

    var remaining: Int { reader.remaining }
    var isAtEnd: Bool { reader.isAtEnd }

    func violation(_ problem: String) -> PostgresError {
        .protocolViolation("malformed \(message) (\(reader.bytes.count)-byte payload): \(problem)")
    }

    private func truncated(_ field: String, needs: Int) -> PostgresError {
        violation("truncated: \(field) needs \(needs) bytes but only \(reader.remaining) remain")
    }

    mutating func uint8(_ field: @autoclosure () -> String) throws(PostgresError) -> UInt8 {
        guard let value = reader.readUInt8() else { throw truncated(field(), needs: 1) }
        return value
    }

    mutating func int16(_ field: @autoclosure () -> String) throws(PostgresError) -> Int16 {
        guard let value = reader.readInt16() else { throw truncated(field(), needs: 2) }
        return value
    }

    mutating func int32(_ field: @autoclosure () -> String) throws(PostgresError) -> Int32 {
        guard let value = reader.readInt32() else { throw truncated(field(), needs: 4) }
        return value
    }

    mutating func uint32(_ field: @autoclosure () -> String) throws(PostgresError) -> UInt32 {
        guard let value = reader.readUInt32() else { throw truncated(field(), needs: 4) }
        return value
    }

    /// A count (of columns, formats…) sent as Int16, which must not be negative.
    mutating func count(_ field: @autoclosure () -> String) throws(PostgresError) -> Int {
        let value = try int16(field())
        guard value >= 0 else { throw violation("negative \(field()) \(value)") }
        return Int(value)
    }

    /// A format code (0 text, 1 binary).
    mutating func format(_ field: @autoclosure () -> String) throws(PostgresError) -> Format {
        let raw = try int16(field())
        guard let format = Format(rawValue: raw) else {
            throw violation("\(field()) is \(raw), but only 0 (text) and 1 (binary) exist")
        }
        return format
    }

    /// The protocol's `String`: UTF-8 bytes ended by a NUL.
    mutating func cString(_ field: @autoclosure () -> String) throws(PostgresError) -> String {
        let start = reader.index
        guard let raw = reader.readCStringBytes() else {
            throw violation("\(field()) has no terminating NUL")
        }
        guard let value = String(validating: raw, as: UTF8.self) else {
            reader.index = start
            throw violation("\(field()) is not valid UTF-8")
        }
        return value
    }

    mutating func bytes(_ count: Int, _ field: @autoclosure () -> String) throws(PostgresError) -> ArraySlice<UInt8> {
        guard let value = reader.readBytes(count) else { throw truncated(field(), needs: count) }
        return value
    }

    mutating func rest() -> ArraySlice<UInt8> {
        reader.readRest()
    }

    /// Requires the payload to be consumed exactly: trailing bytes mean we misread the message.
    func finish() throws(PostgresError) {
        guard reader.isAtEnd else {
            throw violation("\(reader.remaining) unexpected trailing bytes after the last field")
        }
    }
}
