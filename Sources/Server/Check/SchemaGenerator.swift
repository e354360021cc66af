import GraphQLAPI
import LiveViews
import PGClient

/// Writes a schema file for existing tables and views, as upstream's `scripts/generate-schema.sh`
/// does (https://github.com/tycoworks/tycostream/blob/main/scripts/generate-schema.sh), from
/// `information_schema.columns` so it works with PostgreSQL, Materialize and PGSim alike.
///
/// Column types come from ``SchemaTypeMapping/generatedType(forDataType:)``; a type without a schema
/// type of its own is written `String` with a comment naming it. Columns can be mapped to declared
/// enums. The output loads with ``SchemaFile`` and passes ``SchemaCheck`` against the same database.
public struct SchemaGenerator: Sendable {
    /// A source to generate.
    public struct Source: Sendable, Hashable {
        /// The source name in the schema file (the GraphQL field).
        public var name: String
        /// The database object, possibly qualified; written as `object:` when it differs from `name`.
        public var object: String
        /// The primary key column(s).
        public var primaryKey: [String]

        public init(name: String, object: String, primaryKey: [String]) {
            self.name = name
            self.object = object
            self.primaryKey = primaryKey
        }
    }

    /// Declares a column as an enum: in one source, or in every source that has the column.
    public struct EnumColumn: Sendable, Hashable {
        public var source: String?
        public var column: String
        public var enumName: String

        public init(source: String? = nil, column: String, enumName: String) {
            self.source = source
            self.column = column
            self.enumName = enumName
        }
    }

    public let sources: [Source]
    public let enums: [EnumType]
    public let enumColumns: [EnumColumn]

    /// Checks that names are valid GraphQL names, sources unique, and enum mappings name declared enums.
    public init(sources: [Source], enums: [EnumType] = [], enumColumns: [EnumColumn] = []) throws(ServerError) {
        guard !sources.isEmpty else {
            throw ServerError(.invalidArgument, "no source given; name at least one with --source NAME --key COLUMN")
        }
        var sourceNames = Set<String>()
        for source in sources {
            guard GeneratedNames.isValidName(source.name) else {
                throw ServerError(
                    .invalidArgument,
                    "'\(source.name)' is not a valid GraphQL name for a source (letters, digits, underscores); name it with --source NAME=\(source.object)")
            }
            guard sourceNames.insert(source.name).inserted else {
                throw ServerError(.invalidArgument, "source '\(source.name)' is given twice; give each source once, or name them apart with --source NAME=OBJECT")
            }
            guard !source.primaryKey.isEmpty, source.primaryKey.allSatisfy({ !$0.isEmpty }) else {
                throw ServerError(.invalidArgument, "source '\(source.name)' needs a primary key: --key COLUMN (or --key A,B for a composite key)")
            }
            _ = try SchemaIntrospection.ObjectName(parsing: source.object)
        }
        var enumNames = Set<String>()
        for type in enums {
            guard GeneratedNames.isValidName(type.name) else {
                throw ServerError(.invalidArgument, "'\(type.name)' is not a valid GraphQL name for an enum; use letters, digits and underscores")
            }
            guard enumNames.insert(type.name).inserted else {
                throw ServerError(.invalidArgument, "enum '\(type.name)' is declared twice; give each --enum once")
            }
            guard !type.values.isEmpty else {
                throw ServerError(.invalidArgument, "enum '\(type.name)' has no values; write --enum \(type.name)=a,b")
            }
            for value in type.values where !GeneratedNames.isValidName(value) || ["true", "false", "null"].contains(value) {
                throw ServerError(.invalidArgument, "enum '\(type.name)': '\(value)' is not a valid GraphQL enum value; use letters, digits and underscores")
            }
            guard Set(type.values).count == type.values.count else {
                throw ServerError(.invalidArgument, "enum '\(type.name)' lists a value twice; list each value once")
            }
        }
        for mapping in enumColumns {
            guard enumNames.contains(mapping.enumName) else {
                throw ServerError(
                    .invalidArgument,
                    "--column \(mapping.column):\(mapping.enumName) names no declared enum; declare it with --enum \(mapping.enumName)=a,b")
            }
            if let source = mapping.source, !sourceNames.contains(source) {
                throw ServerError(
                    .invalidArgument, "--column \(source).\(mapping.column):\(mapping.enumName) names no source given with --source")
            }
        }
        self.sources = sources
        self.enums = enums
        self.enumColumns = enumColumns
    }

