import ArgumentParser

/// The `tycostream` executable.
@main
struct Tycostream: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tycostream",
        abstract: "Turns live SQL views in Materialize into a real-time GraphQL API.",
        discussion: """
            With no command, `serve` runs: it reads DATABASE_*, GRAPHQL_*, SCHEMA_PATH and the other
            settings from the environment and ./.env (see `tycostream serve --help`). Every command
            has --help with examples. Problems are reported on standard error with a non-zero exit
            status (64 for a usage error).

            Examples:
              tycostream demo
              tycostream check --schema ./schema.yaml
              DATABASE_URL='postgres://materialize@localhost:6875/materialize' tycostream
              tycostream help generate-schema
            """,
        subcommands: [
            ServeCommand.self, DemoCommand.self, CheckCommand.self, SchemaCommand.self, GenerateSchemaCommand.self, QueryCommand.self,
            SimCommand.self, CaptureCommand.self, ReplayCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )
}
