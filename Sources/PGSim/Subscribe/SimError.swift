public import PGWire

/// PGSim's one error type: a failure the simulated server reports to its client as an
/// ErrorResponse, so it carries the exact ``Diagnostic`` (severity, SQLSTATE, message, and a
/// position for syntax errors) that Materialize would send (materialize-subscribe.md §6).
///
/// `code` groups failures for callers that branch on them; the SQLSTATE in `diagnostic` is what
/// the client sees. Messages say what was wrong and what the simulator accepts instead.
public struct SimError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An extensible set of failure kinds; the server adds its own as static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The statement does not parse (SQLSTATE 42601).
        public static let syntax = Code("syntax")
        /// Valid Materialize SQL the simulator does not implement (SQLSTATE 0A000).
        public static let unsupported = Code("unsupported")
        /// A named column does not exist (SQLSTATE 42703).
        public static let undefinedColumn = Code("undefinedColumn")
        /// A named relation does not exist (SQLSTATE 42P01).
        public static let undefinedTable = Code("undefinedTable")
        /// A value is out of range or malformed (SQLSTATE 22xxx).
        public static let invalidValue = Code("invalidValue")
        /// The statement is well-formed but semantically wrong (a duplicate key column…).
        public static let invalidStatement = Code("invalidStatement")
    }

    public var code: Code
    /// What the client receives in the ErrorResponse.
    public var diagnostic: Diagnostic

    public init(_ code: Code, diagnostic: Diagnostic) {
        self.code = code
        self.diagnostic = diagnostic
    }

    /// An `ERROR` with Materialize's field order (`S`, `C`, `M`, then `D`, `H`, `P`; §6).
    ///
    /// - Parameter position: the 1-based character position in the query, for syntax errors.
    public init(_ code: Code, sqlState: String, _ message: String, detail: String? = nil, hint: String? = nil, position: Int? = nil) {
        var diagnostic = Diagnostic(severity: "ERROR", sqlState: sqlState, message: message)
        if let detail { diagnostic[.detail] = detail }
        if let hint { diagnostic[.hint] = hint }
        if let position { diagnostic[.position] = String(position) }
        self.init(code, diagnostic: diagnostic)
    }

    /// A 42601 syntax error at a 1-based character position.
    public static func syntax(_ message: String, position: Int) -> SimError {
        SimError(.syntax, sqlState: "42601", message, position: position)
    }

    /// A 0A000 error for SQL the simulator deliberately does not implement.
    public static func unsupported(_ message: String, position: Int? = nil) -> SimError {
        SimError(.unsupported, sqlState: "0A000", message, position: position)
    }

    /// A 42703 error for a column the relation does not have.
    public static func undefinedColumn(_ name: String) -> SimError {
        SimError(.undefinedColumn, sqlState: "42703", "column \"\(name)\" does not exist")
    }

    /// The SQLSTATE the client sees.
    public var sqlState: String { diagnostic.sqlState ?? "XX000" }

    public var description: String { diagnostic.description }
}
