import GraphQLAPI
import LiveViews
import Logging
import NIOCore
import Synchronization
import Testing
@testable import Server

/// The lifecycle log lines of WebSocket connections, captured from a real server: every line
/// of a connection carries its id, subscriptions name their operation id, source and why they
/// ended, and nothing a client sent as a value reaches the log.
@Suite struct ConnectionLogTests {
    static let subscription = #"subscription { items { operation fields data { id label } } }"#

    @Test func logsAConnectionAndItsSubscriptionsWithTheirIDs() async throws {
        let log = CapturedLog()
        try await TestServer.with(logger: log.logger) { port, _ in
            try await RawClient.connect(port: port) { client in
                _ = try await client.upgrade(protocols: ["graphql-transport-ws"])
                // A secret-looking payload and filter value: neither may be logged.
                try await client.send(#"{"type":"connection_init","payload":{"token":"hunter2-token"}}"#)
                #expect(try await client.receiveMessage() == .text(#"{"type":"connection_ack"}"#))
                try await client.send(#"{"type":"subscribe","id":"a","payload":{"query":"\#(Self.subscription)"}}"#)
                for _ in 0..<2 { _ = try await client.receiveMessage() }
                try await client.send(#"{"type":"complete","id":"a"}"#)
                let filtered = #"subscription { items(where: {label: {_eq: \"hunter2-filter\"}}) { operation data { id } } }"#
                try await client.send(#"{"type":"subscribe","id":"b","payload":{"query":"\#(filtered)"}}"#)
                _ = try await log.waitFor { $0.message == "subscription started" && $0.metadata["operation"] == "b" }
                _ = try await log.waitFor { $0.message == "subscription ended" && $0.metadata["operation"] == "a" }
            }
            _ = try await log.waitFor { $0.message == "websocket connection closed" }
        }
        let records = log.records
        let opened = try #require(records.first { $0.message == "websocket connection opened" })
        #expect(opened.level == .info)
        let connection = try #require(opened.metadata["connection"])
        #expect(Int(connection) != nil)
        #expect(opened.metadata["protocol"] == "graphql-transport-ws")
        #expect(opened.metadata["remote"]?.hasPrefix("127.0.0.1:") == true)

        let started = records.filter { $0.message == "subscription started" }
        #expect(started.map { $0.metadata["operation"] } == ["a", "b"])
        #expect(started.allSatisfy { $0.level == .debug && $0.metadata["source"] == "items" && $0.metadata["connection"] == connection })

        let ended = records.filter { $0.message == "subscription ended" }
        let endedA = try #require(ended.first { $0.metadata["operation"] == "a" })
        #expect(endedA.metadata["reason"] == "client stop")
        #expect(endedA.level == .debug)
        let endedB = try #require(ended.first { $0.metadata["operation"] == "b" })
        #expect(endedB.metadata["reason"] == "connection closed")
        #expect(endedB.metadata["connection"] == connection)

        let closed = try #require(records.first { $0.message == "websocket connection closed" })
        #expect(closed.level == .info)
        #expect(closed.metadata["connection"] == connection)
        #expect(closed.metadata["closed_by"] == "client")
        #expect(closed.metadata["close_code"] == nil)
        #expect(closed.metadata["remote"] == opened.metadata["remote"])
        #expect(closed.metadata["messages_sent"] == "3")  // connection_ack and the two rows of `a`
        #expect(Int(closed.metadata["bytes_sent"] ?? "") ?? 0 > 0)
        #expect(Int(closed.metadata["duration_ms"] ?? "") != nil)

        for record in records {
            #expect(!record.text.contains("hunter2"), "a client value reached the log: \(record.text)")
        }
    }

    @Test func connectionsGetDistinctIDsAndServerClosesAreLoggedWithTheirCode() async throws {
        let log = CapturedLog()
        try await TestServer.with(logger: log.logger) { port, _ in
            try await RawClient.connect(port: port) { client in
                _ = try await client.upgrade(protocols: ["graphql-ws"])
                try await client.send(#"{"type":"connection_init"}"#)
                _ = try await client.receiveMessage()
                try await client.send(#"{"type":"connection_terminate"}"#)
                _ = try await client.receiveMessage()
            }
            try await RawClient.connect(port: port) { client in
                _ = try await client.upgrade(protocols: nil)
                #expect(try await client.receiveMessage() == .close(code: 4406, reason: "Subprotocol not acceptable"))
            }
            _ = try await log.waitFor(count: 2) { $0.message == "websocket connection closed" }
        }
        let opened = log.records.filter { $0.message == "websocket connection opened" }
        let closed = log.records.filter { $0.message == "websocket connection closed" }
        #expect(opened.map { $0.metadata["protocol"] } == ["graphql-ws", "none"])
        let ids = opened.compactMap { $0.metadata["connection"].flatMap { Int($0) } }
        #expect(ids.count == 2)
        #expect(ids.first.map { $0 < ids[1] } == true)
        let legacy = try #require(closed.first { $0.metadata["connection"] == String(ids[0]) })
        #expect(legacy.metadata["closed_by"] == "server")
        #expect(legacy.metadata["close_code"] == "1000")
        let refused = try #require(closed.first { $0.metadata["connection"] == String(ids[1]) })
        #expect(refused.metadata["close_code"] == "4406")
        #expect(refused.metadata["close_reason"] == "Subprotocol not acceptable")
        #expect(refused.metadata["messages_sent"] == "0")
    }

    @Test func logsSubscriptionsEndedByOverflowAndBySourceFailure() async throws {
        let log = CapturedLog()
        let options = SubscriptionOptions(capacity: 1, hardLimit: 2)
        try await TestServer.with(subscriptionOptions: options, logger: log.logger) { port, items in
            try await RawClient.connect(port: port) { client in
                _ = try await client.upgrade(protocols: ["graphql-transport-ws"])
                try await client.send(#"{"type":"connection_init"}"#)
                _ = try await client.receiveMessage()
                try await client.send(#"{"type":"subscribe","id":"slow","payload":{"query":"\#(Self.subscription)"}}"#)
                for _ in 0..<2 { _ = try await client.receiveMessage() }
                let rows = (10..<510).map { SourceChange.upsert([.integer($0), .string("r\($0)"), .string("low")]) }
                try await items.apply(SourceBatch(timestamp: 2, changes: rows))
                _ = try await log.waitFor { $0.message == "subscription ended" && $0.metadata["operation"] == "slow" }

                try await client.send(#"{"type":"subscribe","id":"doomed","payload":{"query":"\#(Self.subscription)"}}"#)
                _ = try await log.waitFor { $0.message == "subscription started" && $0.metadata["operation"] == "doomed" }
                await items.fail(LiveViewsError(.sourceFailed, "the feed broke"))
                _ = try await log.waitFor { $0.message == "subscription ended" && $0.metadata["operation"] == "doomed" }
            }
        }
        let ended = log.records.filter { $0.message == "subscription ended" }
        let slow = try #require(ended.first { $0.metadata["operation"] == "slow" })
        #expect(slow.metadata["reason"] == "overflow")
        #expect(slow.level == .info)
        #expect(slow.metadata["source"] == "items")
        let doomed = try #require(ended.first { $0.metadata["operation"] == "doomed" })
        #expect(doomed.metadata["reason"] == "source failure")
        #expect(doomed.metadata["error"]?.contains("the feed broke") == true)
        #expect(doomed.metadata["connection"] == slow.metadata["connection"])
    }

    @Test func describesPeerAddresses() throws {
        #expect(ConnectionLog.describe(try SocketAddress(ipAddress: "10.1.2.3", port: 5555)) == "10.1.2.3:5555")
        #expect(ConnectionLog.describe(try SocketAddress(ipAddress: "::1", port: 80)) == "[::1]:80")
        #expect(ConnectionLog.describe(nil) == nil)
    }
}

// MARK: - Support

/// A log of every record a logger made, through a `LogHandler` of our own (no global
/// bootstrap, so suites running in parallel keep their own records).
final class CapturedLog: Sendable {
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]

        /// Everything the record says, for checks that a value never appears.
        var text: String { message + " " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
    }

    private let state = Mutex<[Record]>([])

    var records: [Record] { state.withLock { $0 } }

    var logger: Logger {
        var logger = Logger(label: "ConnectionLogTests") { _ in Handler(log: self) }
        logger.logLevel = .debug
        return logger
    }

    func append(_ record: Record) { state.withLock { $0.append(record) } }

    /// The `count`th record matching `predicate`, waiting for it up to 5 s.
    func waitFor(count: Int = 1, _ predicate: (Record) -> Bool) async throws -> Record {
        for _ in 0..<500 {
            let matching = records.filter(predicate)
            if matching.count >= count { return matching[count - 1] }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("no such log record; got:\n" + records.map(\.text).joined(separator: "\n"))
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            log.append(Record(
                level: event.level, message: event.message.description,
                metadata: merged.mapValues { $0.description }))
        }
    }
}
