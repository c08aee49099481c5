import Foundation
import Sift

/// "Others are asking": the history's questions in an in-memory Sift index (one
/// single-passage document per row, id = the row id), searched with the same scorer as the
/// corpus; a new question is added as it is recorded, so the section grows with use.
final class RelatedQuestions: Sendable {
    private struct State {
        var index: SiftIndex
        var entries: [Int64: HistoryEntry]
    }
    /// Searches share the index under a read lock; an upsert takes the write lock and appends in
    /// place. (A copy of the index taken out of a lock would make the next append copy every row.)
    private let state: ReadWriteLocked<State>
    let model: EmbeddingModel

    init(entries: [HistoryEntry], model: EmbeddingModel) throws(SiftError) {
        self.model = model
        var index = try SiftIndex(model: model)
        index.add(contentsOf: entries.map(RelatedQuestions.document), threads: 1)
        state = ReadWriteLocked(State(index: index, entries: Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { $1 })))
    }

    static func document(_ e: HistoryEntry) -> ChunkedDocument {
        let id = String(e.id)
        return ChunkedDocument(document: Document(id: id, title: e.question, source: "history", language: e.language, contentHash: 0),
                               passages: [Passage(documentID: id, ordinal: 0, text: e.question, start: 0, end: e.question.unicodeScalars.count)])
    }

    /// Adds or updates a row (a new question is embedded; a known one only has its counts updated).
    func upsert(_ e: HistoryEntry) {
        let doc = RelatedQuestions.document(e)
        state.write { s in
            if s.entries[e.id] == nil { s.index.add(doc) }
            s.entries[e.id] = e
        }
    }

    /// Up to `limit` questions most like `question` (scoring at least `minScore`), the
    /// question itself excluded; when fewer than `atLeast` score that well, the nearest ones
    /// fill up to `atLeast`. Answered questions only.
    func related(to question: String, limit: Int = 5, atLeast: Int = 3, minScore: Float = 0.2) -> [HistoryEntry] {
        let key = QuestionHistory.key(question)
        var out: [HistoryEntry] = []
        var fill: [HistoryEntry] = []
        state.read { s in
            for h in s.index.search(question, k: limit * 3 + 1) {
                guard let id = Int64(h.document.id), let e = s.entries[id], e.answered, QuestionHistory.key(e.question) != key else { continue }
                if h.score >= minScore { out.append(e) } else { fill.append(e) }
            }
        }
        out = Array(out.prefix(limit))
        if out.count < atLeast { out += fill.prefix(atLeast - out.count) }
        return out
    }

    /// Ids of the questions matching `query` (for the question list's search box), best first.
    func search(_ query: String, limit: Int) -> [HistoryEntry] {
        state.read { s in
            s.index.search(query, k: limit, minScore: 0.05).compactMap { Int64($0.document.id).flatMap { s.entries[$0] } }
        }
    }
}

/// A value behind a POSIX read-write lock: any number of readers at once, or one writer.
final class ReadWriteLocked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init(_ value: Value) {
        self.value = value
        lock = .allocate(capacity: 1)
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func read<T>(_ body: (borrowing Value) throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(value)
    }

    func write<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(&value)
    }
}
