import PGClient

/// The columns of some database objects, read from `information_schema.columns` in one query.
///
/// `information_schema.columns` is the one catalog view PostgreSQL
/// (https://www.postgresql.org/docs/current/infoschema-columns.html) and Materialize
/// (https://materialize.com/docs/sql/system-catalog/information_schema/) both have, with the same
/// column names, so the check and the generator work against either (and PGSim, which answers it).
/// One query for every object, filtered by table name, keeps a check of many sources one round
/// trip, and avoids reading the thousands of system columns a Materialize catalog has.
public struct SchemaIntrospection: Sendable, Hashable {
    /// One row of `information_schema.columns`.
    public struct Column: Sendable, Hashable {
        public var catalog: String
        public var schema: String
        public var table: String
        public var name: String
        public var dataType: String

        public init(catalog: String, schema: String, table: String, name: String, dataType: String) {
            self.catalog = catalog
            self.schema = schema
            self.table = table
            self.name = name
            self.dataType = dataType
        }
    }

    /// The rows found, in catalog, schema, table and column order.
    public var columns: [Column]

    public init(columns: [Column]) {
        self.columns = columns
    }

    /// A possibly qualified object name, `[database.][schema.]name`, split the way ingest quotes it
    /// (every part is taken literally; a part in double quotes may contain dots).
    public struct ObjectName: Sendable, Hashable, CustomStringConvertible {
        public var catalog: String?
        public var schema: String?
        public var name: String

        public init(catalog: String? = nil, schema: String? = nil, name: String) {
            self.catalog = catalog
            self.schema = schema
            self.name = name
        }

        /// Parses `name`, `schema.name` or `database.schema.name`; `"a.b"` is one part.
        public init(parsing text: String) throws(ServerError) {
            var parts: [String] = []
            var current = ""
            var quoted = false
            var wasQuoted = false
            var iterator = text.makeIterator()
            var pending: Character? = nil
            func invalid(_ why: String) -> ServerError {
                ServerError(.invalidObjectName, "'\(text)' is not a valid object name: \(why); write name, schema.name or database.schema.name")
            }
            while let character = pending ?? iterator.next() {
                pending = nil
                if character.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                    throw invalid("it contains a control character")
                }
                if character == "\"" {
                    if quoted {
                        let next = iterator.next()
                        if next == "\"" {
                            current.append("\"")
                            continue
                        }
                        pending = next
                        quoted = false
                    } else {
                        quoted = true
                        wasQuoted = true
                    }
                } else if character == ".", !quoted {
                    guard !current.isEmpty || wasQuoted else { throw invalid("it has an empty part") }
                    parts.append(current)
                    current = ""
                    wasQuoted = false
                } else {
                    current.append(character)
                }
            }
            guard !quoted else { throw invalid("a double quote is not closed") }
            guard !current.isEmpty || wasQuoted else { throw invalid("it has an empty part") }
            parts.append(current)
            guard parts.count <= 3 else { throw invalid("it has more than three parts") }
            name = parts[parts.count - 1]
            schema = parts.count >= 2 ? parts[parts.count - 2] : nil
            catalog = parts.count == 3 ? parts[0] : nil
        }

        public var description: String {
            [catalog, schema, name].compactMap { $0 }.map(Self.display).joined(separator: ".")
        }

