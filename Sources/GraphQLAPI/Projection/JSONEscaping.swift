/// JSON string escaping for other modules' hand-built JSON (health reports, webhook bodies),
/// the same escaping the projections use.
public enum JSONEscaping {
    /// Appends `string` as a quoted, escaped JSON string literal.
    public static func write(_ string: String, to bytes: inout [UInt8]) {
        JSONWriter.writeString(string, to: &bytes)
    }
}
