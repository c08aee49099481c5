import Foundation
import Sift
import Synchronization

/// "Others are asking": the history's questions in an in-memory Sift index (one
/// single-passage document per row, id = the row id), searched with the same scorer as the
/// corpus; a new question is added as it is recorded, so the section grows with use.
final class RelatedQuestions: Sendable {
    private struct State {
        var index: SiftIndex
        var entries: [Int64: HistoryEntry]
    }
    private let state: Mutex<State>
    let model: EmbeddingModel

    init(entries: [HistoryEntry], model: EmbeddingModel) throws(SiftError) {
        self.model = model
        var index = try SiftIndex(model: model)
        index.add(contentsOf: entries.map(RelatedQuestions.document), threads: 1)
        state = Mutex(State(index: index, entries: Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { $1 })))
    }

    static func document(_ e: HistoryEntry) -> ChunkedDocument {
        let id = String(e.id)
        return ChunkedDocument(document: Document(id: id, title: e.question, source: "history", language: e.language, contentHash: 0),
                               passages: [Passage(documentID: id, ordinal: 0, text: e.question, start: 0, end: e.question.unicodeScalars.count)])
    }

    /// Adds or updates a row (a new question is embedded; a known one only has its counts updated).
    func upsert(_ e: HistoryEntry) {
        let doc = RelatedQuestions.document(e)
        state.withLock { s in
            if s.entries[e.id] == nil { s.index.add(doc) }
            s.entries[e.id] = e
        }
    }

    /// Up to `limit` questions most like `question` (scoring at least `minScore`), the
    /// question itself excluded; when fewer than `atLeast` score that well, the nearest ones
    /// fill up to `atLeast`. Answered questions only.
    func related(to question: String, limit: Int = 5, atLeast: Int = 3, minScore: Float = 0.2) -> [HistoryEntry] {
        let key = QuestionHistory.key(question)
        let (index, entries) = state.withLock { ($0.index, $0.entries) }
        let hits = index.search(question, k: limit * 3 + 1)
        var out: [HistoryEntry] = []
        var fill: [HistoryEntry] = []
        for h in hits {
            guard let id = Int64(h.document.id), let e = entries[id], e.answered, QuestionHistory.key(e.question) != key else { continue }
            if h.score >= minScore { out.append(e) } else { fill.append(e) }
        }
        out = Array(out.prefix(limit))
        if out.count < atLeast { out += fill.prefix(atLeast - out.count) }
        return out
    }

    /// Ids of the questions matching `query` (for the question list's search box), best first.
    func search(_ query: String, limit: Int) -> [HistoryEntry] {
        let (index, entries) = state.withLock { ($0.index, $0.entries) }
        return index.search(query, k: limit, minScore: 0.05).compactMap { Int64($0.document.id).flatMap { entries[$0] } }
    }
}
