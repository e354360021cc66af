/// A WebSocket close code and the reasons this module closes with.
///
/// 4xxx codes are those of graphql-transport-ws
/// (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md); 1xxx are RFC 6455 §7.4.1.
public struct WSCloseCode: Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }

    /// 1000: the client asked to end the session (legacy `connection_terminate`).
    public static let normalClosure = Self(1000)
    /// 1001: the server is shutting down.
    public static let goingAway = Self(1001)
    /// 1003: a binary frame on the legacy protocol, which is text-only.
    public static let unsupportedData = Self(1003)
    /// 1009: a message longer than ``WSConfiguration/maximumMessageSize``.
    public static let messageTooBig = Self(1009)
    /// 4400: a message of a type or format the protocol does not define.
    public static let badRequest = Self(4400)
    /// 4401: `subscribe` before the server acknowledged the connection.
    public static let unauthorized = Self(4401)
    /// 4403: the connection_init hook rejected the client.
    public static let forbidden = Self(4403)
    /// 4406: the client offered no subprotocol we speak.
    public static let subprotocolNotAcceptable = Self(4406)
    /// 4408: no connection_init within ``WSConfiguration/connectionInitTimeout``.
    public static let connectionInitialisationTimeout = Self(4408)
    /// 4409: `subscribe` reusing the id of an operation that is still active.
    public static let subscriberAlreadyExists = Self(4409)
    /// 4429: a second connection_init.
    public static let tooManyInitialisationRequests = Self(4429)

    /// RFC 6455 §5.5 caps a control frame's payload at 125 bytes, two of which carry the code.
    public static let maximumReasonBytes = 123

    /// `reason` if it fits in a close frame, else `fallback` (as graphql-ws's `limitCloseReason`
    /// does), else `reason` cut at a character boundary.
    static func limitReason(_ reason: String, fallback: String? = nil) -> String {
        if reason.utf8.count <= maximumReasonBytes { return reason }
        if let fallback, fallback.utf8.count <= maximumReasonBytes { return fallback }
        var result = ""
        var count = 0
        for character in reason {
            count += character.utf8.count
            if count > maximumReasonBytes { break }
            result.append(character)
        }
        return result
    }
}
