import Foundation

/// The typed value of one column, decoded from the text or binary form the server sent.
///
/// Decoding follows PostgreSQL's input/receive functions and also accepts what Materialize
/// prints (materialize-subscribe.md §5). Encoding (``textBytes()``, ``binaryBytes()``) produces
/// exactly what Materialize sends, so a test server can replay it byte for byte.
///
/// Equality is structural: `.float64(.nan) != .float64(.nan)`, as for `Double`.
public enum Datum: Sendable, Hashable {
    /// SQL NULL.
    case null
    case bool(Bool)
    case int16(Int16)
    case int32(Int32)
    case int64(Int64)
    /// `float4`; NaN and ±Infinity included.
    case float32(Float)
    /// `float8`; NaN and ±Infinity included.
    case float64(Double)
    /// `numeric`, exact; also SUBSCRIBE's `mz_timestamp` column (numeric(39,0)).
    case numeric(Numeric)
    /// `text`, `varchar`, `bpchar` (blank padding kept), `name`, `"char"`, `unknown`.
    case text(String)
    case uuid(UUID)
    /// Days since 1970-01-01; `Int32.max`/`Int32.min` are `infinity`/`-infinity`.
    case date(Int32)
    /// Microseconds since midnight (0…86 400 000 000 inclusive: `24:00:00` is valid).
    case time(Int64)
    /// Microseconds since midnight and the zone's offset east of UTC in seconds (`+02` → 7200).
    case timetz(Int64, offsetSeconds: Int32)
    /// Microseconds since 1970-01-01 00:00:00; `Int64.max`/`Int64.min` are `infinity`/`-infinity`.
    case timestamp(Int64)
    /// Microseconds since 1970-01-01 00:00:00 UTC; `Int64.max`/`Int64.min` are `±infinity`.
    case timestamptz(Int64)
    case interval(Interval)
    /// `json`, kept as sent.
    case json(String)
    /// `jsonb` as text (the binary form's version byte removed).
    case jsonb(String)
    case bytea([UInt8])
    case array(ArrayValue)
    /// Materialize's `mz_timestamp` type (OID 16552): milliseconds since the Unix epoch.
    case mzTimestamp(UInt64)
    /// A type we do not interpret, with its text form.
    case other(TypeOID, String)
    /// A type we do not interpret, with its raw bytes: its binary form, or text that is not
    /// UTF-8 (Materialize's `"char"` can carry 0xFF; materialize-subscribe.md §7).
    case raw(TypeOID, [UInt8])

    /// Decodes a value in the given format; `nil` bytes are SQL NULL.
    @inlinable
    public init(_ bytes: ArraySlice<UInt8>?, format: Format, type: TypeOID) throws(PostgresError) {
        guard let bytes else {
            self = .null
            return
        }
        switch format {
        case .text: try self.init(text: bytes, type: type)
        case .binary: try self.init(binary: bytes, type: type)
        }
    }

    /// Whether this is SQL NULL.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// An `invalidValue` error naming the type and showing a prefix of the bad input.
    static func invalid(_ typeName: String, _ bytes: ArraySlice<UInt8>, _ reason: String? = nil) -> PostgresError {
        let shown = bytes.prefix(48)
        var rendered = ""
        if let text = String(validating: shown, as: UTF8.self), !text.contains(where: { $0.asciiValue.map { $0 < 0x20 } ?? false }) {
            rendered = "\"\(text)\""
        } else {
            rendered = "0x" + shown.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
        if bytes.count > shown.count { rendered += "… (\(bytes.count) bytes)" }
        var message = "invalid \(typeName) value \(rendered)"
        if let reason { message += ": \(reason)" }
        message += "; check that the column's declared type matches what the server sends"
        return PostgresError(.invalidValue, message)
    }
}
