import Foundation
import Logging
import PostgresNIO

/// The PostgresNIO baseline for DecodeBench: `SELECT` every row of TABLE through PostgresNIO
/// (extended query, binary results) and decode every column into Swift values.
///
/// Usage: PostgresNIODecodeBench URL TABLE [VARIANT...]
///
/// Variants (all by default):
/// - `tuple`: `row.decode((Int32, Int32, Double, Decimal, String, Bool?, Date, UUID).self)`, the
///   idiomatic and fastest PostgresNIO path, for the DecodeBench table's column types (falls back
///   to `random-access` for any other table).
/// - `tuple-numeric-text`: the same with `numeric` selected as `::text` into `String`, because
///   PostgresNIO's `Decimal` goes through a `String` and is the slowest column; a kinder baseline.
/// - `random-access`: `PostgresRandomAccessRow`, one `cell.decode` per column chosen by its
///   type, as DecodeBench does with our `Datum`.
///
/// Bytes are the DataRow messages' size on the wire, computed by the server (untimed) from each
/// column's binary send function, so MB/s compares with DecodeBench's CopyData bytes.
@main
struct PostgresNIODecodeBench {
    /// The DecodeBench table's column types, in order; the `tuple` variants need exactly these.
    static let tupleTypes = ["int4", "int4", "float8", "numeric", "text", "bool", "timestamptz", "uuid"]

    struct Column {
        var name: String
        var typeName: String
        /// The type's binary send function (`int8send`…), to size its wire form.
        var send: String

