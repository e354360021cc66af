import ArgumentParser
import Foundation
import GraphQLAPI
import PGClient
import PGWire
import Server

/// `tycostream check`: loads the schema file and verifies it against the database, so a typo in
/// a column name or a type that cannot be served is found before the server starts.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the schema file against the database: objects, columns, types and keys.",
        discussion: """
            Reads the server's settings: the environment over .env (DATABASE_HOST, DATABASE_PORT, DATABASE_USER, DATABASE_PASSWORD, DATABASE_NAME or DATABASE_URL, DATABASE_SSLMODE, SCHEMA_PATH…). For every source it checks that the object exists, that every column exists with a type that can be served as the declared one, and that the primary key columns exist. One query of information_schema.columns does it, with Materialize or PostgreSQL.

            Exit status: 0 when everything matches; 1 when the schema file has mistakes or does not match the database; 2 when the check could not run (settings, connection).

            Examples:
              tycostream check
              tycostream check --schema ./schema.yaml
              DATABASE_URL='postgres://materialize@localhost:6875/materialize' \\
                tycostream check
              tycostream check --url 'postgres://me:pw@db.example.com/app' --schema app.yaml
            """
    )

    @Option(help: "The schema file to check (default: SCHEMA_PATH, else ./schema.yaml).")
    var schema: String?

    @Option(help: "postgres://… URL to check against instead of the DATABASE_* settings.")
    var url: String?

    @Option(name: .customLong("env-file"), help: "The .env file to read settings from.")
    var envFile = ".env"

    func run() async throws {
        let settings = try loadSettings(url: url, envFile: envFile)
        let path = schema ?? settings.schemaPath
        let file: SchemaFile
        do {
            file = try SchemaFile.load(path: path)
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        let report: SchemaCheckReport
        do {
            report = try await SchemaCheck(schema: file).run(settings.database)
        } catch {
            printError(describe(error, database: settings.database))
            throw ExitCode(2)
        }
        FileHandle.standardOutput.write(Data(report.text.utf8))
        if !report.isOK { throw ExitCode(1) }
    }
}

/// The settings `check` and `generate-schema` read: the server's, with the database overridable.
func loadSettings(url: String?, envFile: String) throws -> ServerConfiguration {
    var settings: ServerConfiguration
    do {
        settings = try ServerConfiguration.load(dotEnvPath: envFile)
    } catch let error as ServerConfiguration.Invalid {
        printError("\(error.variable): \(error.message)")
        throw ExitCode(2)
    } catch {
        printError("cannot read \(envFile): \(error.localizedDescription)")
        throw ExitCode(2)
    }
    if let url {
        do {
            var database = try ConnectionConfiguration(url: url)
            database.applicationName = settings.database.applicationName
            settings.database = database
        } catch {
            printError("--url: \(error.message)")
            throw ExitCode(2)
        }
    }
    return settings
}

/// A connection or catalog failure, with the address tried and what to check.
func describe(_ error: any Error, database: ConnectionConfiguration) -> String {
    let place = "\(database.host):\(database.port)/\(database.database ?? "")"
    if let error = error as? PostgresError {
        switch error.code {
        case .connectionClosed, .timeout, .tls, .authentication, .configuration:
            return "cannot connect to \(place) as \(database.user): \(error); check DATABASE_HOST, DATABASE_PORT, DATABASE_USER, DATABASE_PASSWORD and DATABASE_SSLMODE (or DATABASE_URL)"
        default:
            return "\(place): \(error)"
        }
    }
    if let error = error as? ServerError { return error.message }
    return "cannot connect to \(place): \(error); check DATABASE_HOST and DATABASE_PORT (or DATABASE_URL)"
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}
