/// How a search runs: the settings that change results but not what an index stores, so
/// they can differ per engine or per call without re-indexing.
///
/// A `nil` setting takes the value the index's ``EmbeddingModel`` was released with
/// (400 candidates, lexical weight 0.5 for the default model).
///
/// ```swift
/// var settings = SearchSettings()
/// settings.candidates = 800        // re-score more stage-1 candidates: slower, more recall
/// let hits = index.search("what is RLHF", k: 5, settings: settings)
/// ```
public struct SearchSettings: Sendable, Hashable, Codable {
    /// How many stage-1 candidates (best dense cosine) are re-scored exactly; at least `k`.
    public var candidates: Int?
    /// Weight of the BM25 part of the final score (0...1); the exact cosine gets the rest.
    public var lexicalWeight: Float?

    /// Settings that take every value from the index's model.
    public init(candidates: Int? = nil, lexicalWeight: Float? = nil) {
        self.candidates = candidates
        self.lexicalWeight = lexicalWeight
    }

    /// Checks that the settings are usable.
    /// - Throws: ``SiftError/invalidArgument(name:reason:)`` naming the setting.
    public func validate() throws(SiftError) {
        if let c = candidates, !(1...100_000).contains(c) {
            throw .invalidArgument(name: "candidates", reason: "must be in 1...100000, got \(c)")
        }
        if let w = lexicalWeight, !(w.isFinite && (0...1).contains(w)) {
            throw .invalidArgument(name: "lexicalWeight", reason: "must be in 0...1, got \(w)")
        }
    }

    /// The settings with every `nil` replaced by `model`'s value.
    public func resolved(for model: EmbeddingModel) -> SearchSettings {
        SearchSettings(candidates: candidates ?? model.candidates, lexicalWeight: lexicalWeight ?? model.bm25Weight)
    }

    /// The values a search uses with `model` (every setting resolved).
    func values(for model: EmbeddingModel) -> (candidates: Int, lexicalWeight: Float) {
        (candidates ?? model.candidates, lexicalWeight ?? model.bm25Weight)
    }
}
