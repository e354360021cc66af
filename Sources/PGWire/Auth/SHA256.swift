/// SHA-256 as specified in FIPS 180-4 (https://csrc.nist.gov/pubs/fips/180-4/upd1/final).
///
/// We carry our own digest so PGWire needs nothing beyond the standard library for
/// SCRAM-SHA-256 (no CryptoKit, no swift-crypto). The state lives in plain stored
/// properties and a fixed 64-byte tuple, so hashing, copying a keyed HMAC state and
/// the PBKDF2 loop never allocate per block.
public struct SHA256: Sendable {
    /// The size of a digest in bytes.
    public static let byteCount = 32
    /// The size of an input block in bytes.
    public static let blockByteCount = 64

    /// The eight working words H0…H7 of FIPS 180-4 §6.2.
    @usableFromInline
    struct State: Sendable, Hashable {
        var h0: UInt32, h1: UInt32, h2: UInt32, h3: UInt32
        var h4: UInt32, h5: UInt32, h6: UInt32, h7: UInt32

        /// The initial hash value of FIPS 180-4 §5.3.3.
        static let initial = State(
            h0: 0x6a09_e667, h1: 0xbb67_ae85, h2: 0x3c6e_f372, h3: 0xa54f_f53a,
            h4: 0x510e_527f, h5: 0x9b05_688c, h6: 0x1f83_d9ab, h7: 0x5be0_cd19)

        /// Writes the state as the 32-byte big-endian digest.
        func appendBytes(to bytes: inout [UInt8]) {
            for word in [h0, h1, h2, h3, h4, h5, h6, h7] {
                bytes.append(UInt8(truncatingIfNeeded: word &>> 24))
                bytes.append(UInt8(truncatingIfNeeded: word &>> 16))
                bytes.append(UInt8(truncatingIfNeeded: word &>> 8))
                bytes.append(UInt8(truncatingIfNeeded: word))
            }
        }

        /// Stores the state as eight words (used by PBKDF2, which hashes digests directly as words).
        func store(into words: UnsafeMutablePointer<UInt32>) {
            words[0] = h0; words[1] = h1; words[2] = h2; words[3] = h3
            words[4] = h4; words[5] = h5; words[6] = h6; words[7] = h7
        }
    }

    /// The round constants K of FIPS 180-4 §4.2.2.
    static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    @usableFromInline
    var state: State
    /// Bytes of the current, incomplete block.
    var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    /// How many bytes of ``buffer`` are filled (0..<64).
    var bufferCount = 0
    /// Total message length so far, in bytes.
    var byteCount: UInt64 = 0

    /// Starts a new digest.
    public init() {
        state = .initial
    }

