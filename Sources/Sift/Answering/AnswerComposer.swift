import Foundation

/// Composes an ``Answer`` from search results, without paraphrasing: every statement is a
/// sentence (a short one with its neighbour), a list item or a table row copied from the
/// passage it cites.
///
/// 1. One search for the question; when the best passage scores below ``minScore`` the
///    answer says so and lists the nearest topics instead.
/// 2. Every statement of the best ``topK`` passages is a candidate; a ranker (`Models/answer-ranker-v1.json`) weighs
///    how well each answers the question (coverage of the question's weighted terms, their
///    proximity, room for the answer, the kind of answer asked for — a number for 多少 / how
///    many, a date for 哪一年 / when, a place or a path for 哪里 / 放在 / where, …).
/// 3. The best candidate leads; the next best statement of its passage may follow (the
///    answer is often the neighbouring sentence). Further bullets come from other articles, one each, only
///    when they are on topic: they cover the question's focus terms about as well as the lead
///    and score close to it. One excellent bullet beats five.
/// 4. For a definition question whose term means different things in different articles,
///    the main meaning leads and the others follow in ``Answer/senses``.
public struct AnswerComposer: Sendable {
    /// Passages retrieved per question (their statements are the candidates).
    public var topK: Int
    /// Minimum score (0...1) of the best passage for the question to count as answered.
    public var minScore: Float
    /// Most statements (bullets) after the lead.
    public var maxPoints: Int
    /// A bullet must be at least this likely, relative to the lead, to be the answer (by the
    /// ranker's odds).
    var relativeScore: Float = 0.5
    /// A bullet must cover at least this fraction of the question's focus (its weighted
    /// words and character pairs) that the lead covers.
    var relativeCoverage: Float = 0.6
    let ranker: AnswerRanker = .v1

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

    static let definitionalFeature = StatementFeatures.names.firstIndex(of: "definitional")!
    static let coverageFeature = StatementFeatures.names.firstIndex(of: "coverage")!
    /// A question whose best passage scores in minScore × [0.5, 1) is answered when the lead
    /// covers at least this share of its IDF-weighted terms.
    /// (0.4: the lowest share that still declines every unanswerable golden question; 0.3
    /// answered "Who won the 2018 World Cup?" from a dialogue-dataset article.)
    static let weakScoreFactor: Float = 0.5
    static let weakCoverage: Float = 0.4

    /// Hits materialised per question: the statements come from the best `topK`, other
    /// meanings of an ambiguous term from all of them.
    static let senseHits = 30

    /// A candidate statement: a unit of a hit's passage, its features and its score.
    struct Candidate {
        var hit: SearchHit
        var rank: Int
        var unit: StatementUnit
        var features: [Float]
        var score: Float
        /// Coverage of the question's focus (words and character pairs).
        var focus: Float { features[1] }
    }