        var quoted: String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    }

    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 3, let url = URLComponents(string: arguments[1]), let host = url.host else {
            FileHandle.standardError.write(Data("usage: PostgresNIODecodeBench URL TABLE [tuple|tuple-numeric-text|random-access]...\n".utf8))
            exit(2)
        }
        let table = arguments[2]
        let variants = arguments.count > 3 ? Array(arguments[3...]) : ["tuple", "tuple-numeric-text", "random-access"]
        let database = String(url.path.dropFirst())
        let configuration = PostgresConnection.Configuration(
            host: host, port: url.port ?? 5432, username: url.user ?? "postgres", password: url.password,
            database: database.isEmpty ? nil : database, tls: .disable)
        var logger = Logger(label: "PostgresNIODecodeBench")
        logger.logLevel = .error
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            var columns: [Column] = []
            let rows = try await connection.query(
                """
                SELECT a.attname::text, t.typname::text, t.typsend::text
                FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                WHERE a.attrelid = \(table)::text::regclass AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY a.attnum
                """, logger: logger)
            for try await (name, typeName, send) in rows.decode((String, String, String).self) {
                columns.append(Column(name: name, typeName: typeName, send: send))
            }
            let matchesTuple = columns.map(\.typeName) == tupleTypes
            for variant in variants {
                var selected = columns
                if variant == "tuple-numeric-text" {
                    guard matchesTuple else { continue }
                    selected[3].send = "textsend"
                }
                let list = selected.enumerated().map { index, column in
                    variant == "tuple-numeric-text" && index == 3 ? column.quoted + "::text" : column.quoted
                }
                // DataRow: type byte, Int32 length, Int16 count, then per column an Int32 length and the value.
                let sizes = zip(selected, list).map { column, expression in
                    "coalesce(octet_length(\(column.send)(\(expression))), 0)"
                }
                let bytesSQL = "SELECT sum(\(7 + 4 * selected.count) + \(sizes.joined(separator: " + ")))::int8 FROM \(table)"
                var bytes = 0
                for try await total in try await connection.query(PostgresQuery(unsafeSQL: bytesSQL), logger: logger).decode(Int.self) {
                    bytes = total
                }
                let sql = PostgresQuery(unsafeSQL: "SELECT \(list.joined(separator: ", ")) FROM \(table)")
                let mode = matchesTuple ? variant : "random-access"
                let clock = ContinuousClock()
                let start = clock.now
                let (count, nulls, checksum) = try await run(mode, sql, connection: connection, logger: logger)
                let elapsed = clock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                print(String(
                    format: "{\"client\":\"postgresnio\",\"format\":\"binary\",\"variant\":\"%@\",\"rows\":%d,\"bytes\":%d,\"nulls\":%d,\"checksum\":%d,\"seconds\":%.4f,\"rows_per_s\":%.0f,\"mb_per_s\":%.2f}",
                    mode, count, bytes, nulls, checksum, seconds, Double(count) / seconds, Double(bytes) / seconds / 1e6))
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    /// Runs `sql` and decodes every column of every row; returns rows, NULLs and a checksum that
    /// keeps the decoded values alive.
    static func run(_ mode: String, _ sql: PostgresQuery, connection: PostgresConnection, logger: Logger) async throws -> (Int, Int, Int) {
        var rows = 0
        var nulls = 0
        var checksum = 0
        let result = try await connection.query(sql, logger: logger)
        switch mode {
        case "tuple":
            for try await (id, small, price, amount, name, flag, at, uid) in result.decode((Int32, Int32, Double, Decimal, String, Bool?, Date, UUID).self) {
                rows += 1
                if flag == nil { nulls += 1 }
                checksum &+= Int(id) &+ Int(small) &+ Int(truncatingIfNeeded: price.bitPattern) &+ amount.exponent &+ name.utf8.count
                    &+ Int(truncatingIfNeeded: at.timeIntervalSince1970.bitPattern) &+ Int(uid.uuid.0)
            }
        case "tuple-numeric-text":
            for try await (id, small, price, amount, name, flag, at, uid) in result.decode((Int32, Int32, Double, String, String, Bool?, Date, UUID).self) {
                rows += 1
                if flag == nil { nulls += 1 }
                checksum &+= Int(id) &+ Int(small) &+ Int(truncatingIfNeeded: price.bitPattern) &+ amount.utf8.count &+ name.utf8.count
                    &+ Int(truncatingIfNeeded: at.timeIntervalSince1970.bitPattern) &+ Int(uid.uuid.0)
            }
        default:
            for try await row in result {
                rows += 1
                let cells = row.makeRandomAccess()
                for index in 0..<cells.count {
                    let (isNull, value) = try decode(cells[index])
                    if isNull { nulls += 1 }
                    checksum &+= value
                }
            }
        }
        return (rows, nulls, checksum)
    }

    /// One cell into the Swift type PostgresNIO maps its column type to.
    static func decode(_ cell: PostgresCell) throws -> (isNull: Bool, value: Int) {
        switch cell.dataType {
        case .int8: return fold(try cell.decode(Int?.self)) { $0 }
        case .int4: return fold(try cell.decode(Int32?.self)) { Int($0) }
        case .int2: return fold(try cell.decode(Int16?.self)) { Int($0) }
        case .float8: return fold(try cell.decode(Double?.self)) { Int(truncatingIfNeeded: $0.bitPattern) }
        case .float4: return fold(try cell.decode(Float?.self)) { Int($0.bitPattern) }
        case .numeric: return fold(try cell.decode(Decimal?.self)) { $0.exponent }
        case .bool: return fold(try cell.decode(Bool?.self)) { $0 ? 1 : 0 }
        case .timestamptz, .timestamp, .date: return fold(try cell.decode(Date?.self)) { Int(truncatingIfNeeded: $0.timeIntervalSince1970.bitPattern) }
        case .uuid: return fold(try cell.decode(UUID?.self)) { Int($0.uuid.0) }
        default: return fold(try cell.decode(String?.self)) { $0.utf8.count }
        }
    }

    static func fold<T>(_ value: T?, _ reduce: (T) -> Int) -> (isNull: Bool, value: Int) {
        guard let value else { return (true, 0) }
        return (false, reduce(value))
    }
}