    /// Resumes from a saved state after `byteCount` bytes (a whole number of blocks); used by HMAC.
    init(state: State, byteCount: UInt64) {
        self.state = state
        self.byteCount = byteCount
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Feeds more message bytes; contiguous collections are hashed straight from their storage.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
        }
        if handled == nil {
            for byte in bytes {
                update(byte: byte)
            }
        }
    }

    /// Feeds more message bytes from raw memory.
    public mutating func update(_ input: UnsafeRawBufferPointer) {
        guard var base = input.baseAddress, !input.isEmpty else { return }
        var count = input.count
        byteCount &+= UInt64(count)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
            let words = schedule.baseAddress!
            if bufferCount > 0 {
                let take = min(count, 64 - bufferCount)
                withUnsafeMutableBytes(of: &buffer) { block in
                    (block.baseAddress! + bufferCount).copyMemory(from: base, byteCount: take)
                }
                bufferCount += take
                base += take
                count -= take
                guard bufferCount == 64 else { return }
                withUnsafeBytes(of: buffer) { block in
                    SHA256.loadBlock(block.baseAddress!, into: words)
                }
                SHA256.compress(&state, schedule: words)
                bufferCount = 0
            }
            while count >= 64 {
                SHA256.loadBlock(base, into: words)
                SHA256.compress(&state, schedule: words)
                base += 64
                count -= 64
            }
            if count > 0 {
                withUnsafeMutableBytes(of: &buffer) { block in
                    block.baseAddress!.copyMemory(from: base, byteCount: count)
                }
                bufferCount = count
            }
        }
    }

    /// Feeds one byte (the path for non-contiguous sequences).
    mutating func update(byte: UInt8) {
        withUnsafeMutableBytes(of: &buffer) { $0[bufferCount] = byte }
        bufferCount += 1
        byteCount &+= 1
        if bufferCount == 64 {
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
                withUnsafeBytes(of: buffer) { block in
                    SHA256.loadBlock(block.baseAddress!, into: schedule.baseAddress!)
                }
                SHA256.compress(&state, schedule: schedule.baseAddress!)
            }
            bufferCount = 0
        }
    }

    /// Pads the message (FIPS 180-4 §5.1.1) and returns the 32-byte digest.
    public consuming func finalize() -> [UInt8] {
        finalizeState().appendingBytes()
    }

    /// Pads the message and returns the final state words.
    consuming func finalizeState() -> State {
        let bitLength = byteCount &* 8
        var padding: [UInt8] = [0x80]
        let zeros = (bufferCount < 56 ? 55 : 119) - bufferCount
        padding.append(contentsOf: repeatElement(0, count: zeros))
        for shift in stride(from: 56, through: 0, by: -8) {
            padding.append(UInt8(truncatingIfNeeded: bitLength &>> UInt64(shift)))
        }
        let saved = byteCount
        update(padding)
        precondition(bufferCount == 0, "SHA-256 padding must end on a block boundary")
        byteCount = saved
        return state
    }

    /// Reads 64 bytes as sixteen big-endian words into the start of the schedule.
    static func loadBlock(_ block: UnsafeRawPointer, into words: UnsafeMutablePointer<UInt32>) {
        for index in 0..<16 {
            words[index] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self))
        }
    }

    /// The compression function of FIPS 180-4 §6.2.2 over a block already loaded as words
    /// `schedule[0..<16]`; `schedule` has room for 64 words and is overwritten.
    static func compress(_ state: inout State, schedule w: UnsafeMutablePointer<UInt32>) {
        // `while` rather than `for … in`: in debug builds the range iterator dominates the cost.
        var t = 16
        while t < 64 {
            let x = w[t &- 15], y = w[t &- 2]
            let s0 = (x &>> 7 | x &<< 25) ^ (x &>> 18 | x &<< 14) ^ (x &>> 3)
            let s1 = (y &>> 17 | y &<< 15) ^ (y &>> 19 | y &<< 13) ^ (y &>> 10)
            w[t] = w[t &- 16] &+ s0 &+ w[t &- 7] &+ s1
            t &+= 1
        }
        var a = state.h0, b = state.h1, c = state.h2, d = state.h3
        var e = state.h4, f = state.h5, g = state.h6, h = state.h7
        roundConstants.withUnsafeBufferPointer { constants in
            let k = constants.baseAddress!
            var t = 0
            while t < 64 {
                let s1 = (e &>> 6 | e &<< 26) ^ (e &>> 11 | e &<< 21) ^ (e &>> 25 | e &<< 7)
                let choose = (e & f) ^ (~e & g)
                let t1 = h &+ s1 &+ choose &+ k[t] &+ w[t]
                let s0 = (a &>> 2 | a &<< 30) ^ (a &>> 13 | a &<< 19) ^ (a &>> 22 | a &<< 10)
                let majority = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ majority
                h = g; g = f; f = e; e = d &+ t1
                d = c; c = b; b = a; a = t1 &+ t2
                t &+= 1
            }
        }
        state.h0 &+= a; state.h1 &+= b; state.h2 &+= c; state.h3 &+= d
        state.h4 &+= e; state.h5 &+= f; state.h6 &+= g; state.h7 &+= h
    }
}

extension SHA256.State {
    /// The 32-byte big-endian digest.
    func appendingBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(SHA256.byteCount)
        appendBytes(to: &bytes)
        return bytes
    }
}
