import Foundation
import Logging
import PGClient
import Server
import Testing

@Suite struct ServerConfigurationTests {
    @Test func defaultsFollowUpstream() throws {
        let configuration = try ServerConfiguration(variables: [:])
        #expect(configuration.database.port == 6875)
        #expect(configuration.database.host == "localhost")
        #expect(configuration.graphQLPort == 4000)
        #expect(configuration.schemaPath == "./schema.yaml")
        #expect(configuration.graphQLUI == false)
        #expect(configuration.logLevel == .info)
    }

    @Test func readsEveryVariable() throws {
        let configuration = try ServerConfiguration(variables: [
            "DATABASE_HOST": "mz.example.com", "DATABASE_PORT": "6876", "DATABASE_USER": "app",
            "DATABASE_PASSWORD": "mzp_secret", "DATABASE_NAME": "prod", "DATABASE_SSLMODE": "verify-full",
            "DATABASE_CLUSTER": "serving", "GRAPHQL_PORT": "4001", "GRAPHQL_UI": "true",
            "SCHEMA_PATH": "/etc/schema.yaml", "LOG_LEVEL": "DEBUG", "LOG_FORMAT": "json",
        ])
        #expect(configuration.database.host == "mz.example.com")
        #expect(configuration.database.port == 6876)
        #expect(configuration.database.user == "app")
        #expect(configuration.database.password == "mzp_secret")
        #expect(configuration.database.database == "prod")
        #expect(configuration.database.sslMode == .verifyFull)
        #expect(configuration.database.options == "--cluster=serving")
        #expect(configuration.graphQLPort == 4001)
        #expect(configuration.graphQLUI)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .json)
    }

    @Test func databaseURLWins() throws {
        let configuration = try ServerConfiguration(variables: [
            "DATABASE_URL": "postgres://u:p@h:1234/d?sslmode=require", "DATABASE_HOST": "ignored",
        ])
        #expect(configuration.database.host == "h")
        #expect(configuration.database.port == 1234)
        #expect(configuration.database.sslMode == .require)
    }

    @Test(arguments: [
        ("DATABASE_PORT", "abc", "whole number"),
        ("GRAPHQL_PORT", "70000", "whole number"),
        ("GRAPHQL_UI", "maybe", "boolean"),
        ("DATABASE_SSLMODE", "sometimes", "verify-full"),
        ("LOG_LEVEL", "loud", "trace"),
        ("LOG_FORMAT", "xml", "json"),
        ("DATABASE_URL", "http://x", "postgres://"),
        ("DATABASE_CLUSTER", "two words", "spaces"),
    ])
    func invalidValuesAreNamedAndExplained(variable: String, value: String, hint: String) {
        let error = #expect(throws: ServerConfiguration.Invalid.self) {
            try ServerConfiguration(variables: [variable: value])
        }
        #expect(error?.variable == variable)
        #expect(error?.message.contains(hint) == true, "\(String(describing: error))")
    }

    @Test func processEnvironmentOverridesDotEnv() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dotenv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(".env").path
        try "GRAPHQL_PORT=5000\nDATABASE_HOST=from-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        let configuration = try ServerConfiguration.load(environment: ["GRAPHQL_PORT": "6000"], dotEnvPath: path)
        #expect(configuration.graphQLPort == 6000)
        #expect(configuration.database.host == "from-file")
    }
}

@Suite struct DotEnvTests {
    @Test func parsesCommentsQuotesAndExport() throws {
        let values = try DotEnv.parse("""
            # a comment
            export A=1
            B = two words # trailing comment
            C="quoted # not a comment\\nnext"
            D='single $quoted'
            E=

            """)
        #expect(values == ["A": "1", "B": "two words", "C": "quoted # not a comment\nnext", "D": "single $quoted", "E": ""])
    }

    @Test func reportsTheLineOfAMistake() {
        let error = #expect(throws: DotEnv.ParseError.self) { try DotEnv.parse("A=1\nnot an assignment\n") }
        #expect(error?.line == 2)
        let quote = #expect(throws: DotEnv.ParseError.self) { try DotEnv.parse("A=\"open\n") }
        #expect(quote?.line == 1)
    }
}
