// ProjectionBench: the per-event cost of a subscription's JSON, compiled projection vs
// GraphQLSwift's executor, for one event of a 10-column row (architecture.md, data flow 6).
//
// The executor side is what GraphQLSwift does per source event of a subscription
// (`execute` with the event as root value) plus what the server would need around it: the
// ViewEvent → RowUpdate (Map) conversion and GraphQLJSONEncoder to get bytes. The projection
// side is `Projection.encode`, which writes the same bytes. Run with scripts/bench-projection.
import Foundation
import GraphQL
import GraphQLAPI
import LiveViews

let yaml = """
    enums:
      side: [buy, sell]
    sources:
      trades:
        primary_key: id
        columns:
          id: Integer
          account: String
          symbol: String
          side: side
          quantity: Integer
          price: Float
          notional: BigInt
          venue: String
          executed_at: Timestamp
          settled: Boolean
    """
let document = """
    subscription { trades { operation fields data { id account symbol side quantity price notional venue executed_at settled } } }
    """

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

func measure(
    isolation: isolated (any Actor)? = #isolation, rounds: Int, iterations: Int, _ body: () async throws -> Void
) async rethrows -> (best: Double, median: Double) {
    var perEvent: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<rounds {
        let start = clock.now
        for _ in 0..<iterations { try await body() }
        let elapsed = clock.now - start
        let nanos = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        perEvent.append(nanos / Double(iterations))
    }
    return (perEvent.min() ?? 0, median(perEvent))
}

@main
struct ProjectionBench {
    static func main() async throws {
        let api = try APISchema(file: SchemaFile(yaml: yaml, path: "bench.yaml"))
        let source = api.file.source(named: "trades")!
        let cache = SourceCache(schema: source.schema)
        let subscription = try await cache.subscribe(.all)
        let row: [LiveViews.Value] = [
            .integer(42), .string("acct-7781"), .string("AAPL"), .string("buy"), .integer(1200), .float(187.25),
            .decimal(ExactDecimal("224700.00")!), .string("XNAS"), .timestamp(1_700_000_000_123_456), .bool(false),
        ]
        try await cache.apply(SourceBatch(timestamp: 1, changes: [.upsert(row)]))
        var iterator = subscription.makeAsyncIterator()
        guard let event = try await iterator.next() else { fatalError("no event") }

        let validated = try DocumentCache(api: api).document(for: document).get()
        let plan = try await SubscriptionPlanner(api: api).plan(validated, operationName: nil, variables: [:]).get()
        let encoder = GraphQLJSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]

        // Same bytes, checked once.
        let ours = plan.projection.encode(event)
        let executed = try await execute(
            schema: api.schema, documentAST: validated.document, rootValue: RowUpdate(event), context: ())
        let theirs = try encoder.encode(executed)
        guard ours == Array(theirs) else {
            fatalError("outputs differ:\n\(String(decoding: ours, as: UTF8.self))\n\(String(decoding: theirs, as: UTF8.self))")
        }
        print("payload (\(ours.count) bytes): \(String(decoding: ours, as: UTF8.self))")

        var buffer: [UInt8] = []
        buffer.reserveCapacity(512)
        var sink = 0
        let projection = plan.projection
        let compiled = await measure(rounds: 15, iterations: 200_000) {
            buffer.removeAll(keepingCapacity: true)
            projection.encode(event, into: &buffer)
            sink &+= buffer.count
        }
        let executor = try await measure(rounds: 9, iterations: 2_000) {
            let result = try await execute(
                schema: api.schema, documentAST: validated.document, rootValue: RowUpdate(event), context: ())
            sink &+= try encoder.encode(result).count
        }
        let executeOnly = try await measure(rounds: 9, iterations: 2_000) {
            let result = try await execute(
                schema: api.schema, documentAST: validated.document, rootValue: RowUpdate(event), context: ())
            sink &+= result.errors.count
        }
        func line(_ name: String, _ value: (best: Double, median: Double)) -> String {
            name.padding(toLength: 44, withPad: " ", startingAt: 0)
                + String(format: "best %10.1f ns   median %10.1f ns", value.best, value.median)
        }
        print("one event of a 10-column row, 12 selected fields (10 columns + operation + fields):")
        print(line("projection encode", compiled))
        print(line("executor: RowUpdate + execute + JSON encode", executor))
        print(line("executor: RowUpdate + execute only", executeOnly))
        print(String(format: "ratio (executor+encode / projection, medians): %.1fx", executor.median / compiled.median))
        print(String(format: "ratio (execute only / projection, medians): %.1fx", executeOnly.median / compiled.median))
        print(String(
            format: #"{"bench":"projection","projection_ns":%.1f,"executor_ns":%.1f,"execute_only_ns":%.1f,"ratio":%.1f}"#,
            compiled.median, executor.median, executeOnly.median, executor.median / compiled.median))
        if sink == 42 { print("") }  // keeps the work observable
        subscription.cancel()
    }
}
