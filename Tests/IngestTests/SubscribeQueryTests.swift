@testable import Ingest
import Testing

@Suite struct SubscribeQueryTests {
    @Test func initialQuerySelectsSchemaColumnsKeyedByThePrimaryKey() {
        #expect(SubscribeQuery.initial(TestSources.kv) ==
            #"COPY (SUBSCRIBE (SELECT "value", "key" FROM "kv") ENVELOPE UPSERT (KEY ("key")) WITH (SNAPSHOT, PROGRESS)) TO STDOUT"#)
    }

    @Test func resumeIsAsOfTheTimestampBeforeTheLastProgress() {
        #expect(SubscribeQuery.resume(TestSources.kv, from: 1_700_000_001_000) ==
            #"COPY (SUBSCRIBE (SELECT "value", "key" FROM "kv") ENVELOPE UPSERT (KEY ("key")) WITH (SNAPSHOT = false, PROGRESS) AS OF 1700000000999) TO STDOUT"#)
    }

    @Test func compositeKeysAndQualifiedObjects() {
        let query = SubscribeQuery.initial(TestSources.wide)
        #expect(query.contains(#"FROM "analytics"."public"."Wide Table")"#))
        #expect(query.contains(#"KEY ("id", "region")"#))
    }

    @Test func identifiersAreQuoted() {
        #expect(SubscribeQuery.quoteIdentifier(#"we"ird"#) == #""we""ird""#)
        #expect(SubscribeQuery.quoteObject("a.b") == #""a"."b""#)
        #expect(SubscribeQuery.quoteObject(#""my.view""#) == #""my.view""#)
        #expect(SubscribeQuery.quoteObject(#"s."x""y""#) == #""s"."x""y""#)
        #expect(SubscribeQuery.quoteObject("Robert'); DROP TABLE x;--") == #""Robert'); DROP TABLE x;--""#)
    }
}
