import ArgumentParser
import Foundation
import PGClient
import PGWire

/// `tycostream query`: runs one SQL statement and prints every row as a JSON line.
///
/// The first thing a user runs to check a connection: it exercises TLS,
/// authentication, simple queries and COPY OUT exactly as the server will.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run a SQL statement and print each result row as one JSON line.",
        discussion: """
            Rows are JSON arrays of typed values (numbers, booleans, strings, nested JSON, arrays).
            COPY … TO STDOUT (including Materialize's COPY (SUBSCRIBE …) TO STDOUT) is streamed
            row by row until it ends or you press Ctrl-C.

            Examples:
              tycostream query --url 'postgres://materialize@localhost:6875/materialize' 'SELECT * FROM mz_tables LIMIT 5'
              tycostream query --url 'postgres://me:secret@db.example.com/app?sslmode=verify-full&sslrootcert=ca.pem' 'SELECT now()'
              tycostream query --url 'postgres://localhost:6875/materialize?user=materialize' 'COPY (SUBSCRIBE t WITH (PROGRESS)) TO STDOUT'
            """
    )

    @Option(help: "postgres://user:password@host:port/database?sslmode=… (sslmode: disable, prefer, require, verify-ca, verify-full).")
    var url: String

    @Flag(help: "Print the column names as a JSON line before the rows.")
    var header = false

    @Argument(help: "The SQL to run.")
    var sql: String

    /// Refuses a malformed URL before connecting, with this command's usage.
    func validate() throws {
        _ = try connectionConfiguration()
    }

    private func connectionConfiguration() throws -> ConnectionConfiguration {
        do {
            return try ConnectionConfiguration(url: url)
        } catch {
            throw ValidationError("--url: \(error.message)")
        }
    }

    func run() async throws {
        let configuration = try connectionConfiguration()
        let output = LineWriter()
        do {
            try await PostgresConnection.withConnection(configuration) { connection in
                if CopyStatement(sql) != nil {
                    try await runCopy(connection, output: output)
                } else {
                    for result in try await connection.simpleQuery(sql) {
                        if header, !result.columns.isEmpty {
                            output.line(JSONText.array(result.columns.map { JSONText.string($0.name) }))
                        }
                        for row in result.rows {
                            output.line(try JSONText.row(row, columns: result.columns))
                        }
                    }
                }
                for notice in connection.notices {
                    FileHandle.standardError.write(Data("\(notice)\n".utf8))
                }
            }
        } catch let error as PostgresError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        output.flush()
    }

    /// Streams a COPY OUT, typing its columns from a `LIMIT 0` probe of the inner query when one is possible.
    private func runCopy(_ connection: PostgresConnection, output: LineWriter) async throws {
        let statement = CopyStatement(sql)
        var types: [TypeOID]?
        if let probe = statement?.probeQuery {
            if let result = try? await connection.query(probe) {
                types = result.columns.map(\.dataType)
                if header { output.line(JSONText.array(result.columns.map { JSONText.string($0.name) })) }
            }
        }
        let stream = try await connection.copyOut(sql)
        switch stream.format.format {
        case .text:
            for try await payload in stream {
                let row = try CopyTextRow(payload)
                output.line(try JSONText.copyTextRow(row, types: types))
            }
        case .binary:
            var decoder = CopyBinaryDecoder()
            for try await payload in stream {
                try decoder.append(payload)
                while let row = try decoder.nextRow() {
                    output.line(try JSONText.copyBinaryRow(row, types: types))
                }
            }
        }
    }
}

/// Buffers stdout lines and writes them in blocks (a write per row would dominate a large COPY).
final class LineWriter {
    private var buffer: [UInt8] = []

    func line(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}
