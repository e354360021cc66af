import PGClient
import PGSim
import PGWire
import Testing

/// Each injected fault, seen by our client over loopback.
@Suite struct FaultTests {
    /// A table with `count` rows, so a snapshot has that many rows.
    static func seed(_ catalog: Catalog, count: Int) async throws {
        try await catalog.createTable(TableSchema(name: "t", columns: [.init(name: "id", type: .int4, notNull: true)], primaryKey: [0]))
        try await catalog.insert(into: "t", rows: (0..<count).map { [.int32(Int32($0))] })
    }

    /// Reads rows until the stream ends or fails; returns the count and the error.
    static func drain(_ c: PostgresConnection, _ sql: String) async -> (rows: Int, error: PostgresError?) {
        var count = 0
        do {
            var rows = try await c.copyOut(sql).makeAsyncIterator()
            while try await rows.next() != nil { count += 1 }
            return (count, nil)
        } catch let error as PostgresError {
            return (count, error)
        } catch {
            return (count, PostgresError(.invalidState, "\(error)"))
        }
    }

    @Test func dropOnceAfterNRows() async throws {
        let catalog = Catalog()
        try await Self.seed(catalog, count: 10)
        try await SimServer.withRunning(Sim.configuration(faults: Faults(drop: .init(afterMessages: 3))), catalog: catalog) { server in
            let first = try await PostgresConnection.withConnection(Sim.client(server)) { c in
                await Self.drain(c, "COPY (SUBSCRIBE t) TO STDOUT")
            }
            #expect(first.rows == 3)
            #expect(first.error != nil && first.error?.sqlState == nil)  // a closed connection, not an ErrorResponse
            #expect(server.faults.drop == nil)  // once: cleared
            // The next subscribe is not dropped: it streams the whole snapshot (then we cancel it).
            try await PostgresConnection.withConnection(Sim.client(server)) { c in
                var rows = try await c.copyOut("COPY (SUBSCRIBE t) TO STDOUT").makeAsyncIterator()
                for _ in 0..<10 { #expect(try await rows.next() != nil) }
            }
        }
    }

    @Test func randomDropsAreReproducibleFromTheSeed() async throws {
        let catalog = Catalog()
        try await Self.seed(catalog, count: 50)
        func points(seed: UInt64) async throws -> [Int] {
            try await SimServer.withRunning(
                Sim.configuration(faults: Faults(randomDrop: .init(maximumMessages: 40, seed: seed))), catalog: catalog
            ) { server in
                var counts: [Int] = []
                for _ in 0..<3 {
                    let result = try await PostgresConnection.withConnection(Sim.client(server)) { c in
                        await Self.drain(c, "COPY (SUBSCRIBE t) TO STDOUT")
                    }
                    #expect(result.error != nil)
                    counts.append(result.rows)
                }
                return counts
            }
        }
        let a = try await points(seed: 42)
        #expect(try await points(seed: 42) == a)
        #expect(a.allSatisfy { (1...40).contains($0) })
    }

    @Test func errorMidStreamAfterNRows() async throws {
        let catalog = Catalog()
        try await Self.seed(catalog, count: 10)
        let faults = Faults(error: .init(afterMessages: 4, sqlState: "XX000", message: "target replica failed or was dropped"))
        try await SimServer.withRunning(Sim.configuration(faults: faults), catalog: catalog) { server in
            try await PostgresConnection.withConnection(Sim.client(server)) { c in
                let result = await Self.drain(c, "COPY (SUBSCRIBE t) TO STDOUT")
                #expect(result.rows == 4)
                #expect(result.error?.sqlState == "XX000")
                #expect(result.error?.diagnostic?.message == "target replica failed or was dropped")
                // The connection survives an ErrorResponse.
                let after = try await c.query("SELECT 1")
                #expect(Sim.values(after) == [["1"]])
            }
        }
    }

    @Test func stallPausesTheStreamButKeepsTheConnection() async throws {
        let catalog = Catalog()
        try await Self.seed(catalog, count: 4)
        let faults = Faults(stall: .init(afterMessages: 2, duration: .milliseconds(300)))
        try await SimServer.withRunning(Sim.configuration(faults: faults), catalog: catalog) { server in
            try await PostgresConnection.withConnection(Sim.client(server)) { c in
                var rows = try await c.copyOut("COPY (SUBSCRIBE t) TO STDOUT").makeAsyncIterator()
                let clock = ContinuousClock()
                _ = try await rows.next()
                _ = try await rows.next()
                let before = clock.now
                _ = try await rows.next()
                #expect(clock.now - before >= .milliseconds(250))
                #expect(try await rows.next() != nil)
            }
        }
    }

    @Test func refuseAsOfBeforeAHorizonAtRuntime() async throws {
        let catalog = Catalog()
        try await Self.seed(catalog, count: 1)
        try await SimServer.withRunning(Sim.configuration(), catalog: catalog) { server in
            let now = await catalog.readTimestamp()
            server.setFaults(Faults(refuseAsOfBefore: now + 1))
            try await PostgresConnection.withConnection(Sim.client(server)) { c in
                let result = await Self.drain(c, "COPY (SUBSCRIBE t AS OF \(now)) TO STDOUT")
                #expect(result.error?.sqlState == "22000")
                #expect(result.error?.diagnostic?.message == "could not find a valid timestamp for the query")
            }
        }
    }
}