    /// Answers `question` from `index`, drawing "Others are asking" from `questions`.
    /// - Parameters:
    ///   - question: the question, in Chinese or English (cut to 2,000 characters).
    ///   - index: the index to answer from.
    ///   - questions: the bank "Others are asking" draws on, if any.
    ///   - filter: which documents the answer may draw on.
    ///   - settings: search-time settings.
    public func answer(_ question: String, index: SiftIndex, questions: QuestionBank? = nil,
                       filter: SearchFilter = SearchFilter(), settings: SearchSettings = SearchSettings()) -> Answer {
        let asked = String(question.prefix(AnswerComposer.maxQuestionCharacters))
        let analysis = QuestionAnalysis(asked)
        let prepared = index.prepare(asked, settings: settings)
        var hits = index.search(prepared: prepared, k: max(topK, AnswerComposer.senseHits), filter: filter, settings: settings)
        // A definition question is also searched for its term alone: in "什么是 RLHF？" the
        // question words are most of the query and favour any article that asks "什么是…".
        if let term = analysis.definitionTerm, term != QuestionAnalysis.trimmed(asked) {
            let termHits = index.search(term, k: AnswerComposer.senseHits, filter: filter, settings: settings)
            hits = AnswerComposer.merge(hits, termHits)
        }
        let related = questions?.related(to: asked) ?? []
        var answer = Answer(question: question, language: analysis.language, answered: false, lead: nil, points: [], senses: [],
                            references: [], related: related, ambiguousTerm: nil)
        func declined() -> Answer {
            // Nearest topics: the best passage of up to three documents, whatever their score.
            var out = answer
            out.references = []
            out.points = []
            out.senses = []
            out.lead = nil
            out.ambiguousTerm = nil
            out.answered = false
            var seen = Set<String>()
            for hit in hits where seen.insert(hit.document.id).inserted && seen.count <= 3 {
                out.references.append(AnswerComposer.reference(hit, number: out.references.count + 1))
            }
            return out
        }
        // Below minScore the question is answered only when its best statement covers most of
        // the question's weighted terms (a short question's few words can score low yet all be
        // there); below half of it, never.
        guard let best = hits.first, best.score >= minScore * AnswerComposer.weakScoreFactor else { return declined() }
        let weak = best.score < minScore
        let terms = QuestionTerms(query: prepared, analysis: analysis, question: asked, analyzer: index.embedder.analyzer,
                                  statistics: index.statistics)
        var scratch = Analyzer.Scratch()
        var rescorer = Rescorer(embedder: index.embedder)
        // The statements of the best passages; for a definition question also the best passage
        // of each article about the term (the term in its title) further down.
        var pool = Array(hits.prefix(topK))
        if let matcher = terms.matcher {
            // The opening passage of each article about the term, where articles define it.
            var present = Set(pool.map(\.passageID))
            var articles = Set<String>()
            for hit in hits where matcher.mentioned(in: hit.document.title) && articles.insert(hit.document.id).inserted {
                guard let opening = index.openingPassage(of: hit, query: prepared, rescorer: &rescorer),
                      present.insert(opening.passageID).inserted else { continue }
                pool.append(opening)
            }
        }
        // Passages found through the question's translation are judged by the translation's
        // terms (a Chinese question's words are nowhere in an English statement).
        // A definition term has its own spelling there: the title of the other language's
        // article that its translation spells ("知识蒸馏" → "Knowledge distillation").
        let translated = prepared.translation.map { t in
            let term = analysis.definitionTerm == nil ? nil
                : AnswerComposer.translatedTerm(hits, translation: t, analyzer: index.embedder.analyzer)
            return (terms: QuestionTerms(query: t.query, analysis: analysis, question: t.text, analyzer: index.embedder.analyzer,
                                         statistics: index.statistics, term: term), prepared: t.query)
        }
        var candidates = self.candidates(pool[...], best: best.score, terms: terms, index: index, prepared: prepared,
                                         translated: translated, rescorer: &rescorer, scratch: &scratch)

        // Other meanings of an ambiguous term leave the main answer and get their own section.
        var otherMeanings: [(hit: SearchHit, range: Range<Int>)] = []
        if let matcher = terms.matcher {
            let found = senses(hits, matcher: matcher, analysis: analysis, index: index, terms: terms)
            otherMeanings = found.picked
            let elsewhere = found.documents
            candidates.removeAll { elsewhere.contains($0.hit.document.id) }
            if !otherMeanings.isEmpty { answer.ambiguousTerm = matcher.term }
        }

        var citations: [Int: Int] = [:]  // passage id → reference number
        func cite(_ hit: SearchHit) -> Int {
            if let n = citations[hit.passageID] { return n }
            answer.references.append(AnswerComposer.reference(hit, number: answer.references.count + 1))
            citations[hit.passageID] = answer.references.count
            return answer.references.count
        }
        func statement(_ hit: SearchHit, _ unit: StatementUnit) -> Answer.Statement {
            let range = AnswerComposer.extend(unit, in: hit.passage.text)
            let cells: [Answer.Statement.Cell]? = {
                if case .tableRow(let cells) = unit.kind { return cells.map { Answer.Statement.Cell(header: $0.header, value: $0.value) } }
                return nil
            }()
            return Answer.Statement(text: AnswerComposer.slice(hit.passage.text, range), citations: [cite(hit)], cells: cells,
                                    language: hit.document.language)
        }

        // The lead: the best candidate (ties: the better passage, then the earlier statement).
        // A definition question ("什么是X", "what is X") is answered by a definition of X:
        // a defining statement of the article about X (X in its title) leads when there is one.
        var ordered = candidates.sorted { a, b in
            a.score != b.score ? a.score > b.score : a.rank != b.rank ? a.rank < b.rank : a.unit.ordinal < b.unit.ordinal
        }
        // The term as a candidate's article writes it (the translation's spelling for articles
        // found through it).
        func matcher(of c: Candidate) -> TermMatcher? {
            c.hit.translated ? translated?.terms.matcher ?? terms.matcher : terms.matcher
        }
        // Defining statements of the articles about X (X in their title); when no article is,
        // of any article ("Reward hacking is a major RLHF failure mode in which …").
        let aboutTerm = terms.matcher.map { m in hits.contains { m.mentioned(in: $0.document.title) } } ?? false
        func defining(_ c: Candidate) -> Bool {
            guard let matcher = matcher(of: c), c.features[AnswerComposer.definitionalFeature] > 0 else { return false }
            return !aboutTerm || matcher.mentioned(in: c.hit.document.title)
        }
        func names(_ c: Candidate) -> Bool {
            matcher(of: c)?.mentioned(in: AnswerComposer.slice(c.hit.passage.text, c.unit.range)) ?? true
        }
        if terms.matcher != nil {
            // "What is X" is answered by a statement that names X, when any does.
            let names = ordered.map(names)
            if names.contains(true) { ordered = zip(ordered, names).filter(\.1).map(\.0) + zip(ordered, names).filter { !$0.1 }.map(\.0) }
            // In the question's language when its articles define the term; within the article
            // its first definition (articles open with theirs).
            if let best = ordered.first(where: { defining($0) && $0.hit.document.language == analysis.language })
                ?? ordered.first(where: defining),
               let i = ordered.indices.filter({ defining(ordered[$0]) && ordered[$0].hit.document.id == best.hit.document.id })
                   .min(by: { (ordered[$0].hit.passage.ordinal, ordered[$0].unit.ordinal) < (ordered[$1].hit.passage.ordinal, ordered[$1].unit.ordinal) }) {
                ordered.insert(ordered.remove(at: i), at: 0)
            }
        }
        if weak, (ordered.first?.features[AnswerComposer.coverageFeature] ?? 0) < AnswerComposer.weakCoverage { return declined() }
        if let lead = ordered.first {
            answer.lead = statement(lead.hit, lead.unit)
            var used: Set<String> = [lead.hit.document.id]
            let best = candidates.map(\.score).max() ?? lead.score
            func onTopic(_ c: Candidate) -> Bool {
                c.score >= best + log(relativeScore) && c.focus >= lead.focus * relativeCoverage && c.focus > 0
            }
            // The lead's passage often says the answer in a neighbouring sentence instead: its
            // next statement by odds follows when it is about as likely and as much on topic.
            let shown = AnswerComposer.extend(lead.unit, in: lead.hit.passage.text)
            if let second = ordered.dropFirst().first(where: { $0.hit.passageID == lead.hit.passageID }), onTopic(second),
               !AnswerComposer.extend(second.unit, in: second.hit.passage.text).overlaps(shown) {
                answer.points.append(statement(second.hit, second.unit))
            }
            // A definition question: first the definitions of the other articles about the term
            // (the same thing in the other language, or from another angle), one each.
            if terms.matcher != nil {
                for c in ordered.dropFirst() where answer.points.count < maxPoints && !used.contains(c.hit.document.id) && defining(c) {
                    used.insert(c.hit.document.id)
                    answer.points.append(statement(c.hit, c.unit))
                }
            }
            // Then the best statement of each other article, when it is on topic: close to the
            // best candidate's odds and covering the question's focus about as well as the lead.
            for c in ordered.dropFirst() where answer.points.count < maxPoints && !used.contains(c.hit.document.id) {
                guard onTopic(c) else { continue }
                // A bullet about a term names it (its question words are not what it is about).
                if !names(c) { continue }
                used.insert(c.hit.document.id)
                answer.points.append(statement(c.hit, c.unit))
            }
        }
        for (hit, range) in otherMeanings {
            answer.senses.append(Answer.Statement(text: AnswerComposer.slice(hit.passage.text, range), citations: [cite(hit)],
                                                  cells: nil, language: hit.document.language))
        }
        answer.answered = answer.lead != nil
        return answer
    }

