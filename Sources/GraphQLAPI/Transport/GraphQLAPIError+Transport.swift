extension GraphQLAPIError.Code {
    /// A WebSocket client sent a message that is not valid JSON or not a valid protocol message.
    /// It never escapes the protocol machines: it becomes a close (4400) or an error message.
    public static let invalidMessage = Self("invalidMessage")
}
