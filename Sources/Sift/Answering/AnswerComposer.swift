import Foundation

/// Composes an ``Answer`` from search results, without paraphrasing: every statement is a
/// sentence (or two adjacent sentences) copied from the passage it cites.
///
/// 1. Search; when the best passage scores below ``minScore`` the answer says so and lists
///    the nearest topics instead.
/// 2. Keep the best passage of each document that scores close enough to the best one
///    (at most ``maxPoints`` documents).
/// 3. In each, pick the sentence that best matches the question (same two-stage scorer).
/// 4. For a definition question, lead with a definitional sentence about the term
///    ("X 即…", "X（…）是…", "X is…", "… (X) is …") when one exists; when the term is used
///    with different meanings by different articles, flag it and cite each meaning.
public struct AnswerComposer: Sendable {
    /// Passages retrieved per question.
    public var topK: Int
    /// Minimum score (0...1) of the best passage for the question to count as answered.
    public var minScore: Float
    /// Most statements (bullets) in an answer.
    public var maxPoints: Int
    /// A document's best passage must score at least this fraction of the best passage.
    var relativeScore: Float = 0.45

    /// - Throws: ``SiftError/invalidArgument(name:reason:)`` naming a setting out of range.
    public init(topK: Int = 8, minScore: Float = 0.16, maxPoints: Int = 5) throws(SiftError) {
        guard topK >= 1 && topK <= 1000 else { throw .invalidArgument(name: "topK", reason: "must be in 1...1000, got \(topK)") }
        guard minScore.isFinite, (0...1).contains(minScore) else {
            throw .invalidArgument(name: "minScore", reason: "must be in 0...1, got \(minScore)")
        }
        guard maxPoints >= 1 else { throw .invalidArgument(name: "maxPoints", reason: "must be ≥ 1") }
        self.topK = topK
        self.minScore = minScore
        self.maxPoints = maxPoints
    }

    /// The default settings.
    public static let standard = try! AnswerComposer()

    /// Longest question accepted (longer ones are cut to this many characters).
    static let maxQuestionCharacters = 2000

    /// Answers `question` from `index`, drawing "Others are asking" from `questions`.
    /// - Parameters:
    ///   - question: the question, in Chinese or English (cut to 2,000 characters).
    ///   - index: the index to answer from.
    ///   - questions: the bank "Others are asking" draws on, if any.
    ///   - filter: which documents the answer may draw on.
    ///   - settings: search-time settings.
    public func answer(_ question: String, index: SiftIndex, questions: QuestionBank? = nil,
                       filter: SearchFilter = SearchFilter(), settings: SearchSettings = SearchSettings()) -> Answer {
        let analysis = QuestionAnalysis(question)
        let q = String(analysis.searchText.prefix(AnswerComposer.maxQuestionCharacters))
        // Search the question without its question words, and as asked (the question words
        // carry the language, which favours articles in it), and for "what is X" also X alone.
        // Each distinct query is prepared once.
        let k = max(topK, maxPoints * 2)
        let prepared = index.prepare(q)
        var searches = [index.search(prepared: prepared, k: k, filter: filter, settings: settings)]
        let asked = String(question.prefix(AnswerComposer.maxQuestionCharacters))
        if QuestionWords.stripForSearch(asked) != QuestionWords.stripForSearch(q) {
            searches.append(index.search(asked, k: k, filter: filter, settings: settings))
        }
        let termHits = analysis.definitionTerm.map { index.search($0, k: 30, filter: filter, settings: settings) } ?? []
        searches.append(Array(termHits.prefix(k)))
        var byPassage: [Int: SearchHit] = [:]
        for list in searches {
            for h in list where (byPassage[h.passageID]?.score ?? -1) < h.score { byPassage[h.passageID] = h }
        }
        let hits = byPassage.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.passageID < $1.passageID }
        let related = questions?.related(to: String(question.prefix(AnswerComposer.maxQuestionCharacters))) ?? []
        var answer = Answer(question: question, language: analysis.language, answered: false, lead: nil, points: [],
                            references: [], related: related, ambiguousTerm: nil)
        guard let best = hits.first, best.score >= minScore else {
            // Nearest topics: the best passage of up to three documents, whatever their score.
            var seen = Set<String>()
            for hit in hits where seen.insert(hit.document.id).inserted && seen.count <= 3 {
                answer.references.append(reference(hit, number: answer.references.count + 1))
            }
            return answer
        }
        answer.answered = true
        var rescorer = Rescorer(embedder: index.embedder)

        // Best passage per document, close enough to the best.
        var perDocument: [SearchHit] = []
        var seen = Set<String>()
        for hit in hits where seen.insert(hit.document.id).inserted {
            if hit.score >= max(minScore * 0.8, best.score * relativeScore) { perDocument.append(hit) }
        }
        // The best article first, then the others in the question's language, then the rest
        // (a stable partition keeps score order).
        if let top = perDocument.first {
            let rest = perDocument.dropFirst()
            perDocument = [top] + rest.filter { $0.document.language == analysis.language }
                + rest.filter { $0.document.language != analysis.language }
        }