    /// The title of the best article found through `translation` that the translation spells
    /// out: every word of it is a word of the translation (compared as the analyzer's stemmed
    /// words). Only English titles: a Chinese title has no words to compare.
    static func translatedTerm(_ hits: [SearchHit], translation: TranslatedQuery, analyzer: Analyzer) -> String? {
        guard translation.language == "en" else { return nil }
        var scratch = Analyzer.Scratch()
        func words(_ text: String) -> Set<UInt64> {
            var list = FeatureList()
            analyzer.analyze(text[...], kinds: [.word], into: &list, scratch: &scratch)
            return Set(list.hashes)
        }
        let spelled = words(translation.text)
        for hit in hits where hit.translated {
            let title = words(hit.document.title)
            if !title.isEmpty && title.isSubset(of: spelled) { return hit.document.title }
        }
        return nil
    }

    /// The hits of two searches, each passage once with its better score, best first.
    static func merge(_ a: [SearchHit], _ b: [SearchHit]) -> [SearchHit] {
        var byPassage: [Int: SearchHit] = [:]
        for h in a + b where (byPassage[h.passageID]?.score ?? -.infinity) < h.score { byPassage[h.passageID] = h }
        return byPassage.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.passageID < $1.passageID }
    }

    /// Every statement of `hits`, with its features and ranker score.
    func candidates(_ hits: ArraySlice<SearchHit>, best: Float, terms ownTerms: QuestionTerms, index: SiftIndex, prepared ownQuery: PreparedQuery,
                    translated: (terms: QuestionTerms, prepared: PreparedQuery)? = nil,
                    rescorer: inout Rescorer, scratch: inout Analyzer.Scratch) -> [Candidate] {
        var result: [Candidate] = []
        var counter = FeatureCounter(capacity: 1024)
        for (rank, hit) in hits.enumerated() {
            let (terms, prepared) = hit.translated && translated != nil ? translated! : (ownTerms, ownQuery)
            let text = hit.passage.text
            let previous = hit.passage.ordinal > 0 ? index.previousPassageText(of: hit) : nil
            let scalarText = ScalarText(text)
            let units = Statements.units(in: scalarText, previousTableHeader: previous.flatMap(Statements.trailingTableHeader))
            let title = StatementFeatures.titleCoverage(hit.document.title, question: terms, analyzer: index.embedder.analyzer, scratch: &scratch)
            for unit in units {
                // A table row is judged as it is shown, each cell with its column's header
                // ("放置目录：ComfyUI/models/vae/"): the header says what the cell is.
                let piece: String
                if case .tableRow(let cells) = unit.kind, cells.contains(where: { $0.header != nil }) {
                    piece = Statements.shown(cells.map { ($0.header, $0.value) }, colon: "：")
                } else {
                    piece = scalarText.string(unit.range)
                }
                // One analysis of the statement serves its re-scoring score and its features.
                let analysis = StatementAnalysis(piece[...], question: terms, embedder: index.embedder, counter: counter, scratch: &scratch)
                let match = rescorer.score(counted: analysis.counter, query: prepared, statistics: index.statistics,
                                           lexicalWeight: index.model.bm25Weight).final
                let x = StatementFeatures.vector(text: piece[...], analysis: analysis, unit: unit, hit: hit, rank: rank, bestPassageScore: best,
                                                 matchScore: match, titleCoverage: title, question: terms)
                counter = analysis.counter
                result.append(Candidate(hit: hit, rank: rank, unit: unit, features: x, score: 0))
            }
        }
        var vectors = result.map(\.features)
        StatementFeatures.fillRelative(&vectors)
        for i in result.indices {
            result[i].features = vectors[i]
            result[i].score = ranker.score(vectors[i])
        }
        return result
    }

    /// Articles that use the term for something else: not about it (it is not in their
    /// title) but defining it or naming it as a variant of something else; one statement per
    /// meaning (grouped by title), in the question's language when there is one.
    func senses(_ hits: [SearchHit], matcher: TermMatcher, analysis: QuestionAnalysis, index: SiftIndex,
                terms: QuestionTerms) -> (picked: [(hit: SearchHit, range: Range<Int>)], documents: Set<String>) {
        var others: [(hit: SearchHit, range: Range<Int>)] = []
        for hit in hits where !others.contains(where: { $0.hit.document.id == hit.document.id })
            && !matcher.mentioned(in: hit.document.title) && matcher.mentioned(in: hit.passage.text) {
            let text = ScalarText(hit.passage.text)
            for unit in Statements.units(in: text) {
                let s = text.string(unit.range)
                if matcher.mentioned(in: s) && (matcher.defines(s) || matcher.namesVariant(s)) {
                    others.append((hit, unit.range))
                    break
                }
            }
        }
        // Articles about the term (it is in their title) are its main meaning; an article
        // grouped with one of them (the same topic in the other language, "什么是 SFT（监督微调）"
        // beside "Supervised fine-tuning (SFT)") is that meaning too, not another.
        var primaries: [SearchHit] = []
        for hit in hits where matcher.mentioned(in: hit.document.title) && !primaries.contains(where: { $0.document.id == hit.document.id }) {
            primaries.append(hit)
        }
        // Without an article about the term there is no main meaning to set the others apart
        // from: the articles that define it are its sources ("reward hacking" in the RLHF and
        // the reward-model articles), not its senses.
        guard !primaries.isEmpty else { return ([], []) }
        let primaryIDs = Set(primaries.map(\.document.id))
        let groups = Senses.groupByTitle(primaries + others.map(\.hit), term: matcher.term, index: index)
            .filter { !$0.contains { primaryIDs.contains($0.document.id) } }
        guard groups.count + (primaries.isEmpty ? 0 : 1) > 1 else { return ([], []) }
        let picked = groups.prefix(max(1, maxPoints - 2)).map { group in
            let pick = group.first { $0.document.language == analysis.language } ?? group[0]
            return others.first { $0.hit.document.id == pick.document.id }!
        }
        return (picked, Set(groups.joined().map(\.document.id)))
    }

    /// The candidate statements of a question with their features (named by ``featureNames``)
    /// and ranker scores, for training and diagnosing the ranker.
    @_spi(Benchmarks)
    public func candidateStatements(_ question: String, index: SiftIndex, settings: SearchSettings = SearchSettings())
        -> [(text: String, passageRank: Int, documentID: String, features: [Float], score: Float)] {
        let asked = String(question.prefix(AnswerComposer.maxQuestionCharacters))
        let prepared = index.prepare(asked, settings: settings)
        let hits = index.search(prepared: prepared, k: topK, settings: settings)
        guard let best = hits.first else { return [] }
        var scratch = Analyzer.Scratch()
        var rescorer = Rescorer(embedder: index.embedder)
        let terms = QuestionTerms(query: prepared, analysis: QuestionAnalysis(asked), question: asked, analyzer: index.embedder.analyzer,
                                  statistics: index.statistics)
        return candidates(hits[...], best: best.score, terms: terms, index: index, prepared: prepared, rescorer: &rescorer, scratch: &scratch)
            .map { (AnswerComposer.slice($0.hit.passage.text, $0.unit.range), $0.rank, $0.hit.document.id, $0.features, $0.score) }
    }

    /// Names of the candidates' features, in order.
    @_spi(Benchmarks)
    public static var featureNames: [String] { StatementFeatures.names }

    static func reference(_ hit: SearchHit, number: Int) -> Answer.Reference {
        Answer.Reference(number: number, title: hit.document.title, source: hit.document.source, url: hit.document.url,
                         passage: hit.passage.text, start: hit.passage.start, end: hit.passage.end, score: hit.score)
    }

    /// `text[range]`, the range in Unicode scalars.
    static func slice(_ text: String, _ range: Range<Int>) -> String {
        let scalars = text.unicodeScalars
        let a = scalars.index(scalars.startIndex, offsetBy: range.lowerBound)
        let b = scalars.index(a, offsetBy: range.count)
        return String(scalars[a..<b])
    }

    /// A very short sentence is shown with the next one on the same line.
    static func extend(_ unit: StatementUnit, in text: String) -> Range<Int> {
        guard unit.kind == .sentence, unit.range.count < 24 else { return unit.range }
        let scalars = Array(text.unicodeScalars)
        let units = Statements.units(in: text)
        guard let next = units.first(where: { $0.range.lowerBound >= unit.range.upperBound }) else { return unit.range }
        if scalars[unit.range.upperBound..<next.range.lowerBound].contains("\n") || next.isTableRow { return unit.range }
        return unit.range.lowerBound..<next.range.upperBound
    }
}

