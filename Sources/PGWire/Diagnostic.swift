/// The fields of an ErrorResponse or NoticeResponse.
///
/// Field codes follow https://www.postgresql.org/docs/current/protocol-error-fields.html.
/// Materialize sends only `S`, `C`, `M` and optionally `D`, `H`, `P` (no `V`), so
/// nothing but the message is required; unknown field codes are kept so a newer
/// server's extra detail is not lost.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// One field code of the protocol, identified by its byte.
    public struct Field: Sendable, Hashable, Comparable, CustomStringConvertible {
        public let code: UInt8
        @inlinable public init(_ code: UInt8) { self.code = code }

        /// `S`: ERROR, FATAL, PANIC, WARNING, NOTICE, DEBUG, INFO, LOG (possibly localised).
        public static let localizedSeverity = Field(UInt8(ascii: "S"))
        /// `V`: the severity, never localised (PostgreSQL 9.6+; Materialize omits it).
        public static let severity = Field(UInt8(ascii: "V"))
        /// `C`: the SQLSTATE code.
        public static let sqlState = Field(UInt8(ascii: "C"))
        public static let message = Field(UInt8(ascii: "M"))
        public static let detail = Field(UInt8(ascii: "D"))
        public static let hint = Field(UInt8(ascii: "H"))
        /// `P`: a 1-based character position into the query string.
        public static let position = Field(UInt8(ascii: "P"))
        public static let internalPosition = Field(UInt8(ascii: "p"))
        public static let internalQuery = Field(UInt8(ascii: "q"))
        public static let context = Field(UInt8(ascii: "W"))
        public static let schemaName = Field(UInt8(ascii: "s"))
        public static let tableName = Field(UInt8(ascii: "t"))
        public static let columnName = Field(UInt8(ascii: "c"))
        public static let dataTypeName = Field(UInt8(ascii: "d"))
        public static let constraintName = Field(UInt8(ascii: "n"))
        public static let file = Field(UInt8(ascii: "F"))
        public static let line = Field(UInt8(ascii: "L"))
        public static let routine = Field(UInt8(ascii: "R"))

        public static func < (lhs: Field, rhs: Field) -> Bool { lhs.code < rhs.code }
        public var description: String { String(UnicodeScalar(code)) }
    }

    /// Every field received, in the order received.
    public var fields: [(field: Field, value: String)] {
        get { storage }
        set { storage = newValue }
    }
    private var storage: [(field: Field, value: String)]

    public init(fields: [(field: Field, value: String)]) {
        self.storage = fields
    }

    /// A diagnostic with the three fields every server sends.
    public init(severity: String, sqlState: String, message: String) {
        self.storage = [(.localizedSeverity, severity), (.sqlState, sqlState), (.message, message)]
    }

    public subscript(field: Field) -> String? {
        get { storage.first(where: { $0.field == field })?.value }
        set {
            if let index = storage.firstIndex(where: { $0.field == field }) {
                if let newValue { storage[index].value = newValue } else { storage.remove(at: index) }
            } else if let newValue {
                storage.append((field, newValue))
            }
        }
    }

    /// The non-localised severity when sent (`V`), else the localised one (`S`).
    public var severity: String? { self[.severity] ?? self[.localizedSeverity] }
    public var sqlState: String? { self[.sqlState] }
    public var message: String { self[.message] ?? "" }
    public var detail: String? { self[.detail] }
    public var hint: String? { self[.hint] }
    /// The 1-based character position into the query, when the server gave one.
    public var position: Int? { self[.position].flatMap { Int($0) } }

    /// FATAL and PANIC end the session; the server closes the connection after them.
    public var isFatal: Bool {
        switch severity {
        case "FATAL", "PANIC": true
        default: false
        }
    }

    public var description: String {
        var text = "\(severity ?? "ERROR")"
        if let sqlState { text += " \(sqlState)" }
        text += ": \(message)"
        if let detail { text += " (detail: \(detail))" }
        if let hint { text += " (hint: \(hint))" }
        if let position { text += " (at character \(position))" }
        return text
    }

    public static func == (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
        lhs.storage.elementsEqual(rhs.storage) { $0.field == $1.field && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for (field, value) in storage {
            hasher.combine(field)
            hasher.combine(value)
        }
    }
}
