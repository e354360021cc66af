/// The error type of capture and replay: reading a recording, proxying and replaying.
///
/// `line` names the recording line at fault (1-based) whenever one is, so a user can open the
/// file and fix it; messages say what to write instead.
public struct CaptureError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An extensible set of failure kinds.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A recording line could not be read.
        public static let syntax = Code("syntax")
        /// A `chunk` line points outside the message it splits.
        public static let chunkBoundary = Code("chunkBoundary")
        /// During replay the client sent something other than the recorded message.
        public static let mismatch = Code("mismatch")
        /// A socket or file operation failed.
        public static let io = Code("io")
        /// An option (address, path) is invalid.
        public static let configuration = Code("configuration")
    }

    public var code: Code
    public var message: String
    /// The 1-based line of the recording concerned, when there is one.
    public var line: Int?

    public init(_ code: Code, _ message: String, line: Int? = nil) {
        self.code = code
        self.message = message
        self.line = line
    }

    public var description: String {
        if let line { return "line \(line): \(message)" }
        return message
    }
}
