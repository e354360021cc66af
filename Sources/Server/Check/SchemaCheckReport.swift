/// What ``SchemaCheck`` found: per source of the schema file, whether the database object
/// matches, and if not, what to change.
public struct SchemaCheckReport: Sendable, Hashable {
    /// One source of the schema file.
    public struct Source: Sendable, Hashable {
        /// The source name in the schema file.
        public var name: String
        /// The database object as configured (`object:` or the source name).
        public var object: String
        /// Where the object was found (`schema.name`), when it was.
        public var resolved: String?
        /// The line of the source in the schema file.
        public var line: Int
        /// How many configured columns were checked.
        public var columnCount: Int
        /// Mismatches; the source is usable only when there are none.
        public var problems: [Problem]
        /// Things worth knowing that do not stop the server (a type carried as text).
        public var notes: [String]

        public init(name: String, object: String, resolved: String?, line: Int, columnCount: Int, problems: [Problem], notes: [String]) {
            self.name = name
            self.object = object
            self.resolved = resolved
            self.line = line
            self.columnCount = columnCount
            self.problems = problems
            self.notes = notes
        }

        public var isOK: Bool { problems.isEmpty }
    }

    /// One mismatch between the schema file and the database.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public struct Kind: Sendable, Hashable, CustomStringConvertible {
            public let rawValue: String
            public init(_ rawValue: String) { self.rawValue = rawValue }
            public var description: String { rawValue }

            /// `object:` cannot be parsed as `[database.][schema.]name`.
            public static let invalidObjectName = Kind("invalidObjectName")
            /// No visible table or view has the name.
            public static let missingObject = Kind("missingObject")
            /// An unqualified name exists in several schemas.
            public static let ambiguousObject = Kind("ambiguousObject")
            /// A configured column does not exist in the object.
            public static let missingColumn = Kind("missingColumn")
            /// A configured column's database type cannot be served as its schema type.
            public static let incompatibleType = Kind("incompatibleType")
            /// A primary key column does not exist in the object.
            public static let missingKeyColumn = Kind("missingKeyColumn")
        }

        public var kind: Kind
        /// The column concerned, if the problem is about one.
        public var column: String?
        /// What is wrong and what to change.
        public var message: String

        public init(_ kind: Kind, column: String? = nil, _ message: String) {
            self.kind = kind
            self.column = column
            self.message = message
        }

        public var description: String { message }
    }

    /// The path of the checked schema file.
    public var schemaPath: String
    /// Every source, in file order.
    public var sources: [Source]

    public init(schemaPath: String, sources: [Source]) {
        self.schemaPath = schemaPath
        self.sources = sources
    }

    /// True when every source matches.
    public var isOK: Bool { sources.allSatisfy(\.isOK) }

    /// Every problem of every source.
    public var problems: [Problem] { sources.flatMap(\.problems) }

    /// The report as people read it: one line per good source, the problems of the others
    /// (prefixed `file:line:` so editors can jump to them), and a summary line.
    public var text: String {
        var lines: [String] = []
        for source in sources {
            let location = source.resolved.map { " (\($0))" } ?? (source.object == source.name ? "" : " (\(source.object))")
            if source.isOK {
                lines.append("ok    \(source.name)\(location): \(source.columnCount) column\(source.columnCount == 1 ? "" : "s") match")
            } else {
                let count = source.problems.count
                lines.append("FAIL  \(source.name)\(location): \(count) problem\(count == 1 ? "" : "s")")
                for problem in source.problems {
                    lines.append("      \(schemaPath):\(source.line): \(problem.message)")
                }
            }
            for note in source.notes {
                lines.append("      note: \(note)")
            }
        }
        let failing = sources.filter { !$0.isOK }
        if failing.isEmpty {
            lines.append("\(schemaPath): all \(sources.count) source\(sources.count == 1 ? "" : "s") match the database.")
        } else {
            let count = problems.count
            lines.append(
                "\(schemaPath): \(count) problem\(count == 1 ? "" : "s") in \(failing.count) of \(sources.count) source\(sources.count == 1 ? "" : "s"); fix the schema file or the database and run `tycostream check` again.")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
