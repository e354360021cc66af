import Foundation

/// The one public error type of GraphQLAPI.
///
/// Schema-file errors carry the file, line and column of the offending YAML node so that
/// `tycostream check` and startup can print `schema.yaml:12:7: …` the way compilers do;
/// every message says what to write instead.
public struct GraphQLAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The schema file could not be read (missing, unreadable, not UTF-8).
        public static let unreadableFile = Code("unreadableFile")
        /// The schema file is not well-formed YAML.
        public static let yamlSyntax = Code("yamlSyntax")
        /// A mapping has a key the schema file format does not define.
        public static let unknownKey = Code("unknownKey")
        /// A required key (`sources`, `primary_key`, `columns`) is missing or empty.
        public static let missingKey = Code("missingKey")
        /// A value has the wrong shape (a list where a mapping belongs, an empty name…).
        public static let invalidValue = Code("invalidValue")
        /// A column type is neither a built-in type nor a declared enum.
        public static let unknownType = Code("unknownType")
        /// A name is not a valid GraphQL name, or is reserved.
        public static let invalidName = Code("invalidName")
        /// A source, column, enum or enum value is declared twice.
        public static let duplicateName = Code("duplicateName")
        /// A name would produce a GraphQL type or field that another declaration also produces.
        public static let nameCollision = Code("nameCollision")
        /// An enum declares no values.
        public static let emptyEnum = Code("emptyEnum")
        /// The primary key is missing, empty, or names a column that does not exist.
        public static let invalidPrimaryKey = Code("invalidPrimaryKey")
        /// A GraphQL argument could not be turned into a filter (too deep, not an object…).
        public static let invalidArgument = Code("invalidArgument")
        /// A trigger operation was requested but no trigger service is plugged in.
        public static let triggersUnavailable = Code("triggersUnavailable")
        /// A subscription reached GraphQLSwift's executor but no subscription service is plugged in.
        public static let subscriptionsUnavailable = Code("subscriptionsUnavailable")
        /// The generated GraphQL schema did not validate: a bug of ours, reported rather than trapped.
        public static let invalidGeneratedSchema = Code("invalidGeneratedSchema")
    }

    /// A position in the schema file; `line` and `column` count from 1.
    public struct Location: Sendable, Hashable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var column: Int

        public init(file: String, line: Int, column: Int) {
            self.file = file
            self.line = line
            self.column = column
        }

        public var description: String { "\(file):\(line):\(column)" }
    }

    public var code: Code
    public var message: String
    /// Where in the schema file the problem is, for schema-file errors.
    public var location: Location?

    public init(_ code: Code, _ message: String, location: Location? = nil) {
        self.code = code
        self.message = message
        self.location = location
    }

    /// The schema file, when the error is about one.
    public var file: String? { location?.file }
    /// The 1-based line in the schema file, when known.
    public var line: Int? { location?.line }
    /// The 1-based column in the schema file, when known.
    public var column: Int? { location?.column }

    public var description: String {
        if let location { return "\(location): \(message)" }
        return message
    }
}

/// GraphQLSwift reports some resolver errors (e.g. from a subscription's source stream) by
/// `localizedDescription`; without this, clients would read "The operation could not be completed".
extension GraphQLAPIError: LocalizedError {
    public var errorDescription: String? { description }
}
