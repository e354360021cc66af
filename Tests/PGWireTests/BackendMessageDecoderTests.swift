import PGWire
import Testing

@Suite struct BackendMessageDecoderTests {
    /// Feeds `chunks` in order, draining after each, and returns every message decoded.
    private func decode(_ chunks: [[UInt8]], maximumMessageSize: Int = 64 << 20) throws -> [BackendMessage] {
        var decoder = BackendMessageDecoder(maximumMessageSize: maximumMessageSize)
        var messages: [BackendMessage] = []
        for chunk in chunks {
            decoder.feed(chunk)
            while let message = try decoder.next() { messages.append(message) }
        }
        #expect(decoder.bufferedByteCount == 0)
        return messages
    }

    private func split(_ bytes: [UInt8], at points: [Int]) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        var start = 0
        for point in points + [bytes.count] {
            chunks.append(Array(bytes[start..<point]))
            start = point
        }
        return chunks
    }

    @Test func decodesAStreamAsOneChunk() throws {
        let stream = CodecFixtures.stream(CodecFixtures.everyMessage)
        #expect(try decode([stream]) == CodecFixtures.everyMessage)
    }

    @Test func decodesAStreamSplitAtEveryPoint() throws {
        let stream = CodecFixtures.stream(CodecFixtures.everyMessage)
        for point in 0...stream.count {
            let messages = try decode(split(stream, at: [point]))
            #expect(messages == CodecFixtures.everyMessage, "split at \(point)")
        }
    }

    @Test func decodesAStreamOneByteAtATime() throws {
        let stream = CodecFixtures.stream(CodecFixtures.everyMessage)
        #expect(try decode(stream.map { [$0] }) == CodecFixtures.everyMessage)
    }

    @Test func decodesChunksFedBeforeAnyIsDrained() throws {
        // The caller may feed several reads before calling next(); they queue in order.
        let stream = CodecFixtures.stream(CodecFixtures.everyMessage)
        for size in [1, 3, 7, 50] {
            var decoder = BackendMessageDecoder()
            var start = 0
            while start < stream.count {
                decoder.feed(Array(stream[start..<min(start + size, stream.count)]))
                start += size
            }
            decoder.feed([])
            var messages: [BackendMessage] = []
            while let message = try decoder.next() { messages.append(message) }
            #expect(messages == CodecFixtures.everyMessage, "chunks of \(size)")
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test func f7ThreeReadsEndingInsideLengthFields() throws {
        let stream = CodecFixtures.stream(Array(CodecFixtures.f1.prefix(3)))
        #expect(stream.count == 72)
        #expect(Array(stream[16..<21]) == [0x64, 0x00, 0x00, 0x00, 0x1C])
        var decoder = BackendMessageDecoder()
        decoder.feed(Array(stream[0..<19]))
        #expect(try decoder.next() == CodecFixtures.f1[0])
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 3)
        decoder.feed(Array(stream[19..<47]))
        #expect(try decoder.next() == CodecFixtures.f1[1])
        #expect(try decoder.next() == nil)
        decoder.feed(Array(stream[47..<72]))
        #expect(try decoder.next() == CodecFixtures.f1[2])
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 0)

        #expect(try decode([stream]) == Array(CodecFixtures.f1.prefix(3)))
        #expect(try decode(stream.map { [$0] }) == Array(CodecFixtures.f1.prefix(3)))
    }

    @Test func f7WithANoticeBetweenTheCopyData() throws {
        let messages = [CodecFixtures.f1[0], CodecFixtures.f1[1], CodecFixtures.f2Notice] + CodecFixtures.f1[2...]
        let stream = CodecFixtures.stream(messages)
        #expect(try decode(split(stream, at: [19, 47])) == messages)
        #expect(try decode(stream.map { [$0] }) == messages)
        for point in 0...stream.count {
            #expect(try decode(split(stream, at: [point])) == messages, "split at \(point)")
        }
    }

    @Test func aMessageInsideOneChunkIsASliceOfThatChunk() throws {
        let chunk = CodecFixtures.stream([CodecFixtures.f1[0], CodecFixtures.f1[1]])
        var decoder = BackendMessageDecoder()
        decoder.feed(chunk)
        _ = try decoder.next()
        guard case .copyData(let data) = try decoder.next() else {
            Issue.record("expected CopyData")
            return
        }
        #expect(data.startIndex == 21)
        let chunkBase = chunk.withUnsafeBufferPointer { $0.baseAddress! }
        let dataBase = data.withUnsafeBufferPointer { $0.baseAddress! }
        #expect(dataBase == chunkBase + 21, "the payload must share the chunk's storage, not copy it")
    }

    @Test func aLargeMessageStraddlingManyChunksIsAssembled() throws {
        let body = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let stream = CodecFixtures.stream([.copyData(body[...]), .copyDone])
        var chunks: [[UInt8]] = []
        var start = 0
        while start < stream.count {
            chunks.append(Array(stream[start..<min(start + 65_536, stream.count)]))
            start += 65_536
        }
        let messages = try decode(chunks)
        #expect(messages.count == 2)
        guard case .copyData(let data) = messages.first else {
            Issue.record("expected CopyData")
            return
        }
        #expect(data.elementsEqual(body))
        #expect(messages.last == .copyDone)
    }

    @Test func aShortReadReturnsNilAndLosesNothing() throws {
        let bytes = CodecFixtures.bytes("5A 00 00 00 05 49")
        var decoder = BackendMessageDecoder()
        decoder.feed(Array(bytes[0..<5]))
        #expect(try decoder.next() == nil)
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 5)
        decoder.feed([bytes[5]])
        #expect(try decoder.next() == .readyForQuery(.idle))
        #expect(try decoder.next() == nil)
    }

    @Test func nextFrameReturnsTheRawFrameOfAnyType() throws {
        var decoder = BackendMessageDecoder()
        decoder.feed(CodecFixtures.bytes("76 00 00 00 06 AB CD 5A 00 00 00 05 49"))
        let frame = try #require(try decoder.nextFrame())
        #expect(frame.type == UInt8(ascii: "v"))
        #expect(Array(frame.payload) == [0xAB, 0xCD])
        #expect(try decoder.next() == .readyForQuery(.idle))
    }

    // MARK: - Malformed framing

    @Test(arguments: [0, 1, 3])
    func lengthBelowFourIsAProtocolViolation(_ splitPoint: Int) {
        // Split 1 puts the header across chunks, exercising the assembling path.
        let bytes = CodecFixtures.bytes("5A 00 00 00 05 49 64 00 00 00 03")
        var decoder = BackendMessageDecoder()
        let error = #expect(throws: PostgresError.self) {
            for chunk in split(bytes, at: splitPoint == 0 ? [] : [splitPoint + 6]) {
                decoder.feed(chunk)
                while try decoder.next() != nil {}
            }
        }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("invalid length 3 for message type 'd' (0x64)") == true)
    }

    @Test func negativeLengthIsAProtocolViolation() {
        var decoder = BackendMessageDecoder()
        decoder.feed(CodecFixtures.bytes("44 FF FF FF FF"))
        let error = #expect(throws: PostgresError.self) { try decoder.next() }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("invalid length -1") == true)
    }

    @Test func lengthAboveTheMaximumIsTooLarge() {
        var decoder = BackendMessageDecoder(maximumMessageSize: 1024)
        decoder.feed(CodecFixtures.bytes("44 00 00 04 01"))
        let error = #expect(throws: PostgresError.self) { try decoder.next() }
        #expect(error?.code == .messageTooLarge)
        #expect(
            error?.message
                == "message type 'D' (0x44) of 1025 bytes exceeds the maximum of 1024 bytes; "
                + "raise BackendMessageDecoder(maximumMessageSize:) if messages this large are expected")
    }

    @Test func theMaximumItselfIsAccepted() throws {
        let message = BackendMessage.copyData([UInt8](repeating: 7, count: 1020)[...])
        #expect(try decode([message.encoded()], maximumMessageSize: 1024) == [message])
    }

    @Test func aTooLargeLengthIsRefusedBeforeItsBodyArrives() {
        // The default 64 MiB limit: a forged 2 GiB length fails at once, reserving nothing.
        var decoder = BackendMessageDecoder()
        decoder.feed(CodecFixtures.bytes("64 7F FF FF FF"))
        let error = #expect(throws: PostgresError.self) { try decoder.next() }
        #expect(error?.code == .messageTooLarge)
        #expect(error?.message.contains("of 2147483647 bytes exceeds the maximum of 67108864 bytes") == true)
    }

    @Test func afterAnErrorTheDecoderStaysFailed() {
        var decoder = BackendMessageDecoder()
        decoder.feed(CodecFixtures.bytes("78 00 00 00 04"))
        let first = #expect(throws: PostgresError.self) { try decoder.next() }
        #expect(first?.message == "unexpected message type 'x' (0x78) from the server")
        #expect(decoder.hasFailed)
        decoder.feed(CodecFixtures.bytes("5A 00 00 00 05 49"))
        let second = #expect(throws: PostgresError.self) { try decoder.next() }
        #expect(second == first)
        let third = #expect(throws: PostgresError.self) { try decoder.nextFrame() }
        #expect(third == first)
    }

    @Test func aMalformedPayloadInsideAStreamFailsTheDecoder() throws {
        var decoder = BackendMessageDecoder()
        decoder.feed(CodecFixtures.bytes("5A 00 00 00 05 49 44 00 00 00 0A 00 01 00 00 00 09 41"))
        #expect(try decoder.next() == .readyForQuery(.idle))
        let error = #expect(throws: PostgresError.self) { try decoder.next() }
        #expect(error?.message.contains("column 0 of 1 claims 9 bytes but only 0 remain") == true)
        #expect(decoder.hasFailed)
    }

    @Test func truncatedPayloadWaitsForMoreBytesInsteadOfFailing() throws {
        // A frame whose length promises more bytes is a short read, not an error.
        var decoder = BackendMessageDecoder()
        decoder.feed(CodecFixtures.bytes("43 00 00 00 0B 43 4F 50"))
        #expect(try decoder.next() == nil)
        #expect(!decoder.hasFailed)
        decoder.feed(CodecFixtures.bytes("59 20 31 00"))
        #expect(try decoder.next() == .commandComplete(tag: "COPY 1"))
    }
}

extension BackendMessageDecoderTests {
    /// Corrupts each byte of a valid stream in turn: every outcome must be messages, a short read or
    /// a thrown error (never a trap or a hang), and the decoder must never return more bytes than fed.
    @Test(arguments: [UInt8(0x00), 0x7F, 0xFF])
    func corruptingAnyByteNeverTraps(_ replacement: UInt8) {
        let stream = CodecFixtures.stream(CodecFixtures.everyMessage)
        var failures = 0
        for position in stream.indices {
            var corrupt = stream
            corrupt[position] = replacement
            var decoder = BackendMessageDecoder(maximumMessageSize: 4096)
            decoder.feed(corrupt)
            var decoded = 0
            do {
                while try decoder.next() != nil { decoded += 1 }
            } catch {
                failures += 1
                #expect(!error.message.isEmpty)
            }
            #expect(decoded <= CodecFixtures.everyMessage.count)
        }
        #expect(failures > 0)
    }
}
