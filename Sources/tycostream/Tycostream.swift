import ArgumentParser

/// The `tycostream` executable.
@main
struct Tycostream: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tycostream",
        abstract: "Turns live SQL views in Materialize into a real-time GraphQL API.",
        subcommands: [
            ServeCommand.self, DemoCommand.self, CheckCommand.self, SchemaCommand.self, GenerateSchemaCommand.self, QueryCommand.self,
            SimCommand.self, CaptureCommand.self, ReplayCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )
}
