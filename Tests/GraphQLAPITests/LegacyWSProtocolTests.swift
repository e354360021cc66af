import GraphQL
import GraphQLAPI
import OrderedCollections
import Testing

@Suite struct LegacyWSProtocolTests {
    static let ack = sendText(#"{"type":"connection_ack"}"#)
    static let ka = sendText(#"{"type":"ka"}"#)

    func start(_ id: String, query: String = "{ a }") -> String {
        #"{"id":"\#(id)","type":"start","payload":{"query":"\#(query)"}}"#
    }

    func request(_ query: String = "{ a }") -> OperationRequest { OperationRequest(query: query) }

    func ready(_ configuration: WSConfiguration = WSConfiguration()) -> LegacyWSProtocol {
        var machine = LegacyWSProtocol(configuration: configuration)
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init","payload":{}}"#)
        _ = machine.connectionAccepted(ackPayload: nil)
        return machine
    }

    // MARK: Connection

    @Test func openedArmsTheInitTimer() {
        var machine = LegacyWSProtocol()
        #expect(machine.opened() == [.armTimer(.connectionInit, .seconds(10))])
    }

    @Test func initAuthorizesThenAckAndKeepAlive() {
        var machine = LegacyWSProtocol(configuration: WSConfiguration(keepAliveInterval: .seconds(7)))
        _ = machine.opened()
        #expect(
            machine.received(text: #"{"type":"connection_init","payload":{"authToken":"t"}}"#)
                == [.cancelTimer(.connectionInit), .authorize(payload: .dictionary(["authToken": .string("t")]))])
        #expect(machine.connectionAccepted(ackPayload: nil) == [Self.ack, Self.ka, .armTimer(.keepAlive, .seconds(7))])
    }

    @Test func keepAliveTimerSendsKaAndRearms() {
        var machine = ready(WSConfiguration(keepAliveInterval: .seconds(5)))
        #expect(machine.timerFired(.keepAlive) == [Self.ka, .armTimer(.keepAlive, .seconds(5))])
        #expect(machine.timerFired(.keepAlive) == [Self.ka, .armTimer(.keepAlive, .seconds(5))])
        #expect(machine.timerFired(.connectionInit) == [])
    }

    @Test func noKeepAliveWhenDisabled() {
        var machine = LegacyWSProtocol(configuration: WSConfiguration(keepAliveInterval: nil))
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        #expect(machine.connectionAccepted(ackPayload: nil) == [Self.ack])
        #expect(machine.timerFired(.keepAlive) == [])
        #expect(machine.closedByPeer() == [])
    }

    @Test func ackPayloadIsNotSentOnTheLegacyProtocol() {
        var machine = LegacyWSProtocol(configuration: WSConfiguration(keepAliveInterval: nil))
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        #expect(machine.connectionAccepted(ackPayload: .dictionary(["a": .number(1)])) == [Self.ack])
    }

    @Test func rejectionSendsConnectionErrorThenCloses() {
        var machine = LegacyWSProtocol()
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        #expect(
            machine.connectionRejected(message: "Prohibited connection!") == [
                sendText(#"{"type":"connection_error","payload":{"message":"Prohibited connection!"}}"#),
                .close(code: .forbidden, reason: "Forbidden"),
            ])
        #expect(machine.isClosed)
    }

    @Test func initTimeoutCloses4408() {
        var machine = LegacyWSProtocol()
        _ = machine.opened()
        #expect(
            machine.timerFired(.connectionInit) == [
                .cancelTimer(.connectionInit),
                .close(code: .connectionInitialisationTimeout, reason: "Connection initialisation timeout"),
            ])
    }

    @Test func secondInitGetsConnectionErrorAndChangesNothing() {
        var machine = ready()
        _ = machine.received(text: start("1"))
        #expect(
            machine.received(text: #"{"type":"connection_init"}"#)
                == [sendText(#"{"type":"connection_error","payload":{"message":"connection_init was already received"}}"#)])
        #expect(machine.activeOperationIDs == ["1"])
        #expect(!machine.isClosed)
    }

    @Test func connectionTerminateCloses1000AndStopsEverything() {
        var machine = ready()
        _ = machine.received(text: start("2"))
        _ = machine.received(text: start("1"))
        #expect(
            machine.received(text: #"{"type":"connection_terminate"}"#) == [
                .cancelTimer(.keepAlive), .stopOperation(id: "1"), .stopOperation(id: "2"),
                .close(code: .normalClosure, reason: ""),
            ])
        #expect(machine.received(text: start("3")) == [])
        #expect(machine.timerFired(.keepAlive) == [])
    }

    // MARK: Operations

    @Test func startStartsTheOperation() {
        var machine = ready()
        let text = #"{"id":"1","type":"start","payload":{"query":"subscription { trades { id } }","variables":{"x":1},"operationName":null}}"#
        #expect(
            machine.received(text: text)
                == [.startOperation(id: "1", request: OperationRequest(query: "subscription { trades { id } }", variables: ["x": .number(1)]))])
    }

    @Test func dataFramesTheSharedPayloadExactly() {
        var machine = ready()
        _ = machine.received(text: start("7"))
        let payload = Array(#"{"data":{"trades":{"id":1}}}"#.utf8)
        #expect(
            machine.operationEmitted(id: "7", payload: payload)
                == .send(OperationFrame(prefix: Array(#"{"id":"7","type":"data","payload":"#.utf8), payload: payload)))
        #expect(OperationFrame.data(id: "7", payload: payload) == Array(#"{"id":"7","type":"data","payload":{"data":{"trades":{"id":1}}}}"#.utf8))
    }

    @Test func stopStopsAndAnswersComplete() {
        var machine = ready()
        _ = machine.received(text: start("1"))
        #expect(
            machine.received(text: #"{"id":"1","type":"stop"}"#)
                == [.stopOperation(id: "1"), sendText(#"{"id":"1","type":"complete"}"#)])
        #expect(machine.operationEmitted(id: "1", payload: []) == .drop)
        #expect(machine.operationCompleted(id: "1") == [])
        #expect(machine.received(text: #"{"id":"1","type":"stop"}"#) == [])
    }

    @Test func sourceEndSendsComplete() {
        var machine = ready()
        _ = machine.received(text: start("1"))
        #expect(machine.operationCompleted(id: "1") == [sendText(#"{"id":"1","type":"complete"}"#)])
        #expect(machine.operationEmitted(id: "1", payload: []) == .drop)
        #expect(machine.operationCompleted(id: "1") == [])
    }

    @Test func failureSendsTheFirstErrorWithoutComplete() {
        var machine = ready()
        _ = machine.received(text: start("1"))
        let errors = [GraphQLError(message: "Unknown field \"x\"."), GraphQLError(message: "second")]
        #expect(
            machine.operationFailed(id: "1", errors: errors)
                == [sendText(#"{"id":"1","type":"error","payload":{"message":"Unknown field \"x\"."}}"#)])
        #expect(machine.operationCompleted(id: "1") == [])
        _ = machine.received(text: start("2"))
        #expect(
            machine.operationFailed(id: "2", errors: [])
                == [sendText(#"{"id":"2","type":"error","payload":{"message":"The operation failed"}}"#)])
    }

    @Test func startWithAnActiveIDReplacesTheOperation() {
        var machine = ready()
        _ = machine.received(text: start("1"))
        #expect(
            machine.received(text: start("1", query: "{ b }"))
                == [.stopOperation(id: "1"), .startOperation(id: "1", request: request("{ b }"))])
        #expect(machine.activeOperationIDs == ["1"])
    }

    @Test func startBeforeInitGetsAnError() {
        var machine = LegacyWSProtocol()
        _ = machine.opened()
        #expect(
            machine.received(text: start("1"))
                == [sendText(#"{"id":"1","type":"error","payload":{"message":"Send connection_init before starting operations"}}"#)])
        #expect(!machine.isClosed)
    }

    @Test func startsWhileAuthorizingAreQueuedAndStartedAfterTheAck() {
        var machine = LegacyWSProtocol(configuration: WSConfiguration(keepAliveInterval: nil))
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        #expect(machine.received(text: start("1")) == [])
        #expect(machine.received(text: start("2")) == [])
        #expect(machine.received(text: start("3")) == [])
        #expect(machine.received(text: start("1", query: "{ b }")) == [])
        #expect(machine.received(text: #"{"id":"2","type":"stop"}"#) == [sendText(#"{"id":"2","type":"complete"}"#)])
        #expect(machine.received(text: #"{"id":"9","type":"stop"}"#) == [])
        #expect(
            machine.connectionAccepted(ackPayload: nil) == [
                Self.ack, .startOperation(id: "1", request: request("{ b }")), .startOperation(id: "3", request: request()),
            ])
        #expect(machine.activeOperationIDs == ["1", "3"])
    }

    @Test func queuedStartsAreDroppedWhenTheHookRejects() {
        var machine = LegacyWSProtocol()
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        _ = machine.received(text: start("1"))
        let actions = machine.connectionRejected(message: "no")
        #expect(!actions.contains { if case .startOperation = $0 { true } else { false } })
        #expect(actions.last == .close(code: .forbidden, reason: "Forbidden"))
    }

    @Test func queueIsBounded() {
        var machine = LegacyWSProtocol(configuration: WSConfiguration(maximumActiveOperations: 1, keepAliveInterval: nil))
        _ = machine.opened()
        _ = machine.received(text: #"{"type":"connection_init"}"#)
        #expect(machine.received(text: start("1")) == [])
        #expect(
            machine.received(text: start("2")) == [
                sendText(
                    #"{"id":"2","type":"error","payload":{"message":"Too many active operations: at most 1 per connection; complete one before starting another"}}"#
                )
            ])
        #expect(machine.connectionAccepted(ackPayload: nil) == [Self.ack, .startOperation(id: "1", request: request())])
    }

    @Test func operationsOverTheLimitGetAnError() {
        var machine = ready(WSConfiguration(maximumActiveOperations: 1))
        _ = machine.received(text: start("1"))
        let actions = machine.received(text: start("2"))
        #expect(actions.count == 1)
        #expect(actions.first.map { if case .sendText = $0 { true } else { false } } == true)
        // Replacing an active id is not a new operation.
        #expect(machine.received(text: start("1")) == [.stopOperation(id: "1"), .startOperation(id: "1", request: request())])
    }

    // MARK: Invalid input

    @Test(arguments: [
        ("hello", "Invalid JSON at byte 0: unexpected character"),
        ("[1]", "Message must be a JSON object"),
        (#"{"id":"1"}"#, "\"type\" must be a string"),
        (#"{"type":"start","payload":{"query":"q"}}"#, "\"id\" must be a non-empty string"),
        (#"{"type":"stop","id":5}"#, "\"id\" must be a non-empty string"),
        (#"{"type":"connection_init","payload":"x"}"#, "\"payload\" must be an object or null"),
    ])
    func unparseableMessagesGetConnectionErrorAndAreIgnored(_ text: String, _ message: String) {
        var machine = ready()
        _ = machine.received(text: start("1"))
        var writer = #"{"type":"connection_error","payload":{"message":""#
        writer += String(message.flatMap { $0 == "\"" ? ["\\", "\""] : [$0] }) + #""}}"#
        #expect(machine.received(text: text) == [sendText(writer)])
        #expect(!machine.isClosed)
        #expect(machine.activeOperationIDs == ["1"])
    }

    @Test func invalidStartPayloadGetsAnErrorForThatID() {
        var machine = ready()
        #expect(
            machine.received(text: #"{"id":"1","type":"start","payload":{"query":5}}"#)
                == [sendText(#"{"id":"1","type":"error","payload":{"message":"\"payload.query\" must be a string"}}"#)])
        #expect(machine.activeOperationIDs.isEmpty)
    }

    @Test func unknownTypeGetsInvalidMessageType() {
        var machine = ready()
        #expect(
            machine.received(text: #"{"id":"4","type":"subscribe"}"#)
                == [sendText(#"{"id":"4","type":"error","payload":{"message":"Invalid message type!"}}"#)])
        #expect(
            machine.received(text: #"{"type":"ping"}"#)
                == [sendText(#"{"type":"error","payload":{"message":"Invalid message type!"}}"#)])
        #expect(!machine.isClosed)
    }

    @Test func binaryCloses1003() {
        var machine = ready(WSConfiguration(keepAliveInterval: nil))
        _ = machine.received(text: start("1"))
        #expect(
            machine.receivedBinary()
                == [.stopOperation(id: "1"), .close(code: .unsupportedData, reason: "Binary messages are not supported")])
        #expect(WSCloseCode.unsupportedData.rawValue == 1003)
    }

    @Test func oversizedMessageCloses1009() {
        var machine = ready(WSConfiguration(maximumMessageSize: 64, keepAliveInterval: nil))
        #expect(machine.received(text: String(repeating: " ", count: 65)) == [.close(code: .messageTooBig, reason: "Message too big")])
    }

    @Test func closedByPeerStopsOperationsAndKeepAlive() {
        var machine = ready()
        _ = machine.received(text: start("1"))
        #expect(machine.closedByPeer() == [.cancelTimer(.keepAlive), .stopOperation(id: "1")])
        #expect(machine.operationEmitted(id: "1", payload: []) == .drop)
        #expect(machine.shutdown() == [])
    }

    @Test func shutdownCloses1001() {
        var machine = ready(WSConfiguration(keepAliveInterval: nil))
        #expect(machine.shutdown() == [.close(code: .goingAway, reason: "Server shutting down")])
    }
}
