/// The `name=value` attribute list of a SCRAM message (RFC 5802 §5 and §7), shared by
/// ``SCRAMClient`` and ``SCRAMServer``.
struct SCRAMAttributes {
    /// One attribute: a single ASCII letter and its (possibly empty) value.
    struct Attribute {
        var name: UInt8
        var value: ArraySlice<UInt8>
        /// Index in the message where this attribute starts (used to cut off the proof).
        var start: Int
    }

    var attributes: [Attribute]

    /// Splits `message` at commas. Every part must be `letter=value`; anything else is malformed.
    /// `what` names the message in errors ("server-first-message").
    init(_ message: [UInt8], what: String) throws(PostgresError) {
        attributes = []
        var start = 0
        while start <= message.count {
            let end = message[start...].firstIndex(of: UInt8(ascii: ",")) ?? message.count
            let part = message[start..<end]
            guard part.count >= 2, Self.isLetter(part[start]), part[start + 1] == UInt8(ascii: "=") else {
                throw PostgresError(.authentication,
                    "the \(what) is malformed: expected `name=value` attributes, got \(Self.describe(part)); "
                    + "the server does not speak SCRAM-SHA-256 as RFC 5802 specifies")
            }
            attributes.append(Attribute(name: part[start], value: message[(start + 2)..<end], start: start))
            start = end + 1
        }
    }

    /// Refuses a leading `m=` (a mandatory extension we cannot understand, RFC 5802 §5.1).
    func refuseMandatoryExtension(what: String) throws(PostgresError) {
        if attributes.first?.name == UInt8(ascii: "m") {
            throw PostgresError(.authentication,
                "the \(what) carries a mandatory extension (m=) this client does not support; authentication cannot continue")
        }
    }

    /// The value of the attribute at `index`, which must be named `name`.
    func value(at index: Int, named name: Character, what: String) throws(PostgresError) -> ArraySlice<UInt8> {
        guard index < attributes.count, attributes[index].name == name.asciiValue else {
            throw PostgresError(.authentication,
                "the \(what) is malformed: attribute \(index + 1) should be `\(name)=`"
                + (index < attributes.count ? " but is `\(Character(Unicode.Scalar(attributes[index].name)))=`" : " but is missing"))
        }
        return attributes[index].value
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// A nonce is printable ASCII except comma (RFC 5802 §7, `printable`).
    static func isValidNonce(_ bytes: some Collection<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { $0 >= 0x21 && $0 <= 0x7e && $0 != UInt8(ascii: ",") }
    }

    /// A short, safe rendering of peer bytes for an error message.
    static func describe(_ bytes: ArraySlice<UInt8>) -> String {
        let shown = bytes.prefix(40).map { $0 >= 0x20 && $0 < 0x7f ? Character(Unicode.Scalar($0)) : "?" }
        return "\"" + String(shown) + (bytes.count > 40 ? "…" : "") + "\""
    }

    /// Compares secrets in time independent of where they differ.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }
}

/// The SCRAM-SHA-256 key schedule of RFC 5802 §3.
enum SCRAMKeys {
    static func clientKey(saltedPassword: HMAC.Key) -> [UInt8] {
        HMAC.authenticationCode(for: Array("Client Key".utf8), key: saltedPassword)
    }

    static func serverKey(saltedPassword: HMAC.Key) -> [UInt8] {
        HMAC.authenticationCode(for: Array("Server Key".utf8), key: saltedPassword)
    }

    static func xor(_ lhs: [UInt8], _ rhs: [UInt8]) -> [UInt8] {
        precondition(lhs.count == rhs.count, "SCRAM keys and signatures are all 32 bytes")
        return zip(lhs, rhs).map { $0 ^ $1 }
    }
}
