import Foundation
@_spi(Benchmarks) import Sift
import Testing

/// What identifies a result independently of passage ids: document, ordinal, score.
private func identities(_ hits: [SearchHit]) -> [String] {
    hits.map { "\($0.document.id)#\($0.passage.ordinal) \($0.score)" }
}

@Suite("SiftIndex search")
struct SiftIndexTests {
    static let queries = ["什么是sft?", "What is RLHF?", "LoRA 低秩适配", "vector search", "reward hacking", "监督微调的数据量",
                          "tokenization", "检索增强生成", "KL penalty", "STFT 短时傅里叶变换", "quantization int4", "幻觉"]

    @Test("Results are ranked 1…k, best first, with scores in 0...1", arguments: queries)
    func ranking(query: String) throws {
        let index = try Shared.corpusIndex.get()
        let hits = index.search(query, k: 10)
        #expect(!hits.isEmpty)
        #expect(hits.count <= 10)
        #expect(hits.map(\.rank) == Array(1...hits.count))
        for (a, b) in zip(hits, hits.dropFirst()) { #expect(a.score >= b.score) }
        for h in hits {
            #expect(h.score > 0 && h.score <= 1.0001, "score \(h.score)")
            #expect(h.cosineScore >= 0 && h.cosineScore <= 1.0001)
            #expect(h.lexicalScore >= 0 && h.lexicalScore <= 1.0001)
            #expect(index.passage(id: h.passageID) == h.passage)
            #expect(h.passage.documentID == h.document.id)
        }
        #expect(Set(hits.map(\.passageID)).count == hits.count, "no passage twice")
    }

    @Test("Queries find the article about them", arguments: [
        ("什么是sft?", "zh/sft-supervised-fine-tuning.md"),
        ("What is RLHF?", "en/rlhf.md"),
        ("STFT 短时傅里叶变换", "zh/stft-short-time-fourier-transform.md"),
        ("BM25 ranking function term frequency saturation", "en/bm25.md"),
        ("LoRA 低秩适配 QLoRA", "zh/lora-qlora.md"),
    ])
    func relevance(query: String, document: String) throws {
        let hits = try Shared.corpusIndex.get().search(query, k: 5)
        #expect(hits.prefix(3).contains { $0.document.id == document }, "top documents: \(hits.map(\.document.id))")
    }

    @Test("k and minScore are respected")
    func kAndMinScore() throws {
        let index = try Shared.corpusIndex.get()
        #expect(index.search("监督微调", k: 0).isEmpty)
        #expect(index.search("监督微调", k: 1).count == 1)
        let many = index.search("监督微调", k: 1000)
        #expect(many.count <= index.passageCount)
        let threshold: Float = 0.2
        let filtered = index.search("监督微调", k: 1000, minScore: threshold)
        #expect(filtered.allSatisfy { $0.score >= threshold })
        #expect(identities(filtered) == identities(many.filter { $0.score >= threshold }))
        #expect(index.search("监督微调", k: 10, minScore: 1.01).isEmpty)
    }

    @Test("Queries without features find nothing", arguments: ["", "   ", "。？！", "the of and", "🙂"])
    func emptyQueries(query: String) throws {
        #expect(try Shared.corpusIndex.get().search(query).isEmpty)
    }

    @Test("Unknown words find nothing, or only weak matches")
    func unknownWords() throws {
        let hits = try Shared.corpusIndex.get().search("zzqxv wqpmz", k: 5)
        #expect(hits.allSatisfy { $0.score < 0.25 })
    }

    @Test("Batch search equals single searches")
    func batch() throws {
        let index = try Shared.corpusIndex.get()
        let queries = Self.queries + ["", "the"]
        for threads in [1, 3] {
            let batch = index.search(batch: queries, k: 7, threads: threads)
            #expect(batch.count == queries.count)
            for (q, hits) in zip(queries, batch) {
                let single = index.search(q, k: 7)
                // Everything is identical except the stage-1 dense score, which comes from
                // sgemm instead of sgemv and may differ in the last bit.
                #expect(hits.map(\.rank) == single.map(\.rank), "query '\(q)', \(threads) thread(s)")
                #expect(hits.map(\.passageID) == single.map(\.passageID), "query '\(q)', \(threads) thread(s)")
                #expect(hits.map(\.score) == single.map(\.score), "query '\(q)', \(threads) thread(s)")
                #expect(hits.map(\.cosineScore) == single.map(\.cosineScore))
                #expect(hits.map(\.lexicalScore) == single.map(\.lexicalScore))
                #expect(hits.map(\.passage) == single.map(\.passage))
                #expect(hits.map(\.document) == single.map(\.document))
                for (a, b) in zip(hits, single) { #expect(abs(a.denseScore - b.denseScore) <= 1e-5) }
            }
        }
        #expect(index.search(batch: [], k: 5).isEmpty)
    }

    @Test("Searching is deterministic across index builds")
    func deterministicBuilds() throws {
        let documents = try Shared.corpusLoad.get().documents
        let a = try SiftIndex(documents: documents, threads: 1)
        let b = try SiftIndex(documents: documents, threads: 2)
        for q in Self.queries {
            #expect(a.search(q) == b.search(q), "query '\(q)'")
        }
        #expect(a.statistics == b.statistics)
    }

    @Test("A large add (many embedding blocks) builds the same index as adding documents one at a time")
    func largeAddEqualsIncremental() throws {
        // 6,000 passages: more than one 16 MiB block of the default model's 1,024-wide vectors.
        let words = ["检索", "向量", "模型", "微调", "search", "vector", "model", "index", "答案", "passage", "矩阵", "BLAS"]
        var rng = SeededGenerator(seed: 77)
        let documents = (0..<60).map { d -> ChunkedDocument in
            let passages = (0..<100).map { i -> Passage in
                let text = (0..<8).map { _ in words[Int.random(in: 0..<words.count, using: &rng)] }.joined(separator: " ") + " \(d)-\(i)"
                return Passage(documentID: "doc\(d)", ordinal: i, text: text, start: 0, end: text.unicodeScalars.count)
            }
            return ChunkedDocument(document: Document(id: "doc\(d)", title: "Doc \(d)", source: "doc\(d).md", language: "zh",
                                                      contentHash: UInt64(d)), passages: passages)
        }
        let reports = ProgressLog()
        let bulk = try SiftIndex(documents: documents, threads: 2) { done, total in reports.append(done, total) }
        var oneByOne = try SiftIndex()
        for doc in documents { oneByOne.add(doc) }
        #expect(bulk.passageCount == 6_000)
        let log = reports.entries
        #expect(log.allSatisfy { $0.1 == 6_000 && $0.0 >= 1 && $0.0 <= 6_000 })
        #expect(log.contains { $0.0 == 6_000 }, "the last report says all passages are done")
        try withTemporaryDirectory { dir in
            let a = dir.appendingPathComponent("bulk.siftindex"), b = dir.appendingPathComponent("one.siftindex")
            try bulk.write(to: a)
            try oneByOne.write(to: b)
            #expect(try Data(contentsOf: a) == Data(contentsOf: b), "same bytes on disk")
        }
    }

    @Test("After updates, search equals a fresh build of the final corpus")
    func updatesEqualFreshBuild() throws {
        let all = try Shared.corpusLoad.get().documents
        let first = Array(all.prefix(30)), later = Array(all.dropFirst(30))
        var updated = try SiftIndex(documents: first, threads: 2)
        // Remove some, add the rest, replace one with new text.
        let removed = [first[2].document.id, first[11].document.id, first[29].document.id]
        for id in removed { let ok = updated.remove(documentID: id); #expect(ok) }
        updated.add(contentsOf: later, threads: 2)
        let replacement = try CorpusLoader().article(text: "# Replaced\n\nThis article was replaced by a note about gardening tools.",
                                                     id: first[5].document.id)
        updated.add(replacement)
        #expect(updated.tombstoneCount > 0)

        let final = first.filter { !removed.contains($0.document.id) && $0.document.id != first[5].document.id } + later + [replacement]
        let fresh = try SiftIndex(documents: final, threads: 2)
        #expect(updated.passageCount == fresh.passageCount)
        #expect(updated.statistics == fresh.statistics, "statistics are updated exactly")
        #expect(Set(updated.documents.map(\.id)) == Set(fresh.documents.map(\.id)))
        for q in Self.queries + ["gardening tools"] {
            #expect(identities(updated.search(q, k: 10)) == identities(fresh.search(q, k: 10)), "query '\(q)'")
        }
        for id in removed {
            #expect(updated.document(id: id) == nil)
            #expect(updated.passages(ofDocument: id).isEmpty)
        }
        #expect(updated.passages(ofDocument: first[5].document.id).map(\.text) == replacement.passages.map(\.text))

        // Compaction renumbers densely and searches the same.
        let compact = updated.compacted()
        #expect(compact.tombstoneCount == 0)
        #expect(compact.passageIDCount == compact.passageCount)
        #expect(compact.passageCount == updated.passageCount)
        #expect(compact.statistics == updated.statistics)
        for q in Self.queries {
            #expect(identities(compact.search(q, k: 10)) == identities(updated.search(q, k: 10)), "query '\(q)'")
        }
    }

    @Test("Removed passages are never returned and their ids stay unused")
    func removal() throws {
        var index = try SiftIndex(documents: sampleDocuments(), threads: 1)
        let before = index.passageIDCount
        let ids = index.search("监督微调", k: 50).filter { $0.document.id == "zh/sft.md" }.map(\.passageID)
        #expect(!ids.isEmpty)
        index.remove(documentID: "zh/sft.md")
        #expect(index.passageIDCount == before)
        for id in ids { #expect(index.passage(id: id) == nil) }
        #expect(!index.search("监督微调", k: 50).contains { $0.document.id == "zh/sft.md" })
        #expect(index.passage(id: -1) == nil)
        #expect(index.passage(id: 1_000_000) == nil)
    }

    @Test("Statistics count live passages")
    func statistics() throws {
        var index = try SiftIndex(documents: sampleDocuments(), threads: 1)
        #expect(index.statistics.passageCount == index.passageCount)
        #expect(index.statistics.averageLexicalLength > 1)
        index.remove(documentID: "en/rlhf.md")
        #expect(index.statistics.passageCount == index.passageCount)
        let empty = try SiftIndex()
        #expect(empty.passageCount == 0)
        #expect(empty.search("anything").isEmpty)
        #expect(empty.documents.isEmpty)
    }

    @Test("Stage-1 candidates include the best results")
    func candidates() throws {
        let index = try Shared.corpusIndex.get()
        for q in Self.queries {
            let candidates = Set(index.candidates(for: q))
            for hit in index.search(q, k: 5) { #expect(candidates.contains(hit.document.id)) }
        }
    }
}

/// Collects progress reports from worker threads.
final class ProgressLog: @unchecked Sendable {
    private var list: [(Int, Int)] = []
    private let lock = NSLock()
    func append(_ done: Int, _ total: Int) { lock.lock(); list.append((done, total)); lock.unlock() }
    var entries: [(Int, Int)] { lock.lock(); defer { lock.unlock() }; return list }
}
