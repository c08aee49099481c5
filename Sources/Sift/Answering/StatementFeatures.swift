import Foundation

/// What a statement has that makes it the answer to a question: lexical features computed
/// against the question's weighted terms (the features of the re-scoring: CJK characters and
/// pairs, stemmed words, with corpus IDF), plus the kind of answer asked for. The
/// ``AnswerRanker`` weighs them; the same code computes them for training
/// (`sift eval --answers --dump-statements`) and for answering.
struct StatementFeatures {
    /// Names of the features, in vector order (the ranker's model file lists them too).
    static let names = [
        "coverage", "coverage_units", "coverage_chars", "proximity", "novelty", "log_length",
        "passage_score", "passage_rank", "first_in_passage", "table_row", "whole_line", "is_question",
        "match_score", "title_coverage", "definitional", "type_missing",
        "number_has_number", "date_has_date", "person_has_name", "place_has_place", "reason_has_cause", "method_has_means",
        "sequence", "run", "pairs", "coverage_gap", "sequence_gap",
    ]

    /// Features that compare a candidate with the question's other candidates (computed after all).
    static let relative = ["coverage_gap", "sequence_gap"]

    static var count: Int { names.count }
}

/// The question's side of the features: its lexical terms (slots of the query table) with
/// their IDF, and what it asks for.
struct QuestionTerms {
    let table: QueryFeatureTable
    let filter: MatchFilter
    /// Each slot's IDF when it is a lexical feature (CJK character, CJK pair, word) of the
    /// question's content, else 0: what coverage counts.
    let weights: [Float]
    let totalIDF: Float
    let unitIDF: Float
    let charIDF: Float
    let analysis: QuestionAnalysis
    /// The definition term's patterns, for definition questions.
    let matcher: TermMatcher?
    /// The question's tokens in order (CJK characters and words, question words left out) with
    /// their IDF, and its adjacent token pairs: what the answer sentence, from which such a
    /// question is usually written, tends to repeat in order.
    let sequence: [UInt64]
    let sequenceIDF: [Float]
    let sequenceTotal: Float
    let pairs: Set<Pair>
    /// The question, lower-cased (entities it already names are not answers).
    let lowered: String

    struct Pair: Hashable { var a: UInt64; var b: UInt64 }

    /// - Parameter term: the definition term as the statements judged write it, when not the
    ///   question's own (a translation's terms: "Knowledge distillation" for "知识蒸馏").
    init(query: PreparedQuery, analysis: QuestionAnalysis, question: String, analyzer: Analyzer, statistics: CorpusStatistics,
         term: String? = nil) {
        table = query.table
        filter = query.filter
        self.analysis = analysis
        matcher = analysis.definitionTerm.map { TermMatcher(term: term ?? $0) }
        lowered = question.lowercased()
        var scratch = Analyzer.Scratch()
        // The question's words without its Chinese question words (`question` is the
        // translation's text when these terms judge the passages found through it).
        let content = QuestionWords.strip(question)
        var list = FeatureList()
        analyzer.analyze(content[...], kinds: [.cjkUnigram, .cjkBigram, .word], into: &list, scratch: &scratch)
        // Its tokens in order: CJK characters and words.
        let tokens = zip(list.hashes, list.kinds).filter { $0.1 != .cjkBigram }.map(\.0)
        sequence = tokens
        sequenceIDF = tokens.map { statistics.idf($0) }
        sequenceTotal = sequenceIDF.reduce(0, +)
        pairs = Set(zip(tokens, tokens.dropFirst()).map { Pair(a: $0, b: $1) })
        // The question's content: its lexical features without those of its Chinese question
        // words. A query keeps "是什么" when it is its only Chinese ("few-shot prompting 是什么"),
        // as a sign of the language wanted, but a statement that says "是什么" answers nothing.
        let contentHashes = Set(list.hashes)
        let t = query.table  // (closures cannot read `self.table` before `init` ends)
        let lexical = (0..<t.count).filter { t.kinds[$0] != .charNgram && t.idf[$0] > 0 }
        let anyContent = lexical.contains { contentHashes.contains(t.keys[$0]) }
        var weights = [Float](repeating: 0, count: table.count)
        var total: Float = 0, units: Float = 0, chars: Float = 0
        for i in lexical where !anyContent || contentHashes.contains(t.keys[i]) {
            weights[i] = table.idf[i]
            total += table.idf[i]
            if table.kinds[i] == .cjkUnigram { chars += table.idf[i] } else { units += table.idf[i] }
        }
        self.weights = weights
        totalIDF = total
        unitIDF = units
        charIDF = chars
    }
}

