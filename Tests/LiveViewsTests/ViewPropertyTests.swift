import Testing
@testable import LiveViews

/// Random batches and random subscribe / read / unsubscribe times: every subscriber's events,
/// applied to an empty table, must equal the source's rows filtered by its predicate.
@Suite struct ViewPropertyTests {
    typealias F = Fixtures

    static let filters: [FilterInput] = [
        .object([:]),
        .object(["group": .object(["_eq": .int(1)])]),
        .object(["group": .object(["_eq": .int(2)])]),
        .object(["group": .object(["_in": .list([.int(0), .int(2)])])]),
        .object(["score": .object(["_gt": .int(5)])]),
        .object(["group": .object(["_eq": .int(1)]), "score": .object(["_lt": .int(4)])]),
        .object(["_or": .list([.object(["group": .object(["_eq": .int(0)])]), .object(["name": .object(["_eq": .string("b")])])])]),
        .object(["name": .object(["_in": .list([.string("a"), .string("c")])])]),
    ]

    struct Client {
        let filter: Filter
        let stream: Subscription
        var table = ClientTable()

        mutating func read(_ limit: Int) {
            var count = 0
            while count < limit, let event = stream.sink.poll() {
                table.apply(event)
                count += 1
            }
        }
    }

    func randomRow(_ generator: inout SeededGenerator) -> [Value] {
        F.smallRow(Int64.random(in: 0..<40, using: &generator),
                   group: Int64.random(in: 0..<3, using: &generator),
                   name: ["a", "b", "c"].randomElement(using: &generator)!,
                   score: Int64.random(in: 0..<10, using: &generator))
    }

    func run(seed: UInt64, tiny: Bool) async throws {
        var generator = SeededGenerator(seed: seed)
        let cache = SourceCache(schema: F.small)
        // Tiny queues coalesce from the second pending event; 40 keys never exceed the hard limit.
        let options = tiny ? SubscriptionOptions(capacity: 1, hardLimit: 64) : SubscriptionOptions()
        var clients: [Client] = []
        var timestamp: UInt64 = 0
        for _ in 0..<300 {
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<5:
                timestamp += 1
                var changes: [SourceChange] = []
                for _ in 0..<Int.random(in: 0..<12, using: &generator) {
                    if Bool.random(using: &generator) {
                        changes.append(.upsert(randomRow(&generator)))
                    } else {
                        changes.append(.delete(key: [.integer(Int64.random(in: 0..<40, using: &generator))]))
                    }
                }
                try await cache.apply(SourceBatch(timestamp: timestamp, changes: changes))
            case 5:
                timestamp += 1
                let rows = (0..<Int.random(in: 0..<30, using: &generator)).map { _ in randomRow(&generator) }
                try await cache.reset(to: SourceSnapshot(timestamp: timestamp, rows: rows))
            case 6, 7:
                let filter = try Filter(Self.filters.randomElement(using: &generator)!, schema: F.small)
                clients.append(Client(filter: filter, stream: try await cache.subscribe(filter, options: options)))
            case 8:
                if !clients.isEmpty {
                    let index = Int.random(in: 0..<clients.count, using: &generator)
                    clients[index].read(Int.random(in: 0..<20, using: &generator))
                }
            default:
                if !clients.isEmpty, Int.random(in: 0..<3, using: &generator) == 0 {
                    clients.remove(at: Int.random(in: 0..<clients.count, using: &generator)).stream.cancel()
                }
            }
        }
        let rows = await cache.rows()
        for var client in clients {
            client.read(.max)
            #expect(!client.stream.isEnded, "seed \(seed)")
            #expect(client.table.errors.isEmpty, "seed \(seed): \(client.table.errors)")
            let truth = Dictionary(uniqueKeysWithValues: rows.filter { client.filter.matches($0) }.map { ($0.keyValues, $0.values) })
            #expect(client.table.rows == truth, "seed \(seed), filter \(client.filter.canonical)")
        }
        #expect(await cache.activeStreamCount() == clients.count)
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func subscribersConvergeWithTinyQueues(seed: UInt64) async throws {
        try await run(seed: seed, tiny: true)
    }

    @Test(arguments: [11, 12, 13, 14] as [UInt64])
    func subscribersConvergeWithRoomyQueues(seed: UInt64) async throws {
        try await run(seed: seed, tiny: false)
    }
}
