import Foundation

/// Questions people asked before, for "Others are asking": a JSONL file of
/// `{"question": "...", "date": "YYYY-MM-DD"}` records, searched with the same two-stage
/// scorer as the corpus.
public struct QuestionBank: Sendable {
    /// The questions, in file order.
    public let entries: [AskedQuestion]
    /// One single-passage document per entry (id = the entry's position).
    let index: SiftIndex

    /// A bank of `entries`, indexed with `model`.
    public init(entries: [AskedQuestion], model: EmbeddingModel = .default) throws(SiftError) {
        self.entries = entries
        let docs = entries.enumerated().map { i, e in
            ChunkedDocument(document: Document(id: String(i), title: e.question, source: "questions", date: e.date,
                                               language: LanguageDetector.detect(e.question), contentHash: 0),
                            passages: [Passage(documentID: String(i), ordinal: 0, text: e.question, start: 0,
                                               end: e.question.unicodeScalars.count)])
        }
        index = try SiftIndex(model: model, documents: docs, threads: 1)
    }

    /// A bank over an index built by ``init(entries:model:)`` (a cached one).
    init(index: SiftIndex) {
        self.index = index
        entries = index.documents.map { AskedQuestion(question: $0.title, date: $0.date ?? "") }
    }

    /// Loads a question bank file.
    /// - Throws: ``SiftError/invalidJSONL(path:line:reason:)`` for a line that is not a
    ///   `{"question", "date"}` object, and the errors of reading a text file.
    public init(contentsOf url: URL, model: EmbeddingModel = .default) throws(SiftError) {
        let text = try CorpusLoader().readText(url: url, displayPath: url.path)
        var entries: [AskedQuestion] = []
        for (n, line) in TextLines.lines(text).enumerated() where !line.allSatisfy(\.isWhitespace) {
            guard let obj = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  let q = obj["question"] as? String, !q.allSatisfy(\.isWhitespace) else {
                throw .invalidJSONL(path: url.path, line: n + 1, reason: "expected {\"question\": string, \"date\": string}")
            }
            entries.append(AskedQuestion(question: q, date: obj["date"] as? String ?? ""))
        }
        try self.init(entries: entries, model: model)
    }

    /// Up to `limit` questions most similar to `question` (the question itself excluded),
    /// scoring at least `minScore`, best first.
    public func related(to question: String, limit: Int = 5, minScore: Float = 0.2) -> [AskedQuestion] {
        let key = QuestionBank.key(question)
        return index.search(question, k: limit + 1, minScore: minScore)
            .compactMap { Int($0.document.id).flatMap { $0 < entries.count ? entries[$0] : nil } }
            .filter { QuestionBank.key($0.question) != key }
            .prefix(limit)
            .map { $0 }
    }

    /// A question's identity: normalised, without whitespace and punctuation.
    static func key(_ question: String) -> String {
        TextNormalizer.normalized(question).filter { !$0.isWhitespace && !$0.isPunctuation }
    }
}
