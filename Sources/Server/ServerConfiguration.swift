import Foundation
import Logging
import PGClient
import Webhooks

/// Everything the server reads from its environment (and `.env`), validated once at start.
///
/// Names follow upstream tycostream: `DATABASE_HOST/PORT/USER/PASSWORD/NAME` (or
/// `DATABASE_URL`), `GRAPHQL_PORT`, `GRAPHQL_UI`, `SCHEMA_PATH`, `LOG_LEVEL`, plus ours:
/// `DATABASE_SSLMODE`, `DATABASE_SSLROOTCERT`, `DATABASE_CLUSTER`, `GRAPHQL_HOST`, `LOG_FORMAT`
/// and the limits. An invalid value is named with what is allowed.
public struct ServerConfiguration: Sendable {
    public var database: ConnectionConfiguration
    public var graphQLHost: String
    public var graphQLPort: Int
    public var graphQLUI: Bool
    public var schemaPath: String
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    public var limits: Limits
    /// Webhook triggers: where they are stored and how they are delivered.
    public var triggers: Triggers

    public enum LogFormat: String, Sendable, CaseIterable {
        case text
        case json
    }

    /// Protective limits with safe defaults.
    public struct Limits: Sendable, Hashable {
        public var maxConnections = 10_000
        public var maxSubscriptionsPerConnection = 100
        public var maxMessageBytes = 1 << 20
        public var maxQueryDepth = 12
        public var connectionInitTimeout: Duration = .seconds(10)
        public init() {}
    }

