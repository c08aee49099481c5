import Foundation

extension AnswerEngine {
    /// How an engine indexes, caches, searches and answers. Every setting has a default;
    /// set only what you need:
    ///
    /// ```swift
    /// var options = AnswerEngine.Options()
    /// options.cache = .file(URL(fileURLWithPath: "/var/cache/sift/wiki.siftindex"))
    /// options.onWarning = { print("warning: \($0)") }
    /// let engine = try AnswerEngine(corpus: URL(fileURLWithPath: "Corpus"), options: options)
    /// ```
    public struct Options: Sendable {
        /// Where the index of a corpus folder is kept between runs (default: `.sift-cache/`
        /// beside the folder). Ignored by ``AnswerEngine/init(indexFile:options:)``.
        public var cache: IndexCache = .automatic
        /// Ignore any cached index and build from scratch (the cache is then overwritten).
        public var rebuild = false
        /// Drop the tombstones of removed and changed passages before the index is saved
        /// (passage ids are renumbered; an index without tombstones is left as it is).
        public var compact = false
        /// The embedding model a new index is built with; a cached index built with another
        /// model is rebuilt.
        public var model: EmbeddingModel = .default
        /// How articles are split into passages.
        public var chunker: Chunker = .standard
        /// Article files larger than this are skipped with a warning.
        public var maxFileBytes = 8 << 20
        /// Threads for embedding (0 = all cores).
        public var threads = 0
        /// Checksums verified when an index file is opened.
        public var verification: IndexVerification = .full
        /// Search-time settings (candidates, lexical weight) for every search and answer.
        public var search = SearchSettings()
        /// How answers are composed.
        public var composer: AnswerComposer = .standard
        /// The question bank for "Others are asking": `questions.jsonl` in the corpus folder
        /// (or beside the index file) by default.
        public var questions: QuestionSource = .automatic
        /// Called as indexing progresses (never on a cache hit, apart from nothing at all).
        public var progress: (@Sendable (IndexingEvent) -> Void)?
        /// Called for every article skipped and every cache problem worked around.
        public var onWarning: (@Sendable (CorpusWarning) -> Void)?

        /// The defaults.
        public init() {}
    }

    /// Where an engine's question bank comes from.
    public enum QuestionSource: Sendable, Hashable {
        /// `questions.jsonl` in the corpus folder (or beside the index file), when present.
        case automatic
        /// This JSONL file.
        case file(URL)
        /// No question bank ("Others are asking" stays empty).
        case none
    }
}
