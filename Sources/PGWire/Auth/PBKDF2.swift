/// PBKDF2 (RFC 8018 §5.2, https://www.rfc-editor.org/rfc/rfc8018#section-5.2), the
/// `Hi()` function of SCRAM (RFC 5802 §2.2).
public enum PBKDF2 {
    /// Derives `keyLength` bytes from `password` and `salt` with HMAC-SHA-256 as the PRF.
    ///
    /// SCRAM runs thousands of iterations while the user waits for a connection, so the
    /// loop works on words: the `ipad`/`opad` states are computed once, and each
    /// iteration is exactly two compressions of a pre-padded block (a 32-byte message
    /// after one key block is always one final block), with no allocation.
    ///
    /// `iterations` and `keyLength` must be positive; callers check values that come from a peer.
    public static func sha256(password: [UInt8], salt: [UInt8], iterations: Int, keyLength: Int) -> [UInt8] {
        precondition(iterations >= 1, "PBKDF2 needs at least one iteration")
        precondition(keyLength >= 1, "PBKDF2 needs a positive key length")
        let key = HMAC.Key(password)
        var output: [UInt8] = []
        output.reserveCapacity(keyLength + SHA256.byteCount)
        var blockIndex: UInt32 = 1
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64 + 8) { scratch in
            let schedule = scratch.baseAddress!
            let accumulator = schedule + 64
            while output.count < keyLength {
                // U1 = PRF(P, S || INT(i)).
                var first = HMAC(key: key)
                first.update(salt)
                first.update([
                    UInt8(truncatingIfNeeded: blockIndex &>> 24), UInt8(truncatingIfNeeded: blockIndex &>> 16),
                    UInt8(truncatingIfNeeded: blockIndex &>> 8), UInt8(truncatingIfNeeded: blockIndex),
                ])
                let u1 = first.finalize()
                var u = SHA256.State(words: u1)
                u.store(into: accumulator)
                for _ in 1..<iterations {
                    // Inner: H((K ^ ipad) || U) — one block: U, 0x80, zeros, bit length 768.
                    u.store(into: schedule)
                    padDigestBlock(schedule)
                    var inner = key.inner
                    SHA256.compress(&inner, schedule: schedule)
                    // Outer: H((K ^ opad) || inner digest), the same shape.
                    inner.store(into: schedule)
                    padDigestBlock(schedule)
                    u = key.outer
                    SHA256.compress(&u, schedule: schedule)
                    accumulator[0] ^= u.h0; accumulator[1] ^= u.h1
                    accumulator[2] ^= u.h2; accumulator[3] ^= u.h3
                    accumulator[4] ^= u.h4; accumulator[5] ^= u.h5
                    accumulator[6] ^= u.h6; accumulator[7] ^= u.h7
                }
                for index in 0..<8 where output.count < keyLength {
                    let word = accumulator[index]
                    for shift: UInt32 in [24, 16, 8, 0] where output.count < keyLength {
                        output.append(UInt8(truncatingIfNeeded: word &>> shift))
                    }
                }
                blockIndex &+= 1
            }
        }
        return output
    }

    /// Completes words 8..<16 of a block holding a 32-byte message after one 64-byte key block.
    private static func padDigestBlock(_ words: UnsafeMutablePointer<UInt32>) {
        words[8] = 0x8000_0000
        words[9] = 0; words[10] = 0; words[11] = 0; words[12] = 0; words[13] = 0; words[14] = 0
        words[15] = UInt32((SHA256.blockByteCount + SHA256.byteCount) * 8)
    }
}

extension SHA256.State {
    /// Reads a 32-byte big-endian digest back as state words.
    init(words digest: [UInt8]) {
        precondition(digest.count == SHA256.byteCount, "a SHA-256 digest is 32 bytes")
        func word(_ index: Int) -> UInt32 {
            UInt32(digest[index * 4]) << 24 | UInt32(digest[index * 4 + 1]) << 16
                | UInt32(digest[index * 4 + 2]) << 8 | UInt32(digest[index * 4 + 3])
        }
        self.init(h0: word(0), h1: word(1), h2: word(2), h3: word(3),
                  h4: word(4), h5: word(5), h6: word(6), h7: word(7))
    }
}
