import Foundation
import LiveViews

/// Builds the SUBSCRIBE statements of a source.
///
/// The statement is `COPY (SUBSCRIBE (SELECT <cols> FROM <object>) ENVELOPE UPSERT (KEY (<pk>))
/// WITH (SNAPSHOT, PROGRESS)) TO STDOUT` (architecture.md, data flow 1). Resuming after a
/// disconnect uses `AS OF P-1` with `SNAPSHOT = false`, where P is the last progress
/// timestamp received: SNAPSHOT = false emits only times greater than AS OF, so `AS OF P-1`
/// emits every update at P or later and nothing before it (protocol notes §3, "Resuming").
public enum SubscribeQuery {
    /// The first subscription: a snapshot, then live updates.
    public static func initial(_ source: IngestSource) -> String {
        statement(source, options: "SNAPSHOT, PROGRESS", asOf: nil)
    }

    /// A resumed subscription that delivers every update at `progress` or later.
    public static func resume(_ source: IngestSource, from progress: UInt64) -> String {
        precondition(progress > 0, "a progress timestamp is never 0")
        return statement(source, options: "SNAPSHOT = false, PROGRESS", asOf: progress - 1)
    }

    private static func statement(_ source: IngestSource, options: String, asOf: UInt64?) -> String {
        let schema = source.schema
        let columns = schema.columns.map { quoteIdentifier($0.name) }.joined(separator: ", ")
        let key = schema.primaryKey.map { quoteIdentifier(schema.columns[$0].name) }.joined(separator: ", ")
        var subscribe = "SUBSCRIBE (SELECT \(columns) FROM \(quoteObject(source.object))) ENVELOPE UPSERT (KEY (\(key))) WITH (\(options))"
        if let asOf { subscribe += " AS OF \(asOf)" }
        return "COPY (\(subscribe)) TO STDOUT"
    }

    /// Quotes an identifier for SQL: wrapped in double quotes, inner quotes doubled.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Quotes a possibly qualified object name (`db.schema.name`), each part on its own.
    /// A part already in double quotes is kept as written, so `"my.view"` stays one part.
    public static func quoteObject(_ object: String) -> String {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var index = object.startIndex
        while index < object.endIndex {
            let character = object[index]
            if character == "\"" {
                let next = object.index(after: index)
                if quoted, next < object.endIndex, object[next] == "\"" {
                    current.append("\"")
                    index = object.index(after: next)
                    continue
                }
                quoted.toggle()
            } else if character == ".", !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
            index = object.index(after: index)
        }
        parts.append(current)
        return parts.map(quoteIdentifier).joined(separator: ".")
    }
}
