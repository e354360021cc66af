import PGSim
import PGWire
import Testing

@Suite struct SubscribeStatementTests {
    private func parse(_ sql: String) throws -> SubscribeStatement {
        try SubscribeStatement(parsing: sql)
    }

    /// The error a statement throws, or a failed expectation when it parses.
    private func failure(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) -> SimError? {
        do {
            let statement = try SubscribeStatement(parsing: sql)
            Issue.record("expected an error, parsed \(statement)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    /// The 1-based character position of the first occurrence of `needle`.
    private func position(of needle: String, in sql: String) -> Int {
        sql.distance(from: sql.startIndex, to: sql.firstRange(of: needle)!.lowerBound) + 1
    }

    // MARK: Forms

    @Test func bareTableWithDefaults() throws {
        let statement = try parse("SUBSCRIBE t")
        #expect(statement == SubscribeStatement(table: "t"))
        #expect(statement.snapshot)
        #expect(!statement.progress)
        #expect(statement.columns == nil)
        #expect(statement.upsertKey == nil)
        #expect(statement.asOf == nil)
        #expect(statement.copy == nil)
    }

    @Test func keywordsAreCaseInsensitiveAndToIsOptional() throws {
        #expect(try parse("subscribe to T").table == "t")
        #expect(try parse("Subscribe TO t;").table == "t")
        #expect(try parse("  SUBSCRIBE\n\tt  ;  ").table == "t")
    }

    @Test func quotedIdentifiersKeepCaseAndEscapes() throws {
        #expect(try parse("SUBSCRIBE \"My Table\"").table == "My Table")
        #expect(try parse("SUBSCRIBE \"a\"\"b\"").table == "a\"b")
        let statement = try parse("SUBSCRIBE (SELECT \"Id\", name FROM \"Kv\")")
        #expect(statement.columns == ["Id", "name"])
        #expect(statement.table == "Kv")
    }

    @Test func qualifiedNamesInTheDefaultSchema() throws {
        #expect(try parse("SUBSCRIBE public.t").table == "t")
        #expect(try parse("SUBSCRIBE materialize.public.t").table == "t")
    }

    @Test func selectColumnsAndStar() throws {
        let statement = try parse("SUBSCRIBE (SELECT id, name FROM t)")
        #expect(statement.table == "t")
        #expect(statement.columns == ["id", "name"])
        let star = try parse("SUBSCRIBE TO (select * from t)")
        #expect(star.columns == nil)
        #expect(star.table == "t")
    }

    @Test func upsertEnvelopeKeepsKeyOrder() throws {
        let statement = try parse("SUBSCRIBE kv ENVELOPE UPSERT (KEY (k2, k1))")
        #expect(statement.upsertKey == ["k2", "k1"])
        #expect(try parse("SUBSCRIBE kv envelope upsert (key (key))").upsertKey == ["key"])
    }

    @Test func withOptionsInAnyOrderAndSpelling() throws {
        let bare = try parse("SUBSCRIBE t WITH (SNAPSHOT)")
        #expect(bare.snapshot && !bare.progress)
        let both = try parse("SUBSCRIBE t WITH (SNAPSHOT = false, PROGRESS)")
        #expect(!both.snapshot && both.progress)
        let reversed = try parse("SUBSCRIBE t WITH (PROGRESS = true, SNAPSHOT false)")
        #expect(!reversed.snapshot && reversed.progress)
        let off = try parse("SUBSCRIBE t WITH (PROGRESS = FALSE)")
        #expect(!off.progress && off.snapshot)
    }

    @Test func asOfExactlyAndAtLeast() throws {
        #expect(try parse("SUBSCRIBE t AS OF 1700000000000").asOf == .exactly(1_700_000_000_000))
        #expect(try parse("SUBSCRIBE t AS OF AT LEAST 42").asOf == .atLeast(42))
        #expect(try parse("SUBSCRIBE t AS OF \(UInt64.max)").asOf == .exactly(.max))
    }

    @Test func clausesInAnyOrder() throws {
        let expected = SubscribeStatement(table: "kv", upsertKey: ["k"], snapshot: false, progress: true, asOf: .atLeast(7))
        #expect(try parse("SUBSCRIBE kv ENVELOPE UPSERT (KEY (k)) WITH (SNAPSHOT = false, PROGRESS) AS OF AT LEAST 7") == expected)
        #expect(try parse("SUBSCRIBE kv AS OF AT LEAST 7 WITH (PROGRESS, SNAPSHOT = false) ENVELOPE UPSERT (KEY (k))") == expected)
    }

    @Test func copyFormats() throws {
        #expect(try parse("COPY (SUBSCRIBE t) TO STDOUT").copy == .text)
        #expect(try parse("copy (subscribe t) to stdout with (format binary)").copy == .binary)
        #expect(try parse("COPY (SUBSCRIBE t) TO STDOUT (FORMAT binary)").copy == .binary)
        #expect(try parse("COPY (SUBSCRIBE t) TO STDOUT WITH (FORMAT TEXT);").copy == .text)
        #expect(try parse("COPY (SUBSCRIBE t) TO STDOUT (FORMAT 'binary')").copy == .binary)
    }

    @Test func fullCopyStatementFromTheFixtures() throws {
        let f1 = try parse("COPY (SUBSCRIBE (SELECT id, name FROM t) WITH (SNAPSHOT)) TO STDOUT")
        #expect(f1 == SubscribeStatement(table: "t", columns: ["id", "name"], copy: .text))
        let f3 = try parse("COPY (SUBSCRIBE kv ENVELOPE UPSERT (KEY (key)) WITH (PROGRESS)) TO STDOUT")
        #expect(f3 == SubscribeStatement(table: "kv", upsertKey: ["key"], progress: true, copy: .text))
    }

    @Test func commentsAreSkipped() throws {
        let statement = try parse("-- live feed\nSUBSCRIBE /* the table */ t WITH (PROGRESS) -- trailing")
        #expect(statement.table == "t")
        #expect(statement.progress)
    }

    // MARK: Errors

    @Test func notASubscribe() throws {
        let error = try #require(failure("SELECT * FROM t"))
        #expect(error.sqlState == "42601")
        #expect(error.code == .syntax)
        #expect(error.diagnostic.message == "Expected SUBSCRIBE, found SELECT")
        #expect(error.diagnostic.position == 1)
        #expect(error.diagnostic.severity == "ERROR")
    }

    @Test func missingRelationPointsAtTheEnd() throws {
        let error = try #require(failure("SUBSCRIBE"))
        #expect(error.sqlState == "42601")
        #expect(error.diagnostic.message == "Expected a table name, found end of statement")
        #expect(error.diagnostic.position == 10)
    }

    @Test func trailingGarbage() throws {
        let sql = "SUBSCRIBE t extra"
        let error = try #require(failure(sql))
        #expect(error.sqlState == "42601")
        #expect(error.diagnostic.message == "Expected end of statement, found identifier \"extra\"")
        #expect(error.diagnostic.position == position(of: "extra", in: sql))
    }

    @Test func unknownAndRepeatedOptions() throws {
        let sql = "SUBSCRIBE t WITH (FOO)"
        let unknown = try #require(failure(sql))
        #expect(unknown.sqlState == "42601")
        #expect(unknown.diagnostic.message == "Expected one of PROGRESS or SNAPSHOT, found identifier \"foo\"")
        #expect(unknown.diagnostic.position == position(of: "FOO", in: sql))
        let repeated = try #require(failure("SUBSCRIBE t WITH (PROGRESS, PROGRESS = false)"))
        #expect(repeated.sqlState == "42601")
        #expect(repeated.diagnostic.message == "PROGRESS specified more than once")
        #expect(try #require(failure("SUBSCRIBE t WITH (PROGRESS = maybe)")).sqlState == "42601")
        #expect(try #require(failure("SUBSCRIBE t WITH ()")).sqlState == "42601")
        #expect(try #require(failure("SUBSCRIBE t WITH (SNAPSHOT) WITH (PROGRESS)")).sqlState == "42601")
    }

    @Test func malformedEnvelope() throws {
        #expect(try #require(failure("SUBSCRIBE kv ENVELOPE UPSERT (KEY ())")).sqlState == "42601")
        #expect(try #require(failure("SUBSCRIBE kv ENVELOPE UPSERT KEY (k)")).sqlState == "42601")
        #expect(try #require(failure("SUBSCRIBE kv ENVELOPE UPSERT (KEY (k)")).sqlState == "42601")
        #expect(try #require(failure("SUBSCRIBE kv ENVELOPE")).sqlState == "42601")
    }

    @Test func unsupportedMaterializeFeaturesAre0A000() throws {
        let cases = [
            "SUBSCRIBE t UP TO 5",
            "SUBSCRIBE kv ENVELOPE DEBEZIUM (KEY (k))",
            "SUBSCRIBE t WITHIN TIMESTAMP ORDER BY a",
            "SUBSCRIBE (SELECT a FROM t WHERE a = 1)",
            "SUBSCRIBE (SELECT 1 AS a)",
            "SUBSCRIBE (SELECT a AS b FROM t)",
            "SUBSCRIBE (SELECT count(a) FROM t)",
            "SUBSCRIBE t AS OF now()",
            "SUBSCRIBE t AS OF AT LEAST TIMESTAMP '2026-01-01'",
            "COPY (SUBSCRIBE t) TO STDOUT WITH (FORMAT CSV)",
            "COPY (SUBSCRIBE t) TO STDOUT (DELIMITER ',')",
            "COPY (SUBSCRIBE t) TO '/tmp/out'",
        ]
        for sql in cases {
            let error = try #require(failure(sql))
            #expect(error.sqlState == "0A000", "\(sql): \(error)")
            #expect(error.code == .unsupported)
            #expect(error.diagnostic.position != nil)
        }
    }

    @Test func unsupportedClausePositionIsTheClause() throws {
        let sql = "SUBSCRIBE t WITH (PROGRESS) UP TO 5"
        let error = try #require(failure(sql))
        #expect(error.diagnostic.position == position(of: "UP", in: sql))
        #expect(error.diagnostic.message.contains("UP TO"))
    }

    @Test func asOfOutOfRange() throws {
        let error = try #require(failure("SUBSCRIBE t AS OF 18446744073709551616"))
        #expect(error.sqlState == "22003")
        #expect(try #require(failure("SUBSCRIBE t AS OF 1.5")).sqlState == "22003")
        #expect(try #require(failure("SUBSCRIBE t AS OF")).sqlState == "42601")
        #expect(try #require(failure("SUBSCRIBE t AS 5")).sqlState == "42601")
    }

    @Test func copyErrors() throws {
        #expect(try #require(failure("COPY (SUBSCRIBE t TO STDOUT")).sqlState == "42601")
        #expect(try #require(failure("COPY (SUBSCRIBE t) STDOUT")).sqlState == "42601")
        #expect(try #require(failure("COPY (SUBSCRIBE t) TO")).sqlState == "42601")
        #expect(try #require(failure("COPY (SUBSCRIBE t) TO STDOUT WITH")).sqlState == "42601")
        #expect(try #require(failure("COPY (SUBSCRIBE t) TO STDOUT (FORMAT xml)")).sqlState == "42601")
        #expect(try #require(failure("COPY (SUBSCRIBE t) TO STDOUT (FORMAT binary, FORMAT text)")).sqlState == "42601")
    }

    @Test func lexicalErrors() throws {
        let unterminated = try #require(failure("SUBSCRIBE \"open"))
        #expect(unterminated.sqlState == "42601")
        #expect(unterminated.diagnostic.position == 11)
        #expect(try #require(failure("SUBSCRIBE 'open")).sqlState == "42601")
        #expect(try #require(failure("SUBSCRIBE \"\"")).sqlState == "42601")
        #expect(try #require(failure("SUBSCRIBE t /* open")).sqlState == "42601")
        #expect(try #require(failure("SUBSCRIBE t AS OF 12abc")).sqlState == "42601")
        let junk = try #require(failure("SUBSCRIBE t ! x"))
        #expect(junk.sqlState == "42601")
        #expect(junk.diagnostic.position == 13)
    }

    @Test func positionsCountCharactersNotBytes() throws {
        let sql = "SUBSCRIBE \"tablé\" ñ"
        let error = try #require(failure(sql))
        #expect(error.diagnostic.position == 19)
    }

    @Test func otherSchemasAreRefused() throws {
        let error = try #require(failure("SUBSCRIBE other.t"))
        #expect(error.sqlState == "3F000")
        #expect(try #require(failure("SUBSCRIBE a.b.c.d")).sqlState == "42601")
    }

    @Test func emptyStatement() throws {
        #expect(try #require(failure("")).sqlState == "42601")
        #expect(try #require(failure(";")).sqlState == "42601")
    }

    /// Every prefix of valid statements parses or throws a SimError: the parser never traps or hangs.
    @Test func everyPrefixEndsInAStatementOrAnError() throws {
        let statements = [
            "COPY (SUBSCRIBE (SELECT \"a\", b FROM materialize.public.t) ENVELOPE UPSERT (KEY (a)) WITH (SNAPSHOT = false, PROGRESS) AS OF AT LEAST 17) TO STDOUT WITH (FORMAT BINARY);",
            "SUBSCRIBE TO (SELECT * FROM t) AS OF 5 WITH (PROGRESS false) -- c",
        ]
        var outcomes = 0
        for sql in statements {
            let scalars = Array(sql.unicodeScalars)
            for end in 0...scalars.count {
                var prefix = String.UnicodeScalarView()
                prefix.append(contentsOf: scalars[..<end])
                do {
                    _ = try SubscribeStatement(parsing: String(prefix))
                } catch {
                    #expect(["42601", "0A000", "22003", "3F000"].contains(error.sqlState))
                }
                outcomes += 1
            }
        }
        #expect(outcomes == statements.reduce(0) { $0 + $1.unicodeScalars.count + 1 })
    }
}
