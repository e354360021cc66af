import PGWire

/// Byte notation for golden tests: hex pairs and `'quoted ASCII'`, separated by spaces,
/// as written in shared/protocol/materialize-subscribe.md ("Fixture recipes").
enum CodecFixtures {
    static func bytes(_ notation: String) -> [UInt8] {
        var result: [UInt8] = []
        var scalars = notation.unicodeScalars.makeIterator()
        var pending: UInt8?
        while let scalar = scalars.next() {
            if scalar == "'" {
                while let inner = scalars.next(), inner != "'" {
                    result.append(UInt8(inner.value))
                }
                continue
            }
            guard let digit = hexDigit(scalar) else {
                precondition(scalar == " " || scalar == "\n" || scalar == "|", "bad notation character \(scalar)")
                continue
            }
            if let high = pending {
                result.append(high << 4 | digit)
                pending = nil
            } else {
                pending = digit
            }
        }
        precondition(pending == nil, "odd number of hex digits in \(notation)")
        return result
    }

    private static func hexDigit(_ scalar: Unicode.Scalar) -> UInt8? {
        switch scalar {
        case "0"..."9": UInt8(scalar.value - 48)
        case "A"..."F": UInt8(scalar.value - 55)
        case "a"..."f": UInt8(scalar.value - 87)
        default: nil
        }
    }

    /// Concatenates the encodings of `messages`.
    static func stream(_ messages: [BackendMessage]) -> [UInt8] {
        var writer = ByteWriter()
        for message in messages { message.encode(into: &writer) }
        return writer.bytes
    }

    /// A CopyData message carrying `text` (F1's rows use `\t` and `\n`).
    static func copyData(_ text: String) -> BackendMessage {
        .copyData(Array(text.utf8)[...])
    }

    /// F1, messages 1 to 7: COPY text snapshot and updates, cancelled at the end.
    static let f1: [BackendMessage] = [
        .copyOutResponse(CopyFormat(format: .text, columnFormats: [.text, .text, .text, .text])),
        copyData("1700000000000\t1\t1\talice\n"),
        copyData("1700000000000\t1\t2\tbob\n"),
        copyData("1700000001000\t-1\t2\tbob\n"),
        copyData("1700000001000\t1\t2\tbobby\n"),
        .errorResponse(Diagnostic(severity: "ERROR", sqlState: "57014", message: "canceling statement due to user request")),
        .readyForQuery(.idle),
    ]

    /// F2's NoticeResponse.
    static let f2Notice = BackendMessage.noticeResponse(
        Diagnostic(
            severity: "NOTICE", sqlState: "01000",
            message: "streaming SUBSCRIBE rows directly requires a client that does not buffer output"))

    /// F2's RowDescription (mz_timestamp, mz_progressed, mz_diff, id).
    static let f2RowDescription = BackendMessage.rowDescription(
        RowDescription(columns: [
            .init(name: "mz_timestamp", dataType: .numeric, dataTypeSize: -1, typeModifier: 2_555_908),
            .init(name: "mz_progressed", dataType: .bool, dataTypeSize: 1),
            .init(name: "mz_diff", dataType: .int8, dataTypeSize: 8),
            .init(name: "id", dataType: .int4, dataTypeSize: 4),
        ]))

    /// Builds a DataRow from text values (`nil` is NULL).
    static func dataRow(_ values: [String?]) -> BackendMessage {
        var writer = ByteWriter()
        for value in values {
            if let value {
                writer.writeInt32(Int32(value.utf8.count))
                writer.writeBytes(value.utf8)
            } else {
                writer.writeInt32(-1)
            }
        }
        return .dataRow(DataRow(columnCount: values.count, bytes: writer.bytes[...]))
    }

    /// A session touching every backend message type, for drip-feed tests.
    static let everyMessage: [BackendMessage] = [
        .authentication(.sasl(mechanisms: ["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"])),
        .authentication(.saslContinue(data: Array("r=abc,s=c2FsdA==,i=4096".utf8))),
        .authentication(.saslFinal(data: Array("v=cHJvb2Y=".utf8))),
        .authentication(.ok),
        .parameterStatus(name: "server_version", value: "9.5.0"),
        .parameterStatus(name: "TimeZone", value: "UTC"),
        .backendKeyData(BackendKeyData(processID: 1234, secretKey: 0x1234_5678)),
        .noticeResponse(Diagnostic(severity: "NOTICE", sqlState: "00000", message: "welcome\nto Materialize")),
        .readyForQuery(.idle),
        f2RowDescription,
        f2Notice,
        dataRow(["1700000000000", "t", nil, nil]),
        dataRow(["1700000000000", "f", "1", "1"]),
        dataRow([]),
        .commandComplete(tag: "FETCH 3"),
        .emptyQueryResponse,
        .notificationResponse(processID: 7, channel: "chan", payload: "hello"),
        .copyOutResponse(CopyFormat(format: .binary, columnFormats: [.binary, .binary, .binary])),
        .copyData([0xFF, 0xFF][...]),
        .copyData([][...]),
        .copyDone,
        .commandComplete(tag: "COPY 1"),
        .errorResponse(Diagnostic(severity: "ERROR", sqlState: "42704", message: "relation 'materialize.public.t' was dropped")),
        .readyForQuery(.failed),
    ]
}
