import ArgumentParser
import Foundation
import PGClient
import Server

/// `tycostream generate-schema`: writes a schema file for existing tables and views, like
/// upstream's `scripts/generate-schema.sh` (`-s source -p key -e enum -c column:enum`).
struct GenerateSchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-schema",
        abstract: "Print a schema file (YAML) for tables and views in the database.",
        discussion: """
            Reads information_schema.columns (Materialize or PostgreSQL) with the server's settings (the environment over .env: DATABASE_HOST, DATABASE_PORT, DATABASE_USER, DATABASE_PASSWORD, DATABASE_NAME or DATABASE_URL…) and prints the schema file to stdout.

            Each --source takes the --key in the same position. Types are mapped as upstream's generate-schema.sh does; a type with no schema type of its own becomes String with a comment. Check the result with `tycostream check`.

            Examples:
              tycostream generate-schema --source trades --key id > schema.yaml
              tycostream generate-schema -e side=buy,sell -s trades -p id -c side:side \\
                -s positions -p trader,symbol > schema.yaml
              tycostream generate-schema --source pnl=analytics.pnl_v2 --key id
            """
    )

    @Option(name: [.customShort("s"), .long], help: ArgumentHelp(
        "A table or view to serve (schema-qualified if needed); NAME=OBJECT names the source apart from the object. Repeatable.",
        valueName: "[name=]object"))
    var source: [String] = []

    @Option(name: [.customShort("p"), .long, .customLong("primary-key")], help: ArgumentHelp(
        "The primary key of the source in the same position: a column, or columns separated by commas. Repeatable.",
        valueName: "column[,column…]"))
    var key: [String] = []

    @Option(name: [.customShort("e"), .long], help: ArgumentHelp(
        "Declare an enum with its values in order. Repeatable.", valueName: "name=value,value…"))
    var `enum`: [String] = []

    @Option(name: [.customShort("c"), .long], help: ArgumentHelp(
        "Declare a column as an enum, in every source with that column or in one source. Repeatable.",
        valueName: "[source.]column:enum"))
    var column: [String] = []

    @Option(help: "postgres://… URL to read from instead of the DATABASE_* settings.")
    var url: String?

    @Option(name: .customLong("env-file"), help: "The .env file to read settings from.")
    var envFile = ".env"

    /// Refuses malformed values before connecting, with this command's usage.
    func validate() throws {
        guard !source.isEmpty else {
            throw ValidationError("name at least one source: --source NAME --key COLUMN")
        }
        _ = try makeGenerator()
    }

    private func makeGenerator() throws -> SchemaGenerator {
        do {
            return try SchemaGenerator(
                sourceArguments: source, keyArguments: key, enumArguments: self.enum, columnArguments: column)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        let generator = try makeGenerator()
        let settings = try loadSettings(url: url, envFile: envFile)
        let yaml: String
        do {
            yaml = try await generator.generate(settings.database)
        } catch let error as ServerError {
            printError(error.message)
            throw ExitCode(1)
        } catch {
            printError(describe(error, database: settings.database))
            throw ExitCode(2)
        }
        FileHandle.standardOutput.write(Data(yaml.utf8))
        let count = generator.sources.count
        FileHandle.standardError.write(Data("Generated a schema for \(count) source\(count == 1 ? "" : "s").\n".utf8))
    }
}
