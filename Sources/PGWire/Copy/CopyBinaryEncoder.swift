/// Encodes `COPY … TO STDOUT (FORMAT BINARY)` payloads the way Materialize sends them
/// (materialize-subscribe.md §1b): the 19-byte header (signature, zero flags, zero extension)
/// together with the first tuple, then one tuple per CopyData, then the trailer alone.
public struct CopyBinaryEncoder: Sendable {
    /// Whether the header has gone out (with the first tuple).
    public private(set) var headerSent = false

    public init() {}

    /// One CopyData payload holding `row` in binary form (preceded by the header the first time).
    public mutating func encode(_ row: [Datum]) -> [UInt8] {
        encode(fields: row.map { $0.binaryBytes() })
    }

    /// One CopyData payload from fields already in binary form (`nil` for NULL).
    public mutating func encode(fields: [[UInt8]?]) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writeHeaderIfNeeded(&writer)
        writer.writeInt16(Int16(clamping: fields.count))
        for field in fields {
            if let field {
                writer.writeInt32(Int32(clamping: field.count))
                writer.writeBytes(field)
            } else {
                writer.writeInt32(-1)
            }
        }
        return writer.bytes
    }

    /// The trailer payload (`FF FF`), preceded by the header if no tuple was sent.
    public mutating func trailer() -> [UInt8] {
        var writer = ByteWriter(capacity: 21)
        writeHeaderIfNeeded(&writer)
        writer.writeInt16(-1)
        return writer.bytes
    }

    private mutating func writeHeaderIfNeeded(_ writer: inout ByteWriter) {
        guard !headerSent else { return }
        headerSent = true
        writer.writeBytes(CopyBinaryDecoder.signature)
        writer.writeUInt32(0)
        writer.writeInt32(0)
    }
}
