import PGWire
import Testing

@Suite struct FrontendMessageDecoderTests {
    /// A cleartext-password session: SSLRequest refused with `N`, then startup, password, queries.
    static let session: [FrontendMessage] = [
        .sslRequest,
        .startup(
            StartupParameters(
                user: "materialize", database: "materialize", applicationName: "tycostream",
                options: "--cluster=prod --welcome_message=off")),
        .password("mzp_secret"),
        .query("SUBSCRIBE (SELECT id FROM t) WITH (PROGRESS)"),
        .query(""),
        .copyFail(message: "COPY IN refused"),
        .terminate,
    ]

    private static func encode(_ messages: [FrontendMessage]) -> [UInt8] {
        var writer = ByteWriter()
        for message in messages { message.encode(into: &writer) }
        return writer.bytes
    }

    /// Feeds `chunks`, draining after each, with the server expecting passwords for `p`.
    private func decode(_ chunks: [[UInt8]]) throws -> [FrontendMessage] {
        var decoder = FrontendMessageDecoder()
        decoder.authenticationResponse = .password
        var messages: [FrontendMessage] = []
        for chunk in chunks {
            decoder.feed(chunk)
            while let message = try decoder.next() { messages.append(message) }
        }
        #expect(decoder.bufferedByteCount == 0)
        return messages
    }

    @Test func decodesASessionAsOneChunk() throws {
        #expect(try decode([Self.encode(Self.session)]) == Self.session)
    }

    @Test func decodesASessionSplitAtEveryPoint() throws {
        let stream = Self.encode(Self.session)
        for point in 0...stream.count {
            let messages = try decode([Array(stream[..<point]), Array(stream[point...])])
            #expect(messages == Self.session, "split at \(point)")
        }
    }

    @Test func decodesASessionOneByteAtATime() throws {
        let stream = Self.encode(Self.session)
        #expect(try decode(stream.map { [$0] }) == Self.session)
    }

    @Test func switchesFromUntypedToTypedOnlyAfterStartup() throws {
        var decoder = FrontendMessageDecoder()
        #expect(decoder.isAwaitingStartup)
        decoder.feed(Self.encode([.gssEncryptionRequest]))
        #expect(try decoder.next() == .gssEncryptionRequest)
        #expect(decoder.isAwaitingStartup)
        decoder.feed(Self.encode([.sslRequest]))
        #expect(try decoder.next() == .sslRequest)
        #expect(decoder.bufferedByteCount == 0)
        #expect(decoder.isAwaitingStartup)
        decoder.feed(Self.encode([.startup(StartupParameters(user: "u")), .terminate]))
        #expect(try decoder.next() == .startup(StartupParameters(user: "u")))
        #expect(!decoder.isAwaitingStartup)
        #expect(try decoder.next() == .terminate)
        #expect(try decoder.next() == nil)
    }

    @Test func bytesPipelinedAfterAnSSLRequestAreVisible() throws {
        // A server must refuse these rather than read them as if they had come over TLS.
        var decoder = FrontendMessageDecoder()
        decoder.feed(Self.encode([.sslRequest, .startup(StartupParameters(user: "u"))]))
        #expect(try decoder.next() == .sslRequest)
        #expect(decoder.bufferedByteCount == 16)
    }

    @Test func followsTheSASLExchangeAsTheServerSetsIt() throws {
        var decoder = FrontendMessageDecoder()
        decoder.feed(Self.encode([.startup(StartupParameters(user: "u"))]))
        #expect(try decoder.next() == .startup(StartupParameters(user: "u")))
        let initial = FrontendMessage.saslInitialResponse(mechanism: "SCRAM-SHA-256", data: Array("n,,n=,r=abc".utf8))
        let final = FrontendMessage.saslResponse(data: Array("c=biws,r=abcdef,p=cHJvb2Y=".utf8))
        decoder.feed(Self.encode([initial, final]))
        decoder.authenticationResponse = .saslInitialResponse
        #expect(try decoder.next() == initial)
        decoder.authenticationResponse = .saslResponse
        #expect(try decoder.next() == final)
        decoder.authenticationResponse = nil
        decoder.feed(Self.encode([.password("late")]))
        let error = #expect(throws: PostgresError.self) { try decoder.next() }
        #expect(error?.message.contains("no authentication request is outstanding") == true)
    }

