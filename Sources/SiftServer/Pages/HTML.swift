import Foundation

/// HTML helpers: escaping and highlighting the question's terms in an excerpt.
enum HTML {
    /// `text` with `& < > " '` escaped, safe in element content and quoted attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// `url` when it is an absolute http(s) URL, else nil (no `javascript:` links).
    static func safeURL(_ url: String?) -> String? {
        guard let url, let u = URL(string: url), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https",
              u.host != nil else { return nil }
        return url
    }

    /// The terms of a question worth highlighting: Latin words of two letters or more and
    /// the pairs of adjacent CJK characters.
    static func terms(of question: String) -> [String] {
        var terms: [String] = []
        var word = "", cjk: [Unicode.Scalar] = []
        func flush() {
            if word.count >= 2 { terms.append(word.lowercased()) }
            word = ""
            if cjk.count >= 2 { for i in 0..<(cjk.count - 1) { terms.append(String(String.UnicodeScalarView(cjk[i...i + 1]))) } }
            cjk = []
        }
        for s in question.unicodeScalars {
            if s.properties.isIdeographic {
                if !word.isEmpty { let c = cjk; flush(); cjk = c }
                cjk.append(s)
            } else if s.properties.isAlphabetic || s.properties.numericType != nil {
                if !cjk.isEmpty { let w = word; flush(); word = w }
                word.unicodeScalars.append(s)
            } else {
                flush()
            }
        }
        flush()
        let stop: Set<String> = ["the", "is", "are", "what", "how", "does", "do", "of", "in", "to", "and", "an", "or", "for", "on", "it",
                                 "什么", "是什", "么是", "怎么", "为什", "如何", "哪些", "哪个"]
        return Array(Set(terms.filter { !stop.contains($0) }))
    }

    /// `text` escaped, with every occurrence of `terms` (case-insensitive) in `<mark>`.
    static func highlight(_ text: String, terms: [String]) -> String {
        let scalars = Array(text.unicodeScalars)
        let lower = scalars.map { Unicode.Scalar(String($0).lowercased().unicodeScalars.count == 1 ? String($0).lowercased().unicodeScalars.first!.value : $0.value) ?? $0 }
        var marked = [Bool](repeating: false, count: scalars.count)
        for term in terms {
            let t = Array(term.unicodeScalars)
            guard !t.isEmpty, t.count <= lower.count else { continue }
            var i = 0
            while i + t.count <= lower.count {
                if lower[i] == t[0] && Array(lower[i..<(i + t.count)]) == t {
                    // Latin terms match whole words only.
                    let latin = t[0].isASCII
                    let before = i > 0 ? lower[i - 1] : " "
                    let after = i + t.count < lower.count ? lower[i + t.count] : " "
                    if !latin || (!(before.isASCII && before.properties.isAlphabetic) && !(after.isASCII && after.properties.isAlphabetic)) {
                        for j in i..<(i + t.count) { marked[j] = true }
                    }
                }
                i += 1
            }
        }
        var out = ""
        var i = 0
        while i < scalars.count {
            var j = i
            while j < scalars.count && marked[j] == marked[i] { j += 1 }
            let piece = escape(String(String.UnicodeScalarView(scalars[i..<j])))
            out += marked[i] ? "<mark>\(piece)</mark>" : piece
            i = j
        }
        return out
    }
}
