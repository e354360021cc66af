import Foundation

/// Runs the built `tycostream` executable and captures what it prints.
struct CommandRunner {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// The executable beside the test bundle in the build products directory.
    static var executable: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On Linux the test runner is `<products>/tycostreamPackageTests.xctest`; on macOS a bundle inside it.
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("tycostream").path),
            directory.path != "/"
        {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("tycostream")
    }

    static func run(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Read both pipes while the process runs, so a large output cannot block it.
        async let out = Task.detachedRead(stdout.fileHandleForReading)
        async let err = Task.detachedRead(stderr.fileHandleForReading)
        let (outData, errData) = await (out, err)
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}

extension Task where Success == Data, Failure == Never {
    static func detachedRead(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: handle.readDataToEndOfFile())
            }
        }
    }
}
