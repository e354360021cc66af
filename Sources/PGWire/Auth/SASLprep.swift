import Foundation

/// SASLprep (RFC 4013, https://www.rfc-editor.org/rfc/rfc4013), the stringprep profile
/// (RFC 3454) that SCRAM applies to passwords before hashing them.
///
/// PostgreSQL prepares the password the same way on both sides (src/common/saslprep.c) and,
/// when preparation fails, both libpq (fe-auth-scram.c) and the server use the raw bytes
/// instead. ``passwordBytes(_:)`` reproduces that so a password with, say, a control
/// character still authenticates against a real server.
public enum SASLprep {
    /// Prepares `string` by RFC 4013: map (§2.1), normalise with NFKC (§2.2), refuse prohibited
    /// output (§2.3) and unassigned code points (§2.5), and check bidi rules (§2.4 / RFC 3454 §6).
    ///
    /// Returns `nil` when the string is prohibited. An empty result is also refused, as
    /// PostgreSQL refuses an empty prepared password. Prohibition is checked both on the
    /// mapped input (where PostgreSQL checks) and on the normalised output (where RFC 3454
    /// checks), so whatever either accepts we agree with in practice.
    public static func prepare(_ string: String) -> String? {
        var mapped = String.UnicodeScalarView()
        for scalar in string.unicodeScalars {
            let value = scalar.value
            if contains(nonASCIISpace, value) {
                mapped.append(" ")
            } else if !contains(mappedToNothing, value) {
                mapped.append(scalar)
            }
        }
        guard !mapped.isEmpty, isAllowed(mapped) else { return nil }
        let normalized = String(mapped).precomposedStringWithCompatibilityMapping
        guard !normalized.unicodeScalars.isEmpty, isAllowed(normalized.unicodeScalars) else { return nil }
        return normalized
    }

    /// The bytes SCRAM hashes for `password`, as libpq computes them: pure ASCII is used as is
    /// (PostgreSQL's fast path), otherwise the SASLprep'd UTF-8, or the raw UTF-8 when
    /// preparation fails.
    public static func passwordBytes(_ password: String) -> [UInt8] {
        let raw = Array(password.utf8)
        if raw.allSatisfy({ $0 < 0x80 }) {
            return raw
        }
        guard let prepared = prepare(password) else { return raw }
        return Array(prepared.utf8)
    }

    /// No prohibited or unassigned code point, and the bidi rules of RFC 3454 §6 hold.
    static func isAllowed(_ scalars: String.UnicodeScalarView) -> Bool {
        var hasRandALCat = false
        var hasLCat = false
        for scalar in scalars {
            let value = scalar.value
            if contains(prohibited, value) || contains(unassigned, value) {
                return false
            }
            if contains(randALCat, value) {
                hasRandALCat = true
            } else if contains(lCat, value) {
                hasLCat = true
            }
        }
        guard hasRandALCat else { return true }
        guard !hasLCat, let first = scalars.first, let last = scalars.last else { return false }
        return contains(randALCat, first.value) && contains(randALCat, last.value)
    }

    /// Binary search of a table of flat `[low, high]` pairs.
    static func contains(_ table: [UInt32], _ value: UInt32) -> Bool {
        var low = 0
        var high = table.count / 2
        while low < high {
            let middle = (low + high) / 2
            if value < table[middle * 2] {
                high = middle
            } else if value > table[middle * 2 + 1] {
                low = middle + 1
            } else {
                return true
            }
        }
        return false
    }
}
