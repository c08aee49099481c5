/// Sentence boundaries in Chinese, English and mixed text.
///
/// A sentence ends after `。！？；…`, or after `.`, `!`, `?` followed by whitespace or the end of the text, plus
/// any closing quotes or brackets that follow. A period does not end a sentence inside a
/// number (`3.14`), after a single letter (`J. Smith`) or after a common abbreviation
/// (`e.g.`, `i.e.`, `etc.`, `Fig.`, `Dr.`, `vs.`, `et al.`). A line break always ends one.
@_spi(Internals)
public enum SentenceSplitter {
    static let abbreviations: Set<String> = [
        "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "fig", "figs", "no", "al", "approx", "cf",
        "inc", "ltd", "jr", "sr", "st", "eq", "vol", "pp", "sec", "ch", "ca", "resp", "u.s", "u.k", "e.v",
    ]

    @inline(__always) static func isCJKTerminator(_ v: UInt32) -> Bool {
        v == 0x3002 || v == 0xFF01 || v == 0xFF1F || v == 0xFF1B || v == 0x2026 || v == 0xFF61
    }

    @inline(__always) static func isCloser(_ v: UInt32) -> Bool {
        switch v {
        case 0x22, 0x27, 0x29, 0x5D, 0x7D, 0x201D, 0x2019, 0x300D, 0x300F, 0xFF09, 0x3011, 0x300B, 0x3009, 0xFF3D: true
        default: false
        }
    }

    /// Characters after a closing quote that show the sentence goes on (`“…？”他问`
    /// is one sentence only if followed by more text; a comma or a CJK character continues it).
    @inline(__always) static func isClauseContinuation(_ v: UInt32) -> Bool {
        v == 0xFF0C || v == 0x3001 || v == 0x2C || ScriptClass.isCJK(v)
    }

    /// Ranges of the sentences of `scalars[range]` (leading/trailing whitespace excluded).
    static func sentences(in scalars: [Unicode.Scalar], range: Range<Int>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = range.lowerBound
        var i = range.lowerBound
        func push(_ end: Int) {
            var s = start, e = end
            while s < e && scalars[s].properties.isWhitespace { s += 1 }
            while e > s && scalars[e - 1].properties.isWhitespace { e -= 1 }
            if s < e { result.append(s..<e) }
            start = end
        }
        var quoteDepth = 0
        var quoteStart = 0
        while i < range.upperBound {
            let v = scalars[i].value
            var end: Int? = nil
            if v == 0x201C || v == 0x300C || v == 0x300E {
                if quoteDepth == 0 { quoteStart = i }
                quoteDepth += 1
            } else if (v == 0x201D || v == 0x300D || v == 0x300F) && quoteDepth > 0 {
                quoteDepth -= 1
            }
            // An unclosed quote stops protecting its content after 200 characters.
            if quoteDepth > 0 && i - quoteStart > 200 { quoteDepth = 0 }
            if v == 0x0A {
                quoteDepth = 0
                end = i + 1
            } else if isCJKTerminator(v) && quoteDepth > 0 {
                // Inside “…”/「…」: a terminator ends the sentence only together with the quote.
                var j = i + 1
                while j < range.upperBound && isCJKTerminator(scalars[j].value) { j += 1 }
                if j < range.upperBound && isCloser(scalars[j].value) && quoteDepth == 1
                    && (j + 1 >= range.upperBound || !isClauseContinuation(scalars[j + 1].value)) {
                    while j < range.upperBound && isCloser(scalars[j].value) { j += 1 }
                    quoteDepth = 0
                    end = j
                } else {
                    i = j
                    continue
                }
            } else if isCJKTerminator(v) {
                var j = i + 1
                while j < range.upperBound && (isCJKTerminator(scalars[j].value) || isCloser(scalars[j].value)) { j += 1 }
                end = j
            } else if v == 0x21 || v == 0x3F || v == 0x2E {
                var j = i + 1
                while j < range.upperBound && (scalars[j].value == 0x21 || scalars[j].value == 0x3F || scalars[j].value == 0x2E) { j += 1 }
                while j < range.upperBound && isCloser(scalars[j].value) { j += 1 }
                let atEnd = j == range.upperBound
                let followedBySpace = !atEnd && scalars[j].properties.isWhitespace
                let followedByCJK = !atEnd && ScriptClass.isCJK(scalars[j].value)
                if atEnd || followedBySpace || followedByCJK {
                    if v != 0x2E || j - i > 1 || !isAbbreviation(scalars, period: i, lower: start) { end = j }
                }
                if end == nil { i = j; continue }
            }
            if let e = end {
                push(e)
                i = e
            } else {
                i += 1
            }
        }
        push(range.upperBound)
        return result
    }

    /// Whether the period at `period` closes an abbreviation or an initial.
    static func isAbbreviation(_ s: [Unicode.Scalar], period: Int, lower: Int) -> Bool {
        var j = period
        while j > lower && (s[j - 1].properties.isAlphabetic || s[j - 1] == ".") && !ScriptClass.isCJK(s[j - 1].value) { j -= 1 }
        let word = String(String.UnicodeScalarView(s[j..<period])).lowercased()
        if word.isEmpty { return false }
        if word.unicodeScalars.count == 1 { return s[j].properties.isUppercase }  // "J. Smith"
        return abbreviations.contains(word)
    }

    /// The sentences of `text`, in order.
    public static func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return sentences(in: scalars, range: 0..<scalars.count).map { String(String.UnicodeScalarView(scalars[$0])) }
    }
}
