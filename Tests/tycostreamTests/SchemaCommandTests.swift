import Foundation
import Testing

@Suite struct SchemaCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func printsTheSDLOfTheSchemaFile() async throws {
        let schema = Self.root.appendingPathComponent("Fixtures/schemas/upstream-example.yaml").path
        let snapshot = try String(
            contentsOf: Self.root.appendingPathComponent("Tests/GraphQLAPITests/Snapshots/upstream-example.graphql"), encoding: .utf8)
        let output = try await CommandRunner.run(["schema", "--schema", schema])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == snapshot.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func aBadSchemaFileIsReportedWithItsLine() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("schema-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("schema.yaml").path
        try "sources:\n  users:\n    primary_key: id\n    columns:\n      id: Intger\n".write(toFile: path, atomically: true, encoding: .utf8)
        let output = try await CommandRunner.run(["schema", "--schema", path])
        #expect(output.status == 1)
        #expect(output.stderr.contains("schema.yaml:5"), "\(output.stderr)")
        #expect(output.stderr.contains("Integer"), "\(output.stderr)")
    }
}
