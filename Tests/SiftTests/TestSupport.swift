import Foundation
import Sift
import Testing

/// Paths of the package under test.
enum TestPaths {
    /// The package root, found from this file's location (`<root>/Tests/SiftTests/TestSupport.swift`).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // SiftTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // root

    /// The bundled corpus, `<root>/Corpus`.
    static var corpus: URL { packageRoot.appendingPathComponent("Corpus") }

    /// The fixtures folder copied into the test bundle.
    static var fixtures: URL {
        if let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) { return url }
        return packageRoot.appendingPathComponent("Tests/SiftTests/Fixtures")
    }

    static func fixture(_ relativePath: String) -> URL {
        fixtures.appendingPathComponent(relativePath)
    }

    /// Every article of the bundled corpus, as paths relative to `Corpus/` (sorted).
    static let corpusArticles: [String] = {
        var result: [String] = []
        for language in ["zh", "en"] {
            let dir = corpus.appendingPathComponent(language)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            result += names.filter { $0.hasSuffix(".md") }.sorted().map { "\(language)/\($0)" }
        }
        return result
    }()
}

/// A fresh temporary folder, removed when `body` returns.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("sift-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

func write(_ text: String, to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
}

func write(bytes: [UInt8], to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
}

/// Runs `body` and returns the `SiftError` it throws (nil when it throws none; any other
/// error is recorded as a test issue).
func siftError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> SiftError? {
    do {
        try body()
        return nil
    } catch let error as SiftError {
        return error
    } catch {
        Issue.record("expected a SiftError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

extension String {
    /// The string without any whitespace or newline.
    var withoutWhitespace: String {
        String(String.UnicodeScalarView(unicodeScalars.filter { !$0.properties.isWhitespace }))
    }

    /// `self[start..<end]` counted in Unicode scalars.
    func scalarSlice(_ start: Int, _ end: Int) -> String {
        let scalars = Array(unicodeScalars)
        return String(String.UnicodeScalarView(scalars[start..<end]))
    }

    var containsCJK: Bool {
        unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) || (0x3400...0x4DBF).contains($0.value) }
    }
}

/// The markup-free text of a Markdown snippet, through the public API: the passages of the
/// snippet chunked as a document of its own with a limit it cannot reach, joined.
func markupFreeText(of markdown: String, markdownMode: Bool = true) -> String {
    // 1_000_000 characters: no snippet of a test reaches it, so nothing is split.
    let chunker = try! Chunker(maxCharacters: 1_000_000)
    return chunker.passages(documentID: "slice", source: markdown, markdown: markdownMode).map(\.text).joined(separator: "\n")
}

/// A small, fast, seeded random number generator (SplitMix64), so random tests are
/// reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Objects built once and shared by the tests that need the bundled corpus.
enum Shared {
    static let corpusLoad: Result<CorpusLoader.Result, SiftError> = Result { () throws(SiftError) in
        try CorpusLoader().load(folder: TestPaths.corpus)
    }

    static let corpusIndex: Result<SiftIndex, SiftError> = Result { () throws(SiftError) in
        try SiftIndex(documents: corpusLoad.get().documents, threads: 2)
    }

    /// The questions of `Fixtures/golden-questions.jsonl`.
    static func goldenQuestions() -> [String] {
        guard let url = Bundle.module.url(forResource: "golden-questions", withExtension: "jsonl", subdirectory: "Fixtures"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["question"] as? String
        }
    }

    static let engine: Result<AnswerEngine, SiftError> = Result { () throws(SiftError) in
        let index = try corpusIndex.get()
        let bank = try QuestionBank(contentsOf: TestPaths.corpus.appendingPathComponent("questions.jsonl"))
        return AnswerEngine(index: index, questions: bank)
    }
}

/// A small model (64-wide vectors, 1024 document-frequency buckets) that keeps index
/// files small.
func smallModel(seed: UInt64 = 0x5EED) -> EmbeddingModel {
    variant(.hashedNgramV1, ["name": "test-small", "dimension": 64, "dfBuckets": 1024, "seed": seed])
}

/// `base` with keys of its JSON definition replaced (`"denseWeights.charNgram"` reaches into
/// a nested object). The definition is the public way to vary a model; the result is not
/// validated, so that tests can build invalid models too.
func variant(_ base: EmbeddingModel, _ changes: [String: Any]) -> EmbeddingModel {
    var json = try! JSONSerialization.jsonObject(with: base.definition) as! [String: Any]
    for (key, value) in changes {
        let path = key.split(separator: ".").map(String.init)
        if path.count == 2 {
            var inner = json[path[0]] as! [String: Any]
            inner[path[1]] = value
            json[path[0]] = inner
        } else {
            json[key] = value
        }
    }
    return try! JSONDecoder().decode(EmbeddingModel.self, from: JSONSerialization.data(withJSONObject: json))
}

/// A key of `model`'s JSON definition (nil when the definition leaves it out).
func setting(_ model: EmbeddingModel, _ key: String) -> Any? {
    (try! JSONSerialization.jsonObject(with: model.definition) as! [String: Any])[key]
}

/// A few short articles, as chunked documents.
func sampleDocuments() throws -> [ChunkedDocument] {
    let loader = CorpusLoader()
    let articles: [(String, String)] = [
        ("en/running.md", "# Running\n\nRunning every morning improves endurance. Runners should stretch before they run.\n"),
        ("en/swimming.md", "# Swimming\n\nSwimming is a full-body workout in a pool. Swimmers breathe rhythmically.\n"),
        ("en/cooking.md", "# Cooking\n\nBraising pork belly in soy sauce takes about two hours on a low flame.\n"),
        ("zh/sft.md", "# 监督微调\n\nSFT 即监督微调，是用标注好的指令数据继续训练预训练模型的方法。\n"),
        ("zh/rag.md", "# 检索增强生成\n\n检索增强生成（RAG）先检索相关文档，再让模型根据检索结果生成回答。\n"),
        ("en/rlhf.md", "# RLHF\n\nReinforcement learning from human feedback trains a reward model from human preferences and optimises the policy with PPO.\n"),
    ]
    return try articles.map { id, text in try loader.article(text: text, id: id) }
}
