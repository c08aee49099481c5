import Dispatch
import Foundation

extension SiftIndex {
    /// The `k` best passages for `query`, best first.
    ///
    /// Stage 1 scans the flat matrix for the `settings.candidates` best passages by dense
    /// cosine (among the documents `filter` lets through); stage 2 re-scores them exactly
    /// and keeps the best `k`.
    ///
    /// - Parameters:
    ///   - query: the question or keywords, in any language.
    ///   - k: number of results (at most the number of candidates).
    ///   - minScore: results scoring below this (0...1) are left out.
    ///   - filter: which documents may be returned (default: all).
    ///   - settings: search-time settings (default: the model's).
    /// - Complexity: O(passages · dimension) for stage 1, O(candidates · passage length) for stage 2.
    public func search(_ query: String, k: Int = 10, minScore: Float = 0, filter: SearchFilter = SearchFilter(),
                       settings: SearchSettings = SearchSettings()) -> [SearchHit] {
        search(prepared: prepare(query, settings: settings), k: k, minScore: minScore, filter: filter, settings: settings)
    }

    /// Searches many queries at once: stage 1 is one `cblas_sgemm` per tile of rows for the
    /// whole batch, stage 2 runs on up to `threads` threads (0 = all cores). Result `i`
    /// equals `search(queries[i], …)`.
    public func search(batch queries: [String], k: Int = 10, minScore: Float = 0, filter: SearchFilter = SearchFilter(),
                       settings: SearchSettings = SearchSettings(), threads: Int = 0) -> [[SearchHit]] {
        guard !queries.isEmpty else { return [] }
        let resolved = settings.values(for: model)
        let prepared = queries.map { prepare($0, settings: settings) }
        let stage1 = matrix.search(batch: prepared.map { combined($0).dense }, k: max(k, resolved.candidates), allowed: rowMask(for: filter))
        let workers = max(1, min(threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount, queries.count))
        let out = UnsafeMutableBufferPointer<[SearchHit]>.allocate(capacity: queries.count)
        out.initialize(repeating: [])
        defer { out.deinitialize(); out.deallocate() }
        let box = SendableBuffer(out)
        let me = self
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var rescorer = Rescorer(embedder: me.embedder)
            var i = worker
            while i < queries.count {
                if prepared[i].translation != nil && k > 0 {
                    box.buffer[i] = me.stage2(stage1[i], everyRow: false, query: prepared[i], k: k, minScore: minScore, settings: settings)
                } else if !prepared[i].isEmpty && k > 0 {
                    box.buffer[i] = me.rank(stage1[i], query: prepared[i], k: k, minScore: minScore,
                                            lexicalWeight: resolved.lexicalWeight, rescorer: &rescorer)
                }
                i += workers
            }
        }
        return Array(out)
    }

    /// Search with an already prepared query (the composer prepares a question once).
    func search(prepared: PreparedQuery, k: Int, minScore: Float = 0, filter: SearchFilter = SearchFilter(),
                settings: SearchSettings = SearchSettings()) -> [SearchHit] {
        guard k > 0 else { return [] }
        if prepared.translation != nil {
            let (candidates, everyRow) = stage1(combined(prepared), k: k, filter: filter, settings: settings)
            return stage2(candidates, everyRow: everyRow, query: prepared, k: k, minScore: minScore, settings: settings)
        }
        guard !prepared.isEmpty else { return [] }
        let (candidates, everyRow) = stage1(prepared, k: k, filter: filter, settings: settings)
        return stage2(candidates, everyRow: everyRow, query: prepared, k: k, minScore: minScore, settings: settings)
    }

    /// The query stage 1 scans for a query with a translation: the original's unit vector plus
    /// the translation's times the weight its scores get in the end, so that one scan finds
    /// the passages of either, ranked as the fusion will rank them (the other language's
    /// passages hardly share a feature with the original query, nor this language's with the
    /// translation).
    func combined(_ prepared: PreparedQuery) -> PreparedQuery {
        guard let translation = prepared.translation else { return prepared }
        var scan = translation.query
        if !prepared.isEmpty {
            for i in scan.dense.indices { scan.dense[i] = prepared.dense[i] + translation.weight * translation.query.dense[i] }
        }
        return scan
    }

    /// The results of a query and of its translation in one list: the translation's scores
    /// weighted down, each passage once with its better score, the best `k`.
    static func fuse(_ hits: [SearchHit], translated: [SearchHit], weight: Float, k: Int, minScore: Float) -> [SearchHit] {
        var best: [Int: SearchHit] = [:]
        for var h in translated {
            h.score *= weight
            h.translated = true
            if h.score >= minScore { best[h.passageID] = h }
        }
        for h in hits where h.score >= minScore {
            if let seen = best[h.passageID], seen.score > h.score { continue }
            best[h.passageID] = h
        }
        let fused = best.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.passageID < $1.passageID }.prefix(k)
        return fused.enumerated().map { i, h in var h = h; h.rank = i + 1; return h }
    }

    /// The weight of a translated query's scores against the original query's, for a query
    /// translated whole: a passage found in the question's own words outranks one found only
    /// through the lexicon. A partial translation weighs its coverage times this.
    static let translationWeight: Float = 0.5

    /// Stage 1: the candidates; `everyRow` when every allowed passage is one (stage 1 would
    /// only order them, and the ranking does not depend on that order, so no scan is done).
    func stage1(_ prepared: PreparedQuery, k: Int, filter: SearchFilter, settings: SearchSettings) -> (rows: [ScoredRow], everyRow: Bool) {
        let resolved = settings.values(for: model)
        let mask = rowMask(for: filter)
        let allowedCount = mask.map { $0.lazy.filter { $0 }.count } ?? matrix.liveCount
        if max(k, resolved.candidates) >= allowedCount {
            return ((0..<matrix.count).filter { mask?[$0] ?? matrix.isLive($0) }.map { ScoredRow(row: $0, score: 0) }, true)
        }
        let (stage, refine) = settings.stage(available: matrix.availableFirstStages, rows: matrix.count, candidates: resolved.candidates)
        return (matrix.search(prepared.dense, k: max(k, resolved.candidates), allowed: mask, firstStage: stage, refine: refine,
                              ordered: false), false)
    }

    /// Stage 2: the candidates re-scored exactly, the best `k` returned (when stage 1 was
    /// skipped, the results' dense scores are computed now).
    ///
    /// With a translation, each candidate is re-scored by the query in its document's
    /// language: the translation scores the passages in its language (its scores weighted
    /// by `translationWeight` times its coverage), the original query all others.
    func stage2(_ candidates: [ScoredRow], everyRow: Bool, query prepared: PreparedQuery, k: Int, minScore: Float,
                settings: SearchSettings) -> [SearchHit] {
        var rescorer = Rescorer(embedder: embedder)
        let lexicalWeight = settings.values(for: model).lexicalWeight
        var hits: [SearchHit]
        if let translation = prepared.translation {
            let language = translation.language
            let other = candidates.filter { documentList[Int(rows[$0.row].document)].language == language }
            // The translation scores the other language's passages alone: it carries the
            // question's untranslatable words (Latin names, numbers) too, so the original adds nothing there.
            let own = prepared.isEmpty ? [] : candidates.filter { documentList[Int(rows[$0.row].document)].language != language }
            let scale = max(translation.weight, 1e-6)
            hits = SiftIndex.fuse(rank(own, query: prepared, k: k, minScore: minScore, lexicalWeight: lexicalWeight, rescorer: &rescorer),
                                  translated: rank(other, query: translation.query, k: k, minScore: minScore / scale, lexicalWeight: lexicalWeight,
                                                   rescorer: &rescorer),
                                  weight: scale, k: k, minScore: minScore)
        } else {
            hits = rank(candidates, query: prepared, k: k, minScore: minScore, lexicalWeight: lexicalWeight, rescorer: &rescorer)
        }
        if everyRow {
            let dense = matrix.exactScores(rows: hits.map(\.passageID), query: combined(prepared).dense)
            for i in hits.indices { hits[i].denseScore = dense[i] }
        }
        return hits
    }

    /// A search timed stage by stage (for benchmarks): query preparation, stage 1, stage 2.
    @_spi(Benchmarks)
    public func timedSearch(_ query: String, k: Int = 10, settings: SearchSettings = SearchSettings())
        -> (hits: [SearchHit], stage1Rows: [Int], prepareMs: Double, stage1Ms: Double, stage2Ms: Double) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let prepared = prepare(query, settings: settings)
        let t1 = DispatchTime.now().uptimeNanoseconds
        let scan = combined(prepared)
        guard !scan.isEmpty, k > 0 else { return ([], [], Double(t1 - t0) / 1e6, 0, 0) }
        let (candidates, everyRow) = stage1(scan, k: k, filter: SearchFilter(), settings: settings)
        let t2 = DispatchTime.now().uptimeNanoseconds
        let hits = stage2(candidates, everyRow: everyRow, query: prepared, k: k, minScore: 0, settings: settings)
        let t3 = DispatchTime.now().uptimeNanoseconds
        return (hits, candidates.map(\.row), Double(t1 - t0) / 1e6, Double(t2 - t1) / 1e6, Double(t3 - t2) / 1e6)
    }

    /// The dense (stage-1) query vector of `query` (for exporting to other engines).
    @_spi(Benchmarks)
    public func denseQuery(_ query: String) -> [Float] { prepare(query).dense }

    /// The sign bits of row `row`'s code (`dimension / 8` bytes, component i in byte i/8, bit
    /// i%8), nil without sign codes; and of a query (the same rule), for other engines.
    @_spi(Benchmarks)
    public func signCode(row: Int) -> [UInt8]? {
        guard let c = matrix.codes[.sign] else { return nil }
        return Array(UnsafeRawBufferPointer(start: c.row(row), count: model.dimension / 8))
    }

    @_spi(Benchmarks)
    public func signCode(query: String) -> [UInt8] {
        let q = prepare(query).dense
        var bytes = [UInt8](repeating: 0, count: model.dimension / 8 + 4)
        q.withUnsafeBufferPointer { p in bytes.withUnsafeMutableBytes { Codes.encode(.sign, p.baseAddress!, dimension: q.count, into: $0.baseAddress!) } }
        return Array(bytes.prefix(model.dimension / 8))
    }

    /// Row `row` of the flat matrix as Float32 (as stored: rounded for bfloat16).
    @_spi(Benchmarks)
    public func denseRow(_ row: Int) -> [Float] { matrix.vector(at: row) }

    /// The rows `filter` lets through (live rows of matching documents), or nil for an
    /// empty filter (then the matrix's own live flags apply).
    /// - Complexity: O(passage ids + documents).
    func rowMask(for filter: SearchFilter) -> [Bool]? {
        guard !filter.isEmpty else { return nil }
        var mask = [Bool](repeating: false, count: matrix.count)
        for (slot, document) in documentList.enumerated() where documentLive[slot] && filter.matches(document) {
            // A live document's rows are all live (replacing a document gives it a new slot).
            for row in documentRows[slot] { mask[row] = true }
        }
        return mask
    }

    func rank(_ candidates: [ScoredRow], query: PreparedQuery, k: Int, minScore: Float, lexicalWeight: Float,
              rescorer: inout Rescorer) -> [SearchHit] {
        var scored: [(row: ScoredRow, scores: Rescorer.Scores)] = []
        scored.reserveCapacity(candidates.count)
        if let postings = postingsFor(candidates, query: query) {
            let all = rescorer.score(rows: candidates.map(\.row), rowCount: rows.count, postings: postings, profile: { rows[$0].profile },
                                     query: query, statistics: statistics, lexicalWeight: lexicalWeight)
            for (c, s) in zip(candidates, all) where s.final >= minScore && s.final > 0 { scored.append((c, s)) }
        } else {
            for c in candidates {
                let s = rescorer.score(row: c.row, features: features, text: { texts[c.row] }, profile: rows[c.row].profile,
                                       query: query, statistics: statistics, lexicalWeight: lexicalWeight)
                if s.final >= minScore && s.final > 0 { scored.append((c, s)) }
            }
        }
        // The best k by score (ties: the lower passage id), then those in order.
        if scored.count > k {
            var top = TopKSelector(k: k)
            for item in scored { top.offer(row: item.row.row, score: item.scores.final) }
            let keep = Set(top.unordered().map(\.row))
            scored = scored.filter { keep.contains($0.row.row) }
        }
        scored.sort { a, b in a.scores.final != b.scores.final ? a.scores.final > b.scores.final : a.row.row < b.row.row }
        return scored.enumerated().map { rank, item in
            let row = rows[item.row.row]
            let doc = documentList[Int(row.document)]
            return SearchHit(rank: rank + 1, score: item.scores.final, passageID: item.row.row,
                             passage: Passage(documentID: doc.id, ordinal: Int(row.ordinal), text: texts[item.row.row],
                                              start: row.start, end: row.end),
                             document: doc, denseScore: item.row.score, cosineScore: item.scores.cosine,
                             lexicalScore: item.scores.lexical)
        }
    }

    /// The postings to re-score `candidates` with, when they read fewer entries than the
    /// forward index would (see `PostingsCache`); builds them once they have paid off.
    func postingsFor(_ candidates: [ScoredRow], query: PreparedQuery) -> Postings? {
        let forward = forwardEntries(candidates)
        if let postings = postingsCache.postings {
            return SiftIndex.postingCost * postingEntries(postings, query) < forward ? postings : nil
        }
        // Without postings yet: their lists, estimated from the document frequencies.
        var estimate = 0
        for key in query.table.keys { estimate += statistics.documentFrequency(of: key) }
        guard postingsCache.record(savings: forward - estimate * SiftIndex.postingCost, totalEntries: features.totalEntries) else { return nil }
        let built = Postings(features: features, live: { matrix.isLive($0) }, count: rows.count)
        postingsCache.finish(built)
        return nil
    }

    /// Reading a posting costs about twice reading a forward entry (a random access to the
    /// candidate's accumulators instead of a sequential scan).
    static let postingCost = 2

    /// Forward-index entries re-scoring `candidates` reads.
    func forwardEntries(_ candidates: [ScoredRow]) -> Int {
        candidates.reduce(0) { $0 + features.entryCount(of: $1.row) }
    }

    /// Entries of the query's lists in `postings`.
    func postingEntries(_ postings: Postings, _ query: PreparedQuery) -> Int {
        query.table.keys.reduce(0) { $0 + postings.entries(of: $1).count }
    }

    /// Scores how well `sentence` matches `query` with the same two-stage scorer (used to
    /// pick the sentences of an answer). 0...1.
    func sentenceScore(_ sentence: String, query: PreparedQuery, rescorer: inout Rescorer) -> Rescorer.Scores {
        var scratch = Analyzer.Scratch()
        var counter = scratch.counter ?? FeatureCounter()
        scratch.counter = nil  // keep the counter's storage uniquely referenced
        embedder.analyzer.analyze(sentence[...], kinds: embedder.allKinds, into: &counter, scratch: &scratch)
        return rescorer.score(counted: counter, query: query, statistics: statistics, lexicalWeight: model.bm25Weight)
    }

    func prepare(_ query: String) -> PreparedQuery { embedder.prepareQuery(query, statistics: statistics) }

    /// `query` prepared for a search with `settings`: with its translation when the settings
    /// translate (see ``SearchSettings/translate``).
    func prepare(_ query: String, settings: SearchSettings) -> PreparedQuery {
        var prepared = prepare(query)
        if let (translated, language) = translation(of: query, settings: settings) {
            let query = prepare(translated.text)
            if !query.isEmpty {
                prepared.translation = TranslatedQuery(query: query, text: translated.text, language: language,
                                                       weight: SiftIndex.translationWeight * translated.coverage)
            }
        }
        return prepared
    }

    /// `query` in the index's other language, when `settings` ask for it (by default: when
    /// the index holds documents in the language the query is not in) and the lexicon has it.
    func translation(of query: String, settings: SearchSettings) -> (QueryTranslator.Translation, language: String)? {
        guard settings.translate != false, let lexicon = Lexicon.shared else { return nil }
        let toEnglish = query.unicodeScalars.contains { ScriptClass.isCJK($0.value) }
        if settings.translate == nil && (languageDocuments[toEnglish ? "en" : "zh"] ?? 0) == 0 { return nil }
        var scratch = Analyzer.Scratch()
        return QueryTranslator(lexicon: lexicon, terms: terms, documentFrequency: { rarestDocumentFrequency($0, scratch: &scratch) })
            .translate(query, toEnglish: toEnglish).map { ($0, toEnglish ? "en" : "zh") }
    }

    /// The number of passages `text`'s rarest word or CJK pair (a single CJK character when
    /// it has no pair) occurs in; 0 when `text` has none of them.
    func rarestDocumentFrequency(_ text: String, scratch: inout Analyzer.Scratch) -> Int {
        var list = FeatureList()
        embedder.analyzer.analyze(text[...], kinds: [.word, .cjkBigram, .cjkUnigram], into: &list, scratch: &scratch)
        let hasPair = list.kinds.contains(.cjkBigram)
        var rarest = Int.max
        for (h, kind) in zip(list.hashes, list.kinds) where kind != .cjkUnigram || !hasPair {
            rarest = min(rarest, statistics.documentFrequency(of: h))
        }
        return rarest == Int.max ? 0 : rarest
    }

    /// Document ids of the stage-1 candidates for `query`, best first (for evaluating stage 1).
    @_spi(Benchmarks)
    public func candidates(for query: String, settings: SearchSettings = SearchSettings()) -> [String] {
        stage1Rows(for: query, settings: settings).map { documentList[Int(rows[$0].document)].id }
    }

    /// Passage ids of the stage-1 candidates for `query`, best first, with the first stage
    /// `settings` choose (for comparing code scans with the exact one).
    @_spi(Benchmarks)
    public func stage1Rows(for query: String, settings: SearchSettings = SearchSettings()) -> [Int] {
        let prepared = combined(prepare(query, settings: settings))
        guard !prepared.isEmpty else { return [] }
        let candidates = settings.values(for: model).candidates
        let (stage, refine) = settings.stage(available: matrix.availableFirstStages, rows: matrix.count, candidates: candidates)
        return matrix.search(prepared.dense, k: candidates, allowed: nil, firstStage: stage, refine: refine).map(\.row)
    }
}
