// Fuzz target: `Embedder.embed` (analysis, stemming, n-grams, hashing) and, with the same
// text as a query, search and question answering over a small index. Checks that vectors
// are `dimension` wide, finite and unit-length (or zero), and that scores are in 0...1.
import Foundation
import FuzzSupport
import Sift

let embedder = try! Embedder(model: .default)
let engine: AnswerEngine = {
    let loader = CorpusLoader()
    let articles = [
        ("zh/sft.md", "# 监督微调\n\nSFT 即监督微调，是用标注好的指令数据继续训练预训练模型的方法。数据质量比数量更重要。\n"),
        ("en/rag.md", "# Retrieval-augmented generation\n\nRetrieval-augmented generation (RAG) retrieves passages and lets the model answer from them. Running retrievers is cheap.\n"),
        ("en/rlhf.md", "# RLHF\n\nReinforcement learning from human feedback trains a reward model from human preferences and optimises the policy with PPO.\n"),
    ]
    let documents = articles.map { try! loader.article(text: $0.1, id: $0.0) }
    return AnswerEngine(index: try! SiftIndex(documents: documents, threads: 1))
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEmbedder(_ pointer: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = pointer else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let vector = embedder.embed(text)
    precondition(vector.count == embedder.dimension)
    precondition(vector.allSatisfy(\.isFinite), "non-finite component")
    let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
    precondition(norm == 0 || abs(norm - 1) < 1e-3, "norm \(norm)")
    _ = QuestionAnalysis(text)
    let hits = engine.search(text, k: 5)
    for (i, h) in hits.enumerated() {
        precondition(h.rank == i + 1 && h.score.isFinite && h.score > 0 && h.score <= 1.0001, "hit \(i): score \(h.score)")
    }
    let answer = engine.ask(text)
    for s in (answer.lead.map { [$0] } ?? []) + answer.points {
        for c in s.citations { precondition(answer.references[c - 1].passage.contains(s.text), "statement not in its passage") }
    }
    return 0
}

/// The entry point SwiftPM links as `main` in debug builds: runs libFuzzer's driver.
@_cdecl("FuzzEmbedder_main")
public func fuzzEmbedderMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzEmbedder)
}
