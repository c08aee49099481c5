import Foundation

/// Previously asked questions, for "Others are asking": a JSONL file of
/// `{"question": "...", "date": "YYYY-MM-DD"}` records, searched with the same
/// two-stage scorer as the corpus.
public struct QuestionBank: Sendable {
    /// A previously asked question.
    public struct Entry: Sendable, Hashable, Codable {
        public var question: String
        public var date: String
        public init(question: String, date: String) { self.question = question; self.date = date }
    }

    public let entries: [Entry]
    private let index: SiftIndex

    /// A bank of `entries`.
    public init(entries: [Entry], model: EmbeddingModel = .default) throws(SiftError) {
        self.entries = entries
        let docs = entries.enumerated().map { i, e in
            ChunkedDocument(document: Document(id: String(i), title: e.question, source: "questions", language: QuestionAnalysis.language(of: e.question),
                                               contentHash: 0),
                            passages: [Passage(documentID: String(i), ordinal: 0, text: e.question, start: 0, end: e.question.unicodeScalars.count)])
        }
        index = try SiftIndex(model: model, documents: docs, threads: 1)
    }

    /// Loads a question bank file.
    public init(contentsOf url: URL, model: EmbeddingModel = .default) throws(SiftError) {
        let text = try CorpusLoader().readText(url: url, displayPath: url.path)
        var entries: [Entry] = []
        for (n, line) in TextLines.lines(text).enumerated() where !line.allSatisfy(\.isWhitespace) {
            guard let obj = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  let q = obj["question"] as? String, !q.allSatisfy(\.isWhitespace) else {
                throw .invalidJSONL(path: url.path, line: n + 1, reason: "expected {\"question\": string, \"date\": string}")
            }
            entries.append(Entry(question: q, date: obj["date"] as? String ?? ""))
        }
        try self.init(entries: entries, model: model)
    }

    /// Up to `limit` questions most similar to `question` (the question itself excluded),
    /// scoring at least `minScore`.
    public func related(to question: String, limit: Int = 5, minScore: Float = 0.2) -> [Entry] {
        let normalized = TextNormalizer.normalized(question).filter { !$0.isWhitespace && !$0.isPunctuation }
        return index.search(question, k: limit + 1, minScore: minScore)
            .map { entries[Int($0.document.id)!] }
            .filter { TextNormalizer.normalized($0.question).filter { !$0.isWhitespace && !$0.isPunctuation } != normalized }
            .prefix(limit)
            .map { $0 }
    }
}
