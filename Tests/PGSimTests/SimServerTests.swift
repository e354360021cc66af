import PGClient
import PGSim
import PGWire
import Testing

/// Shared helpers: a server on an ephemeral port, our client connected to it.
enum Sim {
    static func client(_ server: SimServer, user: String = "materialize", password: String? = nil,
                       options: String? = nil, sslMode: ConnectionConfiguration.SSLMode = .disable) -> ConnectionConfiguration {
        ConnectionConfiguration(
            host: "127.0.0.1", port: server.port, user: user, password: password, database: "materialize",
            options: options, sslMode: sslMode, connectTimeout: .seconds(5), authenticationTimeout: .seconds(10))
    }

    /// A server whose heartbeats are too rare to appear unless a test asks for them.
    static func configuration(
        users: [String: ServerSession.Authentication] = ["materialize": .trust], heartbeat: Duration = .seconds(3600),
        faults: Faults = .none
    ) -> SimServer.Configuration {
        SimServer.Configuration(session: .init(users: users), heartbeatInterval: heartbeat, faults: faults)
    }

    static func text(_ payload: ArraySlice<UInt8>) -> String { String(decoding: payload, as: UTF8.self) }

    static func values(_ result: QueryResult) -> [[String?]] {
        result.rows.map { row in row.map { $0.map { String(decoding: $0, as: UTF8.self) } } }
    }

    static func sqlState(of body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let error as PostgresError {
            return error.sqlState ?? "no SQLSTATE: \(error)"
        } catch {
            return "unexpected \(error)"
        }
    }
}

@Suite struct SimServerTests {
    @Test func startupMatchesMaterialize() async throws {
        try await SimServer.withRunning(Sim.configuration()) { server in
            try await PostgresConnection.withConnection(Sim.client(server, options: "--cluster=prod")) { connection in
                let parameters = connection.session.parameters
                #expect(parameters["server_version"] == "9.5.0")
                #expect(parameters["cluster"] == "prod")
                #expect(parameters["database"] == "materialize")
                #expect(parameters["mz_version"]?.hasPrefix("v") == true)
                #expect(parameters["TimeZone"] == "UTC")
                #expect(connection.session.backendKey != nil)
                #expect(connection.notices.contains { $0.sqlState == "00000" && $0.message.hasPrefix("connected to Materialize") })
            }
            try await PostgresConnection.withConnection(Sim.client(server, options: "--welcome_message=off", sslMode: .prefer)) { connection in
                #expect(!connection.notices.contains { $0.sqlState == "00000" })
            }
        }
    }

    @Test func scramAndCleartextOverTheWire() async throws {
        let users: [String: ServerSession.Authentication] = [
            "alice": .scram(SCRAMCredentials(password: "s3cret", salt: Array("saltsaltsaltsalt".utf8))),
            "bob": .cleartext(password: "pw"),
        ]
        try await SimServer.withRunning(Sim.configuration(users: users)) { server in
            let one = try await PostgresConnection.withConnection(Sim.client(server, user: "alice", password: "s3cret")) { try await $0.query("SELECT 1") }
            #expect(Sim.values(one) == [["1"]])
            let two = try await PostgresConnection.withConnection(Sim.client(server, user: "bob", password: "pw")) { try await $0.query("SELECT 'x'") }
            #expect(Sim.values(two) == [["x"]])
            let wrong = await Sim.sqlState {
                try await PostgresConnection.withConnection(Sim.client(server, user: "alice", password: "nope")) { _ in }
            }
            #expect(wrong == "28P01")
        }
    }

