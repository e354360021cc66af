import Testing
@testable import PGWire

@Suite struct SHA256Tests {
    /// FIPS 180-4 examples (NIST CSRC "Examples with intermediate values") and the million-`a` message.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func nistVectors(message: String, digest: String) {
        #expect(hex(SHA256.hash(Array(message.utf8))) == digest)
    }

    @Test func oneMillionA() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(hex(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Split points around the block and padding boundaries must not change the digest.
    @Test func incrementalMatchesOneShotAtEverySplit() {
        let message = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 200] {
            let whole = SHA256.hash(message[0..<length])
            for split in 0...length {
                var hasher = SHA256()
                hasher.update(message[0..<split])
                hasher.update(message[split..<length])
                #expect(hasher.finalize() == whole, "length \(length) split \(split)")
            }
        }
    }

    /// Non-contiguous sequences take the byte-at-a-time path.
    @Test func nonContiguousSequence() {
        let lazy = (0..<130).lazy.map { UInt8(truncatingIfNeeded: $0) }
        #expect(SHA256.hash(lazy) == SHA256.hash(Array(lazy)))
        #expect(SHA256.hash(AnySequence("abc".utf8)) == SHA256.hash(Array("abc".utf8)))
    }
}

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}
