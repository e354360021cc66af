/// A compiled SQL LIKE pattern (PostgreSQL manual, "Pattern Matching", 9.7.1).
///
/// `%` matches any sequence of characters, `_` exactly one character, and a
/// backslash makes the next character literal. Matching runs over the UTF-8 bytes
/// without allocating; `_` consumes one whole Unicode scalar, as PostgreSQL counts
/// characters, not bytes. ILIKE folds ASCII letters on the fly and lowercases
/// non-ASCII text (one allocation, only then).
struct LikePattern: Sendable {
    enum Token: Sendable, Equatable {
        case byte(UInt8)
        case one
        case many
    }

    let tokens: [Token]
    let caseInsensitive: Bool
    let negated: Bool
    /// The pattern as the canonical form shows it (lowercased for ILIKE).
    let text: String

    /// Returns `nil` when the pattern ends with a lone escape character, which
    /// PostgreSQL rejects ("LIKE pattern must not end with escape character").
    init?(_ pattern: String, caseInsensitive: Bool, negated: Bool) {
        let source = caseInsensitive ? pattern.lowercased() : pattern
        var tokens: [Token] = []
        var escaped = false
        for byte in source.utf8 {
            if escaped {
                tokens.append(.byte(byte))
                escaped = false
                continue
            }
            switch byte {
            case UInt8(ascii: "\\"): escaped = true
            case UInt8(ascii: "%"): if tokens.last != .many { tokens.append(.many) }
            case UInt8(ascii: "_"): tokens.append(.one)
            default: tokens.append(.byte(byte))
            }
        }
        guard !escaped else { return nil }
        self.tokens = tokens
        self.caseInsensitive = caseInsensitive
        self.negated = negated
        self.text = source
    }

    /// Whether `string` matches (already inverted for NOT LIKE / NOT ILIKE).
    func matches(_ string: String) -> Bool {
        let matched =
            string.utf8.withContiguousStorageIfAvailable { match($0) }
            ?? Array(string.utf8).withUnsafeBufferPointer { match($0) }
        return matched != negated
    }

    private func match(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard caseInsensitive else { return run(bytes, fold: false) }
        for byte in bytes where byte >= 0x80 {
            let lowered = String(decoding: bytes, as: UTF8.self).lowercased()
            return Array(lowered.utf8).withUnsafeBufferPointer { run($0, fold: false) }
        }
        return run(bytes, fold: true)
    }

    /// Wildcard matching with one backtrack point (the last `%`): O(n·m) worst case,
    /// no recursion, no allocation.
    private func run(_ bytes: UnsafeBufferPointer<UInt8>, fold: Bool) -> Bool {
        let count = bytes.count
        var position = 0
        var token = 0
        var starToken = -1
        var starPosition = 0
        while position < count {
            if token < tokens.count {
                switch tokens[token] {
                case .byte(let expected):
                    var actual = bytes[position]
                    if fold, actual >= UInt8(ascii: "A"), actual <= UInt8(ascii: "Z") { actual |= 0x20 }
                    if actual == expected {
                        position += 1
                        token += 1
                        continue
                    }
                case .one:
                    position = Swift.min(position + Self.scalarLength(bytes[position]), count)
                    token += 1
                    continue
                case .many:
                    starToken = token
                    starPosition = position
                    token += 1
                    continue
                }
            }
            guard starToken >= 0 else { return false }
            starPosition = Swift.min(starPosition + Self.scalarLength(bytes[starPosition]), count)
            position = starPosition
            token = starToken + 1
        }
        while token < tokens.count, tokens[token] == .many { token += 1 }
        return token == tokens.count
    }

    /// Length of the UTF-8 sequence a lead byte starts.
    @inline(__always)
    private static func scalarLength(_ lead: UInt8) -> Int {
        if lead < 0xC0 { return 1 }
        if lead < 0xE0 { return 2 }
        if lead < 0xF0 { return 3 }
        return 4
    }
}
