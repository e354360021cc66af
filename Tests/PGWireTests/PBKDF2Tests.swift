import Testing
@testable import PGWire


@Suite struct PBKDF2Tests {
    /// RFC 7914 §11, first PBKDF2-HMAC-SHA256 vector (one iteration, two output blocks).
    @Test func rfc7914OneIteration() {
        let key = PBKDF2.sha256(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, keyLength: 64)
        #expect(hex(key) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
    }

    /// RFC 7914 §11, second vector: 80 000 iterations, which also measures the fast word loop.
    @Test func rfc7914EightyThousandIterations() {
        let key = PBKDF2.sha256(password: Array("Password".utf8), salt: Array("NaCl".utf8), iterations: 80000, keyLength: 64)
        #expect(hex(key) == "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            + "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d")
    }

    /// The widely published SCRAM-sized vector (4096 iterations, 32 bytes), with a time budget.
    @Test func fourThousandNinetySixIterations() {
        let start = ContinuousClock.now
        let key = PBKDF2.sha256(password: Array("password".utf8), salt: Array("salt".utf8), iterations: 4096, keyLength: 32)
        let elapsed = ContinuousClock.now - start
        #expect(hex(key) == "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a")
        #expect(elapsed < .seconds(1), "4096 iterations took \(elapsed)")
    }

    /// A key length that is not a multiple of the digest size is truncated from the last block.
    @Test func partialLastBlock() {
        let long = PBKDF2.sha256(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, keyLength: 64)
        let short = PBKDF2.sha256(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, keyLength: 40)
        #expect(short == Array(long[..<40]))
    }
}

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}
