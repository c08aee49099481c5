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
    /// How stage 1 scans: `nil` picks by index size — the sign codes when the index has them
    /// and at least ``SearchSettings/codesFrom`` passage ids, else the int8 codes on the same
    /// terms, else the exact scan (see ``FirstStage``).
    public var firstStage: FirstStage?
    /// After a code scan, how many rows are scored exactly with their full rows before the
    /// best `candidates` are kept (nil: 8 × candidates for sign codes, 2 × for int8).
    public var refine: Int?

    /// Whether the query is also searched translated into the index's other language (Chinese
    /// ↔ English, word by word through the bundled CC-CEDICT lexicon) and the results fused:
    /// `nil` translates when the index holds documents in the language the query is not
    /// written in; `false` never, `true` always (when the lexicon is installed). A passage
    /// found through the translation is marked ``SearchHit/translated``.
    public var translate: Bool?

    /// From this many passage ids on, an automatic first stage scans codes (when built).
    public static let codesFrom = 100_000

    /// Settings; every `nil` takes the index's default.
    public init(candidates: Int? = nil, lexicalWeight: Float? = nil, firstStage: FirstStage? = nil, refine: Int? = nil,
                translate: Bool? = nil) {
        self.translate = translate
        self.candidates = candidates
        self.lexicalWeight = lexicalWeight
        self.firstStage = firstStage
        self.refine = refine
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
        if let r = refine, !(1...10_000_000).contains(r) {
            throw .invalidArgument(name: "refine", reason: "must be in 1...10000000, got \(r)")
        }
    }

    /// The settings with every `nil` replaced by `model`'s value.
    public func resolved(for model: EmbeddingModel) -> SearchSettings {
        SearchSettings(candidates: candidates ?? model.candidates, lexicalWeight: lexicalWeight ?? model.bm25Weight,
                       firstStage: firstStage, refine: refine, translate: translate)
    }

    /// The first stage and refine depth a search of an index with `available` codes and
    /// `rows` passage ids uses.
    func stage(available: Set<FirstStage>, rows: Int, candidates: Int) -> (FirstStage, Int) {
        var stage = firstStage ?? .exact
        if firstStage == nil && rows >= SearchSettings.codesFrom {
            stage = available.contains(.sign) ? .sign : available.contains(.int8) ? .int8 : .exact
        }
        if !available.contains(stage) { stage = .exact }
        return (stage, refine ?? candidates * (stage == .sign ? 8 : 2))
    }

    /// The values a search uses with `model` (every setting resolved).
    func values(for model: EmbeddingModel) -> (candidates: Int, lexicalWeight: Float) {
        (candidates ?? model.candidates, lexicalWeight ?? model.bm25Weight)
    }
}
