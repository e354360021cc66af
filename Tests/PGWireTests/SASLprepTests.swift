import Testing
@testable import PGWire

@Suite struct SASLprepTests {
    /// RFC 4013 §3 examples.
    @Test func rfc4013Examples() {
        #expect(SASLprep.prepare("I\u{00AD}X") == "IX")  // SOFT HYPHEN mapped to nothing
        #expect(SASLprep.prepare("user") == "user")
        #expect(SASLprep.prepare("USER") == "USER")  // case preserved
        #expect(SASLprep.prepare("\u{00AA}") == "a")  // NFKC
        #expect(SASLprep.prepare("\u{2168}") == "IX")  // NFKC
        #expect(SASLprep.prepare("\u{0007}") == nil)  // prohibited character
        #expect(SASLprep.prepare("\u{0627}1") == nil)  // bidi check fails
    }

    @Test func nonASCIISpacesBecomeSpace() {
        #expect(SASLprep.prepare("a\u{00A0}b\u{2003}c\u{3000}d") == "a b c d")
        // U+200B is both a C.1.2 space and B.1; as in PostgreSQL the space mapping wins.
        #expect(SASLprep.prepare("a\u{200B}b") == "a b")
        #expect(Array(SASLprep.prepare("x\u{1680}y")!.utf8) == Array("x y".utf8))
    }

    @Test func mappedToNothingAndEmpty() {
        #expect(SASLprep.prepare("a\u{FEFF}b\u{200D}c") == "abc")
        #expect(SASLprep.prepare("\u{00AD}") == nil)  // empty after mapping
        #expect(SASLprep.prepare("") == nil)
    }

    @Test func prohibitedAndUnassigned() {
        #expect(SASLprep.prepare("a\u{E000}") == nil)  // C.3 private use
        #expect(SASLprep.prepare("a\u{FFFD}") == nil)  // C.6 inappropriate for plain text
        #expect(SASLprep.prepare("a\u{0221}") == nil)  // A.1 unassigned in Unicode 3.2
        #expect(SASLprep.prepare("a\u{1F600}") == nil)  // emoji: unassigned in Unicode 3.2
        #expect(SASLprep.prepare("a\u{0080}") == nil)  // C.2.2 control
    }

    @Test func bidiRules() {
        #expect(SASLprep.prepare("\u{0627}\u{0628}") == "\u{0627}\u{0628}")
        #expect(SASLprep.prepare("\u{0627}1\u{0628}") == "\u{0627}1\u{0628}")  // R first and last
        #expect(SASLprep.prepare("\u{0627}a\u{0628}") == nil)  // RandALCat with LCat
        #expect(SASLprep.prepare("1\u{0627}") == nil)  // RandALCat not first
    }

    @Test func passwordBytesFallBackToRawUTF8() {
        // ASCII is used as is, even with a control character (PostgreSQL's fast path).
        #expect(SASLprep.passwordBytes("pa\u{07}ss") == [0x70, 0x61, 0x07, 0x73, 0x73])
        // Prepared when it can be.
        #expect(SASLprep.passwordBytes("\u{2168}\u{00A0}x") == Array("IX x".utf8))
        #expect(SASLprep.passwordBytes("pässwörd-ü") == Array("pässwörd-ü".utf8))
        // Decomposed input is normalised to the composed form.
        #expect(SASLprep.passwordBytes("pa\u{0308}ss") == Array("päss".utf8))
        // Prohibited: the raw bytes, as libpq sends them.
        #expect(SASLprep.passwordBytes("\u{0627}1") == Array("\u{0627}1".utf8))
        #expect(SASLprep.passwordBytes("é\u{E000}") == [0xC3, 0xA9, 0xEE, 0x80, 0x80])
    }

    @Test func tablesAreSortedAndDisjoint() {
        for table in [SASLprep.mappedToNothing, SASLprep.nonASCIISpace, SASLprep.prohibited,
                      SASLprep.unassigned, SASLprep.randALCat, SASLprep.lCat] {
            #expect(table.count % 2 == 0)
            var previousHigh: Int64 = -1
            for pair in stride(from: 0, to: table.count, by: 2) {
                #expect(Int64(table[pair]) > previousHigh && table[pair] <= table[pair + 1])
                previousHigh = Int64(table[pair + 1])
            }
        }
        #expect(SASLprep.contains(SASLprep.lCat, 0x41))
        #expect(!SASLprep.contains(SASLprep.lCat, 0x31))
        #expect(SASLprep.contains(SASLprep.prohibited, 0x10FFFF))
    }
}
