import GraphQL
import GraphQLAPI
import OrderedCollections
import Testing

/// A text frame holding exactly these characters.
func sendText(_ json: String) -> WSAction { .sendText(Array(json.utf8)) }

@Suite struct TransportWSProtocolTests {
    static let subscribeA = #"{"id":"a","type":"subscribe","payload":{"query":"subscription { trades { id } }"}}"#
    static let requestA = OperationRequest(query: "subscription { trades { id } }")

    func ready(_ configuration: WSConfiguration = WSConfiguration()) -> TransportWSProtocol {
        var machine = TransportWSProtocol(configuration: configuration)
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        _ = machine.connectionAccepted(ackPayload: nil)
        return machine
    }

    func subscribe(_ id: String, query: String = "{ a }") -> String {
        var writer = ""
        for scalar in id.unicodeScalars {
            switch scalar {
            case "\"": writer += "\\\""
            case "\\": writer += "\\\\"
            case "\n": writer += "\\n"
            default: writer.unicodeScalars.append(scalar)
            }
        }
        return #"{"id":"\#(writer)","type":"subscribe","payload":{"query":"\#(query)"}}"#
    }

    // MARK: Connection initialisation

    @Test func openedArmsTheInitTimer() {
        var machine = TransportWSProtocol(configuration: WSConfiguration(connectionInitTimeout: .seconds(3)))
        #expect(machine.opened() == [.armTimer(.connectionInit, .seconds(3))])
    }

    @Test func defaultInitTimeoutIsTenSeconds() {
        var machine = TransportWSProtocol()
        #expect(machine.opened() == [.armTimer(.connectionInit, .seconds(10))])
    }