/// A statement analysed once for everything its features need: all its features counted
/// (the re-scoring's counts and profile), the question's lexical features with their
/// positions, and its CJK characters and words in order.
struct StatementAnalysis: FeatureSink {
    var counter: FeatureCounter
    var positions: PositionSink
    var sequence: [UInt64] = []
    var lexicalLength: Int { get { counter.lexicalLength } set { counter.lexicalLength = newValue } }
    var tokenLength: Int { get { counter.tokenLength } set { counter.tokenLength = newValue } }

    /// Analyses `text` with every kind the embedder uses, reusing `counter`'s storage.
    init(_ text: Substring, question q: QuestionTerms, embedder: Embedder, counter: consuming FeatureCounter, scratch: inout Analyzer.Scratch) {
        counter.removeAll()
        self.counter = counter
        positions = PositionSink(table: q.table)
        embedder.analyzer.analyze(text, kinds: embedder.allKinds, into: &self, scratch: &scratch)
    }

    @inline(__always) mutating func add(_ hash: UInt64, _ kind: FeatureKind) {
        counter.add(hash, kind)
        guard kind != .charNgram else { return }
        positions.add(hash, kind)
        if kind != .cjkBigram { sequence.append(hash) }
    }
}

/// Collects, for each lexical feature of a text that is one of the question's, its slot and
/// the position (in tokens: CJK characters and words) where it occurs.
struct PositionSink: FeatureSink {
    let table: QueryFeatureTable
    var position = -1
    var matches: [(slot: Int32, position: Int32)] = []
    var lexicalLength = 0
    var tokenLength = 0

    mutating func add(_ hash: UInt64, _ kind: FeatureKind) {
        if kind == .cjkUnigram || kind == .word { position += 1 }
        guard kind != .charNgram else { return }
        let slot = table.slot(of: hash)
        if slot >= 0 { matches.append((Int32(slot), Int32(position))) }
    }
}

extension StatementFeatures {
    /// The feature vector of `text` (a statement of passage `hit`, the `rank`-th hit) for the
    /// question. `matchScore` is the statement's re-scoring score, `bestPassageScore` the first
    /// hit's score, `titleCoverage` the share of the question its article's title covers
    /// (``titleCoverage(_:question:analyzer:scratch:)``, once per hit).
    static func vector(text: Substring, analysis: StatementAnalysis, unit: StatementUnit, hit: SearchHit, rank: Int, bestPassageScore: Float,
                       matchScore: Float, titleCoverage title: Float, question q: QuestionTerms) -> [Float] {
        let sink = analysis.positions
        let tokens = max(1, sink.position + 1)
        var seen = Set<Int32>()
        var covered: Float = 0, coveredUnits: Float = 0, coveredChars: Float = 0
        var positions = Set<Int32>()
        var first = Int32.max, last = Int32.min
        for m in sink.matches {
            let i = Int(m.slot)
            guard q.weights[i] > 0 else { continue }
            positions.insert(m.position)
            first = min(first, m.position); last = max(last, m.position)
            if seen.insert(m.slot).inserted {
                covered += q.table.idf[i]
                if q.table.kinds[i] == .cjkUnigram { coveredChars += q.table.idf[i] } else { coveredUnits += q.table.idf[i] }
            }
        }
        let coverage = q.totalIDF > 0 ? covered / q.totalIDF : 0
        let coverageUnits = q.unitIDF > 0 ? coveredUnits / q.unitIDF : 0
        let coverageChars = q.charIDF > 0 ? coveredChars / q.charIDF : 0
        // Matched positions packed together: their number over the span they cover.
        let proximity: Float = positions.count >= 2 ? Float(positions.count) / Float(last - first + 1) : (positions.isEmpty ? 0 : 0.5)
        // Room for the answer: the share of the statement's tokens the question does not have.
        let novelty = 1 - Float(positions.count) / Float(tokens)
        let string = String(text)
        let isQuestion = string.hasSuffix("?") || string.hasSuffix("？") || string.hasSuffix("？”") || string.hasSuffix("?\"")
        let type = q.analysis.answerType
        let entity = Entities(string, question: q.lowered, only: type)
        let typed: [(AnswerType, Bool)] = [(.number, entity.number), (.date, entity.date), (.person, entity.name),
                                           (.place, entity.place), (.reason, entity.cause), (.method, entity.means)]
        var definitional: Float = 0
        if let m = q.matcher, m.defines(string) { definitional = 1 }
        let missing: Float = typed.contains { $0.0 == type } && !typed.contains { $0.0 == type && $0.1 } ? 1 : 0
        var v: [Float] = [
            coverage, coverageUnits, coverageChars, proximity, novelty, log(1 + Float(tokens)) / 5,
            bestPassageScore > 0 ? hit.score / bestPassageScore : 0, 1 / Float(rank + 1), unit.ordinal == 0 ? 1 : 0,
            unit.isTableRow ? 1 : 0, unit.kind == .line ? 1 : 0, isQuestion ? 1 : 0,
            matchScore, title, definitional, missing,
        ]
        for (t, has) in typed { v.append(type == t && has ? 1 : 0) }
        v += orderFeatures(analysis.sequence, question: q)
        v += [0, 0]  // the gaps, filled in by `fillRelative` once every candidate is known
        return v
    }

