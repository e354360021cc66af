import Foundation
import Testing

/// PGWire must stay a pure codec: Foundation only, so it can be tested and replayed anywhere.
@Suite struct ModuleImportsTests {
    static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/PGWire")

    @Test func pgWireImportsOnlyFoundation() throws {
        let files = try #require(FileManager.default.enumerator(at: Self.sources, includingPropertiesForKeys: nil))
            .compactMap { $0 as? URL }
            .filter { $0.pathExtension == "swift" }
        #expect(files.count > 20, "found only \(files.count) files under \(Self.sources.path)")
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ").filter { !$0.hasPrefix("@") }
                guard let first = words.first, ["import", "public", "internal", "package", "private", "fileprivate"].contains(first),
                    let importIndex = words.firstIndex(of: "import"), importIndex + 1 < words.count
                else { continue }
                var module = words[importIndex + 1]
                if ["struct", "class", "enum", "func", "protocol", "typealias", "var", "let"].contains(module), importIndex + 2 < words.count {
                    module = words[importIndex + 2]
                }
                let root = module.split(separator: ".").first.map(String.init) ?? String(module)
                #expect(root == "Foundation", "\(file.lastPathComponent) imports \(module)")
            }
        }
    }
}
