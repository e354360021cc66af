/// The one public error type of the Server module: its tools (`check`, `generate-schema`) and
/// the trigger operations of the API.
///
/// Database failures stay ``PostgresError`` (they carry the server's SQLSTATE); this type is for
/// what the user asked for not making sense against the database: an unknown object, a key
/// column that does not exist, a malformed command-line value. Every message says what to do next.
public struct ServerError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A command-line value or option combination is malformed.
        public static let invalidArgument = Code("invalidArgument")
        /// An object name cannot be parsed (empty part, too many parts, unbalanced quotes).
        public static let invalidObjectName = Code("invalidObjectName")
        /// No table or view of that name is visible in `information_schema.columns`.
        public static let objectNotFound = Code("objectNotFound")
        /// An unqualified name exists in several schemas; it must be qualified.
        public static let ambiguousObject = Code("ambiguousObject")
        /// A named column (primary key, enum mapping) does not exist in the object.
        public static let columnNotFound = Code("columnNotFound")
        /// The schema file does not match the database; the server does not start.
        public static let schemaMismatch = Code("schemaMismatch")
        /// A trigger's name, filters, webhook URL or secret is not acceptable.
        public static let invalidTrigger = Code("invalidTrigger")
        /// No trigger of that name exists on the source, or one already does.
        public static let unknownTrigger = Code("unknownTrigger")
        public static let duplicateTrigger = Code("duplicateTrigger")
        /// The trigger store (`TRIGGER_STORE`) cannot be read or written.
        public static let triggerStore = Code("triggerStore")
    }

    public var code: Code
    /// What went wrong and what to do about it.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
