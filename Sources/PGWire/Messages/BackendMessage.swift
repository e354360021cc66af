/// A message from the server, as defined in
/// https://www.postgresql.org/docs/current/protocol-message-formats.html.
///
/// Payload-heavy messages (``DataRow``, CopyData) keep their bytes as slices of
/// the buffer they arrived in, so decoding a row costs no copy until a column
/// is read.
public enum BackendMessage: Sendable, Hashable {
    /// `R`: an authentication request or result.
    case authentication(Authentication)
    /// `K`: the process id and secret key a CancelRequest must quote.
    case backendKeyData(BackendKeyData)
    /// `S`: a run-time parameter the server reports (server_version, TimeZone…).
    case parameterStatus(name: String, value: String)
    /// `Z`: the server is ready for a new query.
    case readyForQuery(TransactionStatus)
    /// `T`: the columns of the rows that follow.
    case rowDescription(RowDescription)
    /// `D`: one row of a result set.
    case dataRow(DataRow)
    /// `C`: a statement finished; the tag is e.g. `SELECT 5` or `COPY 3`.
    case commandComplete(tag: String)
    /// `I`: the query string was empty.
    case emptyQueryResponse
    /// `E`: the current statement failed.
    case errorResponse(Diagnostic)
    /// `N`: a warning or notice; may arrive at any time, also inside COPY OUT.
    case noticeResponse(Diagnostic)
    /// `A`: a LISTEN/NOTIFY notification.
    case notificationResponse(processID: Int32, channel: String, payload: String)
    /// `H`: a COPY OUT stream starts.
    case copyOutResponse(CopyFormat)
    /// `G`: the server wants COPY IN data (we refuse it).
    case copyInResponse(CopyFormat)
    /// `W`: the server wants a COPY BOTH stream (replication; we refuse it).
    case copyBothResponse(CopyFormat)
    /// `d`: one chunk of COPY data; Materialize and PostgreSQL send one row per message.
    case copyData(ArraySlice<UInt8>)
    /// `c`: the COPY OUT stream ended normally.
    case copyDone
}

/// The `R` message family: https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
public enum Authentication: Sendable, Hashable {
    /// Code 0: authentication succeeded.
    case ok
    /// Code 2: Kerberos V5 (long obsolete; refused).
    case kerberosV5
    /// Code 3: send the password in clear text.
    case cleartextPassword
    /// Code 5: send `md5` + md5(md5(password + user) + salt).
    case md5Password(salt: UInt32)
    /// Code 7: GSSAPI (refused).
    case gss
    /// Code 8: GSSAPI or SSPI continuation data (refused).
    case gssContinue(data: [UInt8])
    /// Code 9: SSPI (refused).
    case sspi
    /// Code 10: SASL; the mechanisms the server offers, in its order of preference.
    case sasl(mechanisms: [String])
    /// Code 11: a SASL challenge (for SCRAM, the server-first-message).
    case saslContinue(data: [UInt8])
    /// Code 12: the SASL outcome (for SCRAM, the server-final-message).
    case saslFinal(data: [UInt8])
}

/// The key a CancelRequest must quote, sent once after authentication.
public struct BackendKeyData: Sendable, Hashable {
    public var processID: Int32
    public var secretKey: Int32

    public init(processID: Int32, secretKey: Int32) {
        self.processID = processID
        self.secretKey = secretKey
    }
}

/// The transaction status carried by ReadyForQuery.
public enum TransactionStatus: UInt8, Sendable, Hashable {
    /// `I`: not in a transaction block.
    case idle = 0x49
    /// `T`: in a transaction block.
    case inTransaction = 0x54
    /// `E`: in a failed transaction block; queries are refused until ROLLBACK.
    case failed = 0x45
}

/// The format of a value on the wire: text (0) or binary (1).
public enum Format: Int16, Sendable, Hashable {
    case text = 0
    case binary = 1
}

/// The body of CopyOutResponse, CopyInResponse and CopyBothResponse.
public struct CopyFormat: Sendable, Hashable {
    /// The overall format: text (also used for CSV) or binary.
    public var format: Format
    /// One format per column; all equal to `format` for COPY.
    public var columnFormats: [Format]

    public init(format: Format, columnFormats: [Format]) {
        self.format = format
        self.columnFormats = columnFormats
    }
}
