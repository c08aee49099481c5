import Foundation
@_spi(Internals) import Sift
import Testing

/// The forward index (each passage's sorted feature hashes with their counts) must give the
/// same re-scoring as analysing the candidates' text again, to the bit.
@Suite("Forward index")
struct ForwardIndexTests {
    static let queries = [
        "什么是sft?", "What is RLHF?", "LoRA 和 QLoRA 有什么区别？", "How does LoRA reduce trainable parameters?",
        "BM25 的 k1 参数有什么用?", "向量检索 精确搜索 近似最近邻", "context window tokens 上下文窗口", "flux ae.sft放在哪个文件夹",
        "knowledge distillation temperature", "DPO beta", "hallucination 幻觉 RAG", "the of and", "？", "🙂 SFT\u{0}x",
    ]

    func expectSameResults(_ a: SiftIndex, _ b: SiftIndex, queries: [String], k: Int = 20,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        for q in queries {
            let x = a.search(q, k: k), y = b.search(q, k: k)
            #expect(x.map(\.passageID) == y.map(\.passageID), "\(q)", sourceLocation: sourceLocation)
            #expect(x.map(\.score.bitPattern) == y.map(\.score.bitPattern), "\(q): scores differ", sourceLocation: sourceLocation)
            #expect(x.map(\.cosineScore.bitPattern) == y.map(\.cosineScore.bitPattern), "\(q)", sourceLocation: sourceLocation)
            #expect(x.map(\.lexicalScore.bitPattern) == y.map(\.lexicalScore.bitPattern), "\(q)", sourceLocation: sourceLocation)
        }
    }

    @Test("Re-scoring from the forward index equals re-scoring from the text, bit for bit")
    func sameAsTextPath() throws {
        let index = try Shared.corpusIndex.get()
        #expect(index.forwardIndexEntries == index.passageIDCount, "every bundled passage has an entry")
        expectSameResults(index, index.withoutForwardIndex(), queries: Self.queries + Shared.goldenQuestions())
        // The batch path too.
        let batch = index.search(batch: Self.queries, k: 10)
        let text = index.withoutForwardIndex()
        for (q, hits) in zip(Self.queries, batch) {
            let single = text.search(q, k: 10)
            #expect(hits.map(\.passageID) == single.map(\.passageID) && hits.map(\.score) == single.map(\.score), "\(q)")
        }
    }

    @Test("Re-scoring from postings equals the forward index and the text path, bit for bit")
    func postingsSameAsForward() throws {
        let index = try Shared.corpusIndex.get()
        let postings = index.withPostings()
        #expect(Self.queries.filter { postings.rescoresFromPostings($0) }.count >= Self.queries.count / 2, "postings are used")
        expectSameResults(postings, index.withoutForwardIndex(), queries: Self.queries + Shared.goldenQuestions())
        // A corpus larger than the candidates (stage 1 cuts), with tombstones.
        var big = try SiftIndex(documents: Shared.corpusLoad.get().documents + (0..<400).map { i in
            try CorpusLoader().article(text: "# Note \(i)\n\n" + (0..<12).map { j in "笔记 \(i)-\(j)：LoRA 的秩与 RLHF 奖励模型，context window \(j) tokens。" }.joined(separator: "\n\n"), id: "notes/\(i).md")
        }, threads: 2)
        big.remove(documentID: "notes/3.md")
        #expect(big.passageCount > 400)
        expectSameResults(big.withPostings(), big.withoutForwardIndex(), queries: Self.queries)
        let s = SearchSettings(candidates: 50)
        for q in Self.queries {
            #expect(big.withPostings().search(q, k: 10, settings: s).map(\.score.bitPattern) == big.search(q, k: 10, settings: s).map(\.score.bitPattern))
        }
    }

