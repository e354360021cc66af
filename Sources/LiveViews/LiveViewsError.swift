/// The one public error type of LiveViews.
///
/// `path` names where in a filter expression the problem is (e.g.
/// `where._and[1].rank._gte`), so a client can fix its query.
public struct LiveViewsError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A schema definition is inconsistent (missing key column, duplicate column…).
        public static let invalidSchema = Code("invalidSchema")
        /// A filter expression is invalid (unknown column or operator, wrong value type…).
        public static let invalidFilter = Code("invalidFilter")
        /// A batch does not fit the source (wrong column count, value of the wrong type…).
        public static let invalidBatch = Code("invalidBatch")
        /// The source failed upstream; consumers must resubscribe later.
        public static let sourceFailed = Code("sourceFailed")
        /// A subscriber fell too far behind and was ended.
        public static let subscriberOverflow = Code("subscriberOverflow")
        /// The source, view or subscriber was stopped.
        public static let stopped = Code("stopped")
    }

    public var code: Code
    public var message: String
    /// Where in a filter expression the problem is, when it is a filter error.
    public var path: String?

    public init(_ code: Code, _ message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String {
        if let path { return "\(path): \(message)" }
        return message
    }
}