    @Test func connectionInitAsksTheDriverToAuthorize() {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        let actions = machine.received(text: #"{"type":"connection_init","payload":{"token":"s3cret","n":2}}"#)
        let payload: Map = .dictionary(["token": .string("s3cret"), "n": .number(2)])
        #expect(actions == [.cancelTimer(.connectionInit), .authorize(payload: payload)])
    }

    @Test(arguments: [#"{"type":"connection_init"}"#, #"{"type":"connection_init","payload":null}"#])
    func connectionInitWithoutPayload(_ text: String) {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        #expect(machine.received(text: text) == [.cancelTimer(.connectionInit), .authorize(payload: nil)])
    }

    @Test func acceptedConnectionIsAcknowledged() {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        #expect(machine.connectionAccepted(ackPayload: nil) == [sendText(#"{"type":"connection_ack"}"#)])
    }

    @Test func ackCarriesAnOptionalPayload() {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        let payload: Map = .dictionary(["server": .string("tycostream"), "v": .number(1), "ok": .bool(true)])
        #expect(
            machine.connectionAccepted(ackPayload: payload)
                == [sendText(#"{"type":"connection_ack","payload":{"server":"tycostream","v":1,"ok":true}}"#)])
    }

    @Test func rejectedConnectionClosesForbidden() {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        #expect(machine.connectionRejected(message: "bad token") == [.close(code: .forbidden, reason: "Forbidden")])
        #expect(WSCloseCode.forbidden.rawValue == 4403)
        #expect(machine.isClosed)
    }

    @Test func secondInitWhileAuthorizingCloses4429() {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        #expect(
            machine.received(text: #"{"type":"connection_init"}"#)
                == [.close(code: .tooManyInitialisationRequests, reason: "Too many initialisation requests")])
        #expect(WSCloseCode.tooManyInitialisationRequests.rawValue == 4429)
        // The hook's late answer is ignored once closed.
        #expect(machine.connectionAccepted(ackPayload: nil) == [])
    }

    @Test func secondInitAfterAckCloses4429AndStopsOperations() {
        var machine = ready()
        _ = machine.received(text: Self.subscribeA)
        #expect(
            machine.received(text: #"{"type":"connection_init"}"#)
                == [
                    .stopOperation(id: "a"),
                    .close(code: .tooManyInitialisationRequests, reason: "Too many initialisation requests"),
                ])
    }

    @Test func initTimeoutCloses4408() {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        #expect(
            machine.timerFired(.connectionInit)
                == [
                    .cancelTimer(.connectionInit),
                    .close(code: .connectionInitialisationTimeout, reason: "Connection initialisation timeout"),
                ])
        #expect(WSCloseCode.connectionInitialisationTimeout.rawValue == 4408)
        #expect(machine.received(text: #"{"type":"connection_init"}"#) == [])
    }

    @Test func lateInitTimerIsIgnored() {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        #expect(machine.timerFired(.connectionInit) == [])
        #expect(machine.connectionAccepted(ackPayload: nil) == [sendText(#"{"type":"connection_ack"}"#)])
        #expect(machine.timerFired(.connectionInit) == [])
        #expect(machine.timerFired(.keepAlive) == [])
    }

    // MARK: Ping and pong

    @Test func pingIsAnsweredBeforeInitDuringAuthorizationAndAfterAck() {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        #expect(machine.received(text: #"{"type":"ping"}"#) == [sendText(#"{"type":"pong"}"#)])
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        #expect(machine.received(text: #"{"type":"ping","payload":{"t":1}}"#) == [sendText(#"{"type":"pong"}"#)])
        _ = machine.connectionAccepted(ackPayload: nil)
        #expect(machine.received(text: #"{"type":"ping","payload":null}"#) == [sendText(#"{"type":"pong"}"#)])
    }

    @Test func pongIsIgnored() {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        #expect(machine.received(text: #"{"type":"pong"}"#) == [])
        #expect(machine.received(text: #"{"type":"pong","payload":{"x":[1,2]}}"#) == [])
        #expect(!machine.isClosed)
    }

    // MARK: Subscribe

    @Test func subscribeBeforeInitCloses4401() {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        #expect(
            machine.received(text: Self.subscribeA)
                == [.cancelTimer(.connectionInit), .close(code: .unauthorized, reason: "Unauthorized")])
        #expect(WSCloseCode.unauthorized.rawValue == 4401)
    }

    @Test func subscribeWhileAuthorizingCloses4401() {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        #expect(machine.received(text: Self.subscribeA) == [.close(code: .unauthorized, reason: "Unauthorized")])
    }

    @Test func subscribeStartsTheOperation() {
        var machine = ready()
        #expect(machine.received(text: Self.subscribeA) == [.startOperation(id: "a", request: Self.requestA)])
        #expect(machine.activeOperationIDs == ["a"])
    }

    @Test func subscribeCarriesVariablesOperationNameAndExtensionsAndIgnoresUnknownFields() throws {
        var machine = ready()
        let text = """
            {"extra":true,"id":"op-1","type":"subscribe","payload":{
              "query":"subscription S($w: tradesExpression) { trades(where: $w) { id } }",
              "variables":{"w":{"price":{"_gt":10.5}},"n":-3,"s":"x\\"y\\u00e9\\ud83d\\ude00","l":[null,true,false]},
              "operationName":"S",
              "extensions":{"persistedQuery":{"version":1}},
              "unknown":{"ignored":1}
            }}
            """
        let actions = machine.received(text: text)
        let expected = OperationRequest(
            query: "subscription S($w: tradesExpression) { trades(where: $w) { id } }",
            variables: [
                "w": .dictionary(["price": .dictionary(["_gt": .number(10.5)])]),
                "n": .number(-3),
                "s": .string("x\"yé😀"),
                "l": .array([.null, .bool(true), .bool(false)]),
            ],
            operationName: "S",
            extensions: ["persistedQuery": .dictionary(["version": .number(1)])])
        #expect(actions == [.startOperation(id: "op-1", request: expected)])
        let request = try #require(actions.first.flatMap { if case .startOperation(_, let r) = $0 { r } else { nil } })
        #expect(request.graphQLRequest.operationName == "S")
        #expect(request.graphQLRequest.variables["n"] == .number(-3))
    }

    @Test func jsonEdgeCasesInVariables() {
        var machine = ready()
        let text = #"""
            { "type" : "subscribe" , "id" : "\u0061" , "payload" : { "query" : "{ a }", "variables" : {
              "big": 12345678901234567890, "neg0": -0, "exp": 2.5E+2, "small": -1e-3,
              "pair": "\ud83d\ude00", "lone": "\ud83dx", "esc": "\/\b\f\n\r\t",
              "k\"ey": [], "dup": 1, "dup": 2, "empty": {}
            } } }
            """#
        let variables: [String: Map] = [
            "big": .number(Number(12345678901234567890.0)), "neg0": .number(0), "exp": .number(250.0),
            "small": .number(-0.001), "pair": .string("😀"), "lone": .string("\u{FFFD}x"),
            "esc": .string("/\u{8}\u{c}\n\r\t"), "k\"ey": .array([]), "dup": .number(2),
            "empty": .dictionary([:]),
        ]
        #expect(machine.received(text: text) == [.startOperation(id: "a", request: OperationRequest(query: "{ a }", variables: variables))])
    }

    @Test func ackPayloadNumbersAndNestingAreEncodedAsJSON() {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        let payload: Map = .dictionary([
            "d": .number(1.5), "whole": .number(2.0), "huge": .number(1e20), "nan": .number(Number(Double.nan)),
            "list": .array([.null, .string("q\"\u{1}"), .dictionary([:])]), "gone": .undefined,
        ])
        #expect(
            machine.connectionAccepted(ackPayload: payload)
                == [sendText(#"{"type":"connection_ack","payload":{"d":1.5,"whole":2,"huge":1e+20,"nan":null,"list":[null,"q\"\u0001",{}]}}"#)])
    }

    @Test func nullOptionalPayloadFieldsAreAbsent() {
        var machine = ready()
        let text = #"{"id":"a","type":"subscribe","payload":{"query":"{ a }","variables":null,"operationName":null,"extensions":null}}"#
        #expect(machine.received(text: text) == [.startOperation(id: "a", request: OperationRequest(query: "{ a }"))])
    }

    @Test func duplicateActiveIDCloses4409() {
        var machine = ready()
        _ = machine.received(text: Self.subscribeA)
        #expect(
            machine.received(text: Self.subscribeA)
                == [.stopOperation(id: "a"), .close(code: .subscriberAlreadyExists, reason: "Subscriber for a already exists")])
        #expect(WSCloseCode.subscriberAlreadyExists.rawValue == 4409)
    }

    @Test func duplicateLongIDUsesAReasonThatFitsACloseFrame() {
        var machine = ready()
        let id = String(repeating: "x", count: 200)
        _ = machine.received(text: subscribe(id))
        let actions = machine.received(text: subscribe(id))
        #expect(actions.last == .close(code: .subscriberAlreadyExists, reason: "Subscriber for <id> already exists"))
    }

    @Test func idIsReusableAfterCompletion() {
        var machine = ready()
        _ = machine.received(text: Self.subscribeA)
        #expect(machine.operationCompleted(id: "a") == [sendText(#"{"id":"a","type":"complete"}"#)])
        #expect(machine.received(text: Self.subscribeA) == [.startOperation(id: "a", request: Self.requestA)])
        #expect(machine.received(text: #"{"id":"a","type":"complete"}"#) == [.stopOperation(id: "a")])
        #expect(machine.received(text: Self.subscribeA) == [.startOperation(id: "a", request: Self.requestA)])
    }

    // MARK: Next, Error, Complete

    @Test func nextFramesTheSharedPayloadExactly() {
        var machine = ready()
        _ = machine.received(text: Self.subscribeA)
        let payload = Array(#"{"data":{"trades":{"id":1}}}"#.utf8)
        let action = machine.operationEmitted(id: "a", payload: payload)
        guard case .send(let frame) = action else {
            Issue.record("expected a frame, got \(action)")
            return
        }
        #expect(frame.bytes == Array(#"{"id":"a","type":"next","payload":{"data":{"trades":{"id":1}}}}"#.utf8))
        #expect(frame.payload == payload)
        #expect(frame.count == frame.bytes.count)
    }

    @Test func nextFrameEscapesTheID() {
        var machine = ready()
        let id = "q\"\\\n1é"
        #expect(machine.received(text: subscribe(id)) == [.startOperation(id: id, request: OperationRequest(query: "{ a }"))])
        let action = machine.operationEmitted(id: id, payload: Array(#"{"data":null}"#.utf8))
        #expect(action == .send(OperationFrame(prefix: Array(#"{"id":"q\"\\\n1é","type":"next","payload":"#.utf8), payload: Array(#"{"data":null}"#.utf8))))
    }

    @Test func singleResultOperationIsNextThenComplete() {
        var machine = ready()
        _ = machine.received(text: #"{"id":"1","type":"subscribe","payload":{"query":"query { trades_triggers { name } }"}}"#)
        let next = machine.operationEmitted(id: "1", payload: Array(#"{"data":{"trades_triggers":[]}}"#.utf8))
        #expect(next != .drop)
        #expect(machine.operationCompleted(id: "1") == [sendText(#"{"id":"1","type":"complete"}"#)])
        #expect(machine.operationEmitted(id: "1", payload: [0x7B, 0x7D]) == .drop)
        #expect(machine.activeOperationIDs.isEmpty)
    }

    @Test func clientCompleteStopsWithoutAServerComplete() {
        var machine = ready()
        _ = machine.received(text: Self.subscribeA)
        #expect(machine.received(text: #"{"id":"a","type":"complete"}"#) == [.stopOperation(id: "a")])
        #expect(machine.operationEmitted(id: "a", payload: [0x7B, 0x7D]) == .drop)
        #expect(machine.operationCompleted(id: "a") == [])
        #expect(machine.operationFailed(id: "a", errors: [GraphQLError(message: "x")]) == [])
    }

    @Test func completeForUnknownIDIsIgnored() {
        var machine = ready()
        #expect(machine.received(text: #"{"id":"nope","type":"complete"}"#) == [])
        #expect(!machine.isClosed)
        var early = TransportWSProtocol()
        _ = early.opened()
        #expect(early.received(text: #"{"id":"nope","type":"complete"}"#) == [])
        #expect(!early.isClosed)
    }

    @Test func driverEventsForUnknownIDsAreIgnored() {
        var machine = ready()
        #expect(machine.operationEmitted(id: "x", payload: []) == .drop)
        #expect(machine.operationCompleted(id: "x") == [])
        #expect(machine.operationFailed(id: "x", errors: []) == [])
    }

    @Test func operationFailedSendsGraphQLErrorsAndEndsTheOperation() {
        var machine = ready()
        _ = machine.received(text: Self.subscribeA)
        let errors = [
            GraphQLError(
                message: "Cannot query field \"nope\" on type \"trades\".",
                locations: [SourceLocation(line: 1, column: 24)]),
            GraphQLError(message: "second", path: ["trades", 0], extensions: ["code": .string("E")]),
        ]
        #expect(
            machine.operationFailed(id: "a", errors: errors) == [
                sendText(
                    #"{"id":"a","type":"error","payload":[{"message":"Cannot query field \"nope\" on type \"trades\".","locations":[{"line":1,"column":24}]},{"message":"second","path":["trades",0],"extensions":{"code":"E"}}]}"#
                )
            ])
        #expect(machine.operationEmitted(id: "a", payload: []) == .drop)
        #expect(machine.operationCompleted(id: "a") == [])
    }

    // MARK: Invalid messages

    @Test(arguments: [
        ("hello", "Invalid JSON at byte 0: unexpected character"),
        ("", "Invalid JSON at byte 0: unexpected end of input"),
        ("[]", "Message must be a JSON object"),
        ("{}", "\"type\" must be a string"),
        (#"{"type":1}"#, "\"type\" must be a string"),
        (#"{"type":"connection_init"} x"#, "Invalid JSON at byte 27: unexpected data after the JSON value"),
        (#"{"type":"connection_init","payload":[1]}"#, "\"payload\" must be an object or null"),
        (#"{"type":"ping","payload":"hi"}"#, "\"payload\" must be an object or null"),
        (#"{"type":"subscribe","payload":{"query":"{ a }"}}"#, "\"id\" must be a non-empty string"),
        (#"{"type":"subscribe","id":7,"payload":{"query":"{ a }"}}"#, "\"id\" must be a non-empty string"),
        (#"{"type":"subscribe","id":"","payload":{"query":"{ a }"}}"#, "\"id\" must be a non-empty string"),
        (#"{"type":"subscribe","id":"a"}"#, "\"payload\" must be an object"),
        (#"{"type":"subscribe","id":"a","payload":{}}"#, "\"payload.query\" must be a string"),
        (#"{"type":"subscribe","id":"a","payload":{"query":1}}"#, "\"payload.query\" must be a string"),
        (#"{"type":"subscribe","id":"a","payload":{"query":"q","variables":[]}}"#, "\"payload.variables\" must be an object or null"),
        (#"{"type":"subscribe","id":"a","payload":{"query":"q","operationName":3}}"#, "\"payload.operationName\" must be a string or null"),
        (#"{"type":"subscribe","id":"a","payload":{"query":"q","extensions":"e"}}"#, "\"payload.extensions\" must be an object or null"),
        (#"{"type":"complete"}"#, "\"id\" must be a non-empty string"),
        (#"{"type":"start","id":"a"}"#, "Invalid message 'type' property \"start\""),
        (#"{"type":"next","id":"a","payload":{}}"#, "Unexpected message of type next received"),
        (#"{"type":"error","id":"a","payload":[]}"#, "Unexpected message of type error received"),
        (#"{"type":"connection_ack"}"#, "Unexpected message of type connection_ack received"),
    ])
    func invalidMessagesClose4400(_ text: String, _ reason: String) {
        var machine = ready()
        _ = machine.received(text: Self.subscribeA)
        #expect(
            machine.received(text: text) == [.stopOperation(id: "a"), .close(code: .badRequest, reason: reason)])
        #expect(WSCloseCode.badRequest.rawValue == 4400)
        #expect(machine.isClosed)
        #expect(machine.received(text: #"{"type":"ping"}"#) == [])
    }

    @Test(arguments: [
        #"{"type":"ping","payload":{"a":01}}"#, #"{"type":"ping","payload":{"a":1.}}"#, #"{"type":"ping","payload":{"a":-}}"#,
        #"{"type":"ping","payload":{"a":"\x"}}"#, #"{"type":"ping","payload":{"a":"\u12"}}"#, "{\"type\":\"ping\",\"payload\":{\"a\":\"\u{01}\"}}",
        #"{"type":"ping","payload":{"a":tru}}"#, #"{"type":"ping","payload":{"a":1,}}"#, #"{"type":"ping","payload":{"a" 1}}"#,
        #"{"type":"ping","payload":{"a":[1 2]}}"#, #"{"type":"ping","payload":{"a":1e999}}"#, #"{"type":"ping""#,
        #"{'type':'ping'}"#, #"{"type":"ping","payload":{"a":"unterminated}}"#,
    ])
    func malformedJSONCloses4400(_ text: String) {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        let actions = machine.received(text: text)
        #expect(actions.count == 2)
        guard case .close(let code, let reason)? = actions.last else {
            Issue.record("expected a close, got \(actions)")
            return
        }
        #expect(code == .badRequest)
        #expect(reason.hasPrefix("Invalid JSON at byte "))
    }

    @Test func deepNestingIsRejectedNotRecursedInto() {
        var machine = ready(WSConfiguration(maximumNestingDepth: 8))
        let deep = String(repeating: "[", count: 100_000)
        let actions = machine.received(text: #"{"type":"ping","payload":{"a":\#(deep)"#)
        #expect(actions == [.close(code: .badRequest, reason: "Invalid JSON at byte 36: nesting deeper than 8 levels")])
        var shallow = ready(WSConfiguration(maximumNestingDepth: 8))
        #expect(shallow.received(text: #"{"type":"ping","payload":{"a":[[[[[[1]]]]]]}}"#) == [sendText(#"{"type":"pong"}"#)])
    }

    @Test func binaryMessageCloses4400() {
        var machine = ready()
        _ = machine.received(text: Self.subscribeA)
        #expect(
            machine.receivedBinary()
                == [.stopOperation(id: "a"), .close(code: .badRequest, reason: "Binary messages are not supported")])
        #expect(machine.receivedBinary() == [])
    }

    // MARK: Limits

    @Test func oversizedMessageCloses1009() {
        var machine = ready(WSConfiguration(maximumMessageSize: 64))
        let exactly64 = #"{"type":"ping","payload":{"pad":"\#(String(repeating: "x", count: 28))"}}"#
        #expect(exactly64.utf8.count == 64)
        #expect(machine.received(text: exactly64) == [sendText(#"{"type":"pong"}"#)])
        let tooBig = #"{"type":"ping","payload":{"pad":"\#(String(repeating: "x", count: 29))"}}"#
        #expect(machine.received(text: tooBig) == [.close(code: .messageTooBig, reason: "Message too big")])
        #expect(WSCloseCode.messageTooBig.rawValue == 1009)
    }

    @Test func operationsOverTheLimitGetAnErrorAndTheConnectionStays() {
        var machine = ready(WSConfiguration(maximumActiveOperations: 2))
        #expect(machine.received(text: subscribe("1")).count == 1)
        #expect(machine.received(text: subscribe("2")).count == 1)
        #expect(
            machine.received(text: subscribe("3")) == [
                sendText(
                    #"{"id":"3","type":"error","payload":[{"message":"Too many active operations: at most 2 per connection; complete one before starting another"}]}"#
                )
            ])
        #expect(machine.activeOperationIDs == ["1", "2"])
        #expect(machine.operationEmitted(id: "3", payload: []) == .drop)
        _ = machine.received(text: #"{"id":"1","type":"complete"}"#)
        #expect(machine.received(text: subscribe("3")) == [.startOperation(id: "3", request: OperationRequest(query: "{ a }"))])
    }

    // MARK: Closing

    @Test func closedByPeerStopsEveryOperation() {
        var machine = ready()
        _ = machine.received(text: subscribe("b"))
        _ = machine.received(text: subscribe("a"))
        #expect(machine.closedByPeer() == [.stopOperation(id: "a"), .stopOperation(id: "b")])
        #expect(machine.operationEmitted(id: "a", payload: []) == .drop)
        #expect(machine.operationCompleted(id: "a") == [])
        #expect(machine.closedByPeer() == [])
        #expect(machine.shutdown() == [])
    }

    @Test func closedByPeerBeforeInitCancelsTheTimer() {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        #expect(machine.closedByPeer() == [.cancelTimer(.connectionInit)])
        #expect(machine.timerFired(.connectionInit) == [])
    }

    @Test func closedWhileAuthorizingIgnoresTheHooksAnswer() {
        var machine = TransportWSProtocol()
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        #expect(machine.closedByPeer() == [])
        #expect(machine.connectionAccepted(ackPayload: nil) == [])
        #expect(machine.connectionRejected(message: "no") == [])
    }

    @Test func shutdownCloses1001() {
        var machine = ready()
        _ = machine.received(text: Self.subscribeA)
        #expect(
            machine.shutdown() == [.stopOperation(id: "a"), .close(code: .goingAway, reason: "Server shutting down")])
    }

    @Test func subprotocolNotAcceptableAction() {
        #expect(WSAction.subprotocolNotAcceptable == .close(code: .subprotocolNotAcceptable, reason: "Subprotocol not acceptable"))
        #expect(WSCloseCode.subprotocolNotAcceptable.rawValue == 4406)
    }

    @Test func unknownTypeReasonIsLimitedToACloseFrame() {
        var machine = ready()
        let type = String(repeating: "é", count: 100)
        let actions = machine.received(text: #"{"type":"\#(type)"}"#)
        guard case .close(_, let reason)? = actions.last else {
            Issue.record("expected a close")
            return
        }
        #expect(reason.utf8.count <= WSCloseCode.maximumReasonBytes)
        #expect(reason.hasPrefix("Invalid message 'type' property \"éé"))
    }
}