        /// A part as it would be written: bare when it is a plain identifier, quoted otherwise.
        private static func display(_ part: String) -> String {
            let plain = part.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0) }
            if plain, !part.isEmpty { return part }
            return "\"" + doubling("\"", in: part) + "\""
        }
    }

    /// How an object name resolved against the rows.
    public enum Resolution: Sendable, Hashable {
        /// Found in exactly one place; its columns in ordinal order.
        case found(ObjectName, [Column])
        /// No visible table or view has that name; the names of similar objects, if any.
        case missing(similar: [ObjectName])
        /// An unqualified name found in several schemas, none of them `public`.
        case ambiguous([ObjectName])
    }

    /// Schemas holding the system catalogs of PostgreSQL and Materialize; an unqualified name found
    /// both there and in a user schema means the user's object.
    static let systemSchemas: Set<String> = [
        "pg_catalog", "information_schema", "mz_catalog", "mz_internal", "mz_introspection", "mz_unsafe",
    ]

    /// Resolves `object` as the server would for an unqualified name with the default search path:
    /// a qualified name must match its parts; an unqualified one found in several schemas prefers a
    /// user schema over the system catalogs, then `public`, and is otherwise ambiguous.
    public func resolve(_ object: ObjectName) -> Resolution {
        var groups: [ObjectName: [Column]] = [:]
        var order: [ObjectName] = []
        for column in columns where column.table == object.name
            && (object.schema == nil || column.schema == object.schema)
            && (object.catalog == nil || column.catalog == object.catalog)
        {
            let key = ObjectName(catalog: column.catalog, schema: column.schema, name: column.table)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(column)
        }
        var candidates = order
        if candidates.count > 1 {
            let user = candidates.filter { !Self.systemSchemas.contains($0.schema ?? "") }
            if !user.isEmpty { candidates = user }
        }
        if candidates.count > 1, object.schema == nil {
            let inPublic = candidates.filter { $0.schema == "public" }
            if inPublic.count == 1 { candidates = inPublic }
        }
        if candidates.count > 1 {
            // Several user schemas (or, with older Materialize versions that list every database,
            // several databases): the server's search path decides, which we cannot know here.
            return .ambiguous(candidates)
        }
        guard let found = candidates.first, let columns = groups[found] else {
            let lowered = object.name.lowercased()
            var similar: [ObjectName] = []
            for column in self.columns where column.table.lowercased() == lowered {
                let name = ObjectName(catalog: nil, schema: column.schema, name: column.table)
                if !similar.contains(name) { similar.append(name) }
            }
            return .missing(similar: similar)
        }
        return .found(ObjectName(schema: found.schema, name: found.name), columns)
    }

    // MARK: Querying

    /// The query for the columns of `objects`: one statement, filtered by table name
    /// (`=` for one name, `IN` for several).
    public static func query(for objects: [ObjectName]) -> String {
        var names: [String] = []
        for object in objects where !names.contains(object.name) { names.append(object.name) }
        var sql = "SELECT table_catalog, table_schema, table_name, column_name, data_type FROM information_schema.columns"
        if names.count == 1 {
            sql += " WHERE table_name = \(literal(names[0]))"
        } else if !names.isEmpty {
            sql += " WHERE table_name IN (\(names.map(literal).joined(separator: ", ")))"
        }
        sql += " ORDER BY table_catalog, table_schema, table_name, ordinal_position"
        return sql
    }

    /// A SQL string literal: single quotes doubled (standard_conforming_strings is on in
    /// PostgreSQL ≥ 9.1 and always in Materialize, so backslashes are literal).
    static func literal(_ text: String) -> String {
        "'" + doubling("'", in: text) + "'"
    }

    /// Reads the columns of `objects` over `connection`.
    ///
    /// A server whose SQL dialect has no `IN` (PGSim answers `0A000`/`42601`) is asked for every
    /// column instead and the rows are filtered here; the answer is the same.
    public static func fetch(_ objects: [ObjectName], on connection: PostgresConnection) async throws -> SchemaIntrospection {
        let names = Set(objects.map(\.name))
        let result: QueryResult
        do {
            result = try await connection.query(query(for: objects))
        } catch let error as PostgresError where names.count > 1 && ["0A000", "42601"].contains(error.sqlState ?? "") {
            result = try await connection.query(query(for: []))
        }
        guard result.columns.count == 5 else {
            throw PostgresError(
                .protocolViolation,
                "information_schema.columns answered with \(result.columns.count) columns instead of 5; is this PostgreSQL or Materialize?")
        }
        var columns: [Column] = []
        columns.reserveCapacity(result.rows.count)
        for row in result.rows {
            var fields: [String] = []
            fields.reserveCapacity(5)
            for field in row {
                fields.append(field.map { String(decoding: $0, as: UTF8.self) } ?? "")
            }
            guard fields.count == 5 else {
                throw PostgresError(.protocolViolation, "a row of information_schema.columns has \(fields.count) fields instead of 5")
            }
            guard names.contains(fields[2]) else { continue }
            columns.append(Column(catalog: fields[0], schema: fields[1], table: fields[2], name: fields[3], dataType: fields[4]))
        }
        return SchemaIntrospection(columns: columns)
    }
}

/// `text` with every `quote` written twice, as SQL escapes a quote inside quotes.
func doubling(_ quote: Character, in text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count + 2)
    for character in text {
        result.append(character)
        if character == quote { result.append(quote) }
    }
    return result
}