    @Test func aCancelRequestEndsTheConversation() throws {
        var decoder = FrontendMessageDecoder()
        let key = BackendKeyData(processID: 42, secretKey: -7)
        decoder.feed(Self.encode([.cancelRequest(key)]))
        #expect(try decoder.next() == .cancelRequest(key))
        #expect(try decoder.next() == nil)
        decoder.feed(Self.encode([.terminate]))
        let error = #expect(throws: PostgresError.self) { try decoder.next() }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message == "5 bytes after a CancelRequest; the client must close the connection")
    }

    @Test func aStartupPacketAboveTenThousandBytesIsRefused() {
        var decoder = FrontendMessageDecoder()
        decoder.feed(CodecFixtures.bytes("00 00 27 11 00 03 00 00"))
        let error = #expect(throws: PostgresError.self) { try decoder.next() }
        #expect(error?.code == .messageTooLarge)
        #expect(error?.message.contains("an untyped message of 10001 bytes exceeds the maximum of 10000 bytes") == true)
    }

    @Test func anUntypedLengthBelowFourIsRefused() {
        var decoder = FrontendMessageDecoder()
        decoder.feed(CodecFixtures.bytes("00 00 00 02"))
        let error = #expect(throws: PostgresError.self) { try decoder.next() }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("invalid length 2 for an untyped message") == true)
    }

    @Test func anUntypedMessageWithoutACodeIsRefused() {
        var decoder = FrontendMessageDecoder()
        decoder.feed(CodecFixtures.bytes("00 00 00 04"))
        let error = #expect(throws: PostgresError.self) { try decoder.next() }
        #expect(error?.message.contains("truncated: the protocol version or request code needs 4 bytes") == true)
    }

    @Test func aTypedMessageAboveTheMaximumIsRefused() throws {
        var decoder = FrontendMessageDecoder(maximumMessageSize: 100)
        decoder.feed(Self.encode([.startup(StartupParameters(user: "u"))]) + CodecFixtures.bytes("51 00 00 00 65"))
        #expect(try decoder.next() == .startup(StartupParameters(user: "u")))
        let error = #expect(throws: PostgresError.self) { try decoder.next() }
        #expect(error?.code == .messageTooLarge)
        #expect(
            error?.message
                == "message type 'Q' (0x51) of 101 bytes exceeds the maximum of 100 bytes; "
                + "raise FrontendMessageDecoder(maximumMessageSize:) if messages this large are expected")
    }

    @Test func anUnknownProtocolVersionFailsTheDecoderForGood() {
        var decoder = FrontendMessageDecoder()
        decoder.feed(CodecFixtures.bytes("00 00 00 08 00 03 00 02"))
        let first = #expect(throws: PostgresError.self) { try decoder.next() }
        #expect(first?.code == .unsupported)
        #expect(decoder.hasFailed)
        decoder.feed(Self.encode([.sslRequest]))
        let second = #expect(throws: PostgresError.self) { try decoder.next() }
        #expect(second == first)
    }

    @Test func aTypedLengthBelowFourIsRefused() throws {
        var decoder = FrontendMessageDecoder()
        decoder.feed(Self.encode([.startup(StartupParameters(user: "u"))]) + CodecFixtures.bytes("51 00 00 00 00"))
        #expect(try decoder.next() == .startup(StartupParameters(user: "u")))
        let error = #expect(throws: PostgresError.self) { try decoder.next() }
        #expect(error?.message.contains("invalid length 0 for message type 'Q' (0x51)") == true)
    }
}

extension FrontendMessageDecoderTests {
    /// Corrupts each byte of a valid session in turn: messages, a short read or an error, never a trap.
    @Test(arguments: [UInt8(0x00), 0x7F, 0xFF])
    func corruptingAnyByteNeverTraps(_ replacement: UInt8) {
        let stream = Self.encode(Self.session)
        var failures = 0
        for position in stream.indices {
            var corrupt = stream
            corrupt[position] = replacement
            var decoder = FrontendMessageDecoder(maximumMessageSize: 4096)
            decoder.authenticationResponse = .saslInitialResponse
            decoder.feed(corrupt)
            do {
                while try decoder.next() != nil {}
            } catch {
                failures += 1
                #expect(!error.message.isEmpty)
            }
        }
        #expect(failures > 0)
    }
}