    /// Builds a generator from the command line's values: `--source [NAME=]OBJECT` paired in order
    /// with `--key COLUMN[,COLUMN…]`, `--enum NAME=VALUE,VALUE…`, `--column [SOURCE.]COLUMN:ENUM`.
    public init(sourceArguments: [String], keyArguments: [String], enumArguments: [String], columnArguments: [String]) throws(ServerError) {
        guard sourceArguments.count == keyArguments.count else {
            throw ServerError(
                .invalidArgument,
                "each --source needs its own --key (got \(sourceArguments.count) source\(sourceArguments.count == 1 ? "" : "s") and \(keyArguments.count) key\(keyArguments.count == 1 ? "" : "s")); write --source trades --key id --source positions --key trader,symbol")
        }
        var sources: [Source] = []
        for (argument, key) in zip(sourceArguments, keyArguments) {
            let name: String
            let object: String
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                object = String(argument[argument.index(after: equals)...])
            } else {
                object = argument
                name = try SchemaIntrospection.ObjectName(parsing: argument).name
            }
            let columns = key.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
            sources.append(Source(name: name, object: object, primaryKey: columns))
        }
        var enums: [EnumType] = []
        for argument in enumArguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw ServerError(.invalidArgument, "--enum \(argument): write NAME=VALUE,VALUE…, e.g. --enum side=buy,sell")
            }
            let values = argument[argument.index(after: equals)...].split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
            enums.append(EnumType(name: String(argument[..<equals]), values: values))
        }
        var mappings: [EnumColumn] = []
        for argument in columnArguments {
            let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ServerError(.invalidArgument, "--column \(argument): write COLUMN:ENUM (or SOURCE.COLUMN:ENUM for one source), e.g. --column side:side")
            }
            let target = parts[0].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            if target.count == 2 {
                mappings.append(EnumColumn(source: String(target[0]), column: String(target[1]), enumName: String(parts[1])))
            } else {
                mappings.append(EnumColumn(column: String(parts[0]), enumName: String(parts[1])))
            }
        }
        try self.init(sources: sources, enums: enums, enumColumns: mappings)
    }

    /// Connects with `configuration`, reads the catalog and writes the schema file.
    public func generate(_ configuration: ConnectionConfiguration) async throws -> String {
        try await PostgresConnection.withConnection(configuration) { connection in
            try await generate(on: connection)
        }
    }

    /// Reads the catalog over an open connection and writes the schema file.
    public func generate(on connection: PostgresConnection) async throws -> String {
        var objects: [SchemaIntrospection.ObjectName] = []
        for source in sources { objects.append(try SchemaIntrospection.ObjectName(parsing: source.object)) }
        return try render(try await SchemaIntrospection.fetch(objects, on: connection))
    }

    /// Writes the schema file from catalog rows (which must include those of every source's object).
    public func render(_ introspection: SchemaIntrospection) throws(ServerError) -> String {
        var used = Set<EnumColumn>()
        var body: [String] = ["sources:"]
        for source in sources {
            let object = try SchemaIntrospection.ObjectName(parsing: source.object)
            let columns: [SchemaIntrospection.Column]
            switch introspection.resolve(object) {
            case .found(_, let found):
                columns = found
            case .missing(let similar):
                var message = "source '\(source.name)': no table or view '\(object)' is visible to this user"
                message += similar.isEmpty
                    ? "; check the name (schema-qualify it if needed, e.g. --source analytics.\(object.name)), DATABASE_NAME and the user's privileges"
                    : "; there is \(similar.map { "'\($0)'" }.joined(separator: " and ")): give that name to --source"
                throw ServerError(.objectNotFound, message)
            case .ambiguous(let candidates):
                throw ServerError(
                    .ambiguousObject,
                    "source '\(source.name)': '\(object)' exists as \(candidates.map { "'\($0)'" }.joined(separator: " and ")); qualify it, e.g. --source \(source.name)=\(candidates[0])")
            }
            let names = columns.map(\.name)
            for key in source.primaryKey where !names.contains(key) {
                throw ServerError(
                    .columnNotFound,
                    "source '\(source.name)': key column '\(key)' is not a column of '\(object)' (its columns: \(names.joined(separator: ", "))); give one of them to --key")
            }
            body.append("  \(Self.scalar(source.name)):")
            if source.primaryKey.count == 1 {
                body.append("    primary_key: \(Self.scalar(source.primaryKey[0]))")
            } else {
                body.append("    primary_key: [\(source.primaryKey.map(Self.scalar).joined(separator: ", "))]")
            }
            if source.object != source.name {
                body.append("    object: \(Self.scalar(source.object))")
            }
            body.append("    columns:")
            var seen = Set<String>()
            for column in columns {
                guard GeneratedNames.isValidName(column.name), !GeneratedNames.logicalOperators.contains(column.name) else {
                    if source.primaryKey.contains(column.name) {
                        throw ServerError(
                            .columnNotFound,
                            "source '\(source.name)': key column '\(column.name)' is not a valid GraphQL name; rename it in a view (AS \(Self.suggestedName(column.name))) and generate from the view")
                    }
                    body.append("      # \(Self.commentSafe(column.name)) (\(column.dataType)) is left out: not a valid GraphQL name; rename it in a view to serve it")
                    continue
                }
                guard seen.insert(column.name).inserted else { continue }
                if let mapping = enumColumns.first(where: { $0.column == column.name && $0.source == source.name })
                    ?? enumColumns.first(where: { $0.column == column.name && $0.source == nil })
                {
                    used.insert(mapping)
                    body.append("      \(Self.scalar(column.name)): \(Self.scalar(mapping.enumName))")
                } else if let type = SchemaTypeMapping.generatedType(forDataType: column.dataType) {
                    body.append("      \(Self.scalar(column.name)): \(type)")
                } else {
                    body.append("      \(Self.scalar(column.name)): String  # \(Self.commentSafe(column.dataType)) has no schema type of its own; served as its text form")
                }
            }
        }
        for mapping in enumColumns where !used.contains(mapping) {
            let scope = mapping.source.map { "source '\($0)'" } ?? "any source"
            throw ServerError(
                .columnNotFound,
                "--column \(mapping.source.map { "\($0)." } ?? "")\(mapping.column):\(mapping.enumName): \(scope) has no column '\(mapping.column)'; check the column name")
        }

        var lines = ["# Generated by `tycostream generate-schema`. Review the types, then run `tycostream check`."]
        if !enums.isEmpty {
            lines.append("enums:")
            for type in enums {
                lines.append("  \(Self.scalar(type.name)): [\(type.values.map(Self.scalar).joined(separator: ", "))]")
            }
            lines.append("")
        }
        lines += body
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: YAML text

    /// Words YAML 1.1 would read as booleans or null; quoted so a reader does not mistake them.
    private static let reservedWords: Set<String> = ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"]

    /// A YAML scalar: plain for identifier-like text, double-quoted (JSON-style escapes) otherwise.
    static func scalar(_ text: String) -> String {
        let plain =
            !text.isEmpty && !reservedWords.contains(text.lowercased())
            && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == ".") }
            && !(text.unicodeScalars.first.map { ("0"..."9").contains($0) } ?? true)
        if plain { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                quoted += "\\x" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 2)
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }

    /// Text for a `#` comment: one line.
    private static func commentSafe(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
    }

    private static func suggestedName(_ name: String) -> String {
        var result = String(name.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) ? Character($0) : "_" })
        if let first = result.unicodeScalars.first, ("0"..."9").contains(first) { result = "_" + result }
        return result
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
