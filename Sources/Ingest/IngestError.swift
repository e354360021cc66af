import LiveViews
import PGWire

/// The one public error type of Ingest: what went wrong with which source, and
/// whether reconnecting can help.
public struct IngestError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The COPY stream's shape does not match the schema (column count, unexpected layout).
        public static let layoutMismatch = Code("layoutMismatch")
        /// A value could not be decoded as its column's declared type.
        public static let invalidValue = Code("invalidValue")
        /// Materialize reported `key_violation`: the declared primary key is not unique.
        public static let keyViolation = Code("keyViolation")
        /// The stream broke the SUBSCRIBE rules (timestamps going back, rows after progress…).
        public static let protocolViolation = Code("protocolViolation")
        /// One timestamp held more rows than the configured bound.
        public static let batchTooLarge = Code("batchTooLarge")
        /// The database refused the subscription or the connection.
        public static let database = Code("database")
    }

    public var code: Code
    public var source: String
    public var message: String
    /// The column concerned, when there is one.
    public var column: String?
    /// The database's error, when it reported one.
    public var underlying: PostgresError?

    public init(_ code: Code, source: String, _ message: String, column: String? = nil, underlying: PostgresError? = nil) {
        self.code = code
        self.source = source
        self.message = message
        self.column = column
        self.underlying = underlying
    }

    public var description: String {
        var text = "source '\(source)'"
        if let column { text += ", column '\(column)'" }
        return text + ": " + message
    }

    /// The LiveViews error consumers of the source are told.
    var asSourceFailure: LiveViewsError {
        LiveViewsError(.sourceFailed, description)
    }
}
