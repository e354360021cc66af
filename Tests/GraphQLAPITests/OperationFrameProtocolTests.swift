import GraphQLAPI
import Testing

/// Framing of shared, pre-encoded payloads for both protocols (exact bytes).
@Suite struct OperationFrameProtocolTests {
    static let payload = Array(#"{"data":{"live_pnl":{"account":"a","pnl":1.5}}}"#.utf8)

    @Test func nextFrame() {
        #expect(
            OperationFrame.next(id: "sub-1", payload: Self.payload)
                == Array(#"{"id":"sub-1","type":"next","payload":{"data":{"live_pnl":{"account":"a","pnl":1.5}}}}"#.utf8))
    }

    @Test func dataFrame() {
        #expect(
            OperationFrame.data(id: "1", payload: Self.payload)
                == Array(#"{"id":"1","type":"data","payload":{"data":{"live_pnl":{"account":"a","pnl":1.5}}}}"#.utf8))
    }

    @Test(arguments: [
        ("a\"b", #"a\"b"#),
        ("back\\slash", #"back\\slash"#),
        ("line\nfeed\r\t", #"line\nfeed\r\t"#),
        ("\u{0}\u{1f}\u{8}\u{c}", #"\u0000\u001f\b\f"#),
        ("ünï😀", "ünï😀"),
        ("</script>", "</script>"),
    ])
    func idsAreEscaped(_ id: String, _ escaped: String) {
        #expect(
            OperationFrame.next(id: id, payload: Array("{}".utf8))
                == Array(#"{"id":"\#(escaped)","type":"next","payload":{}}"#.utf8))
    }

    @Test func frameSharesThePayloadAndWritesIntoABuffer() {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        _ = machine.connectionAccepted(ackPayload: nil)
        _ = machine.received(text: #"{"id":"x","type":"subscribe","payload":{"query":"{ a }"}}"#)
        guard case .send(let first) = machine.operationEmitted(id: "x", payload: Self.payload),
            case .send(let second) = machine.operationEmitted(id: "x", payload: Self.payload)
        else {
            Issue.record("expected frames")
            return
        }
        #expect(first.prefix == Array(#"{"id":"x","type":"next","payload":"#.utf8))
        #expect(first == second)
        var buffer = Array("previous|".utf8)
        first.write(into: &buffer)
        #expect(buffer == Array("previous|".utf8) + OperationFrame.next(id: "x", payload: Self.payload))
        #expect(first.count == OperationFrame.next(id: "x", payload: Self.payload).count)
        #expect(OperationFrame.suffix == UInt8(ascii: "}"))
    }
}