    /// How much of the question the statement repeats in order: the IDF-weighted longest
    /// common subsequence of their tokens, the longest common run, and the share of the
    /// question's adjacent pairs that are adjacent in the statement too.
    static func orderFeatures(_ s: [UInt64], question q: QuestionTerms) -> [Float] {
        guard q.sequenceTotal > 0 else { return [0, 0, 0] }
        let m = q.sequence.count, n = min(s.count, 400)
        guard n > 0 else { return [0, 0, 0] }
        var previous = [Float](repeating: 0, count: n + 1), current = previous
        var runPrevious = [Float](repeating: 0, count: n + 1), runCurrent = runPrevious
        var bestRun: Float = 0
        for i in 1...m {
            let token = q.sequence[i - 1], w = q.sequenceIDF[i - 1]
            for j in 1...n {
                if s[j - 1] == token {
                    current[j] = previous[j - 1] + w
                    runCurrent[j] = runPrevious[j - 1] + w
                    bestRun = max(bestRun, runCurrent[j])
                } else {
                    current[j] = max(previous[j], current[j - 1])
                    runCurrent[j] = 0
                }
            }
            swap(&previous, &current)
            swap(&runPrevious, &runCurrent)
        }
        var pairHits = 0
        for (a, b) in zip(s, s.dropFirst()) where q.pairs.contains(QuestionTerms.Pair(a: a, b: b)) { pairHits += 1 }
        let pairs = q.pairs.isEmpty ? 0 : min(1, Float(pairHits) / Float(q.pairs.count))
        return [previous[n] / q.sequenceTotal, bestRun / q.sequenceTotal, pairs]
    }

    /// Fills each candidate's gaps to the best candidate of its question (0 for the best):
    /// a statement is the answer when it covers the question better than its rivals.
    static func fillRelative(_ vectors: inout [[Float]]) {
        guard !vectors.isEmpty else { return }
        let coverage = names.firstIndex(of: "coverage")!, sequence = names.firstIndex(of: "sequence")!
        let coverageGap = names.firstIndex(of: "coverage_gap")!, sequenceGap = names.firstIndex(of: "sequence_gap")!
        let bestCoverage = vectors.map { $0[coverage] }.max()!, bestSequence = vectors.map { $0[sequence] }.max()!
        for i in vectors.indices {
            vectors[i][coverageGap] = vectors[i][coverage] - bestCoverage
            vectors[i][sequenceGap] = vectors[i][sequence] - bestSequence
        }
    }

    /// The share of the question's lexical IDF that a title covers.
    static func titleCoverage(_ title: String, question q: QuestionTerms, analyzer: Analyzer, scratch: inout Analyzer.Scratch) -> Float {
        guard q.totalIDF > 0, !title.isEmpty else { return 0 }
        var sink = PositionSink(table: q.table)
        analyzer.analyze(title[...], kinds: [.cjkUnigram, .cjkBigram, .word], into: &sink, scratch: &scratch)
        var seen = Set<Int32>()
        var covered: Float = 0
        for m in sink.matches where seen.insert(m.slot).inserted {
            covered += q.weights[Int(m.slot)]
        }
        return covered / q.totalIDF
    }
}

/// Kinds of things a statement mentions that the question does not (the answer is something
/// the question does not say), for the kind of answer a question asks for.
struct Entities {
    var number = false, date = false, name = false, place = false, cause = false, means = false

