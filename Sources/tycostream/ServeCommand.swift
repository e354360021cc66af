import ArgumentParser
import Foundation
import Logging
import Server

/// `tycostream serve`: the server, configured from the environment and `.env`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the GraphQL API for the sources of the schema file (the default command).",
        discussion: """
            Configuration comes from the environment and from ./.env (the environment wins):
              DATABASE_HOST, DATABASE_PORT (6875), DATABASE_USER, DATABASE_PASSWORD, DATABASE_NAME
              or DATABASE_URL=postgres://user:password@host:6875/materialize?sslmode=require
              DATABASE_SSLMODE (disable|prefer|require|verify-ca|verify-full), DATABASE_SSLROOTCERT,
              DATABASE_CLUSTER, GRAPHQL_HOST (0.0.0.0), GRAPHQL_PORT (4000), GRAPHQL_UI (false),
              SCHEMA_PATH (./schema.yaml), LOG_LEVEL (info), LOG_FORMAT (text|json),
              MAX_CONNECTIONS, MAX_SUBSCRIPTIONS_PER_CONNECTION, MAX_MESSAGE_BYTES, MAX_QUERY_DEPTH,
              CONNECTION_INIT_TIMEOUT_SECONDS.

            Examples:
              DATABASE_URL='postgres://materialize@localhost:6875/materialize' tycostream serve
              tycostream serve --schema ./schema.yaml --env-file prod.env
            """
    )

    @Option(help: "The schema file (overrides SCHEMA_PATH).")
    var schema: String?

    @Option(name: .customLong("env-file"), help: "A .env file to read (the environment wins over it).")
    var envFile: String = ".env"

    func run() async throws {
        var configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration.load(dotEnvPath: envFile)
        } catch let error as ServerConfiguration.Invalid {
            // A setting from the environment or .env, not an argument: no usage to show.
            printError("invalid configuration: \(error)")
            throw ExitCode(1)
        } catch {
            printError("cannot read \(envFile): \(error.localizedDescription)")
            throw ExitCode(1)
        }
        if let schema { configuration.schemaPath = schema }
        let logger = LogSetup.bootstrap(configuration)
        do {
            try await ServerRunner.run(configuration: configuration, logger: logger)
        } catch {
            logger.critical("tycostream stopped: \(error)")
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

enum LogSetup {
    /// Sets up swift-log once for the process, as LOG_FORMAT and LOG_LEVEL say.
    static func bootstrap(_ configuration: ServerConfiguration) -> Logger {
        let level = configuration.logLevel
        switch configuration.logFormat {
        case .json:
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        var logger = Logger(label: "tycostream")
        logger.logLevel = level
        return logger
    }
}