    /// `TRIGGER_STORE` and the `WEBHOOK_*` settings.
    public struct Triggers: Sendable, Hashable {
        /// The directory of the durable outbox (trigger definitions, pending deliveries,
        /// matching keys); created when missing.
        public var store = ".tycostream/triggers"
        public var delivery = DeliveryPolicy()
        /// Which webhook hosts may be called; loopback and private networks are refused by
        /// default (a trigger must not reach the server's own network unless allowed).
        public var egress = EgressPolicy()
        public init() {}
    }

    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public let variable: String
        public let message: String
        public var description: String { "\(variable): \(message)" }
    }

    /// Reads the process environment over the values of `.env` (when `dotEnvPath` exists).
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment, dotEnvPath: String? = ".env"
    ) throws -> ServerConfiguration {
        var merged: [String: String] = [:]
        if let dotEnvPath, FileManager.default.fileExists(atPath: dotEnvPath) {
            let text = try String(contentsOfFile: dotEnvPath, encoding: .utf8)
            do {
                merged = try DotEnv.parse(text)
            } catch {
                throw Invalid(variable: dotEnvPath, message: error.description)
            }
        }
        merged.merge(environment) { _, process in process }
        return try ServerConfiguration(variables: merged)
    }

    public init(variables: [String: String]) throws(Invalid) {
        func value(_ name: String) -> String? {
            guard let value = variables[name], !value.isEmpty else { return nil }
            return value
        }
        func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws(Invalid) -> Int {
            guard let text = value(name) else { return defaultValue }
            guard let number = Int(text), range.contains(number) else {
                throw Invalid(variable: name, message: "'\(text)' is not a whole number in \(range.lowerBound)…\(range.upperBound)")
            }
            return number
        }
        func boolean(_ name: String, default defaultValue: Bool) throws(Invalid) -> Bool {
            guard let text = value(name) else { return defaultValue }
            switch text.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default: throw Invalid(variable: name, message: "'\(text)' is not a boolean; write true or false")
            }
        }

        var database: ConnectionConfiguration
        if let url = value("DATABASE_URL") {
            do {
                database = try ConnectionConfiguration(url: url)
            } catch {
                throw Invalid(variable: "DATABASE_URL", message: error.message)
            }
        } else {
            database = ConnectionConfiguration(
                host: value("DATABASE_HOST") ?? "localhost",
                port: try integer("DATABASE_PORT", default: 6875, range: 1...65535),
                user: value("DATABASE_USER") ?? "materialize",
                password: value("DATABASE_PASSWORD"),
                database: value("DATABASE_NAME") ?? "materialize")
        }
        if let mode = value("DATABASE_SSLMODE") {
            guard let sslMode = ConnectionConfiguration.SSLMode(rawValue: mode) else {
                throw Invalid(
                    variable: "DATABASE_SSLMODE",
                    message: "'\(mode)' is not one of \(ConnectionConfiguration.SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            database.sslMode = sslMode
        }
        if let rootCertificate = value("DATABASE_SSLROOTCERT") { database.sslRootCertificate = rootCertificate }
        if let cluster = value("DATABASE_CLUSTER") {
            guard !cluster.contains(where: \.isWhitespace) else {
                throw Invalid(variable: "DATABASE_CLUSTER", message: "'\(cluster)' contains spaces; give the cluster's name")
            }
            database.options = [database.options, "--cluster=\(cluster)"].compactMap { $0 }.joined(separator: " ")
        }
        database.applicationName = "tycostream"
        self.database = database

        graphQLHost = value("GRAPHQL_HOST") ?? "0.0.0.0"
        graphQLPort = try integer("GRAPHQL_PORT", default: 4000, range: 0...65535)
        graphQLUI = try boolean("GRAPHQL_UI", default: false)
        schemaPath = value("SCHEMA_PATH") ?? "./schema.yaml"

        let level = value("LOG_LEVEL") ?? "info"
        guard let logLevel = Logger.Level(rawValue: level.lowercased()) else {
            throw Invalid(
                variable: "LOG_LEVEL",
                message: "'\(level)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.logLevel = logLevel
        let format = value("LOG_FORMAT") ?? "text"
        guard let logFormat = LogFormat(rawValue: format.lowercased()) else {
            throw Invalid(variable: "LOG_FORMAT", message: "'\(format)' is not one of text, json")
        }
        self.logFormat = logFormat

        var limits = Limits()
        limits.maxConnections = try integer("MAX_CONNECTIONS", default: limits.maxConnections, range: 1...1_000_000)
        limits.maxSubscriptionsPerConnection = try integer(
            "MAX_SUBSCRIPTIONS_PER_CONNECTION", default: limits.maxSubscriptionsPerConnection, range: 1...100_000)
        limits.maxMessageBytes = try integer("MAX_MESSAGE_BYTES", default: limits.maxMessageBytes, range: 1024...(64 << 20))
        limits.maxQueryDepth = try integer("MAX_QUERY_DEPTH", default: limits.maxQueryDepth, range: 2...100)
        limits.connectionInitTimeout = .seconds(try integer("CONNECTION_INIT_TIMEOUT_SECONDS", default: 10, range: 1...600))
        self.limits = limits

        var triggers = Triggers()
        triggers.store = value("TRIGGER_STORE") ?? triggers.store
        triggers.delivery = DeliveryPolicy(
            timeout: .milliseconds(try integer("WEBHOOK_TIMEOUT_MS", default: 15_000, range: 100...600_000)),
            maxAttempts: try integer("WEBHOOK_MAX_ATTEMPTS", default: 10, range: 1...1_000),
            initialBackoff: .milliseconds(try integer("WEBHOOK_INITIAL_BACKOFF_MS", default: 1_000, range: 1...3_600_000)),
            maxBackoff: .milliseconds(try integer("WEBHOOK_MAX_BACKOFF_MS", default: 600_000, range: 1...86_400_000)))
        triggers.egress.allowLoopback = try boolean("WEBHOOK_ALLOW_LOOPBACK", default: false)
        triggers.egress.allowPrivate = try boolean("WEBHOOK_ALLOW_PRIVATE", default: false)
        triggers.egress.requireHTTPS = try boolean("WEBHOOK_REQUIRE_HTTPS", default: false)
        if let hosts = value("WEBHOOK_ALLOWED_HOSTS") {
            triggers.egress.allowedHosts = Set(hosts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                .filter { !$0.isEmpty })
        }
        self.triggers = triggers
    }
}
