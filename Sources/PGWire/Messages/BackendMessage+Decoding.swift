extension BackendMessage {
    /// Decodes the payload of one server message (the bytes after the type byte and length word),
    /// following https://www.postgresql.org/docs/current/protocol-message-formats.html.
    ///
    /// Every payload must be consumed exactly; short payloads, negative counts, strings without a
    /// NUL or not in UTF-8, unknown codes and unknown message types are protocol violations.
    /// DataRow and CopyData keep their bytes as slices of `payload`: nothing is copied.
    /// CopyInResponse and CopyBothResponse decode normally; refusing them is the state machine's job.
    public static func decode(type: UInt8, payload: ArraySlice<UInt8>) throws(PostgresError) -> BackendMessage {
        switch type {
        case UInt8(ascii: "D"):
            // The hot path: check the column lengths cover the payload exactly, keep the slice.
            guard payload.count >= 2 else {
                throw PayloadReader(payload, message: "DataRow ('D')").violation(
                    "truncated: the column count needs 2 bytes")
            }
            let start = payload.startIndex
            let count = Int(Int16(bitPattern: UInt16(payload[start]) << 8 | UInt16(payload[start + 1])))
            let values = payload[(start + 2)...]
            guard count >= 0, let row = DataRow.validated(columnCount: count, bytes: values) else {
                throw dataRowViolation(count: count, values: values, payload: payload)
            }
            return .dataRow(row)
        case UInt8(ascii: "d"):
            return .copyData(payload)
        case UInt8(ascii: "R"):
            return .authentication(try decodeAuthentication(payload))
        case UInt8(ascii: "K"):
            var reader = PayloadReader(payload, message: "BackendKeyData ('K')")
            let processID = try reader.int32("the process ID")
            let secretKey = try reader.int32("the secret key")
            try reader.finish()
            return .backendKeyData(BackendKeyData(processID: processID, secretKey: secretKey))
        case UInt8(ascii: "S"):
            var reader = PayloadReader(payload, message: "ParameterStatus ('S')")
            let name = try reader.cString("the parameter name")
            let value = try reader.cString("the value of parameter \(name)")
            try reader.finish()
            return .parameterStatus(name: name, value: value)
        case UInt8(ascii: "Z"):
            var reader = PayloadReader(payload, message: "ReadyForQuery ('Z')")
            let raw = try reader.uint8("the transaction status")
            try reader.finish()
            guard let status = TransactionStatus(rawValue: raw) else {
                throw reader.violation("unknown transaction status \(FrameAssembler.hexByte(raw)); expected 'I', 'T' or 'E'")
            }
            return .readyForQuery(status)
        case UInt8(ascii: "T"):
            return .rowDescription(try decodeRowDescription(payload))
        case UInt8(ascii: "C"):
            var reader = PayloadReader(payload, message: "CommandComplete ('C')")
            let tag = try reader.cString("the command tag")
            try reader.finish()
            return .commandComplete(tag: tag)
        case UInt8(ascii: "I"):
            try PayloadReader(payload, message: "EmptyQueryResponse ('I')").finish()
            return .emptyQueryResponse
        case UInt8(ascii: "E"):
            return .errorResponse(try decodeDiagnostic(payload, message: "ErrorResponse ('E')"))
        case UInt8(ascii: "N"):
            return .noticeResponse(try decodeDiagnostic(payload, message: "NoticeResponse ('N')"))
        case UInt8(ascii: "A"):
            var reader = PayloadReader(payload, message: "NotificationResponse ('A')")
            let processID = try reader.int32("the notifying process ID")
            let channel = try reader.cString("the channel name")
            let body = try reader.cString("the notification payload")
            try reader.finish()
            return .notificationResponse(processID: processID, channel: channel, payload: body)
        case UInt8(ascii: "H"):
            return .copyOutResponse(try decodeCopyFormat(payload, message: "CopyOutResponse ('H')"))
        case UInt8(ascii: "G"):
            return .copyInResponse(try decodeCopyFormat(payload, message: "CopyInResponse ('G')"))
        case UInt8(ascii: "W"):
            return .copyBothResponse(try decodeCopyFormat(payload, message: "CopyBothResponse ('W')"))
        case UInt8(ascii: "c"):
            try PayloadReader(payload, message: "CopyDone ('c')").finish()
            return .copyDone
        default:
            throw .protocolViolation("unexpected \(FrameAssembler.describeType(type))\(knownName(type)) from the server")
        }
    }

    /// Explains why a DataRow failed validation; only runs on the error path.
    private static func dataRowViolation(
        count: Int, values: ArraySlice<UInt8>, payload: ArraySlice<UInt8>
    ) -> PostgresError {
        let reader = PayloadReader(payload, message: "DataRow ('D')")
        guard count >= 0 else { return reader.violation("negative column count \(count)") }
        var values = ByteReader(values)
        for column in 0..<count {
            guard let length = values.readInt32() else {
                return reader.violation(
                    "truncated: the length of column \(column) of \(count) needs 4 bytes but only "
                        + "\(values.remaining) remain")
            }
            if length == -1 { continue }
            guard length >= 0 else {
                return reader.violation("column \(column) has length \(length); only -1 (NULL) may be negative")
            }
            guard values.readBytes(Int(length)) != nil else {
                return reader.violation(
                    "column \(column) of \(count) claims \(length) bytes but only \(values.remaining) remain")
            }
        }
        return reader.violation("\(values.remaining) unexpected trailing bytes after the last of \(count) columns")
    }

    /// Names message types that exist in the protocol but that this client never asks for
    /// (extended query, function calls, protocol negotiation), so the error says what arrived.
    private static func knownName(_ type: UInt8) -> String {
        switch type {
        case UInt8(ascii: "1"): ", ParseComplete,"
        case UInt8(ascii: "2"): ", BindComplete,"
        case UInt8(ascii: "3"): ", CloseComplete,"
        case UInt8(ascii: "n"): ", NoData,"
        case UInt8(ascii: "t"): ", ParameterDescription,"
        case UInt8(ascii: "s"): ", PortalSuspended,"
        case UInt8(ascii: "v"): ", NegotiateProtocolVersion,"
        case UInt8(ascii: "V"): ", FunctionCallResponse,"
        default: ""
        }
    }

    private static func decodeAuthentication(_ payload: ArraySlice<UInt8>) throws(PostgresError) -> Authentication {
        var reader = PayloadReader(payload, message: "Authentication ('R')")
        let code = try reader.int32("the authentication request code")
        let result: Authentication
        switch code {
        case 0: result = .ok
        case 2: result = .kerberosV5
        case 3: result = .cleartextPassword
        case 5: result = .md5Password(salt: try reader.uint32("the MD5 salt"))
        case 7: result = .gss
        case 8: result = .gssContinue(data: Array(reader.rest()))
        case 9: result = .sspi
        case 10:
            var mechanisms: [String] = []
            while true {
                let name = try reader.cString("SASL mechanism name \(mechanisms.count + 1)")
                if name.isEmpty { break }
                mechanisms.append(name)
            }
            guard !mechanisms.isEmpty else {
                throw reader.violation("AuthenticationSASL (code 10) offers no mechanism")
            }
            result = .sasl(mechanisms: mechanisms)
        case 11: result = .saslContinue(data: Array(reader.rest()))
        case 12: result = .saslFinal(data: Array(reader.rest()))
        default:
            throw .protocolViolation(
                "unknown authentication request code \(code) in an Authentication ('R') message; "
                    + "known codes are 0, 2, 3, 5, 7, 8, 9, 10, 11 and 12")
        }
        try reader.finish()
        return result
    }

    private static func decodeRowDescription(_ payload: ArraySlice<UInt8>) throws(PostgresError) -> RowDescription {
        var reader = PayloadReader(payload, message: "RowDescription ('T')")
        let count = try reader.count("field count")
        // Each field takes at least 19 bytes; checking first keeps a forged count from reserving memory.
        guard count * 19 <= reader.remaining else {
            throw reader.violation(
                "\(count) fields need at least \(count * 19) bytes but only \(reader.remaining) remain")
        }
        var columns: [RowDescription.Column] = []
        columns.reserveCapacity(count)
        for index in 0..<count {
            let name = try reader.cString("the name of field \(index)")
            let tableOID = try reader.uint32("the table OID of field \(index)")
            let attribute = try reader.int16("the column attribute number of field \(index)")
            let dataType = try reader.uint32("the type OID of field \(index)")
            let size = try reader.int16("the type size of field \(index)")
            let modifier = try reader.int32("the type modifier of field \(index)")
            let format = try reader.format("the format code of field \(index)")
            columns.append(
                RowDescription.Column(
                    name: name, tableOID: tableOID, columnAttributeNumber: attribute,
                    dataType: TypeOID(dataType), dataTypeSize: size, typeModifier: modifier, format: format))
        }
        try reader.finish()
        return RowDescription(columns: columns)
    }

    /// The fields of ErrorResponse and NoticeResponse: https://www.postgresql.org/docs/current/protocol-error-fields.html
    static func decodeDiagnostic(_ payload: ArraySlice<UInt8>, message: String) throws(PostgresError) -> Diagnostic {
        var reader = PayloadReader(payload, message: message)
        var fields: [(field: Diagnostic.Field, value: String)] = []
        while true {
            let code = try reader.uint8("the field code after \(fields.count) fields")
            if code == 0 { break }
            let field = Diagnostic.Field(code)
            let value = try reader.cString("field '\(field)'")
            fields.append((field, value))
        }
        try reader.finish()
        return Diagnostic(fields: fields)
    }

    private static func decodeCopyFormat(_ payload: ArraySlice<UInt8>, message: String) throws(PostgresError) -> CopyFormat {
        var reader = PayloadReader(payload, message: message)
        let raw = try reader.uint8("the overall format")
        guard let format = Format(rawValue: Int16(raw)) else {
            throw reader.violation("the overall format is \(raw), but only 0 (text) and 1 (binary) exist")
        }
        let count = try reader.count("column count")
        guard count * 2 <= reader.remaining else {
            throw reader.violation("\(count) column formats need \(count * 2) bytes but only \(reader.remaining) remain")
        }
        var columnFormats: [Format] = []
        columnFormats.reserveCapacity(count)
        for index in 0..<count {
            columnFormats.append(try reader.format("the format code of column \(index)"))
        }
        try reader.finish()
        return CopyFormat(format: format, columnFormats: columnFormats)
    }
}