        // Candidate sentences of each kept passage, scored.
        struct Candidate { var hit: SearchHit; var range: Range<String.Index>; var score: Float; var definitional: Bool }
        func sentences(of hit: SearchHit) -> [Candidate] {
            AnswerComposer.sentenceRanges(in: hit.passage.text).map { range in
                let text = String(hit.passage.text[range])
                let s = index.sentenceScore(text, query: prepared, rescorer: &rescorer).final
                let def = analysis.definitionTerm.map { AnswerComposer.isDefinition(text, term: $0) } ?? false
                return Candidate(hit: hit, range: range, score: s, definitional: def)
            }
        }

        var references: [String: Int] = [:]  // passage key → number
        func cite(_ hit: SearchHit) -> Int {
            let key = "\(hit.passageID)"
            if let n = references[key] { return n }
            answer.references.append(reference(hit, number: answer.references.count + 1))
            references[key] = answer.references.count
            return answer.references.count
        }

        // Lead: the best definitional sentence about the term, preferring the question's language.
        var usedRanges: [String: [Range<String.Index>]] = [:]
        var senseOrder: [SearchHit] = perDocument
        if let term = analysis.definitionTerm {
            var definitions: [Candidate] = []
            for hit in hits where AnswerComposer.contains(hit.passage.text, term: term) {
                let cands = sentences(of: hit)
                definitions += cands.filter(\.definitional)
            }
            // The article about the term (it is in the title) defines it best, then one in
            // the question's language, then the best-matching sentence.
            func leadRank(_ c: Candidate) -> (Int, Int, Float) {
                (AnswerComposer.contains(c.hit.document.title, term: term) ? 1 : 0,
                 c.hit.document.language == analysis.language ? 1 : 0,
                 c.score + c.hit.score)
            }
            if let lead = definitions.max(by: { leadRank($0) < leadRank($1) }) {
                answer.lead = Answer.Statement(text: String(lead.hit.passage.text[lead.range]), citations: [cite(lead.hit)])
                usedRanges[lead.hit.document.id, default: []].append(lead.range)
            }
            // Other meanings: articles that are not about the term (it is not in their title)
            // but define it or name it as a variant of something else.
            var others: [(hit: SearchHit, range: Range<String.Index>)] = []
            for hit in termHits where !others.contains(where: { $0.hit.document.id == hit.document.id })
                && !AnswerComposer.contains(hit.document.title, term: term) && AnswerComposer.contains(hit.passage.text, term: term) {
                let defining = sentences(of: hit).filter { c in
                    let text = String(hit.passage.text[c.range])
                    return AnswerComposer.contains(text, term: term)
                        && (AnswerComposer.isDefinition(text, term: term) || AnswerComposer.isVariant(text, term: term))
                }
                if let best = defining.max(by: { $0.score < $1.score }) { others.append((hit, best.range)) }
            }
            let primary = answer.lead != nil || hits.contains { AnswerComposer.contains($0.document.title, term: term) }
            let groups = AnswerComposer.groupByTitle(others.map(\.hit), term: term, index: index)
            if groups.count + (primary ? 1 : 0) > 1 {
                answer.ambiguousTerm = term
                for group in groups where answer.points.count < max(1, maxPoints - 2) {
                    // One statement per meaning, in the question's language when there is one.
                    let pick = group.first { $0.document.language == analysis.language } ?? group[0]
                    let (hit, range) = others.first { $0.hit.document.id == pick.document.id }!
                    answer.points.append(Answer.Statement(text: String(hit.passage.text[range]), citations: [cite(hit)]))
                    usedRanges[hit.document.id, default: []].append(range)
                }
                let shown = Set(groups.flatMap { $0.map(\.document.id) })
                senseOrder = perDocument.filter { !shown.contains($0.document.id) }
            }
        }

