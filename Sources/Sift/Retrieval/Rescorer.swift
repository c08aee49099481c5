/// Stage 2 of a search: exact re-scoring of stage-1 candidates from their stored text.
///
/// Each candidate's features are computed again from its text and counted against the
/// query's distinct features only. Two scores come out:
/// - **cosine** in the unhashed feature space: `Σ q_f·d_f / (‖q‖·‖d‖)` with
///   `q_f = w·idf^e`, `d_f = w·sat(tf)` and `‖d‖` stored per passage at index time;
/// - **BM25** over CJK characters and pairs and stemmed words (`k1`, `b`, corpus IDF and
///   average length), divided by the query's maximum attainable BM25 score.
/// The final score mixes them: `w·lexical + (1 − w)·cosine` (``SearchSettings/lexicalWeight``).
struct Rescorer {
    let embedder: Embedder
    var scratch = Analyzer.Scratch()
    var counts: [Int32] = []

    init(embedder: Embedder) {
        self.embedder = embedder
    }

    struct Scores { var final: Float; var cosine: Float; var lexical: Float }

    mutating func score(_ text: String, profile: PassageProfile, query: PreparedQuery, statistics: CorpusStatistics,
                        lexicalWeight w: Float) -> Scores {
        let table = query.table
        guard table.count > 0 else { return Scores(final: 0, cosine: 0, lexical: 0) }
        if counts.count < table.count { counts = [Int32](repeating: 0, count: table.count) }
        for i in 0..<table.count { counts[i] = 0 }
        counts.withUnsafeMutableBufferPointer { c in
            embedder.analyzer.countMatches(text[...], table: table, filter: query.filter, kinds: embedder.allKinds,
                                           counts: c.baseAddress!, scratch: &scratch)
        }
        let model = embedder.model
        let k1 = model.bm25K1, b = model.bm25B
        let lengthFactor = k1 * (1 - b + b * Float(profile.lexicalLength) / statistics.averageLexicalLength)
        var dot: Float = 0
        var bm25: Float = 0
        for i in 0..<table.count where counts[i] > 0 {
            let tf = Float(counts[i])
            dot += table.rescoreWeights[i] * embedder.saturateRescore(tf, length: profile.tokenLength)
            let idf = table.bm25IDF[i]
            if idf > 0 { bm25 += idf * tf * (k1 + 1) / (tf + lengthFactor) }
        }
        let cosine = profile.rescoreNorm > 0 && query.queryNorm > 0 ? dot / (query.queryNorm * profile.rescoreNorm) : 0
        let lexical = query.bm25Max > 0 ? bm25 / query.bm25Max : 0
        return Scores(final: w * lexical + (1 - w) * cosine, cosine: cosine, lexical: lexical)
    }
}
