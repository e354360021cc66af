import Foundation
import PGClient
import PGWire

/// Decodes a COPY OUT stream from a real server into typed values and reports rows/s and MB/s.
///
/// Usage: DecodeBench URL TABLE [text|binary]...
/// Column types come from a `SELECT * FROM TABLE LIMIT 0` probe; every column of
/// every row is decoded into a `Datum`, so the figure includes typed decoding,
/// not only framing.
@main
struct DecodeBench {
    static func main() async throws {
        try await run()
    }

    /// Off the main actor: the connection lives in this task's region.
    nonisolated static func run() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 3 else {
            FileHandle.standardError.write(Data("usage: DecodeBench URL TABLE [text|binary]...\n".utf8))
            exit(2)
        }
        let configuration = try ConnectionConfiguration(url: arguments[1])
        let table = arguments[2]
        let formats = arguments.count > 3 ? Array(arguments[3...]) : ["text", "binary"]
        try await PostgresConnection.withConnection(configuration) { connection in
            let types = try await connection.query("SELECT * FROM \(table) LIMIT 0").columns.map(\.dataType)
            for format in formats {
                let sql = format == "binary" ? "COPY \(table) TO STDOUT (FORMAT binary)" : "COPY \(table) TO STDOUT"
                let clock = ContinuousClock()
                let start = clock.now
                var rows = 0
                var bytes = 0
                var nulls = 0
                let stream = try await connection.copyOut(sql)
                if format == "binary" {
                    var decoder = CopyBinaryDecoder()
                    for try await payload in stream {
                        bytes += payload.count + 5
                        try decoder.append(payload)
                        while let row = try decoder.nextRow() {
                            rows += 1
                            for index in 0..<types.count where try row.decode(index, as: types[index]).isNull {
                                nulls += 1
                            }
                        }
                    }
                } else {
                    for try await payload in stream {
                        bytes += payload.count + 5
                        let row = try CopyTextRow(payload)
                        rows += 1
                        for index in 0..<types.count where try row.decode(index, as: types[index]).isNull {
                            nulls += 1
                        }
                    }
                }
                let elapsed = clock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                let line = String(
                    format: "{\"format\":\"%@\",\"rows\":%d,\"bytes\":%d,\"nulls\":%d,\"seconds\":%.4f,\"rows_per_s\":%.0f,\"mb_per_s\":%.2f}",
                    format, rows, bytes, nulls, seconds, Double(rows) / seconds, Double(bytes) / seconds / 1e6)
                print(line)
            }
        }
    }
}
