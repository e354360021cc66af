import GraphQLAPI
import LiveViews
import PGClient

/// Verifies a schema file against the database before the server relies on it: every source's
/// object exists, every configured column exists with a type that can be served as the
/// configured schema type (see ``SchemaTypeMapping``), and every primary key column exists.
///
/// Catching these at `tycostream check` time turns what would be a failed `SUBSCRIBE` (or, worse,
/// values decoded as the wrong type) at startup into a report that says what to change.
/// The database is asked once, for every source (``SchemaIntrospection``); ``evaluate(_:)`` is
/// the pure comparison, testable without a database.
public struct SchemaCheck: Sendable {
    public let schema: SchemaFile

    public init(schema: SchemaFile) {
        self.schema = schema
    }

    /// Connects with `configuration`, reads the catalog and compares.
    public func run(_ configuration: ConnectionConfiguration) async throws -> SchemaCheckReport {
        try await PostgresConnection.withConnection(configuration) { connection in
            try await run(on: connection)
        }
    }

    /// Reads the catalog over an open connection and compares.
    public func run(on connection: PostgresConnection) async throws -> SchemaCheckReport {
        let objects = schema.sources.compactMap { try? SchemaIntrospection.ObjectName(parsing: $0.object) }
        let introspection = try await SchemaIntrospection.fetch(objects, on: connection)
        return evaluate(introspection)
    }

    /// Compares the schema file with catalog rows (which must include those of every source's object).
    public func evaluate(_ introspection: SchemaIntrospection) -> SchemaCheckReport {
        SchemaCheckReport(schemaPath: schema.path, sources: schema.sources.map { check($0, introspection) })
    }

    private func check(_ source: SourceDefinition, _ introspection: SchemaIntrospection) -> SchemaCheckReport.Source {
        var report = SchemaCheckReport.Source(
            name: source.name, object: source.object, resolved: nil, line: source.line,
            columnCount: source.schema.columns.count, problems: [], notes: [])
        let object: SchemaIntrospection.ObjectName
        do {
            object = try SchemaIntrospection.ObjectName(parsing: source.object)
        } catch {
            report.problems.append(.init(.invalidObjectName, "source '\(source.name)': \(error.message) in `object:`"))
            return report
        }
        let found: [SchemaIntrospection.Column]
        switch introspection.resolve(object) {
        case .found(let name, let columns):
            report.resolved = name.description
            found = columns
        case .missing(let similar):
            var message = "source '\(source.name)': no table or view '\(object)' is visible to this user"
            if !similar.isEmpty {
                message += "; there is \(similar.map { "'\($0)'" }.joined(separator: " and ")): set `object:` to it"
            } else {
                message += "; create it, set `object:` to the right name (schema-qualified if needed), or check DATABASE_NAME and the user's privileges"
            }
            report.problems.append(.init(.missingObject, message))
            return report
        case .ambiguous(let candidates):
            report.problems.append(.init(
                .ambiguousObject,
                "source '\(source.name)': '\(object)' exists as \(candidates.map { "'\($0)'" }.joined(separator: " and ")); set `object:` to the one to use, e.g. `object: \(candidates[0])`"))
            return report
        }

        var byName: [String: SchemaIntrospection.Column] = [:]
        for column in found where byName[column.name] == nil { byName[column.name] = column }
        let keyNames = Set(source.schema.primaryKey.map { source.schema.columns[$0].name })
        let place = report.resolved ?? source.object
        for column in source.schema.columns {
            guard let database = byName[column.name] else {
                let isKey = keyNames.contains(column.name)
                var message =
                    isKey
                    ? "source '\(source.name)': primary key column '\(column.name)' does not exist in \(place)"
                    : "source '\(source.name)': column '\(column.name)' does not exist in \(place)"
                if let suggestion = Self.closest(to: column.name, among: found.map(\.name)) {
                    if suggestion.lowercased() == column.name.lowercased() {
                        message += "; the database spells it '\(suggestion)' (names are case-sensitive): rename the column in the schema file to '\(suggestion)'"
                    } else {
                        message += "; did you mean '\(suggestion)'?"
                    }
                } else {
                    message += isKey
                        ? "; a key column must be one of the object's columns (\(found.map(\.name).joined(separator: ", ")))"
                        : "; remove it from the schema file or add it to the object (its columns: \(found.map(\.name).joined(separator: ", ")))"
                }
                report.problems.append(.init(isKey ? .missingKeyColumn : .missingColumn, column: column.name, message))
                continue
            }
            if !SchemaTypeMapping.accepts(column.type, dataType: database.dataType) {
                var message =
                    "source '\(source.name)': column '\(column.name)' is declared \(column.type) but is \(database.dataType) in \(place); \(column.type) needs one of \(SchemaTypeMapping.acceptedDataTypes(for: column.type).joined(separator: ", "))"
                if let suggested = SchemaTypeMapping.generatedType(forDataType: database.dataType) {
                    message += "; declare it `\(column.name): \(suggested)` or cast it in the view"
                } else {
                    message += "; declare it `\(column.name): String` to carry its text, or cast it in the view"
                }
                report.problems.append(.init(.incompatibleType, column: column.name, message))
            } else if column.type == .string, SchemaTypeMapping.isCarriedAsText(database.dataType) {
                report.notes.append("column '\(column.name)' is \(database.dataType), which has no schema type of its own; it is served as its text form")
            }
        }
        return report
    }

    /// The candidate closest to `word` (case-insensitive edit distance), when close enough to be a typo.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let target = Array(word.lowercased().unicodeScalars)
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(target, Array(candidate.lowercased().unicodeScalars))
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        let limit = max(1, min(target.count, best.name.count) / 3)
        return best.distance <= limit ? best.name : nil
    }

    private static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
