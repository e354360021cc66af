import ArgumentParser
import Foundation
import GraphQLAPI

/// `tycostream schema`: prints the GraphQL schema (SDL) the server would serve for a schema file.
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the GraphQL schema (SDL) generated from the schema file.",
        discussion: """
            Useful for client code generation and for reviewing what a schema file exposes.

            Examples:
              tycostream schema
              tycostream schema --schema ./schema.yaml > schema.graphql
            """
    )

    @Option(help: "The schema file (default: SCHEMA_PATH or ./schema.yaml).")
    var schema: String?

    func run() async throws {
        let path = schema ?? ProcessInfo.processInfo.environment["SCHEMA_PATH"] ?? "./schema.yaml"
        let result: Result<String, GraphQLAPIError> = Result { () throws(GraphQLAPIError) -> String in
            try APISchema(file: SchemaFile.load(path: path)).sdl
        }
        switch result {
        case .success(let sdl):
            print(sdl)
        case .failure(let error):
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
