import Dispatch
import Foundation
import Synchronization

/// The front door of Sift: a corpus (or a saved index), its question bank, and question
/// answering and search on top.
///
/// ```swift
/// let engine = try AnswerEngine(corpus: URL(fileURLWithPath: "Corpus"))
/// let answer = engine.ask("什么是sft?")
/// print(answer.rendered(as: .markdown))
/// ```
///
/// Opening a corpus folder indexes it once and caches the index (see ``IndexCache``); the
/// next start opens the cached file (memory-mapped) and applies only what changed in the
/// folder since: new, edited and deleted articles. `refresh()` does the same while the
/// engine runs.
///
/// Thread-safe: any number of threads or tasks may ask and search while others add,
/// remove or refresh; each call works on one consistent snapshot of the index.
public final class AnswerEngine: Sendable {
    struct Snapshot: Sendable {
        var index: SiftIndex
        var questions: QuestionBank?
    }

    private let state: Mutex<Snapshot>
    /// Serialises writers, so that two concurrent updates never lose each other's changes.
    private let writer = Mutex(())
    private let indexer: CorpusIndexer?
    private let update: Mutex<IndexUpdate?>
    /// The options the engine was opened with.
    public let options: Options

    /// An engine over a corpus folder of Markdown / plain-text articles.
    ///
    /// Opens the cached index when there is one (see ``Options/cache``), updates it with the
    /// articles added, changed or deleted since, and saves it atomically; otherwise indexes
    /// the folder and caches the result. The folder's `questions.jsonl`, when present,
    /// becomes the question bank.
    ///
    /// - Throws: ``SiftError/corpusNotFound(path:)``, ``SiftError/emptyCorpus(path:skipped:)``
    ///   and the errors of reading the question bank. A damaged or unwritable cache is not an
    ///   error: it is reported to ``Options/onWarning`` and rebuilt or skipped.
    public init(corpus: URL, options: Options = Options()) throws(SiftError) {
        try options.search.validate()
        let indexer = CorpusIndexer(corpus: corpus, options: options)
        let (index, update) = try indexer.load(rebuild: options.rebuild)
        let questions: QuestionBank?
        switch options.questions {
        case .none: questions = nil
        case .file(let url): questions = try indexer.loadBank(at: url)
        case .automatic:
            let url = corpus.appendingPathComponent("questions.jsonl")
            questions = FileManager.default.fileExists(atPath: url.path) ? try indexer.loadBank(at: url) : nil
        }
        self.indexer = indexer
        self.options = options
        self.update = Mutex(update)
        state = Mutex(Snapshot(index: index, questions: questions))
    }

    /// An engine over a saved index file (from ``save(to:)`` or `sift index`), memory-mapped
    /// and never written. `questions.jsonl` beside the file, when present, becomes the
    /// question bank.
    ///
    /// - Throws: ``SiftError/corruptIndex(path:reason:)``, ``SiftError/modelMismatch(path:indexModel:expected:)``
    ///   (an index built with a model other than ``Options/model``) and the errors of reading a file.
    public init(indexFile: URL, options: Options = Options()) throws(SiftError) {
        try options.search.validate()
        let index = try SiftIndex.open(indexFile, expectedModel: options.model, verification: options.verification)
        let questions: QuestionBank?
        switch options.questions {
        case .none: questions = nil
        case .file(let url): questions = try QuestionBank(contentsOf: url, model: index.model)
        case .automatic:
            let url = indexFile.deletingLastPathComponent().appendingPathComponent("questions.jsonl")
            questions = FileManager.default.fileExists(atPath: url.path) ? try QuestionBank(contentsOf: url, model: index.model) : nil
        }
        indexer = nil
        self.options = options
        var u = IndexUpdate()
        u.cacheHit = true
        u.unchanged = index.documents.count
        u.cacheFile = indexFile
        update = Mutex(u)
        state = Mutex(Snapshot(index: index, questions: questions))
    }

    /// An engine over an index in memory.
    public init(index: SiftIndex, questions: QuestionBank? = nil, options: Options = Options()) {
        indexer = nil
        self.options = options
        update = Mutex(nil)
        state = Mutex(Snapshot(index: index, questions: questions))
    }

    /// ``init(corpus:options:)`` off the caller's thread, for callers in Swift concurrency
    /// (indexing a large corpus takes seconds; opening a cached one, milliseconds).
    public static func open(corpus: URL, options: Options = Options()) async throws(SiftError) -> AnswerEngine {
        try await offload { () throws(SiftError) in try AnswerEngine(corpus: corpus, options: options) }
    }

    /// ``init(indexFile:options:)`` off the caller's thread.
    public static func open(indexFile: URL, options: Options = Options()) async throws(SiftError) -> AnswerEngine {
        try await offload { () throws(SiftError) in try AnswerEngine(indexFile: indexFile, options: options) }
    }

