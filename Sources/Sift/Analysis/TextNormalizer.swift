import Foundation

/// Unicode normalisation used before any feature is extracted: NFKC, full-/half-width
/// folding (part of NFKC: `Ａ１，` → `A1,`) and case folding (`lowercased()`).
///
/// Most text the engine sees (ASCII, CJK ideographs, full-width punctuation) is handled
/// by a scalar fast path that gives exactly what NFKC + lower-casing give; anything else
/// goes through Foundation's NFKC (`precomposedStringWithCompatibilityMapping`).
enum TextNormalizer {
    /// Appends the normalised scalar values of `text` to `output`.
    static func normalize(_ text: Substring, into output: inout [UInt32]) {
        let start = output.count
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {
                output.append(v >= 0x41 && v <= 0x5A ? v + 0x20 : v)
            } else if (v >= 0x4E00 && v <= 0x9FFF) || (v >= 0x3001 && v <= 0x3035)
                        || (v >= 0x2012 && v <= 0x2016) || (v >= 0x2018 && v <= 0x2023) {
                // CJK unified ideographs, CJK punctuation, dashes and quotes: NFKC-stable and caseless.
                output.append(v)
            } else if v >= 0xFF01 && v <= 0xFF5E {
                // Full-width ASCII forms fold to ASCII under NFKC.
                let a = v - 0xFEE0
                output.append(a >= 0x41 && a <= 0x5A ? a + 0x20 : a)
            } else {
                return slowPath(text, start: start, into: &output)
            }
        }
    }

    private static func slowPath(_ text: Substring, start: Int, into output: inout [UInt32]) {
        output.removeSubrange(start...)
        let folded = String(text).precomposedStringWithCompatibilityMapping.lowercased()
        for scalar in folded.unicodeScalars { output.append(scalar.value) }
    }

    /// The normalised form of `text` as a string (for display and tests).
    static func normalized(_ text: String) -> String {
        var buffer: [UInt32] = []
        normalize(text[...], into: &buffer)
        var result = String.UnicodeScalarView()
        for v in buffer { if let s = Unicode.Scalar(v) { result.append(s) } }
        return String(result)
    }
}

/// Script classes of normalised scalars.
enum ScriptClass {
    /// Han ideographs, kana and Hangul: indexed as single characters and adjacent pairs.
    @inline(__always) static func isCJK(_ v: UInt32) -> Bool {
        if v < 0x1100 { return false }
        return (v >= 0x4E00 && v <= 0x9FFF) || (v >= 0x3400 && v <= 0x4DBF)
            || (v >= 0x3040 && v <= 0x30FA) || v == 0x30FC || (v >= 0x31F0 && v <= 0x31FF)
            || (v >= 0xAC00 && v <= 0xD7AF) || (v >= 0x1100 && v <= 0x11FF) || (v >= 0x3130 && v <= 0x318F)
            || (v >= 0xF900 && v <= 0xFAFF) || (v >= 0x20000 && v <= 0x3134F)
    }

    /// Letters and digits of every other script: they form words.
    @inline(__always) static func isWordCharacter(_ v: UInt32) -> Bool {
        if v < 0x80 { return (v >= 0x61 && v <= 0x7A) || (v >= 0x30 && v <= 0x39) }
        guard !isCJK(v), let scalar = Unicode.Scalar(v) else { return false }
        let p = scalar.properties
        return p.isAlphabetic || p.numericType != nil || p.generalCategory == .nonspacingMark
    }
}
