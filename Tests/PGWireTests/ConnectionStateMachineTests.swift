import PGWire
import Testing

@Suite struct ConnectionStateMachineTests {
    typealias Action = ConnectionStateMachine.Action

    static func machine(tls: ConnectionStateMachine.TLSMode = .disable, password: String? = "secret") -> ConnectionStateMachine {
        ConnectionStateMachine(configuration: .init(
            startup: StartupParameters(user: "alice", database: "db"),
            password: password, tls: tls, scramNonce: "rOprNGfwEbeRWgbNEkqO"))
    }

    static func bytes(_ message: FrontendMessage) -> [UInt8] {
        var writer = ByteWriter()
        message.encode(into: &writer)
        return writer.bytes
    }

    /// Runs the machine from start to ready with trust authentication.
    static func readyMachine() -> ConnectionStateMachine {
        var machine = machine()
        _ = machine.start()
        _ = machine.received(.authentication(.ok))
        _ = machine.received(.backendKeyData(BackendKeyData(processID: 7, secretKey: 99)))
        _ = machine.received(.readyForQuery(.idle))
        precondition(machine.isReady)
        return machine
    }

    @Test func trustStartupSendsStartupAndReportsSession() {
        var machine = Self.machine()
        let startup = machine.start()
        // StartupMessage: length, protocol 3.0, user/database pairs, terminating NUL.
        let expected: [UInt8] = [0, 0, 0, 32, 0, 3, 0, 0] + Array("user\0alice\0database\0db\0".utf8) + [0]
        #expect(startup == .write(expected))
        #expect(machine.received(.authentication(.ok)) == .none)
        #expect(machine.received(.parameterStatus(name: "server_version", value: "15.4")) == .none)
        #expect(machine.received(.backendKeyData(BackendKeyData(processID: 1, secretKey: 2))) == .none)
        let notice = Diagnostic(severity: "NOTICE", sqlState: "00000", message: "welcome")
        #expect(machine.received(.noticeResponse(notice)) == .notice(notice))
        let connected = machine.received(.readyForQuery(.idle))
        #expect(connected == .connected(.init(
            parameters: ["server_version": "15.4"], backendKey: BackendKeyData(processID: 1, secretKey: 2))))
        #expect(machine.isReady)
    }

    @Test func cleartextPassword() {
        var machine = Self.machine()
        _ = machine.start()
        #expect(machine.received(.authentication(.cleartextPassword)) == .write(Self.bytes(.password("secret"))))
        #expect(machine.received(.authentication(.ok)) == .none)
    }

    @Test func md5Password() {
        var machine = Self.machine()
        _ = machine.start()
        let action = machine.received(.authentication(.md5Password(salt: 0x0102_0304)))
        // md5(md5("secret" + "alice") hex + salt bytes 01 02 03 04), computed independently with Python's hashlib.
        #expect(action == .write(Self.bytes(.password(MD5.postgresPassword(user: "alice", password: "secret", salt: 0x0102_0304)))))
        guard case .write(let bytes) = action else { return }
        #expect(bytes.count == 1 + 4 + 35 + 1)
        #expect(Array(bytes[5..<8]) == Array("md5".utf8))
    }

    @Test func missingPasswordFails() {
        var machine = Self.machine(password: nil)
        _ = machine.start()
        guard case .writeAndClose(_, let error?) = machine.received(.authentication(.cleartextPassword)) else {
            Issue.record("expected a close with an error")
            return
        }
        #expect(error.code == .authentication)
        #expect(machine.isClosed)
    }

    @Test func wrongPasswordIsAnAuthenticationError() {
        var machine = Self.machine()
        _ = machine.start()
        _ = machine.received(.authentication(.cleartextPassword))
        let diagnostic = Diagnostic(severity: "FATAL", sqlState: "28P01", message: "password authentication failed for user \"alice\"")
        guard case .writeAndClose(_, let error?) = machine.received(.errorResponse(diagnostic)) else {
            Issue.record("expected a close with an error")
            return
        }
        #expect(error.code == .authentication)
        #expect(error.diagnostic == diagnostic)
        #expect(error.message.contains("check the user name and password"))
    }

    @Test func unsupportedMethodsAreRefused() {
        for request in [Authentication.kerberosV5, .gss, .sspi, .sasl(mechanisms: ["SCRAM-SHA-256-PLUS"])] {
            var machine = Self.machine()
            _ = machine.start()
            guard case .writeAndClose(_, let error?) = machine.received(.authentication(request)) else {
                Issue.record("expected \(request) to be refused")
                continue
            }
            #expect(error.code == .unsupported)
        }
    }

    @Test func scramStartsWithTheClientFirstMessage() {
        var machine = Self.machine()
        _ = machine.start()
        let action = machine.received(.authentication(.sasl(mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"])))
        let first = Array("n,,n=,r=rOprNGfwEbeRWgbNEkqO".utf8)
        #expect(action == .write(Self.bytes(.saslInitialResponse(mechanism: "SCRAM-SHA-256", data: first))))
    }

    @Test func scramRefusesAuthenticationOkBeforeTheServerProof() {
        var machine = Self.machine()
        _ = machine.start()
        _ = machine.received(.authentication(.sasl(mechanisms: ["SCRAM-SHA-256"])))
        guard case .writeAndClose(_, let error?) = machine.received(.authentication(.ok)) else {
            Issue.record("AuthenticationOk without a server signature must be refused")
            return
        }
        #expect(error.code == .authentication)
    }

    @Test func sslNegotiation() {
        var machine = Self.machine(tls: .prefer)
        #expect(machine.start() == .write([0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]))
        #expect(machine.awaitsSSLResponse)
        #expect(machine.sslResponse(UInt8(ascii: "S")) == .startTLS)
        guard case .write(let startup) = machine.tlsEstablished() else {
            Issue.record("expected the startup message after TLS")
            return
        }
        #expect(startup[4..<8] == [0, 3, 0, 0])
    }

    @Test func preferFallsBackToPlainText() {
        var machine = Self.machine(tls: .prefer)
        _ = machine.start()
        guard case .write(let startup) = machine.sslResponse(UInt8(ascii: "N")) else {
            Issue.record("expected the startup message")
            return
        }
        #expect(startup[4..<8] == [0, 3, 0, 0])
    }

    @Test func requireFailsWhenTheServerDeclines() {
        var machine = Self.machine(tls: .require)
        _ = machine.start()
        guard case .writeAndClose(_, let error?) = machine.sslResponse(UInt8(ascii: "N")) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.code == .tls)
        var garbage = Self.machine(tls: .require)
        _ = garbage.start()
        guard case .writeAndClose(_, let violation?) = garbage.sslResponse(UInt8(ascii: "H")) else {
            Issue.record("expected a failure")
            return
        }
        #expect(violation.code == .protocolViolation)
    }

    @Test func rowsFlowThenReady() {
        var machine = Self.readyMachine()
        #expect(machine.query("SELECT 1") == .write(Self.bytes(.query("SELECT 1"))))
        let description = RowDescription(columns: [.init(name: "a", dataType: .int4, dataTypeSize: 4)])
        #expect(machine.received(.rowDescription(description)) == .rowDescription(description))
        let row = DataRow(columnCount: 1, bytes: [0, 0, 0, 1, 0x31][...])
        #expect(machine.received(.dataRow(row)) == .dataRow(row))
        #expect(machine.received(.commandComplete(tag: "SELECT 1")) == .commandComplete(tag: "SELECT 1"))
        #expect(machine.received(.readyForQuery(.idle)) == .queryFinished(error: nil))
        #expect(machine.isReady)
    }

    @Test func copyOutFlowWithNoticeAndError() {
        var machine = Self.readyMachine()
        _ = machine.query("COPY (SUBSCRIBE t) TO STDOUT")
        let format = CopyFormat(format: .text, columnFormats: [.text, .text, .text])
        #expect(machine.received(.copyOutResponse(format)) == .copyOutStarted(format))
        let payload: ArraySlice<UInt8> = Array("1700000000000\t1\t5\n".utf8)[...]
        #expect(machine.received(.copyData(payload)) == .copyData(payload))
        let notice = Diagnostic(severity: "NOTICE", sqlState: "01000", message: "between rows")
        #expect(machine.received(.noticeResponse(notice)) == .notice(notice))
        #expect(machine.received(.copyData(payload)) == .copyData(payload))
        // Materialize ends a failed COPY with ErrorResponse and no CopyDone (protocol notes §6, F5).
        let dropped = Diagnostic(severity: "ERROR", sqlState: "42704", message: "relation 'materialize.public.t' was dropped")
        #expect(machine.received(.errorResponse(dropped)) == .none)
        #expect(machine.received(.readyForQuery(.idle)) == .queryFinished(error: .server(dropped)))
        #expect(machine.isReady)
    }

    @Test func copyOutFinishesNormally() {
        var machine = Self.readyMachine()
        _ = machine.query("COPY t TO STDOUT")
        _ = machine.received(.copyOutResponse(CopyFormat(format: .binary, columnFormats: [.binary])))
        #expect(machine.received(.copyDone) == .none)
        #expect(machine.received(.commandComplete(tag: "COPY 0")) == .commandComplete(tag: "COPY 0"))
        #expect(machine.received(.readyForQuery(.idle)) == .queryFinished(error: nil))
    }

    @Test func copyInIsRefusedWithCopyFail() {
        var machine = Self.readyMachine()
        _ = machine.query("COPY t FROM STDIN")
        let action = machine.received(.copyInResponse(CopyFormat(format: .text, columnFormats: [.text])))
        #expect(action == .write(Self.bytes(.copyFail(message: "tycostream does not send COPY FROM STDIN data"))))
        let diagnostic = Diagnostic(severity: "ERROR", sqlState: "57014", message: "COPY from stdin failed")
        #expect(machine.received(.errorResponse(diagnostic)) == .none)
        guard case .queryFinished(let error?) = machine.received(.readyForQuery(.idle)) else {
            Issue.record("expected the query to fail")
            return
        }
        #expect(error.code == .unsupported)
        #expect(machine.isReady)
    }

    @Test func copyBothClosesTheConnection() {
        var machine = Self.readyMachine()
        _ = machine.query("START_REPLICATION")
        guard case .writeAndClose(_, let error?) = machine.received(.copyBothResponse(CopyFormat(format: .binary, columnFormats: []))) else {
            Issue.record("expected a close")
            return
        }
        #expect(error.code == .unsupported)
    }

    @Test func outOfOrderMessagesAreProtocolViolations() {
        var idle = Self.readyMachine()
        guard case .writeAndClose(_, let error?) = idle.received(.dataRow(DataRow(columnCount: 0, bytes: []))) else {
            Issue.record("expected a protocol violation")
            return
        }
        #expect(error.code == .protocolViolation)
        #expect(idle.isClosed)

        var copying = Self.readyMachine()
        _ = copying.query("COPY t TO STDOUT")
        _ = copying.received(.copyOutResponse(CopyFormat(format: .text, columnFormats: [.text])))
        guard case .writeAndClose = copying.received(.dataRow(DataRow(columnCount: 0, bytes: []))) else {
            Issue.record("a DataRow inside COPY OUT is a protocol violation")
            return
        }
    }

    @Test func fatalErrorWhileIdleCloses() {
        var machine = Self.readyMachine()
        let fatal = Diagnostic(severity: "FATAL", sqlState: "57P01", message: "terminating connection due to administrator command")
        #expect(machine.received(.errorResponse(fatal)) == .writeAndClose([], .server(fatal)))
    }

    @Test func closeSendsTerminate() {
        var machine = Self.readyMachine()
        #expect(machine.close() == .writeAndClose([UInt8(ascii: "X"), 0, 0, 0, 4], nil))
        #expect(machine.close() == .none)
    }

    @Test func connectionLossDuringAQuery() {
        var machine = Self.readyMachine()
        _ = machine.query("SELECT pg_sleep(10)")
        guard case .writeAndClose(_, let error?) = machine.connectionClosed(error: nil) else {
            Issue.record("expected a close")
            return
        }
        #expect(error.code == .connectionClosed)
        #expect(error.message.contains("while a query was running"))
    }
}
