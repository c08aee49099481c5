/// Snowball English ("Porter2") stemmer.
///
/// A byte-level port of the English stemmer published at
/// <https://snowballstem.org/algorithms/english/stemmer.html>, following the
/// code that the Snowball compiler generates from `english.sbl` (Snowball 3.x,
/// as shipped by the Python package `snowballstemmer` 3.1.1 with language
/// `"english"`). It reproduces that reference exactly, including:
///
/// - the whole-word exceptions (`skis`→`ski`, `skies`→`sky`, `idly`→`idl`,
///   `gently`→`gentl`, `ugly`→`ugli`, `early`→`earli`, `only`→`onli`,
///   `singly`→`singl`, and the invariants `sky`, `news`, `howe`, `atlas`,
///   `cosmos`, `bias`, `andes`);
/// - the Step 1b special cases that Snowball 3 folded into the algorithm:
///   `dying`/`lying`/`tying`→`die`/`lie`/`tie`, the invariants `inning`,
///   `outing`, `canning`, `herring`, `earring`, `evening`, and `proceed`,
///   `exceed`, `succeed`;
/// - the special R1 prefixes `arsen`, `commun`, `emerg`, `gener`, `inter`,
///   `later`, `organ`, `past`, `univers`;
/// - apostrophe handling (a leading `'` is dropped, `'s'`, `'s` and `'`
///   suffixes are removed), marking of `y` as a consonant (`Y`) at the start
///   of a word and after a vowel, R1/R2, and Steps 0, 1a, 1b, 1c, 2, 3, 4, 5.
///
/// The input must already be lower-cased. The stemmer works on ASCII bytes
/// only: a word containing anything other than `a`–`z` and the ASCII
/// apostrophe `'` (U+0027) is returned unchanged, so callers should map
/// typographic apostrophes (`’`) to `'` beforehand if they want them stemmed.
/// Words shorter than three bytes are returned unchanged.
///
/// The type is stateless (no mutable globals), so it is safe to call from any
/// thread or task concurrently. Stemming runs in a stack buffer: a word that
/// does not change costs no heap allocation, one that does costs one (the
/// returned array or, for strings longer than 15 bytes, the returned string).
enum EnglishStemmer {
    /// Returns the stem of a lower-cased word.
    ///
    /// Words containing characters outside `a`–`z` and the apostrophe `'` are
    /// returned unchanged, as are words of one or two characters. A leading
    /// apostrophe and the possessive endings `'s'`, `'s` and `'` are removed
    /// (`"dog's"` → `"dog"`), and an initial `y` or a `y` after a vowel is
    /// treated as a consonant (`"yelling"` → `"yell"`, `"saying"` → `"say"`).
    static func stem(_ word: String) -> String {
        var word = word
        let n = word.utf8.count
        if n < 3 { return word }
        return word.withUTF8 { src -> String? in
            for c in src where !isStemmable(c) { return nil }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { tmp -> String? in
                let p = tmp.baseAddress!
                p.initialize(from: src.baseAddress!, count: n)
                let m = stemInPlace(p, n)
                if m == n && bytesEqual(p, src.baseAddress!, n) { return nil }
                return String(decoding: UnsafeBufferPointer(start: p, count: m), as: UTF8.self)
            }
        } ?? word
    }

    /// Same as ``stem(_:)`` on a buffer of ASCII bytes; this is the hot path.
    ///
    /// Stems `word` (lower-case ASCII letters and `'`) and returns the stem
    /// bytes. Any other byte makes the word come back unchanged. When the stem
    /// equals the word, `word` itself is returned (no allocation).
    static func stem(ascii word: [UInt8]) -> [UInt8] {
        let n = word.count
        if n < 3 { return word }
        return word.withUnsafeBufferPointer { src -> [UInt8]? in
            for c in src where !isStemmable(c) { return nil }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { tmp -> [UInt8]? in
                let p = tmp.baseAddress!
                p.initialize(from: src.baseAddress!, count: n)
                let m = stemInPlace(p, n)
                if m == n && bytesEqual(p, src.baseAddress!, n) { return nil }
                return Array(UnsafeBufferPointer(start: p, count: m))
            }
        } ?? word
    }

