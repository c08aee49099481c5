import Foundation
import Synchronization

/// The engine facade: a corpus (or a saved index), an optional question bank, and
/// question answering on top.
///
/// ```swift
/// let engine = try AnswerEngine(corpus: URL(fileURLWithPath: "Corpus"))
/// let answer = engine.ask("什么是sft?")
/// print(answer.rendered(as: .markdown))
/// ```
///
/// Thread-safe: any number of threads may call ``ask(_:)`` and ``search(_:k:minScore:)``
/// while others add or remove documents; each call works on one consistent snapshot.
public final class AnswerEngine: Sendable {
    private let state: Mutex<SiftIndex>
    /// Serialises writers, so that two concurrent updates never lose each other's changes.
    private let writer = Mutex(())
    /// The question bank used for "Others are asking", if any.
    public let questions: QuestionBank?
    /// How answers are composed.
    public let composer: AnswerComposer

    /// An engine over an index.
    public init(index: SiftIndex, questions: QuestionBank? = nil, composer: AnswerComposer? = nil) {
        state = Mutex(index)
        self.questions = questions
        self.composer = composer ?? (try! AnswerComposer())
    }

    /// An engine over a corpus folder: loads and indexes its articles (the corpus's
    /// `questions.jsonl`, when present, becomes the question bank).
    public convenience init(corpus: URL, model: EmbeddingModel = .default, composer: AnswerComposer? = nil) throws(SiftError) {
        let loaded = try CorpusLoader().load(folder: corpus)
        let index = try SiftIndex(model: model, documents: loaded.documents)
        let bankURL = corpus.appendingPathComponent("questions.jsonl")
        let bank = FileManager.default.fileExists(atPath: bankURL.path) ? try QuestionBank(contentsOf: bankURL, model: model) : nil
        self.init(index: index, questions: bank, composer: composer)
    }

    /// The current snapshot of the index.
    public var index: SiftIndex { state.withLock { $0 } }

    /// Writes the current snapshot to `url` atomically.
    public func save(to url: URL) throws(SiftError) {
        try index.write(to: url)
    }

    /// Answers a question from the corpus.
    public func ask(_ question: String) -> Answer {
        composer.answer(question, index: index, questions: questions)
    }

    /// Answers a question with other composer settings.
    public func ask(_ question: String, composer: AnswerComposer) -> Answer {
        composer.answer(question, index: index, questions: questions)
    }

    /// The `k` best passages for `query`.
    public func search(_ query: String, k: Int = 10, minScore: Float = 0) -> [SearchHit] {
        index.search(query, k: k, minScore: minScore)
    }

    /// Adds or replaces documents; searches that are running keep their snapshot.
    public func add(_ documents: [ChunkedDocument]) {
        // Build outside the read lock on a copy, then swap it in: readers never wait for
        // embedding, and each reader keeps the snapshot it started with.
        writer.withLock { _ in
            var copy = index
            copy.add(contentsOf: documents)
            state.withLock { $0 = copy }
        }
    }

    /// Removes a document; returns whether it was present.
    @discardableResult
    public func remove(documentID: String) -> Bool {
        writer.withLock { _ in
            var copy = index
            let removed = copy.remove(documentID: documentID)
            state.withLock { $0 = copy }
            return removed
        }
    }
}
