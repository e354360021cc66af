/// Encodes rows in `COPY … TO STDOUT` text format exactly as Materialize does
/// (`pgcopy::encode_copy_row_text`, materialize-subscribe.md §5): TAB between fields, LF after
/// the row, `\N` for NULL, and only backslash, LF, CR and TAB escaped (`\\ \n \r \t`);
/// other control bytes pass through raw, unlike PostgreSQL.
public struct CopyTextEncoder: Sendable {
    public init() {}

    /// One row (one CopyData payload) from typed values, each in Materialize's text form.
    public func encode(_ row: [Datum]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, value) in row.enumerated() {
            if index > 0 { out.append(0x09) }
            if let text = value.textBytes() {
                CopyTextEncoder.appendEscaped(text[...], to: &out)
            } else {
                out.append(0x5C)
                out.append(UInt8(ascii: "N"))
            }
        }
        out.append(0x0A)
        return out
    }

    /// One row from fields already in text form (`nil` for NULL).
    public func encode(fields: [ArraySlice<UInt8>?]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(0x09) }
            if let field {
                CopyTextEncoder.appendEscaped(field, to: &out)
            } else {
                out.append(0x5C)
                out.append(UInt8(ascii: "N"))
            }
        }
        out.append(0x0A)
        return out
    }

    /// Appends `field` with Materialize's four escapes.
    public static func appendEscaped(_ field: ArraySlice<UInt8>, to out: inout [UInt8]) {
        for byte in field {
            switch byte {
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            default: out.append(byte)
            }
        }
    }
}