    /// In-place variant of ``stem(ascii:)`` for reusable scratch buffers:
    /// replaces the contents of `word` by its stem without allocating (the
    /// stem is never longer than the word, and the array keeps its capacity).
    /// Words that ``stem(ascii:)`` returns unchanged are left untouched.
    static func stem(inPlace word: inout [UInt8]) {
        let n = word.count
        if n < 3 { return }
        for c in word where !isStemmable(c) { return }
        let m = word.withUnsafeMutableBufferPointer { buf in
            stemInPlace(buf.baseAddress!, n)
        }
        if m < n { word.removeLast(n - m) }
    }

    /// Stems the `n` bytes at `p` (already validated as `a`–`z`/`'`, `n >= 3`)
    /// in place and returns the stem's length. No step ever lengthens the
    /// word, so the stem always fits in the input's storage.
    private static func stemInPlace(_ p: UnsafeMutablePointer<UInt8>, _ n: Int) -> Int {
        var m = Machine(p: p, n: n, cap: n)
        if m.exception1() { return m.n }
        m.run()
        return m.n
    }

    // MARK: - Character classes

    @inline(__always)
    private static func isStemmable(_ c: UInt8) -> Bool {
        (c &- 0x61) < 26 || c == 0x27  // a-z or '
    }

    /// Vowels: `a e i o u y` (note: the marker `Y` is not a vowel).
    @inline(__always)
    fileprivate static func isV(_ c: UInt8) -> Bool {
        switch c {
        case 0x61, 0x65, 0x69, 0x6F, 0x75, 0x79: return true  // a e i o u y
        default: return false
        }
    }

    /// `v_WXY`: vowels plus `w`, `x` and `Y`.
    @inline(__always)
    fileprivate static func isVWXY(_ c: UInt8) -> Bool {
        switch c {
        case 0x61, 0x65, 0x69, 0x6F, 0x75, 0x79, 0x77, 0x78, 0x59: return true
        default: return false
        }
    }

    /// Letters that may precede a deletable `-li`: `c d e g h k m n r t`.
    @inline(__always)
    fileprivate static func isValidLI(_ c: UInt8) -> Bool {
        switch c {
        case 0x63, 0x64, 0x65, 0x67, 0x68, 0x6B, 0x6D, 0x6E, 0x72, 0x74: return true
        default: return false
        }
    }

