import Testing
@testable import PGWire

@Suite struct HMACTests {
    /// RFC 4231 §4.2–4.8, test cases 1–7 (case 5 is checked on its 128-bit truncation).
    @Test(arguments: [
        (Array(repeating: 0x0b, count: 20), Array("Hi There".utf8),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (Array(repeating: 0xaa, count: 20), Array(repeating: 0xdd, count: 50),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        (Array(1...25), Array(repeating: 0xcd, count: 50),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        (Array(repeating: 0x0c, count: 20), Array("Test With Truncation".utf8),
         "a3b6167473100ee06e0c796c2955552b"),
        (Array(repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        (Array(repeating: 0xaa, count: 131),
         Array(("This is a test using a larger than block-size key and a larger than block-size data. "
             + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ] as [([UInt8], [UInt8], String)])
    func rfc4231(key: [UInt8], data: [UInt8], expected: String) {
        let mac = hex(HMAC.authenticationCode(for: data, key: key))
        #expect(mac.prefix(expected.count) == expected[...])
    }

    /// A prepared key gives the same MAC every time it is reused, and streaming equals one shot.
    @Test func preparedKeyIsReusable() {
        let key = HMAC.Key(Array("Jefe".utf8))
        let message = Array("what do ya want for nothing?".utf8)
        let first = HMAC.authenticationCode(for: message, key: key)
        var streamed = HMAC(key: key)
        streamed.update(message[..<10])
        streamed.update(message[10...])
        #expect(streamed.finalize() == first)
        #expect(HMAC.authenticationCode(for: message, key: key) == first)
        #expect(hex(first) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    /// A key of exactly one block is used as is, not hashed (RFC 2104 §2).
    @Test func blockSizedKeyIsNotHashed() {
        let key = [UInt8](repeating: 0x61, count: 64)
        let padded = HMAC.authenticationCode(for: [1, 2, 3], key: key)
        let hashedKey = HMAC.authenticationCode(for: [1, 2, 3], key: SHA256.hash(key))
        #expect(padded != hashedKey)
        #expect(hex(padded) == "11e3e6e05a2804303cf0aafe5b2f3623f3a8170095f22815da65594cca12edc8")
    }
}

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}
