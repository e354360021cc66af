/// The one public error type of Webhooks.
///
/// Messages say what to do next: which URL was refused and why, which outbox file is damaged.
public struct WebhooksError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A webhook URL is malformed or not http(s) with a host.
        public static let invalidURL = Code("invalidURL")
        /// A webhook host is, or resolves to, an address the egress policy refuses.
        public static let egressRefused = Code("egressRefused")
        /// A webhook host could not be resolved.
        public static let resolutionFailed = Code("resolutionFailed")
        /// A signing secret is not `whsec_` followed by base64, or is too short.
        public static let invalidSecret = Code("invalidSecret")
        /// A delivery's signature headers are missing, stale or do not match.
        public static let invalidSignature = Code("invalidSignature")
        /// The outbox directory or log cannot be read or written.
        public static let storage = Code("storage")
        /// The outbox log is not one this version can read.
        public static let corruptStore = Code("corruptStore")
        /// No trigger of that name exists, or one already does.
        public static let unknownTrigger = Code("unknownTrigger")
        public static let duplicateTrigger = Code("duplicateTrigger")
        /// No dead letter has that event id.
        public static let unknownDelivery = Code("unknownDelivery")
        /// A stored key does not fit the source's key columns.
        public static let invalidKey = Code("invalidKey")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
