import Foundation

/// Binary-format decoding, per PostgreSQL's `*_recv` functions
/// (https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-FORMAT-CODES).
extension Datum {
    /// Decodes the binary form of a value of `type`. Fixed-width types must have exactly their
    /// width; types we do not know become ``raw(_:_:)``.
    public init(binary bytes: ArraySlice<UInt8>, type: TypeOID) throws(PostgresError) {
        switch type {
        case .int8:
            self = .int64(Int64(bitPattern: try Datum.fixed(bytes, 8, "int8")))
        case .int4:
            self = .int32(Int32(truncatingIfNeeded: try Datum.fixed(bytes, 4, "int4")))
        case .int2:
            self = .int16(Int16(truncatingIfNeeded: try Datum.fixed(bytes, 2, "int2")))
        case .bool:
            self = .bool(try Datum.fixed(bytes, 1, "bool") != 0)
        case .float8:
            self = .float64(Double(bitPattern: try Datum.fixed(bytes, 8, "float8")))
        case .float4:
            self = .float32(Float(bitPattern: UInt32(try Datum.fixed(bytes, 4, "float4"))))
        case .numeric:
            self = .numeric(try Numeric(binary: bytes))
        case .text, .varchar, .bpchar, .name, .unknown, .char:
            try self.init(text: bytes, type: type)
        case .mzTimestamp:
            // Materialize's mz_timestamp: accept the text digits or an 8-byte big-endian integer.
            if let value = Datum.parseUnsigned(bytes) {
                self = .mzTimestamp(value)
            } else {
                self = .mzTimestamp(try Datum.fixed(bytes, 8, "mz_timestamp"))
            }
        case .timestamp, .timestamptz:
            let name = type == .timestamp ? "timestamp" : "timestamptz"
            let raw = Int64(bitPattern: try Datum.fixed(bytes, 8, name))
            let value: Int64
            if raw == .max || raw == .min {
                value = raw
            } else {
                let (shifted, overflow) = raw.addingReportingOverflow(DateMath.postgresEpochMicroseconds)
                guard !overflow, shifted != .max, shifted != .min else { throw Datum.invalid(name, bytes, "out of range") }
                value = shifted
            }
            self = type == .timestamp ? .timestamp(value) : .timestamptz(value)
        case .date:
            let raw = Int32(truncatingIfNeeded: try Datum.fixed(bytes, 4, "date"))
            if raw == .max || raw == .min {
                self = .date(raw)
            } else {
                guard let days = Int32(exactly: Int64(raw) + DateMath.postgresEpochDays), days != .max else {
                    throw Datum.invalid("date", bytes, "out of range")
                }
                self = .date(days)
            }
        case .time:
            let value = Int64(bitPattern: try Datum.fixed(bytes, 8, "time"))
            guard value >= 0, value <= DateMath.microsecondsPerDay else { throw Datum.invalid("time", bytes, "out of range") }
            self = .time(value)
        case .timetz:
            guard bytes.count == 12 else { throw Datum.invalid("timetz", bytes, "needs 12 bytes, got \(bytes.count)") }
            var reader = ByteReader(bytes)
            let time = reader.readInt64()!, west = reader.readInt32()!
            guard time >= 0, time <= DateMath.microsecondsPerDay, west != .min else { throw Datum.invalid("timetz", bytes, "out of range") }
            // PostgreSQL stores the zone as seconds WEST of UTC; we keep the ISO sign.
            self = .timetz(time, offsetSeconds: -west)
        case .interval:
            guard bytes.count == 16 else { throw Datum.invalid("interval", bytes, "needs 16 bytes, got \(bytes.count)") }
            var reader = ByteReader(bytes)
            let micros = reader.readInt64()!, days = reader.readInt32()!, months = reader.readInt32()!
            self = .interval(Interval(months: months, days: days, microseconds: micros))
        case .uuid:
            guard bytes.count == 16 else { throw Datum.invalid("uuid", bytes, "needs 16 bytes, got \(bytes.count)") }
            var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &value) { out in
                for (offset, byte) in bytes.enumerated() { out[offset] = byte }
            }
            self = .uuid(UUID(uuid: value))
        case .json:
            guard let string = Datum.utf8String(bytes) else { throw Datum.invalid("json", bytes, "not UTF-8") }
            self = .json(string)
        case .jsonb:
            guard let version = bytes.first else { throw Datum.invalid("jsonb", bytes, "empty; expected a version byte") }
            guard version == 1 else { throw Datum.invalid("jsonb", bytes, "unsupported jsonb version \(version)") }
            guard let string = Datum.utf8String(bytes.dropFirst()) else { throw Datum.invalid("jsonb", bytes, "not UTF-8") }
            self = .jsonb(string)
        case .bytea:
            self = .bytea(Array(bytes))
        default:
            if let element = type.arrayElement {
                self = .array(try Datum.decodeBinaryArray(bytes, type: type, elementType: element))
            } else {
                self = .raw(type, Array(bytes))
            }
        }
    }

    /// Reads a big-endian integer of exactly `width` bytes, zero-extended into a UInt64.
    @inline(__always)
    static func fixed(_ bytes: ArraySlice<UInt8>, _ width: Int, _ name: String) throws(PostgresError) -> UInt64 {
        guard bytes.count == width else { throw Datum.invalid(name, bytes, "needs \(width) bytes, got \(bytes.count)") }
        var value: UInt64 = 0
        for byte in bytes { value = value << 8 | UInt64(byte) }
        return value
    }
}