    // MARK: - State

    /// The current snapshot of the index.
    public var index: SiftIndex { state.withLock { $0.index } }
    /// The question bank, if any.
    public var questions: QuestionBank? { state.withLock { $0.questions } }
    /// What opening the corpus (or the last `refresh()`) did; nil for an in-memory index.
    public var lastUpdate: IndexUpdate? { update.withLock { $0 } }

    // MARK: - Asking and searching

    /// Answers a question from the corpus, citing the passages it quotes.
    /// - Parameters:
    ///   - question: the question, in Chinese or English.
    ///   - filter: which documents the answer may draw on (default: all).
    public func ask(_ question: String, filter: SearchFilter = SearchFilter()) -> Answer {
        let s = state.withLock { $0 }
        return options.composer.answer(question, index: s.index, questions: s.questions, filter: filter, settings: options.search)
    }

    /// `ask(_:filter:)` off the caller's thread (a few milliseconds of CPU work), for
    /// callers in Swift concurrency such as a server's request handlers.
    public func ask(_ question: String, filter: SearchFilter = SearchFilter()) async -> Answer {
        await AnswerEngine.offload { self.ask(question, filter: filter) }
    }

    /// The `k` best passages for `query`.
    public func search(_ query: String, k: Int = 10, minScore: Float = 0, filter: SearchFilter = SearchFilter()) -> [SearchHit] {
        index.search(query, k: k, minScore: minScore, filter: filter, settings: options.search)
    }

    /// The `k` best passages for each query, searched as one batch (see
    /// ``SiftIndex/search(batch:k:minScore:filter:settings:threads:)``).
    public func search(batch queries: [String], k: Int = 10, minScore: Float = 0, filter: SearchFilter = SearchFilter()) -> [[SearchHit]] {
        index.search(batch: queries, k: k, minScore: minScore, filter: filter, settings: options.search)
    }

    // MARK: - Updates

    /// Adds or replaces documents; searches that are running keep their snapshot.
    ///
    /// For an engine over a corpus folder the folder stays the source of truth: documents
    /// added here are kept until the next `refresh()` (or start), which drops documents
    /// that have no file. Save an in-memory index with ``save(to:)``.
    public func add(_ documents: [ChunkedDocument]) {
        modify { $0.add(contentsOf: documents, threads: options.threads) }
    }

    /// Removes a document; returns whether it was present.
    @discardableResult
    public func remove(documentID: String) -> Bool {
        modify { $0.remove(documentID: documentID) }
    }

    /// Re-reads the corpus folder and applies the articles added, changed or deleted since
    /// the index was opened, then saves the cache. Searches keep running meanwhile.
    /// - Returns: what changed (``IndexUpdate/cacheHit`` when nothing did).
    /// - Throws: ``SiftError/invalidArgument(name:reason:)`` for an engine that was not
    ///   opened on a corpus folder, and the errors of ``init(corpus:options:)``.
    @discardableResult
    public func refresh() throws(SiftError) -> IndexUpdate {
        guard let indexer else {
            throw .invalidArgument(name: "refresh()", reason: "this engine was not opened on a corpus folder")
        }
        let result: Result<IndexUpdate, SiftError> = writer.withLock { _ in
            do throws(SiftError) {
                let (index, update) = try indexer.apply(to: self.index)
                state.withLock { $0.index = index }
                self.update.withLock { $0 = update }
                return .success(update)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// `refresh()` off the caller's thread.
    @discardableResult
    public func refresh() async throws(SiftError) -> IndexUpdate {
        try await AnswerEngine.offload { () throws(SiftError) in try self.refresh() }
    }

    /// Rewrites the index without the tombstones of removed or changed passages (passage
    /// ids are renumbered) and saves it to the cache, if the engine has one.
    public func compact() {
        let compacted = modify { index -> SiftIndex in
            index = index.compacted()
            return index
        }
        if let indexer, let target = indexer.cacheURL { indexer.save(compacted, to: target) }
    }

    /// Writes the current snapshot to `url` atomically.
    public func save(to url: URL) throws(SiftError) {
        try index.write(to: url)
    }

    /// Applies `change` to a copy of the index and swaps it in: readers never wait for
    /// embedding, and each reader keeps the snapshot it started with.
    private func modify<T>(_ change: (inout SiftIndex) -> T) -> T {
        writer.withLock { _ in
            var copy = index
            let result = change(&copy)
            state.withLock { $0.index = copy }
            return result
        }
    }

    /// Runs `work` on a global queue and resumes the caller with its result.
    static func offload<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                do throws(E) { continuation.resume(returning: .success(try work())) } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    static func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }
}