    @Test func tablesOverTheWire() async throws {
        try await SimServer.withRunning(Sim.configuration()) { server in
            try await PostgresConnection.withConnection(Sim.client(server)) { c in
                #expect(try await c.query("CREATE TABLE t (id int PRIMARY KEY, name text, price numeric, ok bool)").commandTag == "CREATE TABLE")
                #expect(try await c.query("INSERT INTO t VALUES (1, 'a', 1.50, true), (2, 'b', NULL, false)").commandTag == "INSERT 0 2")
                #expect(try await c.query("UPDATE t SET name = 'bb' WHERE id = 2").commandTag == "UPDATE 1")
                let select = try await c.query("SELECT * FROM t ORDER BY id")
                #expect(select.commandTag == "SELECT 2")
                #expect(select.columns.map(\.name) == ["id", "name", "price", "ok"])
                #expect(select.columns.map(\.dataType) == [.int4, .text, .numeric, .bool])
                #expect(Sim.values(select) == [["1", "a", "1.5", "t"], ["2", "bb", nil, "f"]])
                #expect(try await c.query("DELETE FROM t WHERE id = 1").commandTag == "DELETE 1")
                #expect(Sim.values(try await c.query("SELECT name FROM t WHERE price IS NULL")) == [["bb"]])
                let info = try await c.query(
                    "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 't' AND table_schema = 'public' ORDER BY ordinal_position")
                #expect(Sim.values(info) == [
                    ["id", "integer", "NO"], ["name", "text", "YES"], ["price", "numeric", "YES"], ["ok", "boolean", "YES"],
                ])
                let show = try await c.query("SHOW COLUMNS FROM t")
                #expect(show.columns.map(\.name) == ["name", "nullable", "type"])
                #expect(Sim.values(show).first == ["id", "f", "integer"])
                #expect(try await c.query("SET cluster = other").commandTag == "SET")
                let results = try await c.simpleQuery("BEGIN; SELECT 1; COMMIT")
                #expect(results.map(\.commandTag) == ["BEGIN", "SELECT 1", "COMMIT"])
            }
        }
    }

    @Test func errorsCarrySQLStateAndTheSessionGoesOn() async throws {
        try await SimServer.withRunning(Sim.configuration()) { server in
            try await PostgresConnection.withConnection(Sim.client(server)) { c in
                _ = try await c.query("CREATE TABLE t (id int PRIMARY KEY, name text)")
                _ = try await c.query("INSERT INTO t VALUES (1, 'a')")
                #expect(await Sim.sqlState { _ = try await c.query("SELECT * FROM nope") } == "42P01")
                #expect(await Sim.sqlState { _ = try await c.query("SELECT zzz FROM t") } == "42703")
                #expect(await Sim.sqlState { _ = try await c.query("SELEC 1") } == "42601")
                #expect(await Sim.sqlState { _ = try await c.query("CREATE TABLE t (a int)") } == "42P07")
                #expect(await Sim.sqlState { _ = try await c.query("INSERT INTO t VALUES (1, 'dup')") } == "23505")
                #expect(await Sim.sqlState { _ = try await c.query("INSERT INTO t VALUES ('x', 'y')") } == "22P02")
                #expect(await Sim.sqlState { _ = try await c.query("CREATE VIEW v AS SELECT 1") } == "0A000")
                // A failed statement stops the rest of its query string.
                #expect(await Sim.sqlState { _ = try await c.simpleQuery("INSERT INTO t VALUES (5, 'e'); SELECT * FROM nope; INSERT INTO t VALUES (6, 'f')") } == "42P01")
                #expect(Sim.values(try await c.query("SELECT id FROM t ORDER BY id")) == [["1"], ["5"]])
                // Inside a transaction, an error fails the block until ROLLBACK.
                _ = try await c.query("BEGIN")
                #expect(await Sim.sqlState { _ = try await c.query("SELECT * FROM nope") } == "42P01")
                #expect(await Sim.sqlState { _ = try await c.query("SELECT 1") } == "25P02")
                _ = try await c.query("ROLLBACK")
                #expect(Sim.values(try await c.query("SELECT 1")) == [["1"]])
            }
        }
    }

    @Test func subscribeSnapshotUpdatesAndDeletes() async throws {
        let clock = ManualClock(1_700_000_000_000)
        let catalog = Catalog(clock: clock.function)
        try await SimServer.withRunning(Sim.configuration(), catalog: catalog) { server in
            try await PostgresConnection.withConnection(Sim.client(server)) { c in
                _ = try await c.query("CREATE TABLE t (id int PRIMARY KEY, name text)")
                _ = try await c.query("INSERT INTO t VALUES (1, 'alice'), (2, 'bob')")
                clock.advance(1000)
                let stream = try await c.copyOut("COPY (SUBSCRIBE t WITH (PROGRESS)) TO STDOUT")
                #expect(stream.format.columnFormats.count == 5)
                var rows = stream.makeAsyncIterator()
                let asOf = "1700000001000"
                #expect(try await rows.next().map(Sim.text) == "\(asOf)\tt\t\\N\t\\N\t\\N\n")
                let snapshot = [try await rows.next().map(Sim.text), try await rows.next().map(Sim.text)]
                #expect(Set(snapshot) == ["\(asOf)\tf\t1\t1\talice\n", "\(asOf)\tf\t1\t2\tbob\n"])
                #expect(try await rows.next().map(Sim.text) == "1700000001001\tt\t\\N\t\\N\t\\N\n")
                clock.advance(1000)
                try await catalog.update("t", where: { $0[0] == .int32(2) }, set: { [$0[0], .text("bobby")] })
                let update = [try await rows.next().map(Sim.text), try await rows.next().map(Sim.text)]
                #expect(Set(update) == ["1700000002000\tf\t-1\t2\tbob\n", "1700000002000\tf\t1\t2\tbobby\n"])
                #expect(try await rows.next().map(Sim.text) == "1700000002001\tt\t\\N\t\\N\t\\N\n")
                clock.advance(1000)
                try await catalog.delete(from: "t", where: { $0[0] == .int32(1) })
                #expect(try await rows.next().map(Sim.text) == "1700000003000\tf\t-1\t1\talice\n")
                // Dropping the table ends the stream with Materialize's newer error.
                try await catalog.dropTable("t")
                do {
                    while try await rows.next() != nil {}
                    Issue.record("the stream ended without an error")
                } catch let error as PostgresError {
                    #expect(error.sqlState == "42704")
                    #expect(error.diagnostic?.message == "relation 'materialize.public.t' was dropped")
                }
                // The session is usable after the error.
                #expect(Sim.values(try await c.query("SELECT 1")) == [["1"]])
            }
        }
    }

    @Test func resumeAsOfWithoutSnapshotAndRefusedAsOf() async throws {
        let clock = ManualClock(1_700_000_000_000)
        let catalog = Catalog(clock: clock.function, retention: 10_000)
        try await SimServer.withRunning(Sim.configuration(), catalog: catalog) { server in
            try await PostgresConnection.withConnection(Sim.client(server)) { c in
                _ = try await c.query("CREATE TABLE t (id int PRIMARY KEY, name text)")
                let first = try await catalog.insert(into: "t", rows: [[.int32(1), .text("a")]])
                clock.advance(1000)
                let second = try await catalog.insert(into: "t", rows: [[.int32(2), .text("b")]])
                let stream = try await c.copyOut("COPY (SUBSCRIBE t WITH (SNAPSHOT = false) AS OF \(first)) TO STDOUT")
                var rows = stream.makeAsyncIterator()
                // Only what happened after the AS OF: the resume point of a durable subscription.
                #expect(try await rows.next().map(Sim.text) == "\(second)\t1\t2\tb\n")
            }
            clock.advance(60_000)
            _ = try await catalog.insert(into: "t", rows: [[.int32(3), .text("c")]])
            try await PostgresConnection.withConnection(Sim.client(server)) { c in
                let state = await Sim.sqlState { _ = try await c.copyOut("COPY (SUBSCRIBE t AS OF 1700000000000) TO STDOUT") }
                #expect(state == "22000")
            }
        }
    }

    @Test func cancelRequestEndsTheSubscribe() async throws {
        try await SimServer.withRunning(Sim.configuration()) { server in
            try await PostgresConnection.withConnection(Sim.client(server)) { c in
                _ = try await c.query("CREATE TABLE t (id int PRIMARY KEY)")
                _ = try await c.query("INSERT INTO t VALUES (1)")
                let stream = try await c.copyOut("COPY (SUBSCRIBE t) TO STDOUT")
                var rows = stream.makeAsyncIterator()
                #expect(try await rows.next() != nil)
                let handle = try #require(c.cancelHandle)
                try await handle.cancel()
                do {
                    while try await rows.next() != nil {}
                    Issue.record("the stream ended without an error")
                } catch let error as PostgresError {
                    #expect(error.sqlState == "57014")
                    #expect(error.diagnostic?.message == "canceling statement due to user request")
                }
                #expect(Sim.values(try await c.query("SELECT 2")) == [["2"]])
            }
        }
    }

    @Test func heartbeatsAdvanceProgress() async throws {
        try await SimServer.withRunning(Sim.configuration(heartbeat: .milliseconds(30))) { server in
            try await PostgresConnection.withConnection(Sim.client(server)) { c in
                _ = try await c.query("CREATE TABLE t (id int PRIMARY KEY)")
                let stream = try await c.copyOut("COPY (SUBSCRIBE t WITH (PROGRESS, SNAPSHOT = false)) TO STDOUT")
                var rows = stream.makeAsyncIterator()
                var timestamps: [UInt64] = []
                while timestamps.count < 4, let row = try await rows.next() {
                    let fields = Sim.text(row).split(separator: "\t")
                    #expect(fields[1] == "t")
                    timestamps.append(try #require(UInt64(fields[0])))
                }
                #expect(timestamps == timestamps.sorted())
                #expect(Set(timestamps).count == timestamps.count)
            }
        }
    }

    @Test func bareSubscribeStreamsDataRowsAfterTheNotice() async throws {
        let catalog = Catalog()
        try await catalog.createTable(TableSchema(name: "t", columns: [.init(name: "id", type: .int4, notNull: true)], primaryKey: [0]))
        try await catalog.insert(into: "t", rows: [[.int32(1)], [.int32(2)]])
        // The stream never ends by itself; an injected error after the snapshot ends it so the
        // simple-query client returns.
        let faults = Faults(error: .init(afterMessages: 4, sqlState: "XX000", message: "stop"))
        try await SimServer.withRunning(Sim.configuration(faults: faults), catalog: catalog) { server in
            try await PostgresConnection.withConnection(Sim.client(server)) { c in
                let state = await Sim.sqlState { _ = try await c.query("SUBSCRIBE t WITH (PROGRESS)") }
                #expect(state == "XX000")
                #expect(c.notices.contains {
                    $0.sqlState == "01000" && $0.message == "streaming SUBSCRIBE rows directly requires a client that does not buffer output"
                })
            }
        }
    }
}
