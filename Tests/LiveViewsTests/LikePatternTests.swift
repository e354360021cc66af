@testable import LiveViews
import Testing

@Suite struct LikePatternTests {
    func like(_ text: String, _ pattern: String, ci: Bool = false) throws -> Bool {
        try #require(LikePattern(pattern, caseInsensitive: ci, negated: false)).matches(text)
    }

    @Test func wildcards() throws {
        #expect(try like("abc", "abc"))
        #expect(try !like("abc", "ab"))
        #expect(try !like("ab", "abc"))
        #expect(try like("abc", "a%"))
        #expect(try like("abc", "%c"))
        #expect(try like("abc", "%b%"))
        #expect(try like("abc", "%"))
        #expect(try like("", "%"))
        #expect(try !like("", "_"))
        #expect(try like("", ""))
        #expect(try like("abc", "a_c"))
        #expect(try !like("abbc", "a_c"))
        #expect(try like("abbc", "a%%c"))
        #expect(try like("aXbXc", "a%b%c"))
        #expect(try !like("aXbXd", "a%b%c"))
        #expect(try like("mississippi", "%iss%ppi"))
        #expect(try like("mississippi", "m%s_i%i"))
        #expect(try !like("mississippi", "m%s_x%i"))
        #expect(try like("aaa", "%a%a%a%"))
        #expect(try !like("aa", "%a%a%a%"))
    }

    @Test func underscoreMatchesOneCharacterNotOneByte() throws {
        #expect(try like("é", "_"))
        #expect(try like("añb", "a_b"))
        #expect(try !like("añb", "a__b"))
        #expect(try like("😀x", "_x"))
        #expect(try like("x€y€z", "x%€z"))
        #expect(try like("日本語", "日_語"))
    }

    @Test func backslashEscapes() throws {
        #expect(try like("50%", #"50\%"#))
        #expect(try !like("500", #"50\%"#))
        #expect(try like("a_b", #"a\_b"#))
        #expect(try !like("axb", #"a\_b"#))
        #expect(try like(#"a\b"#, #"a\\b"#))
        #expect(LikePattern(#"abc\"#, caseInsensitive: false, negated: false) == nil)
    }

    @Test func caseInsensitiveMatching() throws {
        #expect(try like("Hello World", "hello%", ci: true))
        #expect(try like("hello", "HELLO", ci: true))
        #expect(try !like("hello", "HELLO"))
        #expect(try like("ÉCOLE", "école", ci: true))
        #expect(try like("Straße", "STRASSE", ci: true) == false)  // lowercasing, not full case folding
        #expect(try like("Ünïcode", "ü%", ci: true))
        #expect(try like("[a]", "[A]", ci: true))  // ASCII folding touches only letters
        #expect(try !like("@", "`", ci: true))
    }

    @Test func negationInvertsTheMatch() throws {
        let pattern = try #require(LikePattern("a%", caseInsensitive: true, negated: true))
        #expect(!pattern.matches("Abc"))
        #expect(pattern.matches("bcd"))
    }
}
