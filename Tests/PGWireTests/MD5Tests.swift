import Testing
@testable import PGWire

@Suite struct MD5Tests {
    /// The test suite of RFC 1321 Appendix A.5.
    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        ("12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"),
    ])
    func rfc1321Suite(message: String, digest: String) {
        #expect(MD5.lowercaseHex(MD5.hash(Array(message.utf8))) == digest)
    }

    /// Split points around the padding boundary must not change the digest.
    @Test func incrementalMatchesOneShot() {
        let message = (0..<130).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        for length in [55, 56, 63, 64, 65, 120, 130] {
            var hasher = MD5()
            hasher.update(message[0..<length / 2])
            hasher.update(message[length / 2..<length])
            #expect(hasher.finalize() == MD5.hash(message[0..<length]))
        }
    }

    /// Expected value computed independently with Python:
    /// `"md5" + md5(md5(b"md5_user" + b"md5_user").hexdigest().encode() + bytes([0x93, 0x1f, 0x07, 0xa2])).hexdigest()`.
    @Test func postgresPassword() {
        let answer = MD5.postgresPassword(user: "md5_user", password: "md5_user", salt: 0x931f_07a2)
        #expect(answer == "md520c41ce4e457dbce8a7b35b4072b22c5")
    }
}