        // Points: one per document, best sentence not already used by the lead.
        for hit in senseOrder where answer.points.count < maxPoints && !answer.points.contains(where: { p in
            p.citations.contains { answer.references[$0 - 1].source == hit.document.source } }) {
            let cands = sentences(of: hit).filter { c in !(usedRanges[hit.document.id] ?? []).contains { $0.overlaps(c.range) } }
            guard let top = cands.max(by: { $0.score < $1.score }), top.score > 0 else { continue }
            let range = AnswerComposer.extend(top.range, in: hit.passage.text)
            answer.points.append(Answer.Statement(text: String(hit.passage.text[range]), citations: [cite(hit)]))
            usedRanges[hit.document.id, default: []].append(range)
        }
        if answer.points.isEmpty && answer.lead == nil { answer.answered = false }
        return answer
    }

    func reference(_ hit: SearchHit, number: Int) -> Answer.Reference {
        Answer.Reference(number: number, title: hit.document.title, source: hit.document.source, url: hit.document.url,
                         passage: hit.passage.text, start: hit.passage.start, end: hit.passage.end, score: hit.score)
    }

    /// Sentence ranges of a passage, leaving out headings and other lines that are not
    /// sentences (short lines without end punctuation).
    static func sentenceRanges(in text: String) -> [Range<String.Index>] {
        let scalars = Array(text.unicodeScalars)
        var indices: [String.Index] = []
        indices.reserveCapacity(scalars.count + 1)
        var i = text.unicodeScalars.startIndex
        while i != text.unicodeScalars.endIndex { indices.append(i); i = text.unicodeScalars.index(after: i) }
        indices.append(text.endIndex)
        return SentenceSplitter.sentences(in: scalars, range: 0..<scalars.count).compactMap { r in
            let last = scalars[r.upperBound - 1].value
            func isEnd(_ v: UInt32) -> Bool { SentenceSplitter.isCJKTerminator(v) || v == 0x2E || v == 0x21 || v == 0x3F }
            let ends = isEnd(last) || (SentenceSplitter.isCloser(last) && r.count > 1 && isEnd(scalars[r.upperBound - 2].value))
            // A whole line without end punctuation is a heading, a label or a table row.
            let wholeLine = (r.lowerBound == 0 || scalars[r.lowerBound - 1] == "\n")
                && (r.upperBound == scalars.count || scalars[r.upperBound] == "\n")
            if !ends && (wholeLine || r.count < 40) && r.count < 80 { return nil }
            if r.count < 6 { return nil }
            return indices[r.lowerBound]..<indices[r.upperBound]
        }
    }

    /// A very short sentence is extended with the next one on the same line.
    static func extend(_ range: Range<String.Index>, in text: String) -> Range<String.Index> {
        guard text[range].count < 24 else { return range }
        let all = sentenceRanges(in: text)
        guard let i = all.firstIndex(where: { $0.lowerBound == range.lowerBound }), i + 1 < all.count else { return range }
        let next = all[i + 1]
        if text[range.upperBound..<next.lowerBound].contains("\n") { return range }  // same line only
        return range.lowerBound..<next.upperBound
    }

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

    /// Whether `sentence` defines `term`: "X 即/是/指…", "X（…）是…", "…（…X…）是…",
    /// "X is/are/refers to/stands for …", "… (X) is …".
    static func isDefinition(_ sentence: String, term: String) -> Bool {
        let s = sentence.lowercased()
        let t = NSRegularExpression.escapedPattern(for: term.lowercased())
        let w = term.first.map { $0.isASCII && ($0.isLetter || $0.isNumber) } == true ? "(?<![a-z0-9])" : ""
        let we = term.last.map { $0.isASCII && ($0.isLetter || $0.isNumber) } == true ? "(?![a-z0-9])" : ""
        let patterns = [
            "^[^。！？；]{0,12}\(w)\(t)\(we)\\s*(（[^）]*）|\\([^)]*\\))?\\s*[，,]?\\s*(即|是指|是|指|全称|也就是|就是|意为|代表|只是|仅是|通常指|一般指|常指)",
            "[（(][^（）()]{0,40}\(w)\(t)\(we)[^（）()]{0,20}[）)]\\s*[，,]?\\s*(即|是指|是|指|就是)",
            "^.{0,20}?\(w)\(t)\(we)s?\\s*(\\([^)]*\\))?\\s*(extension|file|format|suffix|of [^,.;]{1,40})?\\s*,?\\s*(is|are|refers to|stands for|means)\\b",
            "\\([^()]{0,40}\(w)\(t)\(we)[^()]{0,20}\\)\\s*,?\\s*(is|are|refers to|stands for|means)\\b",
        ]
        return patterns.contains { p in s.range(of: p, options: .regularExpression) != nil }
    }

    /// Whether `sentence` names `term` as a variant, abbreviation or misspelling
    /// ("误写成 SFT", "mistyped as "SFT"", "short for …").
    static func isVariant(_ sentence: String, term: String) -> Bool {
        let s = sentence.lowercased()
        let t = NSRegularExpression.escapedPattern(for: term.lowercased())
        let patterns = [
            "(误写|简写|写成|缩写|简称|又称|也叫|俗称|扩展名)[^。！？；]{0,8}[“\"'「]?\\.?\(t)",
            "(mistyped as|written as|abbreviated as|abbreviation|short for|shorthand|also called|also known as|extension)[^.!?]{0,16}[\"'“]?\\.?\(t)",
        ]
        return patterns.contains { s.range(of: $0, options: .regularExpression) != nil }
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