    static let chineseNumerals = Set("零〇一二两三四五六七八九十百千万亿".unicodeScalars.map(\.value))
    static let placeSuffixes = Set("省市县縣区區镇鎮村国國州岛島山河湖海江路街洲城港湾灣".unicodeScalars.map(\.value))
    static let months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                         "november", "december"]
    static let causeCues = ["因为", "因為", "由于", "由於", "因此", "所以", "导致", "導致", "原因", "为了", "為了", "使得",
                            "because", "due to", "since ", "as a result", "therefore", "so that", "caused", "in order to", "owing to"]
    static let meansCues = ["通过", "通過", "使用", "采用", "採用", "利用", "借助", "首先", "然后", "步骤", "方法",
                            "by using", "using ", "through ", " by ", "first,", "then ", "step"]

    /// The kinds `text` mentions; with `only`, just what that answer type needs (the others
    /// stay false): the ranker reads the entity of the question's type alone.
    init(_ text: String, question: String = "", only: AnswerType? = nil) {
        func wanted(_ types: AnswerType...) -> Bool { only.map(types.contains) ?? true }
        guard wanted(.number, .date, .person, .place, .reason, .method) else { return }
        if only == .reason || only == .method {
            let lower = text.lowercased()
            if only == .reason { cause = Entities.causeCues.contains { ByteSearch.contains(lower, $0) } }
            if only == .method { means = Entities.meansCues.contains { ByteSearch.contains(lower, $0) } }
            return
        }
        let lower = text.lowercased()
        let scalars = Array(text.unicodeScalars)
        var digitRun = 0
        var digits = ""
        func numberEnds() {
            if !digits.isEmpty && !ByteSearch.contains(question, digits) { number = true }
            digits = ""
        }
        for (i, s) in scalars.enumerated() {
            let v = s.value
            if v >= 0x30 && v <= 0x39 {
                digits.unicodeScalars.append(s)
                digitRun += 1
                // A four-digit year (1000–2099) or a number before 年/月/日.
                if digitRun == 4, i + 1 >= 4 {
                    let year = Int(String(String.UnicodeScalarView(scalars[(i - 3)...i]))) ?? 0
                    let next = i + 1 < scalars.count ? scalars[i + 1].value : 0x20
                    if (1000...2099).contains(year) && !(next >= 0x30 && next <= 0x39) && !ByteSearch.contains(question, String(year)) { date = true }
                }
                if i + 1 < scalars.count, [0x5E74, 0x6708, 0x65E5].contains(scalars[i + 1].value) { date = true }  // 年 月 日
            } else {
                digitRun = 0
                numberEnds()
            }
            if Entities.chineseNumerals.contains(v), i + 1 < scalars.count, !Entities.chineseNumerals.contains(scalars[i + 1].value),
               !question.unicodeScalars.contains(s) {
                // 十、百、千、万、亿 and 两 are numbers in most contexts; 一 only before a unit-like character.
                if v != 0x4E00 || [0x5E74, 0x6708, 0x65E5, 0x4E2A, 0x500B, 0x5E74].contains(scalars[i + 1].value) { number = true }
            }
            if [0x4E16, 0x671D].contains(v), i + 1 < scalars.count, [0x7EAA, 0x7D00, 0x4EE3].contains(scalars[i + 1].value) { date = true }  // 世纪 朝代
            if Entities.placeSuffixes.contains(v), i > 0, !ByteSearch.contains(question, String(String.UnicodeScalarView(scalars[(i - 1)...i]))) {
                place = true
            }
            if v == 0xB7 || v == 0x30FB { name = true }  // · in transliterated names
        }
        numberEnds()
        if Entities.months.contains(where: { ByteSearch.contains(lower, $0) && !ByteSearch.contains(question, $0) }) { date = true }
        // A capitalised word after the first one, not in the question: a name or a place in English.
        // (Scanned as Unicode scalars: Character properties cost more than the rest together.)
        let words = text.unicodeScalars.split(whereSeparator: { !Entities.isAlphabetic($0) && $0 != "'" })
        for (i, w) in words.enumerated() where i > 0 {
            if let f = w.first, Entities.isUppercase(f), w.count > 1, w.dropFirst().allSatisfy(Entities.isLowercase),
               !ByteSearch.contains(question, String(String.UnicodeScalarView(w)).lowercased()) {
                name = true
                break
            }
        }
        // A path the question does not give.
        for token in text.unicodeScalars.split(whereSeparator: { Entities.isWhitespace($0) || $0 == "，" || $0 == "、" || $0 == "（" || $0 == "）" })
            where token.contains("/") && token.contains(where: Entities.isAlphabetic)
            && !ByteSearch.contains(question, String(String.UnicodeScalarView(token)).lowercased()) {
            place = true
        }
        if [" in ", " at ", " near ", " from "].contains(where: { ByteSearch.contains(lower, $0) }) && name { place = true }
        if only == nil {
            cause = Entities.causeCues.contains { ByteSearch.contains(lower, $0) }
            means = Entities.meansCues.contains { ByteSearch.contains(lower, $0) }
        }
    }

    // Unicode properties with an ASCII fast path (the property tables cost most of this type's time).
    static func isAlphabetic(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x80 ? (s.value | 0x20) >= 0x61 && (s.value | 0x20) <= 0x7A : s.properties.isAlphabetic
    }
    static func isUppercase(_ s: Unicode.Scalar) -> Bool { s.value < 0x80 ? s.value >= 0x41 && s.value <= 0x5A : s.properties.isUppercase }
    static func isLowercase(_ s: Unicode.Scalar) -> Bool { s.value < 0x80 ? s.value >= 0x61 && s.value <= 0x7A : s.properties.isLowercase }
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x80 ? s.value == 0x20 || (s.value >= 0x09 && s.value <= 0x0D) : s.properties.isWhitespace
    }

}
