import Foundation
@_spi(Internals) import Sift
import Testing

// Helpers shared by the hardening tests (IncrementalTests, CorruptionTests, CrashSafetyTests,
// ConcurrencyTests, BadInputTests, SoakTests). See Tests/Hardening/README.md.

/// Sentences of the bundled corpus, by language, from which synthetic articles are made.
enum SentencePool {
    /// Sentences with CJK ideographs.
    static let zh: [String] = pool.zh
    /// Sentences without CJK ideographs.
    static let en: [String] = pool.en

    private static let pool: (zh: [String], en: [String]) = {
        var zh: [String] = [], en: [String] = []
        var seen = Set<String>()
        let documents = (try? Shared.corpusLoad.get().documents) ?? []
        for doc in documents {
            for passage in doc.passages {
                for line in passage.text.split(separator: "\n") {
                    for sentence in SentenceSplitter.split(String(line)) {
                        let s = sentence.trimmingCharacters(in: .whitespacesAndNewlines)
                        let n = s.unicodeScalars.count
                        guard n >= 8, n <= 240, seen.insert(s).inserted else { continue }
                        if s.containsCJK { zh.append(s) } else { en.append(s) }
                    }
                }
            }
        }
        return (zh, en)
    }()
}

/// The languages of generated articles.
enum TextKind: CaseIterable, Sendable {
    case zh, en, mixed
}

/// Synthetic Markdown articles made of corpus sentences, reproducible from a seed.
enum ArticleFactory {
    static func sentence(_ kind: TextKind, using rng: inout SeededGenerator) -> String {
        switch kind {
        case .zh: SentencePool.zh.randomElement(using: &rng)!
        case .en: SentencePool.en.randomElement(using: &rng)!
        case .mixed: Bool.random(using: &rng) ? SentencePool.zh.randomElement(using: &rng)! : SentencePool.en.randomElement(using: &rng)!
        }
    }

    /// A Markdown article: optional front matter, a heading, then paragraphs of 1–3
    /// sentences each (`sentences` in all).
    static func article(title: String, kind: TextKind, sentences: Int, frontMatter: Bool = false,
                        using rng: inout SeededGenerator) -> String {
        var text = ""
        if frontMatter { text += "---\ntitle: \"\(title)\"\ntags: [generated]\n---\n" }
        text += "# \(title)\n\n"
        var left = sentences
        while left > 0 {
            let n = min(left, Int.random(in: 1...3, using: &rng))
            var paragraph = ""
            for _ in 0..<n {
                let s = sentence(kind, using: &rng)
                if !paragraph.isEmpty && !(s.containsCJK && paragraph.containsCJK) { paragraph += " " }
                paragraph += s
            }
            text += paragraph + "\n\n"
            left -= n
        }
        return text
    }

    /// A chunked article (through `CorpusLoader.article`, as `sift index` makes them).
    static func document(id: String, kind: TextKind, sentences: Int, using rng: inout SeededGenerator) throws -> ChunkedDocument {
        let text = article(title: "\(id) \(Int.random(in: 0..<1_000_000, using: &rng))", kind: kind, sentences: sentences,
                           frontMatter: Int.random(in: 0..<5, using: &rng) == 0, using: &rng)
        return try CorpusLoader().article(text: text, id: id)
    }
}

/// Queries in Chinese, English and both, about the bundled corpus's topics.
let hardeningQueries = [
    "什么是sft?", "What is RLHF?", "LoRA 低秩适配", "vector search", "reward model 奖励模型", "检索增强生成 RAG",
    "KL penalty", "tokenization 分词", "量化 int4 quantization", "hallucination 幻觉", "BM25 ranking", "上下文窗口 context window",
    "mixture of experts 专家", "知识蒸馏", "prompt engineering", "direct preference optimization",
]

/// What a search result must match: document, passage ordinal, text and score.
struct HitKey: Equatable, CustomStringConvertible {
    var document: String
    var ordinal: Int
    var text: String
    var score: Float

    init(_ hit: SearchHit) {
        document = hit.document.id
        ordinal = hit.passage.ordinal
        text = hit.passage.text
        score = hit.score
    }

    var description: String { "\(document)#\(ordinal) \(score) \"\(text.prefix(40))\"" }

    func matches(_ other: HitKey, tolerance: Float) -> Bool {
        document == other.document && ordinal == other.ordinal && text == other.text && abs(score - other.score) <= tolerance
    }
}

/// nil when the ranked lists agree (same document, ordinal and text at every rank, scores
/// within `tolerance`), else a description of the first difference.
func rankingDifference(_ a: [SearchHit], _ b: [SearchHit], tolerance: Float = 1e-5) -> String? {
    let ka = a.map(HitKey.init), kb = b.map(HitKey.init)
    guard ka.count == kb.count else { return "\(ka.count) vs \(kb.count) results: \(ka.prefix(3)) vs \(kb.prefix(3))" }
    for i in ka.indices where !ka[i].matches(kb[i], tolerance: tolerance) {
        return "rank \(i + 1): \(ka[i]) vs \(kb[i])"
    }
    return nil
}

/// The hits in a canonical order: by score (descending), ties by document id and ordinal
/// (for comparing complete rankings of indexes whose documents were added in another order).
func canonicalRanking(_ hits: [SearchHit]) -> [HitKey] {
    hits.map(HitKey.init).sorted {
        $0.score != $1.score ? $0.score > $1.score : ($0.document != $1.document ? $0.document < $1.document : $0.ordinal < $1.ordinal)
    }
}

/// A lock-protected value for test bookkeeping across threads.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        return try body(&value)
    }
    var current: Value { withLock { $0 } }
}

/// Runs `body(i)` for `i` in `0..<count` on `count` dedicated threads (real OS threads, so
/// they interleave even on a machine with fewer cores) and waits for all of them.
func runOnThreads(_ count: Int, stackSize: Int = 4 << 20, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    var threads: [Thread] = []
    for i in 0..<count {
        group.enter()
        let thread = Thread {
            body(i)
            group.leave()
        }
        thread.stackSize = stackSize
        threads.append(thread)
    }
    for t in threads { t.start() }
    group.wait()
}

/// Elapsed seconds of `body`.
func measure<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = try body()
    return (result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}

/// Appends a line to the file named by `SIFT_HARDENING_REPORT` (when set), so that scripts
/// can collect the figures the hardening tests measure.
func hardeningReport(_ line: String) {
    print("[hardening] \(line)")
    guard let path = ProcessInfo.processInfo.environment["SIFT_HARDENING_REPORT"], !path.isEmpty else { return }
    let data = Data((line + "\n").utf8)
    if let handle = FileHandle(forWritingAtPath: path) {
        handle.seekToEndOfFile()
        handle.write(data)
        try? handle.close()
    } else {
        _ = FileManager.default.createFile(atPath: path, contents: data)
    }
}
