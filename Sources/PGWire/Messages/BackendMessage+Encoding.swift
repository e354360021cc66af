extension BackendMessage {
    /// Appends the message as the server sends it
    /// (https://www.postgresql.org/docs/current/protocol-message-formats.html).
    ///
    /// Used by our test server; strings must not contain NUL (the protocol cannot carry it).
    public func encode(into writer: inout ByteWriter) {
        switch self {
        case .authentication(let authentication):
            authentication.encode(into: &writer)
        case .backendKeyData(let key):
            let start = writer.beginMessage(UInt8(ascii: "K"))
            writer.writeInt32(key.processID)
            writer.writeInt32(key.secretKey)
            writer.endMessage(at: start)
        case .parameterStatus(let name, let value):
            let start = writer.beginMessage(UInt8(ascii: "S"))
            writer.writeCString(name)
            writer.writeCString(value)
            writer.endMessage(at: start)
        case .readyForQuery(let status):
            let start = writer.beginMessage(UInt8(ascii: "Z"))
            writer.writeUInt8(status.rawValue)
            writer.endMessage(at: start)
        case .rowDescription(let description):
            let start = writer.beginMessage(UInt8(ascii: "T"))
            writer.writeInt16(Int16(description.columns.count))
            for column in description.columns {
                writer.writeCString(column.name)
                writer.writeUInt32(column.tableOID)
                writer.writeInt16(column.columnAttributeNumber)
                writer.writeUInt32(column.dataType.rawValue)
                writer.writeInt16(column.dataTypeSize)
                writer.writeInt32(column.typeModifier)
                writer.writeInt16(column.format.rawValue)
            }
            writer.endMessage(at: start)
        case .dataRow(let row):
            let start = writer.beginMessage(UInt8(ascii: "D"))
            writer.writeInt16(Int16(row.columnCount))
            writer.writeBytes(row.bytes)
            writer.endMessage(at: start)
        case .commandComplete(let tag):
            let start = writer.beginMessage(UInt8(ascii: "C"))
            writer.writeCString(tag)
            writer.endMessage(at: start)
        case .emptyQueryResponse:
            writer.endMessage(at: writer.beginMessage(UInt8(ascii: "I")))
        case .errorResponse(let diagnostic):
            Self.encode(diagnostic, type: UInt8(ascii: "E"), into: &writer)
        case .noticeResponse(let diagnostic):
            Self.encode(diagnostic, type: UInt8(ascii: "N"), into: &writer)
        case .notificationResponse(let processID, let channel, let payload):
            let start = writer.beginMessage(UInt8(ascii: "A"))
            writer.writeInt32(processID)
            writer.writeCString(channel)
            writer.writeCString(payload)
            writer.endMessage(at: start)
        case .copyOutResponse(let format):
            Self.encode(format, type: UInt8(ascii: "H"), into: &writer)
        case .copyInResponse(let format):
            Self.encode(format, type: UInt8(ascii: "G"), into: &writer)
        case .copyBothResponse(let format):
            Self.encode(format, type: UInt8(ascii: "W"), into: &writer)
        case .copyData(let bytes):
            let start = writer.beginMessage(UInt8(ascii: "d"))
            writer.writeBytes(bytes)
            writer.endMessage(at: start)
        case .copyDone:
            writer.endMessage(at: writer.beginMessage(UInt8(ascii: "c")))
        }
    }

    /// The encoded bytes of this one message.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        encode(into: &writer)
        return writer.bytes
    }

    /// Every field in the diagnostic's order, then the terminating zero byte.
    private static func encode(_ diagnostic: Diagnostic, type: UInt8, into writer: inout ByteWriter) {
        let start = writer.beginMessage(type)
        for (field, value) in diagnostic.fields {
            writer.writeUInt8(field.code)
            writer.writeCString(value)
        }
        writer.writeUInt8(0)
        writer.endMessage(at: start)
    }

    private static func encode(_ format: CopyFormat, type: UInt8, into writer: inout ByteWriter) {
        let start = writer.beginMessage(type)
        writer.writeUInt8(UInt8(format.format.rawValue))
        writer.writeInt16(Int16(format.columnFormats.count))
        for columnFormat in format.columnFormats {
            writer.writeInt16(columnFormat.rawValue)
        }
        writer.endMessage(at: start)
    }
}

extension Authentication {
    /// The `R` message: an Int32 request code and the code's data.
    public func encode(into writer: inout ByteWriter) {
        let start = writer.beginMessage(UInt8(ascii: "R"))
        switch self {
        case .ok:
            writer.writeInt32(0)
        case .kerberosV5:
            writer.writeInt32(2)
        case .cleartextPassword:
            writer.writeInt32(3)
        case .md5Password(let salt):
            writer.writeInt32(5)
            writer.writeUInt32(salt)
        case .gss:
            writer.writeInt32(7)
        case .gssContinue(let data):
            writer.writeInt32(8)
            writer.writeBytes(data)
        case .sspi:
            writer.writeInt32(9)
        case .sasl(let mechanisms):
            writer.writeInt32(10)
            for mechanism in mechanisms {
                writer.writeCString(mechanism)
            }
            writer.writeUInt8(0)
        case .saslContinue(let data):
            writer.writeInt32(11)
            writer.writeBytes(data)
        case .saslFinal(let data):
            writer.writeInt32(12)
            writer.writeBytes(data)
        }
        writer.endMessage(at: start)
    }
}
