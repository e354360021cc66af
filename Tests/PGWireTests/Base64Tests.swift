import Testing
@testable import PGWire

@Suite struct Base64Tests {
    /// RFC 4648 §10 test vectors, both directions.
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(plain: String, encoded: String) {
        #expect(Base64.encodeString(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(Array(encoded.utf8)) == Array(plain.utf8))
    }

    @Test func allByteValuesRoundTrip() {
        let bytes = (0...255).map { UInt8($0) }
        #expect(Base64.decode(Base64.encode(bytes)) == bytes)
    }

    /// Only canonical padded input is accepted.
    @Test(arguments: ["Zg", "Zg=", "Zh==", "Zm9=", "Z===", "=Zg=", "Zg==Zg==", "Zm9v\n", "Zm 9", "Zm-_"])
    func nonCanonicalInputIsRejected(text: String) {
        #expect(Base64.decode(Array(text.utf8)) == nil)
    }
}
