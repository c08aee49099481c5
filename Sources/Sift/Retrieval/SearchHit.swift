/// One result of a search: a passage, its document and its scores.
public struct SearchHit: Sendable, Hashable {
    /// 1-based rank.
    public var rank: Int
    /// Final score in 0...1: `w·bm25/bm25max + (1 − w)·cosine` (see ``EmbeddingModel``).
    public var score: Float
    /// The passage's row in the index (stable across updates until compaction).
    public var passageID: Int
    /// The passage found.
    public var passage: Passage
    /// The document it belongs to.
    public var document: Document
    /// Stage-1 dense cosine (hashed, `dimension` wide).
    public var denseScore: Float
    /// Exact cosine in the unhashed feature space.
    public var cosineScore: Float
    /// BM25 score divided by the query's maximum attainable BM25 score.
    public var lexicalScore: Float
    /// Whether the passage was found through the query's translation into the other
    /// language (see ``SearchSettings/translate``); its scores are then those of the
    /// translated query, the final one weighted down.
    public var translated: Bool = false
}
