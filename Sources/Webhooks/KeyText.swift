/// Reads back a key as ``WebhookPayload/keyText(_:)`` wrote it: a compact JSON array of
/// scalars (`[42]`, `["AAPL",3]`, `[null,true]`).
enum KeyText {
    /// The element texts of the array, exactly as written (so they can be copied into JSON);
    /// `nil` when the text is not an array of JSON scalars.
    static func elements(_ text: String) -> [String]? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]") else { return nil }
        if bytes.count == 2 { return [] }
        var elements: [String] = []
        var index = 1
        while true {
            let start = index
            if bytes[index] == UInt8(ascii: "\"") {
                index += 1
                while index < bytes.count - 1, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard index < bytes.count - 1 else { return nil }
                index += 1
            } else {
                while index < bytes.count - 1, bytes[index] != UInt8(ascii: ",") {
                    let byte = bytes[index]
                    // Numbers and literals only: no nested arrays, objects or stray quotes.
                    guard byte != UInt8(ascii: "["), byte != UInt8(ascii: "{"), byte != UInt8(ascii: "\""),
                          byte != UInt8(ascii: "]"), byte != UInt8(ascii: "}"), byte > 0x20 else { return nil }
                    index += 1
                }
                guard index > start else { return nil }
            }
            elements.append(String(decoding: bytes[start..<index], as: UTF8.self))
            if index == bytes.count - 1 { return elements }
            guard bytes[index] == UInt8(ascii: ","), index + 1 < bytes.count - 1 else { return nil }
            index += 1
        }
    }
}