    @inline(__always)
    private static func bytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        while i < n {
            if a[i] != b[i] { return false }
            i += 1
        }
        return true
    }

    // MARK: - The stemming machine

    /// Working state: the word being edited, in place, at `p[0..<n]`, and the
    /// region starts `p1` (R1) and `p2` (R2). Every edit after the prelude
    /// replaces a suffix of the word with something no longer, so positions
    /// before the edit (and therefore `p1`/`p2`) stay valid, exactly as in the
    /// generated Snowball code where `I_p1`/`I_p2` are never adjusted.
    private struct Machine {
        let p: UnsafeMutablePointer<UInt8>
        var n: Int
        /// Capacity of `p`; edits are checked against it.
        let cap: Int
        var p1 = 0
        var p2 = 0

        // MARK: Helpers

        /// True when `p[start..<end]` equals `s` (and the range is valid).
        @inline(__always)
        func equals(_ start: Int, _ end: Int, _ s: StaticString) -> Bool {
            let k = s.utf8CodeUnitCount
            guard start >= 0, end - start == k, end <= n else { return false }
            let q = s.utf8Start
            var i = 0
            while i < k {
                if p[start + i] != q[i] { return false }
                i += 1
            }
            return true
        }

        /// True when `p[0..<end]` ends with `s`.
        @inline(__always)
        func ends(_ s: StaticString, at end: Int) -> Bool {
            equals(end - s.utf8CodeUnitCount, end, s)
        }

        /// True when the word ends with `s`.
        @inline(__always)
        func ends(_ s: StaticString) -> Bool {
            ends(s, at: n)
        }

        /// Replaces `p[from..<n]` by `s`.
        @inline(__always)
        mutating func replaceTail(from: Int, with s: StaticString) {
            let k = s.utf8CodeUnitCount
            precondition(from >= 0 && from <= n && from + k <= cap)
            let q = s.utf8Start
            var i = 0
            while i < k {
                p[from + i] = q[i]
                i += 1
            }
            n = from + k
        }

        @inline(__always)
        mutating func truncate(to m: Int) {
            precondition(m >= 0 && m <= n)
            n = m
        }

        @inline(__always)
        mutating func appendE() {
            precondition(n < cap)
            p[n] = 0x65  // e
            n += 1
        }

        /// True when `p[0..<end]` contains a vowel (`go_out_grouping_b v`).
        @inline(__always)
        func hasVowel(before end: Int) -> Bool {
            var c = end
            while c > 0 {
                if EnglishStemmer.isV(p[c - 1]) { return true }
                c -= 1
            }
            return false
        }

        /// The `shortv` routine, tested backwards from `c`: the text before
        /// `c` ends in non-vowel(not w, x, Y) + vowel + non-vowel, or is
        /// exactly non-vowel + vowel, or ends in `past`.
        func shortV(at c: Int) -> Bool {
            if c >= 3, !EnglishStemmer.isVWXY(p[c - 1]), EnglishStemmer.isV(p[c - 2]),
               !EnglishStemmer.isV(p[c - 3]) {
                return true
            }
            if c == 2, !EnglishStemmer.isV(p[1]), EnglishStemmer.isV(p[0]) {
                return true
            }
            return ends("past", at: c)
        }

        // MARK: Whole-word exceptions (checked before anything else)

        /// The `exception1` routine. Returns true when the word is one of the
        /// exceptions, after writing its stem.
        mutating func exception1() -> Bool {
            @inline(__always) func eq(_ s: StaticString) -> Bool { equals(0, n, s) }
            switch n {
            case 3:
                if eq("sky") { return true }
            case 4:
                if eq("skis") { replaceTail(from: 0, with: "ski"); return true }
                if eq("idly") { replaceTail(from: 0, with: "idl"); return true }
                if eq("ugly") { replaceTail(from: 0, with: "ugli"); return true }
                if eq("only") { replaceTail(from: 0, with: "onli"); return true }
                if eq("news") || eq("howe") || eq("bias") { return true }
            case 5:
                if eq("skies") { replaceTail(from: 0, with: "sky"); return true }
                if eq("early") { replaceTail(from: 0, with: "earli"); return true }
                if eq("atlas") || eq("andes") { return true }
            case 6:
                if eq("gently") { replaceTail(from: 0, with: "gentl"); return true }
                if eq("singly") { replaceTail(from: 0, with: "singl"); return true }
                if eq("cosmos") { return true }
            default:
                break
            }
            return false
        }

        mutating func run() {
            let yFound = prelude()
            markRegions()
            step1a()
            step1b()
            step1c()
            step2()
            step3()
            step4()
            step5()
            if yFound {
                var i = 0
                while i < n {
                    if p[i] == 0x59 { p[i] = 0x79 }  // Y -> y
                    i += 1
                }
            }
        }

        // MARK: Prelude and regions

        /// Removes a leading apostrophe and marks consonant `y`s as `Y`.
        /// Returns whether any `Y` was introduced.
        mutating func prelude() -> Bool {
            if n > 0, p[0] == 0x27 {
                var i = 1
                while i < n {
                    p[i - 1] = p[i]
                    i += 1
                }
                n -= 1
            }
            guard n > 0 else { return false }
            var found = false
            if p[0] == 0x79 {  // initial y
                p[0] = 0x59
                found = true
            }
            var i = 1
            while i < n {
                if p[i] == 0x79, EnglishStemmer.isV(p[i - 1]) {
                    p[i] = 0x59
                    found = true
                }
                i += 1
            }
            return found
        }

        /// Length of a special R1 prefix at the start of the word, or 0.
        func specialPrefix() -> Int {
            guard n > 0 else { return 0 }
            @inline(__always) func pre(_ s: StaticString) -> Int {
                let k = s.utf8CodeUnitCount
                return k <= n && equals(0, k, s) ? k : 0
            }
            switch p[0] {
            case 0x61: return pre("arsen")
            case 0x63: return pre("commun")
            case 0x65: return pre("emerg")
            case 0x67: return pre("gener")
            case 0x69: return pre("inter")
            case 0x6C: return pre("later")
            case 0x6F: return pre("organ")
            case 0x70: return pre("past")
            case 0x75: return pre("univers")
            default: return 0
            }
        }

        /// Position after the next vowel-then-non-vowel starting at `from`, or
        /// -1 if there is none.
        func afterVowelNonVowel(from: Int) -> Int {
            var c = from
            while c < n, !EnglishStemmer.isV(p[c]) { c += 1 }
            if c >= n { return -1 }
            c += 1
            while c < n, EnglishStemmer.isV(p[c]) { c += 1 }
            if c >= n { return -1 }
            return c + 1
        }

        mutating func markRegions() {
            p1 = n
            p2 = n
            var c = specialPrefix()
            if c == 0 {
                c = afterVowelNonVowel(from: 0)
                if c < 0 { return }
            }
            p1 = c
            let c2 = afterVowelNonVowel(from: c)
            if c2 < 0 { return }
            p2 = c2
        }

        // MARK: Step 1a

        mutating func step1a() {
            // Step 0: apostrophe suffixes.
            if ends("'s'") {
                truncate(to: n - 3)
            } else if ends("'s") {
                truncate(to: n - 2)
            } else if ends("'") {
                truncate(to: n - 1)
            }
            guard n > 0 else { return }
            if p[n - 1] == 0x64 {  // d
                if ends("ied") { replaceIed() }
                return
            }
            guard p[n - 1] == 0x73 else { return }  // s
            if ends("sses") {
                replaceTail(from: n - 4, with: "ss")
            } else if ends("ies") {
                replaceIed()
            } else if ends("ss") || ends("us") {
                return
            } else {
                // 's': delete if the part before the preceding letter has a vowel.
                let bra = n - 1
                guard bra > 0, hasVowel(before: bra - 1) else { return }
                truncate(to: bra)
            }
        }

        /// `ied` / `ies` -> `i` if preceded by two or more letters, else `ie`.
        @inline(__always)
        mutating func replaceIed() {
            let bra = n - 3
            if bra >= 2 {
                replaceTail(from: bra, with: "i")
            } else {
                replaceTail(from: bra, with: "ie")
            }
        }

        // MARK: Step 1b

        mutating func step1b() {
            guard n > 0 else { return }
            // among: eed eedly -> 1; ed edly ingly -> 2; ing -> 3.
            var kind = 0
            var bra = n
            switch p[n - 1] {
            case 0x79:  // y
                if ends("eedly") {
                    kind = 1; bra = n - 5
                } else if ends("ingly") {
                    kind = 2; bra = n - 5
                } else if ends("edly") {
                    kind = 2; bra = n - 4
                }
            case 0x64:  // d
                if ends("eed") {
                    kind = 1; bra = n - 3
                } else if ends("ed") {
                    kind = 2; bra = n - 2
                }
            case 0x67:  // g
                if ends("ing") {
                    kind = 3; bra = n - 3
                }
            default:
                break
            }
            switch kind {
            case 1:
                // eed/eedly -> ee in R1, except in proceed, exceed, succeed.
                guard bra >= p1 else { return }
                if (bra == 4 && (ends("succ", at: 4) || ends("proc", at: 4)))
                    || (bra == 3 && ends("exc", at: 3)) {
                    return
                }
                replaceTail(from: bra, with: "ee")
                return
            case 2:
                break
            case 3:
                // among (even cann inn earr herr out -> keep if that is the
                // whole stem; y -> ie if the word is consonant + y + ing)
                if ends("y", at: bra) {
                    if bra == 2, !EnglishStemmer.isV(p[0]) {
                        replaceTail(from: bra - 1, with: "ie")
                        return
                    }
                } else if ends("even", at: bra) || ends("cann", at: bra) || ends("earr", at: bra)
                    || ends("herr", at: bra) {
                    if bra == 4 { return }
                } else if ends("inn", at: bra) || ends("out", at: bra) {
                    if bra == 3 { return }
                }
            default:
                return
            }
            // Delete the suffix if the preceding part contains a vowel.
            guard hasVowel(before: bra) else { return }
            truncate(to: bra)
            // among ('at' 'bl' 'iz' -> insert e; doubles -> undouble; '' -> maybe e)
            if n >= 2 {
                let x = p[n - 2], y = p[n - 1]
                if (x == 0x61 && y == 0x74) || (x == 0x62 && y == 0x6C) || (x == 0x69 && y == 0x7A) {
                    appendE()
                    return
                }
                if x == y {
                    switch y {
                    case 0x62, 0x64, 0x66, 0x67, 0x6D, 0x6E, 0x70, 0x72, 0x74:  // b d f g m n p r t
                        // Keep the double in e.g. "add", "egg", "odd".
                        if n == 3 {
                            switch p[0] {
                            case 0x61, 0x65, 0x6F: return  // a e o
                            default: break
                            }
                        }
                        truncate(to: n - 1)
                        return
                    default:
                        break
                    }
                }
            }
            if n == p1, shortV(at: n) {
                appendE()
            }
        }

        // MARK: Step 1c

        mutating func step1c() {
            guard n >= 3 else { return }
            let last = p[n - 1]
            guard last == 0x79 || last == 0x59 else { return }  // y or Y
            guard !EnglishStemmer.isV(p[n - 2]) else { return }
            p[n - 1] = 0x69  // i
        }

        // MARK: Step 2

        mutating func step2() {
            guard n > 0 else { return }
            // Find the longest matching suffix; `result` names the action.
            let n = self.n
            var bra = -1
            var result = 0
            @inline(__always) func m(_ s: StaticString, _ r: Int) -> Bool {
                guard ends(s) else { return false }
                bra = n - s.utf8CodeUnitCount
                result = r
                return true
            }
            switch p[n - 1] {
            case 0x69:  // i
                _ = m("biliti", 12) || m("lessli", 15)
                    || m("fulli", 9) || m("ousli", 10) || m("entli", 5) || m("aliti", 8) || m("iviti", 11)
                    || m("anci", 3) || m("enci", 2) || m("abli", 4) || m("alli", 8)
                    || m("ogi", 14) || m("bli", 12)
                    || m("li", 16)
            case 0x6C:  // l
                _ = m("ational", 7) || m("tional", 1)
            case 0x6D:  // m
                _ = m("alism", 8)
            case 0x6E:  // n
                _ = m("ization", 6) || m("ation", 7)
            case 0x72:  // r
                _ = m("izer", 6) || m("ator", 7)
            case 0x73:  // s
                _ = m("iveness", 11) || m("fulness", 9) || m("ousness", 10)
            case 0x74:  // t
                _ = m("ogist", 13)
            default:
                break
            }
            guard result != 0, bra >= p1 else { return }
            switch result {
            case 1: replaceTail(from: bra, with: "tion")
            case 2: replaceTail(from: bra, with: "ence")
            case 3: replaceTail(from: bra, with: "ance")
            case 4: replaceTail(from: bra, with: "able")
            case 5: replaceTail(from: bra, with: "ent")
            case 6: replaceTail(from: bra, with: "ize")
            case 7: replaceTail(from: bra, with: "ate")
            case 8: replaceTail(from: bra, with: "al")
            case 9: replaceTail(from: bra, with: "ful")
            case 10: replaceTail(from: bra, with: "ous")
            case 11: replaceTail(from: bra, with: "ive")
            case 12: replaceTail(from: bra, with: "ble")
            case 13: replaceTail(from: bra, with: "og")
            case 14:  // ogi -> og after l
                guard bra > 0, p[bra - 1] == 0x6C else { return }  // l
                replaceTail(from: bra, with: "og")
            case 15: replaceTail(from: bra, with: "less")
            default:  // 16: li, deleted after a valid li-ending
                guard bra > 0, EnglishStemmer.isValidLI(p[bra - 1]) else { return }
                truncate(to: bra)
            }
        }

        // MARK: Step 3

        mutating func step3() {
            guard n > 0 else { return }
            let n = self.n
            var bra = -1
            var result = 0
            @inline(__always) func m(_ s: StaticString, _ r: Int) -> Bool {
                guard ends(s) else { return false }
                bra = n - s.utf8CodeUnitCount
                result = r
                return true
            }
            switch p[n - 1] {
            case 0x65:  // e
                _ = m("icate", 4) || m("ative", 6) || m("alize", 3)
            case 0x69:  // i
                _ = m("iciti", 4)
            case 0x6C:  // l
                _ = m("ational", 2) || m("tional", 1) || m("ical", 4) || m("ful", 5)
            case 0x73:  // s
                _ = m("ness", 5)
            default:
                break
            }
            guard result != 0, bra >= p1 else { return }
            switch result {
            case 1: replaceTail(from: bra, with: "tion")
            case 2: replaceTail(from: bra, with: "ate")
            case 3: replaceTail(from: bra, with: "al")
            case 4: replaceTail(from: bra, with: "ic")
            case 5: truncate(to: bra)
            default:  // 6: ative, deleted only in R2
                guard bra >= p2 else { return }
                truncate(to: bra)
            }
        }

        // MARK: Step 4

        mutating func step4() {
            guard n > 0 else { return }
            let n = self.n
            var bra = -1
            var result = 0
            @inline(__always) func m(_ s: StaticString, _ r: Int) -> Bool {
                guard ends(s) else { return false }
                bra = n - s.utf8CodeUnitCount
                result = r
                return true
            }
            switch p[n - 1] {
            case 0x63:  // c
                _ = m("ic", 1)
            case 0x65:  // e
                _ = m("ance", 1) || m("ence", 1) || m("able", 1) || m("ible", 1)
                    || m("ate", 1) || m("ive", 1) || m("ize", 1)
            case 0x69:  // i
                _ = m("iti", 1)
            case 0x6C:  // l
                _ = m("al", 1)
            case 0x6D:  // m
                _ = m("ism", 1)
            case 0x6E:  // n
                _ = m("ion", 2)
            case 0x72:  // r
                _ = m("er", 1)
            case 0x73:  // s
                _ = m("ous", 1)
            case 0x74:  // t
                _ = m("ement", 1) || m("ment", 1) || m("ant", 1) || m("ent", 1)
            default:
                break
            }
            guard result != 0, bra >= p2 else { return }
            if result == 2 {  // ion: only after s or t
                guard bra > 0 else { return }
                let c = p[bra - 1]
                guard c == 0x73 || c == 0x74 else { return }  // s or t
            }
            truncate(to: bra)
        }

        // MARK: Step 5

        mutating func step5() {
            guard n > 0 else { return }
            let bra = n - 1
            switch p[bra] {
            case 0x65:  // e: delete if in R2, or in R1 and not preceded by a short syllable
                if bra >= p2 || (bra >= p1 && !shortV(at: bra)) {
                    truncate(to: bra)
                }
            case 0x6C:  // l: delete if in R2 and preceded by l
                if bra >= p2, bra > 0, p[bra - 1] == 0x6C {
                    truncate(to: bra)
                }
            default:
                break
            }
        }
    }
}
