import GraphQLAPI
import LiveViews
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import Testing
import Webhooks
@testable import Server

/// `GET /metrics` over real sockets: the body is Prometheus text, and the series move with
/// real traffic. Each server records into its own registry (no global bootstrap), so these
/// tests run in parallel with each other and with every other suite.
@Suite struct MetricsTests {
    static let subscription = #"subscription { items { operation fields data { id label } } }"#

    @Test func exposesPrometheusTextThatMovesWithTraffic() async throws {
        try await Self.withServer { port, items, _ in
            let first = try await Self.scrape(port)
            for name in [
                "tycostream_websocket_connections", "tycostream_subscriptions_active", "tycostream_source_cache_rows",
                "tycostream_source_streaming", "tycostream_encoding_cache_hits_total", "tycostream_graphql_operations_total",
            ] {
                #expect(first.types[name] != nil, "no # TYPE for \(name)")
            }
            #expect(first.types["tycostream_websocket_messages_sent_total"] == "counter")
            #expect(first.types["tycostream_websocket_connections"] == "gauge")
            #expect(first["tycostream_source_cache_rows", ["source": "items"]] == 2)
            #expect(first["tycostream_source_streaming", ["source": "items"]] == 1)
            #expect(first["tycostream_websocket_connections"] == 0)
            #expect(first["tycostream_shared_views", ["source": "items"]] == 0)
            #expect(first.types["tycostream_shared_views"] == "gauge")
            #expect(first.types["tycostream_coalesced_events_total"] == "counter")
            #expect(first["tycostream_graphql_operations_total", ["operation": "subscription", "outcome": "ok"]] == 0)

            try await RawClient.connect(port: port) { client in
                _ = try await client.upgrade(protocols: ["graphql-transport-ws"])
                try await client.send(#"{"type":"connection_init"}"#)
                #expect(try await client.receiveMessage() == .text(#"{"type":"connection_ack"}"#))
                try await client.send(#"{"type":"subscribe","id":"a","payload":{"query":"\#(Self.subscription)"}}"#)
                for _ in 0..<2 { _ = try await client.receiveMessage() }  // the two rows of the snapshot
                try await items.apply(SourceBatch(timestamp: 2, changes: [.upsert([.integer(3), .string("three"), .string("mid")])]))
                let insert = try await client.receiveMessage()
                guard case .text(let text) = insert else { throw TestFailure("expected the insert, got \(String(describing: insert))") }

                let second = try await Self.scrape(port)
                #expect(second["tycostream_websocket_connections"] == 1)
                #expect(second["tycostream_subscriptions_active"] == 1)
                #expect(second["tycostream_shared_views", ["source": "items"]] == 1)
                #expect(second["tycostream_graphql_operations_total", ["operation": "subscription", "outcome": "ok"]] == 1)
                // connection_ack, two snapshot events and the insert.
                #expect(second["tycostream_websocket_messages_sent_total"] == 4)
                let bytes = try #require(second["tycostream_websocket_bytes_sent_total"])
                #expect(bytes >= Double(#"{"type":"connection_ack"}"#.utf8.count + text.utf8.count))
                #expect(second["tycostream_source_cache_rows", ["source": "items"]] == 3)
                // Each of the three events was encoded once for this projection.
                #expect(second["tycostream_encoding_cache_misses_total"] == 3)
                try await client.send(#"{"type":"complete","id":"a"}"#)
            }

            // Over HTTP: a query that runs and one that does not parse.
            for query in ["%7B+__typename+%7D", "%7B+nope"] {
                _ = try await RawClient.connect(port: port) { client in try await client.get("/graphql?query=\(query)") }
            }
            let third = try await Self.waitFor(port) { $0["tycostream_websocket_connections"] == 0 }
            #expect(third["tycostream_subscriptions_active"] == 0)
            #expect(third["tycostream_graphql_operations_total", ["operation": "query", "outcome": "ok"]] == 1)
            #expect(third["tycostream_graphql_operations_total", ["operation": "invalid", "outcome": "error"]] == 1)
            #expect(third["tycostream_websocket_messages_sent_total"] == 4)  // `complete` from the client gets no reply
        }
    }

    /// A subscriber that falls past its hard limit is ended with `subscriberOverflow`, and counted.
    @Test func countsSubscribersEndedForFallingBehind() async throws {
        let options = SubscriptionOptions(capacity: 1, hardLimit: 2)
        try await Self.withServer(subscriptionOptions: options) { port, items, _ in
            try await RawClient.connect(port: port) { client in
                _ = try await client.upgrade(protocols: ["graphql-transport-ws"])
                try await client.send(#"{"type":"connection_init"}"#)
                _ = try await client.receiveMessage()
                try await client.send(#"{"type":"subscribe","id":"a","payload":{"query":"\#(Self.subscription)"}}"#)
                for _ in 0..<2 { _ = try await client.receiveMessage() }
                // Hundreds of distinct keys in one batch: more pending keys than the limit allows.
                let rows = (10..<510).map { SourceChange.upsert([.integer($0), .string("r\($0)"), .string("low")]) }
                try await items.apply(SourceBatch(timestamp: 2, changes: rows))
                var sawError = false
                while let message = try await client.receiveMessage(), case .text(let text) = message {
                    if text.hasPrefix(#"{"id":"a","type":"error""#) {
                        sawError = true
                        break
                    }
                }
                #expect(sawError)
                let after = try await Self.waitFor(port) { $0["tycostream_subscriptions_active"] == 0 }
                #expect(after["tycostream_subscriber_overflows_total"] == 1)
                #expect(after["tycostream_websocket_connections"] == 1)
            }
        }
    }

    /// Identical subscriptions share one view; a different filter adds one; views nobody uses
    /// are dropped on the source's next batch.
    @Test func countsSharedViewsPerSource() async throws {
        try await Self.withServer { port, items, _ in
            try await RawClient.connect(port: port) { client in
                _ = try await client.upgrade(protocols: ["graphql-transport-ws"])
                try await client.send(#"{"type":"connection_init"}"#)
                _ = try await client.receiveMessage()
                for id in ["a", "b"] {
                    try await client.send(#"{"type":"subscribe","id":"\#(id)","payload":{"query":"\#(Self.subscription)"}}"#)
                    for _ in 0..<2 { _ = try await client.receiveMessage() }
                }
                let shared = try await Self.waitFor(port) { $0["tycostream_subscriptions_active"] == 2 }
                #expect(shared["tycostream_shared_views", ["source": "items"]] == 1)

                let high = #"subscription { items(where: {tier: {_eq: high}}) { operation data { id } } }"#
                try await client.send(#"{"type":"subscribe","id":"c","payload":{"query":"\#(high)"}}"#)
                _ = try await client.receiveMessage()
                let two = try await Self.waitFor(port) { $0["tycostream_subscriptions_active"] == 3 }
                #expect(two["tycostream_shared_views", ["source": "items"]] == 2)
            }
            _ = try await Self.waitFor(port) { $0["tycostream_subscriptions_active"] == 0 }
            try await items.apply(SourceBatch(timestamp: 2, changes: [.upsert([.integer(3), .string("three"), .string("mid")])]))
            let after = try await Self.scrape(port)
            #expect(after["tycostream_shared_views", ["source": "items"]] == 0)
        }
    }

    /// Changes that reach a subscriber's queue while it waits out its coalescing window merge
    /// per key, and the merges are counted. The count is process-wide (other suites coalesce
    /// in parallel), so it is checked as a lower bound.
    @Test func countsCoalescedEvents() async throws {
        let options = SubscriptionOptions(window: CoalescingWindow(.seconds(30), clock: ContinuousClock()))
        try await Self.withServer(subscriptionOptions: options) { port, items, _ in
            let before = try #require(try await Self.scrape(port)["tycostream_coalesced_events_total"])
            try await RawClient.connect(port: port) { client in
                _ = try await client.upgrade(protocols: ["graphql-transport-ws"])
                try await client.send(#"{"type":"connection_init"}"#)
                _ = try await client.receiveMessage()
                try await client.send(#"{"type":"subscribe","id":"a","payload":{"query":"\#(Self.subscription)"}}"#)
                for _ in 0..<2 { _ = try await client.receiveMessage() }  // released at once; then the window starts
                // Six changes of one row inside the window: one pending event remains.
                for round in 0..<6 {
                    try await items.apply(SourceBatch(timestamp: UInt64(round + 2), changes: [
                        .upsert([.integer(1), .string("one-\(round)"), .string("low")]),
                    ]))
                }
                let after = try await Self.scrape(port)
                #expect(try #require(after["tycostream_coalesced_events_total"]) - before >= 5)
            }
        }
    }

    @Test func ingestHooksBecomePerSourceSeries() throws {
        let metrics = ServerMetrics(registry: PrometheusCollectorRegistry(), sources: ["trades", "quotes"])
        metrics.received(source: "trades", rows: 3, bytes: 120)
        metrics.received(source: "trades", rows: 2, bytes: 80)
        metrics.delivered(source: "trades", timestamp: 10, changes: 4, isSnapshot: true)
        metrics.delivered(source: "trades", timestamp: 11, changes: 1, isSnapshot: false)
        metrics.progressed(source: "trades", timestamp: 11, lagMilliseconds: 250)
        metrics.progressed(source: "quotes", timestamp: 11, lagMilliseconds: -5)
        metrics.reconnecting(source: "quotes", attempt: 1, delay: .seconds(1), reason: "lost")
        metrics.reconnecting(source: "quotes", attempt: 2, delay: .seconds(2), reason: "lost")
        metrics.resnapshotting(source: "quotes", reason: "too old")
        metrics.received(source: "late", rows: 1, bytes: 9)  // not known at start: appears on first use
        let statuses = [
            SourceStatus(name: "quotes", isRunning: false, timestamp: nil, rowCount: 0),
            SourceStatus(name: "trades", isRunning: true, timestamp: 11, rowCount: 7, viewCount: 3),
        ]
        let text = try #require(metrics.exposition(statuses: statuses, encodings: (hits: 5, misses: 2), coalescedEvents: 7))
        let scrape = try PrometheusText(String(decoding: text, as: UTF8.self))
        #expect(scrape["tycostream_source_rows_received_total", ["source": "trades"]] == 5)
        #expect(scrape["tycostream_source_bytes_received_total", ["source": "trades"]] == 200)
        #expect(scrape["tycostream_source_batches_total", ["source": "trades"]] == 2)
        #expect(scrape["tycostream_source_changes_total", ["source": "trades"]] == 5)
        #expect(scrape["tycostream_source_lag_milliseconds", ["source": "trades"]] == 250)
        #expect(scrape["tycostream_source_lag_milliseconds", ["source": "quotes"]] == 0)
        #expect(scrape["tycostream_source_reconnects_total", ["source": "quotes"]] == 2)
        #expect(scrape["tycostream_source_reconnects_total", ["source": "trades"]] == 0)
        #expect(scrape["tycostream_source_resnapshots_total", ["source": "quotes"]] == 1)
        #expect(scrape["tycostream_source_failures_total", ["source": "quotes"]] == 0)
        #expect(scrape["tycostream_source_rows_received_total", ["source": "late"]] == 1)
        #expect(scrape["tycostream_source_cache_rows", ["source": "trades"]] == 7)
        #expect(scrape["tycostream_source_streaming", ["source": "trades"]] == 1)
        #expect(scrape["tycostream_source_streaming", ["source": "quotes"]] == 0)
        #expect(scrape.types["tycostream_source_lag_milliseconds"] == "gauge")
        #expect(scrape.types["tycostream_source_reconnects_total"] == "counter")
        #expect(scrape["tycostream_shared_views", ["source": "trades"]] == 3)
        #expect(scrape["tycostream_shared_views", ["source": "quotes"]] == 0)
        #expect(scrape["tycostream_coalesced_events_total"] == 7)

        // The encoding cache reports running totals; the counters take only what is new.
        let again = try PrometheusText(String(decoding: try #require(
            metrics.exposition(statuses: [], encodings: (hits: 8, misses: 2), coalescedEvents: 12)), as: UTF8.self))
        #expect(again["tycostream_encoding_cache_hits_total"] == 8)
        #expect(again["tycostream_encoding_cache_misses_total"] == 2)
        #expect(again["tycostream_coalesced_events_total"] == 12)
        // A counter never goes down, whatever total it is handed.
        let third = try PrometheusText(String(decoding: try #require(
            metrics.exposition(statuses: [], encodings: (hits: 8, misses: 2), coalescedEvents: 4)), as: UTF8.self))
        #expect(third["tycostream_coalesced_events_total"] == 12)
    }

    @Test func deliveryHooksBecomeWebhookSeries() throws {
        let metrics = ServerMetrics(registry: PrometheusCollectorRegistry())
        let empty = try PrometheusText(String(decoding: try #require(metrics.exposition(statuses: [], encodings: (0, 0))), as: UTF8.self))
        #expect(empty.types["tycostream_webhook_attempts_total"] == "counter")
        #expect(empty.types["tycostream_webhook_attempt_duration_seconds"] == "histogram")
        #expect(empty.types["tycostream_webhook_delivery_latency_seconds"] == "histogram")
        #expect(empty["tycostream_webhook_attempts_total", ["outcome": "dead_letter"]] == 0)
        #expect(empty["tycostream_webhook_pending"] == 0)

        let trigger = TriggerID(source: "trades", name: "big")
        metrics.enqueued(trigger: trigger, count: 3)
        metrics.backlog(pending: 3, deadLetters: 0)
        metrics.attempted(trigger: trigger, outcome: .retrying, duration: .milliseconds(30), sinceCreated: .milliseconds(31))
        metrics.attempted(trigger: trigger, outcome: .delivered, duration: .milliseconds(7), sinceCreated: .milliseconds(1200))
        metrics.attempted(trigger: trigger, outcome: .delivered, duration: .milliseconds(3), sinceCreated: .milliseconds(4))
        metrics.attempted(trigger: trigger, outcome: .deadLettered, duration: .seconds(20), sinceCreated: .seconds(90))
        metrics.backlog(pending: 0, deadLetters: 1)
        let text = try #require(metrics.exposition(statuses: [], encodings: (0, 0)))
        let scrape = try PrometheusText(String(decoding: text, as: UTF8.self))
        #expect(scrape["tycostream_webhook_events_enqueued_total"] == 3)
        #expect(scrape["tycostream_webhook_attempts_total", ["outcome": "delivered"]] == 2)
        #expect(scrape["tycostream_webhook_attempts_total", ["outcome": "retry"]] == 1)
        #expect(scrape["tycostream_webhook_attempts_total", ["outcome": "dead_letter"]] == 1)
        #expect(scrape["tycostream_webhook_pending"] == 0)
        #expect(scrape["tycostream_webhook_dead_letters"] == 1)
        // Every attempt is timed; only deliveries count toward latency, from the event's creation.
        #expect(scrape["tycostream_webhook_attempt_duration_seconds_count"] == 4)
        #expect(scrape["tycostream_webhook_attempt_duration_seconds_bucket", ["le": "0.005"]] == 1)
        #expect(scrape["tycostream_webhook_attempt_duration_seconds_bucket", ["le": "10.0"]] == 3)
        #expect(scrape["tycostream_webhook_delivery_latency_seconds_count"] == 2)
        let latency = try #require(scrape["tycostream_webhook_delivery_latency_seconds_sum"])
        #expect(abs(latency - 1.204) < 1e-9)
    }

    @Test func serversInOneProcessKeepTheirOwnCounts() throws {
        let one = ServerMetrics(registry: PrometheusCollectorRegistry())
        let two = ServerMetrics(registry: PrometheusCollectorRegistry())
        one.sent(bytes: 10)
        one.operation(.query, succeeded: true)
        let first = try PrometheusText(String(decoding: try #require(one.exposition(statuses: [], encodings: (0, 0))), as: UTF8.self))
        let second = try PrometheusText(String(decoding: try #require(two.exposition(statuses: [], encodings: (0, 0))), as: UTF8.self))
        #expect(first["tycostream_websocket_bytes_sent_total"] == 10)
        #expect(second["tycostream_websocket_bytes_sent_total"] == 0)
        #expect(first["tycostream_graphql_operations_total", ["operation": "query", "outcome": "ok"]] == 1)
        #expect(second["tycostream_graphql_operations_total", ["operation": "query", "outcome": "ok"]] == 0)
    }

    @Test func metricsOffMeansNoRoute() async throws {
        #expect(ServerMetrics.disabled().exposition(statuses: [], encodings: (1, 1)) == nil)
        try await TestServer.with { port, _ in
            let (head, _) = try await RawClient.connect(port: port) { client in try await client.get("/metrics") }
            #expect(head.status == 404)
        }
    }

    @Test func parserRejectsMalformedText() {
        #expect(throws: TestFailure.self) { try PrometheusText("tycostream_x 1\n") }  // no # TYPE
        #expect(throws: TestFailure.self) { try PrometheusText("# TYPE a counter\na{x=\"1\" 1\n") }
        #expect(throws: TestFailure.self) { try PrometheusText("# TYPE a counter\na one\n") }
        #expect(throws: TestFailure.self) { try PrometheusText("# TYPE a widget\na 1\n") }
        #expect(throws: TestFailure.self) { try PrometheusText("# TYPE a counter\n# TYPE a counter\na 1\n") }
        #expect((try? PrometheusText("# HELP a says \\\\ so\n# TYPE a counter\na{x=\"q\\\"uote\",y=\"\"} 1.5e3\n"))?["a", ["x": "q\"uote", "y": ""]] == 1500)
    }
}

// MARK: - Support

extension MetricsTests {
    /// `TestServer.with`, with a fresh registry and the subscription options given.
    static func withServer<T: Sendable>(
        subscriptionOptions: SubscriptionOptions = SubscriptionOptions(),
        _ body: @Sendable (_ port: Int, _ items: SourceCache, _ metrics: ServerMetrics) async throws -> T
    ) async throws -> T {
        let api = try APISchema(file: SchemaFile(yaml: TestServer.schema))
        let items = SourceCache(schema: api.file.sources[0].schema)
        try await items.reset(to: SourceSnapshot(timestamp: 1, rows: [
            [.integer(1), .string("one"), .string("low")], [.integer(2), .string("two"), .string("high")],
        ]))
        let metrics = ServerMetrics(registry: PrometheusCollectorRegistry(), sources: ["items"])
        let service = try GraphQLService(
            api: api, hub: TestServer.Caches(caches: ["items": items]), subscriptionOptions: subscriptionOptions, metrics: metrics)
        var logger = Logger(label: "MetricsTests")
        logger.logLevel = .critical
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let application = TycostreamServer.application(
            service: service, options: .init(host: "127.0.0.1", port: 0), logger: logger
        ) { channel in
            portSink.yield(channel.localAddress?.port ?? 0)
            portSink.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [application], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestFailure("the server did not start") }
            let result: T
            do {
                result = try await body(port, items, metrics)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }

    /// `GET /metrics`, checked to be 200 Prometheus text, parsed.
    static func scrape(_ port: Int) async throws -> PrometheusText {
        let (head, body) = try await RawClient.connect(port: port) { client in try await client.get("/metrics") }
        guard head.status == 200 else { throw TestFailure("GET /metrics answered \(head.status)") }
        #expect(head.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        return try PrometheusText(body)
    }

    /// Scrapes until `condition` holds (the server notices a closed socket a little later), for at most 5 s.
    static func waitFor(_ port: Int, _ condition: (PrometheusText) -> Bool) async throws -> PrometheusText {
        for _ in 0..<100 {
            let scraped = try await scrape(port)
            if condition(scraped) { return scraped }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("/metrics never reached the expected state")
    }
}

/// A strict reader of the Prometheus text format 0.0.4
/// (https://prometheus.io/docs/instrumenting/exposition_formats/): `# TYPE` before a
/// family's samples and at most once, known types, `name{label="value",…} value` samples with
/// escaped label values, values that parse as numbers.
struct PrometheusText {
    private(set) var types: [String: String] = [:]
    private var samples: [String: Double] = [:]

    init(_ text: String) throws {
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2, ["counter", "gauge", "histogram", "summary", "untyped"].contains(String(parts[1])) else {
                    throw TestFailure("bad TYPE line: \(line)")
                }
                guard types.updateValue(String(parts[1]), forKey: String(parts[0])) == nil else {
                    throw TestFailure("TYPE given twice: \(line)")
                }
            } else if line.hasPrefix("#") {
                continue  // HELP and comments
            } else {
                let (name, labels, value) = try Self.sample(line)
                let family = ["_bucket", "_sum", "_count"].first { name.hasSuffix($0) && types[name] == nil }
                    .map { String(name.dropLast($0.count)) } ?? name
                guard types[family] != nil else { throw TestFailure("sample before its TYPE: \(line)") }
                samples[Self.key(name, labels)] = value
            }
        }
    }

    /// The value of the sample `name` with exactly `labels`.
    subscript(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples[Self.key(name, labels)]
    }

    private static func key(_ name: String, _ labels: [String: String]) -> String {
        name + "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
    }

    private static func sample(_ line: Substring) throws -> (String, [String: String], Double) {
        var index = line.startIndex
        while index < line.endIndex, line[index] != "{", line[index] != " " { index = line.index(after: index) }
        let name = String(line[..<index])
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }) else {
            throw TestFailure("bad metric name: \(line)")
        }
        var labels: [String: String] = [:]
        if index < line.endIndex, line[index] == "{" {
            index = line.index(after: index)
            while true {
                guard index < line.endIndex else { throw TestFailure("unterminated labels: \(line)") }
                if line[index] == "}" {
                    index = line.index(after: index)
                    break
                }
                if line[index] == "," {
                    index = line.index(after: index)
                    continue
                }
                guard let equals = line[index...].firstIndex(of: "="), line.index(after: equals) < line.endIndex,
                    line[line.index(after: equals)] == "\""
                else { throw TestFailure("bad label: \(line)") }
                let label = String(line[index..<equals])
                index = line.index(equals, offsetBy: 2)
                var value = ""
                while true {
                    guard index < line.endIndex else { throw TestFailure("unterminated label value: \(line)") }
                    let character = line[index]
                    index = line.index(after: index)
                    if character == "\"" { break }
                    if character == "\\" {
                        guard index < line.endIndex else { throw TestFailure("bad escape: \(line)") }
                        switch line[index] {
                        case "n": value.append("\n")
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        default: throw TestFailure("bad escape: \(line)")
                        }
                        index = line.index(after: index)
                    } else {
                        value.append(character)
                    }
                }
                labels[label] = value
            }
        }
        guard index < line.endIndex, line[index] == " " else { throw TestFailure("no value: \(line)") }
        let rest = line[line.index(after: index)...].split(separator: " ")
        guard (1...2).contains(rest.count), let value = Double(rest[0]) else { throw TestFailure("bad value: \(line)") }
        return (name, labels, value)
    }
}
