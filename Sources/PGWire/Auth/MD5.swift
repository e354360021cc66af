/// MD5 (RFC 1321, https://www.rfc-editor.org/rfc/rfc1321).
///
/// Only for PostgreSQL's legacy `md5` password method (AuthenticationMD5Password); MD5 is
/// broken as a general hash and nothing else here should use it.
public struct MD5: Sendable {
    /// The size of a digest in bytes.
    public static let byteCount = 16

    /// Per-round shift amounts (RFC 1321 §3.4).
    static let shifts: [UInt32] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ]

    /// The table T[i] = floor(2^32 * abs(sin(i + 1))) of RFC 1321 §3.4.
    static let sines: [UInt32] = [
        0xd76a_a478, 0xe8c7_b756, 0x2420_70db, 0xc1bd_ceee, 0xf57c_0faf, 0x4787_c62a, 0xa830_4613, 0xfd46_9501,
        0x6980_98d8, 0x8b44_f7af, 0xffff_5bb1, 0x895c_d7be, 0x6b90_1122, 0xfd98_7193, 0xa679_438e, 0x49b4_0821,
        0xf61e_2562, 0xc040_b340, 0x265e_5a51, 0xe9b6_c7aa, 0xd62f_105d, 0x0244_1453, 0xd8a1_e681, 0xe7d3_fbc8,
        0x21e1_cde6, 0xc337_07d6, 0xf4d5_0d87, 0x455a_14ed, 0xa9e3_e905, 0xfcef_a3f8, 0x676f_02d9, 0x8d2a_4c8a,
        0xfffa_3942, 0x8771_f681, 0x6d9d_6122, 0xfde5_380c, 0xa4be_ea44, 0x4bde_cfa9, 0xf6bb_4b60, 0xbebf_bc70,
        0x289b_7ec6, 0xeaa1_27fa, 0xd4ef_3085, 0x0488_1d05, 0xd9d4_d039, 0xe6db_99e5, 0x1fa2_7cf8, 0xc4ac_5665,
        0xf429_2244, 0x432a_ff97, 0xab94_23a7, 0xfc93_a039, 0x655b_59c3, 0x8f0c_cc92, 0xffef_f47d, 0x8584_5dd1,
        0x6fa8_7e4f, 0xfe2c_e6e0, 0xa301_4314, 0x4e08_11a1, 0xf753_7e82, 0xbd3a_f235, 0x2ad7_d2bb, 0xeb86_d391,
    ]

    var a: UInt32 = 0x6745_2301
    var b: UInt32 = 0xefcd_ab89
    var c: UInt32 = 0x98ba_dcfe
    var d: UInt32 = 0x1032_5476
    /// Bytes of the current, incomplete block.
    var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    var bufferCount = 0
    var byteCount: UInt64 = 0

    /// Starts a new digest.
    public init() {}

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = MD5()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Feeds more message bytes.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            withUnsafeMutableBytes(of: &buffer) { $0[bufferCount] = byte }
            bufferCount += 1
            byteCount &+= 1
            if bufferCount == 64 {
                compressBuffer()
                bufferCount = 0
            }
        }
    }

    /// Pads the message (RFC 1321 §3.1–3.2) and returns the 16-byte digest.
    public consuming func finalize() -> [UInt8] {
        let bitLength = byteCount &* 8
        var padding: [UInt8] = [0x80]
        padding.append(contentsOf: repeatElement(0, count: (bufferCount < 56 ? 55 : 119) - bufferCount))
        for shift in stride(from: 0, through: 56, by: 8) {
            padding.append(UInt8(truncatingIfNeeded: bitLength &>> UInt64(shift)))
        }
        update(padding)
        precondition(bufferCount == 0, "MD5 padding must end on a block boundary")
        var digest: [UInt8] = []
        digest.reserveCapacity(MD5.byteCount)
        for word in [a, b, c, d] {
            for shift: UInt32 in [0, 8, 16, 24] {
                digest.append(UInt8(truncatingIfNeeded: word &>> shift))
            }
        }
        return digest
    }

    /// Processes the full 64-byte buffer (RFC 1321 §3.4).
    mutating func compressBuffer() {
        var words = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeBytes(of: buffer) { source in
            withUnsafeMutableBytes(of: &words) { target in
                for index in 0..<16 {
                    target.storeBytes(
                        of: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)),
                        toByteOffset: index * 4, as: UInt32.self)
                }
            }
        }
        var aa = a, bb = b, cc = c, dd = d
        withUnsafeBytes(of: words) { raw in
            let x = raw.bindMemory(to: UInt32.self)
            for i in 0..<64 {
                var f: UInt32
                let g: Int
                switch i {
                case 0..<16: f = (bb & cc) | (~bb & dd); g = i
                case 16..<32: f = (dd & bb) | (~dd & cc); g = (5 &* i &+ 1) & 15
                case 32..<48: f = bb ^ cc ^ dd; g = (3 &* i &+ 5) & 15
                default: f = cc ^ (bb | ~dd); g = (7 &* i) & 15
                }
                f = f &+ aa &+ MD5.sines[i] &+ x[g]
                let s = MD5.shifts[i]
                aa = dd; dd = cc; cc = bb
                bb = bb &+ (f &<< s | f &>> (32 &- s))
            }
        }
        a &+= aa; b &+= bb; c &+= cc; d &+= dd
    }
}