    @Test("After updates, compaction and a save, the forward index still equals the text path")
    func afterUpdates() throws {
        try withTemporaryDirectory { dir in
            var index = try SiftIndex(documents: Shared.corpusLoad.get().documents, threads: 2)
            let loader = CorpusLoader()
            index.add(try loader.article(text: "# LoRA notes\n\nLoRA 的秩 r 通常取 8 或 16。Rank 8 is a common LoRA setting.", id: "notes/lora.md"))
            index.remove(documentID: "en/rlhf.md")
            index.add(try loader.article(text: "# RLHF, again\n\nRLHF optimises a policy against a reward model.", id: "en/rlhf.md"))
            expectSameResults(index, index.withoutForwardIndex(), queries: Self.queries)
            let compact = index.compacted()
            #expect(compact.forwardIndexEntries == compact.passageIDCount)
            expectSameResults(compact, compact.withoutForwardIndex(), queries: Self.queries)
            let url = dir.appendingPathComponent("f.siftindex")
            try compact.write(to: url)
            for verification in [IndexVerification.full, .lazy] {
                let opened = try SiftIndex.open(url, verification: verification)
                #expect(opened.forwardIndexEntries == compact.passageIDCount)
                expectSameResults(opened, compact, queries: Self.queries)
                // A mapped store copies itself on the first change.
                var changed = opened
                changed.remove(documentID: "notes/lora.md")
                expectSameResults(changed, changed.withoutForwardIndex(), queries: Self.queries)
            }
        }
    }

    @Test("A passage with a feature counted 65,535 times or more is re-scored from its text")
    func countsBeyondSixteenBits() throws {
        let long = String(repeating: "ab 微调 ", count: 70_000)
        let doc = ChunkedDocument(
            document: Document(id: "long.txt", title: "Long", source: "long.txt", language: "en", contentHash: 1),
            passages: [Passage(documentID: "long.txt", ordinal: 0, text: long, start: 0, end: long.unicodeScalars.count)])
        var index = try SiftIndex(documents: try sampleDocuments(), threads: 1)
        index.add(doc)
        #expect(index.forwardIndexEntries == index.passageIDCount - 1, "the long passage has no entry")
        let hits = index.search("ab 微调", k: 10)
        #expect(hits.contains { $0.document.id == "long.txt" })
        expectSameResults(index, index.withoutForwardIndex(), queries: ["ab 微调", "监督微调", "running"])
        let removed = index.remove(documentID: "long.txt")
        #expect(removed)
        let fresh = try SiftIndex(documents: try sampleDocuments(), threads: 1)
        #expect(index.statistics == fresh.statistics, "removing it (from its text) restores the statistics exactly")
    }

    @Test("An index file of format 1 (no forward index) opens and searches exactly like the one it came from")
    func formatOneFilesOpen() throws {
        try withTemporaryDirectory { dir in
            let index = try Shared.corpusIndex.get()
            let v2 = dir.appendingPathComponent("v2.siftindex")
            try index.write(to: v2)
            // Rewrite it as format 1 would have: version 1, no features section.
            var file = IndexFileBytes([UInt8](try Data(contentsOf: v2)))
            let features = try #require(file.sections.first { $0.name == "features" })
            let count = Int(file.u32(at: 12))
            let lastEntry = IndexFileBytes.tableStart + IndexFileBytes.entrySize * (count - 1)
            #expect(features.entryOffset == lastEntry, "the features entry is the last of the table")
            for i in 0..<IndexFileBytes.entrySize { file.bytes[lastEntry + i] = 0 }
            file.setU32(UInt32(count - 1), at: 12)
            file.setU32(1, at: 8)
            file.bytes.removeSubrange(features.range.lowerBound...)
            // The model identifier followed the table: move it up over the removed entry.
            let identifierStart = lastEntry + IndexFileBytes.entrySize
            let identifierLength = Int(file.u32(at: identifierStart)) + 4
            file.bytes.replaceSubrange(lastEntry..<(lastEntry + identifierLength), with: file.bytes[identifierStart..<(identifierStart + identifierLength)])
            for i in (lastEntry + identifierLength)..<(identifierStart + identifierLength) { file.bytes[i] = 0 }
            file.fixHeaderChecksum()
            let v1 = dir.appendingPathComponent("v1.siftindex")
            try Data(file.bytes).write(to: v1)
            let opened = try SiftIndex.open(v1)
            #expect(opened.forwardIndexEntries == 0)
            expectSameResults(opened, index, queries: Self.queries)
            // Saving it again writes format 2, still searching the same.
            let resaved = dir.appendingPathComponent("resaved.siftindex")
            try opened.write(to: resaved)
            expectSameResults(try SiftIndex.open(resaved), index, queries: Self.queries)
        }
    }
}