extension SiftIndex {
    /// The first passage of `hit`'s document, scored for `query` (`hit` itself when it is the first).
    func openingPassage(of hit: SearchHit, query: PreparedQuery, rescorer: inout Rescorer) -> SearchHit? {
        guard hit.passage.ordinal > 0 else { return hit }
        guard let slot = documentSlot[hit.document.id],
              let id = documentRows[slot].first(where: { passage(id: $0) != nil }), let p = passage(id: id) else { return nil }
        // A passage found through the translation is scored, and judged, by the translation.
        if hit.translated, let translation = query.translation {
            let scores = sentenceScore(p.text, query: translation.query, rescorer: &rescorer)
            return SearchHit(rank: hit.rank, score: scores.final * translation.weight, passageID: id, passage: p, document: hit.document,
                             denseScore: 0, cosineScore: scores.cosine, lexicalScore: scores.lexical, translated: true)
        }
        let scores = sentenceScore(p.text, query: query, rescorer: &rescorer)
        return SearchHit(rank: hit.rank, score: scores.final, passageID: id, passage: p, document: hit.document,
                         denseScore: 0, cosineScore: scores.cosine, lexicalScore: scores.lexical)
    }

    /// The text of the passage before `hit`'s in its document, if any.
    func previousPassageText(of hit: SearchHit) -> String? {
        let id = hit.passageID - 1
        guard id >= 0, let p = passage(id: id), p.documentID == hit.document.id, p.ordinal == hit.passage.ordinal - 1 else { return nil }
        return p.text
    }
}
