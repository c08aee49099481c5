import Foundation

/// Finding a term in text, the sentences that define it, and the different things it means
/// in different articles ("sft": supervised fine-tuning, the `.sft` file extension, STFT
/// misspelt). The patterns are compiled once per term (see ``TermMatcher``).
enum Senses {
    /// Whether `text` mentions `term` (case-insensitive; a Latin term must be a whole word).
    static func contains(_ text: String, term: String) -> Bool {
        termRange(in: text.lowercased(), term: term.lowercased()) != nil
    }

    static func termRange(in lower: String, term: String) -> Range<String.Index>? {
        var search = lower.startIndex..<lower.endIndex
        while let r = lower.range(of: term, range: search) {
            let before = r.lowerBound > lower.startIndex ? lower[lower.index(before: r.lowerBound)] : " "
            var after = r.upperBound < lower.endIndex ? lower[r.upperBound] : " "
            // An English plural ("context windows" for "context window") still counts.
            if after == "s", r.upperBound < lower.endIndex {
                let next = lower.index(after: r.upperBound)
                after = next < lower.endIndex ? lower[next] : " "
            }
            let latinEdge = { (c: Character) in c.isASCII && (c.isLetter || c.isNumber) }
            let termStartsLatin = term.first.map(latinEdge) ?? false
            let termEndsLatin = term.last.map(latinEdge) ?? false
            if !(termStartsLatin && latinEdge(before)) && !(termEndsLatin && latinEdge(after)) { return r }
            search = r.upperBound..<lower.endIndex
        }
        return nil
    }

    /// Groups documents by topic: two documents are about the same thing when the Latin
    /// words of their titles (with the term removed) share enough weighted words and
    /// n-grams; this links languages through the English names Chinese titles carry.
    static func groupByTitle(_ hits: [SearchHit], term: String, index: SiftIndex) -> [[SearchHit]] {
        let embedder = index.embedder
        var scratch = Analyzer.Scratch()
        let vectors: [[UInt64: Float]] = hits.map { hit in
            var title = hit.document.title.lowercased()
            while let r = termRange(in: title, term: term.lowercased()) { title.replaceSubrange(r, with: " ") }
            var f = FeatureList()
            embedder.analyzer.analyze(title[...], kinds: [.word, .charNgram], into: &f, scratch: &scratch)
            var v: [UInt64: Float] = [:]
            for (h, k) in zip(f.hashes, f.kinds) { v[h, default: 0] += embedder.model.rescoreWeights.weight(k) * index.statistics.idf(h) }
            return v
        }
        func cosine(_ a: [UInt64: Float], _ b: [UInt64: Float]) -> Float {
            var dot: Float = 0, na: Float = 0, nb: Float = 0
            for (k, x) in a { na += x * x; if let y = b[k] { dot += x * y } }
            for (_, y) in b { nb += y * y }
            return na > 0 && nb > 0 ? dot / (na.squareRoot() * nb.squareRoot()) : 0
        }
        var clusters: [[Int]] = []
        for i in hits.indices {
            if let c = clusters.firstIndex(where: { $0.contains { cosine(vectors[$0], vectors[i]) >= senseSimilarity } }) {
                clusters[c].append(i)
            } else {
                clusters.append([i])
            }
        }
        return clusters.map { $0.map { hits[$0] } }
    }

    static let senseSimilarity: Float = 0.15
}

/// The patterns of one term, compiled once: sentences that define it ("X 即/是/指…",
/// "X（…）是…", "…（…X…）是…", "[the] X is/are/refers to/stands for …", "… (X) is …": X is the
/// subject, not "a known weakness of X is …") and sentences
/// that name it as a variant, abbreviation or misspelling ("误写成 SFT", "mistyped as "SFT"").
struct TermMatcher {
    let term: String
    private let definitions: [NSRegularExpression]
    private let variants: [NSRegularExpression]

    init(term: String) {
        self.term = term
        let t = NSRegularExpression.escapedPattern(for: term.lowercased())
        let w = term.first.map { $0.isASCII && ($0.isLetter || $0.isNumber) } == true ? "(?<![a-z0-9])" : ""
        let we = term.last.map { $0.isASCII && ($0.isLetter || $0.isNumber) } == true ? "(?![a-z0-9])" : ""
        definitions = [
            "^[^。！？；]{0,12}\(w)\(t)\(we)\\s*(（[^）]*）|\\([^)]*\\))?\\s*[，,]?\\s*(即|是指|是|指|全称|也就是|就是|意为|代表|只是|仅是|通常指|一般指|常指)",
            "[（(][^（）()]{0,40}\(w)\(t)\(we)[^（）()]{0,20}[）)]\\s*[，,]?\\s*(即|是指|是|指|就是)",
            "^(?:the |an? )?\(w)\(t)\(we)s?\\s*(\\([^)]*\\))?\\s*(extension|file|format|suffix|of [^,.;]{1,40})?\\s*,?\\s*(is|are|refers to|stands for|means)\\b",
            "\\([^()]{0,40}\(w)\(t)\(we)[^()]{0,20}\\)\\s*,?\\s*(is|are|refers to|stands for|means)\\b",
        ].compactMap { try? NSRegularExpression(pattern: $0) }
        variants = [
            "(误写|简写|写成|缩写|简称|又称|也叫|俗称|扩展名)[^。！？；]{0,8}[“\"'「]?\\.?\(t)",
            "(mistyped as|written as|abbreviated as|abbreviation|short for|shorthand|also called|also known as|extension)[^.!?]{0,16}[\"'“]?\\.?\(t)",
        ].compactMap { try? NSRegularExpression(pattern: $0) }
    }

    func mentioned(in text: String) -> Bool { Senses.contains(text, term: term) }

    func defines(_ sentence: String) -> Bool { matches(definitions, sentence) }

    func namesVariant(_ sentence: String) -> Bool { matches(variants, sentence) }

    private func matches(_ patterns: [NSRegularExpression], _ sentence: String) -> Bool {
        let s = sentence.lowercased()
        let range = NSRange(s.startIndex..., in: s)
        return patterns.contains { $0.firstMatch(in: s, range: range) != nil }
    }
}
