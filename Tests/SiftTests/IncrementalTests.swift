import Foundation
import Sift
import Testing

/// Property: any sequence of adds, updates (same id, new text) and removes searches exactly
/// like a fresh build of the final documents — also after write → open and after
/// `compacted()` — and has the same statistics.
@Suite("Incremental updates")
struct IncrementalTests {
    static let sequenceCount = 30
    static let operationsPerSequence = 20

    /// The models the sequences cycle through: the small test model, the same with a
    /// stage-1 cut of 6 candidates (so that which passages reach re-scoring matters), and
    /// the default model.
    static func model(for sequence: Int) -> EmbeddingModel {
        switch sequence % 3 {
        case 0: return smallModel()
        case 1:
            return variant(smallModel(seed: 0xC0FFEE), ["candidates": 6])
        default: return .default
        }
    }

    /// Documents ids used by the sequences: few, so that ids are often reused.
    static let ids = (0..<10).map { i in ["zh", "en", "mix"][i % 3] + "/doc\(i).md" }

    static func kind(of id: String) -> TextKind { id.hasPrefix("zh/") ? .zh : id.hasPrefix("en/") ? .en : .mixed }

    /// The queries of a sequence: fixed ones plus pieces of sentences of its documents.
    static func queries(for documents: [ChunkedDocument], using rng: inout SeededGenerator) -> [String] {
        var result = Array(hardeningQueries.shuffled(using: &rng).prefix(8))
        let texts = documents.flatMap { $0.passages.map(\.text) }
        for _ in 0..<4 where !texts.isEmpty {
            let scalars = Array(texts.randomElement(using: &rng)!.unicodeScalars)
            let start = Int.random(in: 0..<scalars.count, using: &rng)
            let end = min(scalars.count, start + Int.random(in: 4...30, using: &rng))
            result.append(String(String.UnicodeScalarView(scalars[start..<end])))
        }
        return result
    }

    /// Records an issue for every query that `actual` answers differently from `expected`
    /// (k = 40, and with `batch` also batched searches with k = 5).
    static func expectSameSearch(_ actual: SiftIndex, _ expected: SiftIndex, queries: [String], batch: Bool, _ context: String,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.passageCount == expected.passageCount, "\(context): passage count", sourceLocation: sourceLocation)
        #expect(actual.statistics.passageCount == expected.statistics.passageCount, "\(context)", sourceLocation: sourceLocation)
        #expect(actual.statistics.averageLexicalLength == expected.statistics.averageLexicalLength, "\(context)", sourceLocation: sourceLocation)
        #expect(actual.statistics == expected.statistics, "\(context): document frequencies", sourceLocation: sourceLocation)
        for q in queries {
            if let d = rankingDifference(actual.search(q, k: 40), expected.search(q, k: 40)) {
                Issue.record("\(context): query '\(q)' k=40: \(d)", sourceLocation: sourceLocation)
            }
        }
        guard batch else { return }
        let batchActual = actual.search(batch: queries, k: 5, threads: 2)
        let batchExpected = expected.search(batch: queries, k: 5, threads: 2)
        for (i, q) in queries.enumerated() {
            if let d = rankingDifference(batchActual[i], batchExpected[i]) {
                Issue.record("\(context): batch query '\(q)': \(d)", sourceLocation: sourceLocation)
            }
        }
    }

    /// Checks `index` against the expected final documents: contents, then search against a
    /// fresh build in the same document order (exact, ties included) and, when every
    /// passage is a stage-1 candidate, a fresh build in id order (complete rankings, ties
    /// compared in a canonical order).
    static func check(_ index: SiftIndex, expected live: [String: ChunkedDocument], model: EmbeddingModel,
                      queries: [String], thorough: Bool = true, _ context: String) throws {
        #expect(Set(index.documents.map(\.id)) == Set(live.keys), "\(context): documents")
        for (id, doc) in live {
            #expect(index.document(id: id) == doc.document, "\(context): document \(id)")
            #expect(index.passages(ofDocument: id) == doc.passages, "\(context): passages of \(id)")
        }
        let sameOrder = index.documents.compactMap { live[$0.id] }
        let fresh = try SiftIndex(model: model, documents: sameOrder, threads: 1)
        expectSameSearch(index, fresh, queries: queries, batch: thorough, context + " vs fresh build")

        if thorough && index.passageCount <= setting(model, "candidates") as! Int {
            let sorted = try SiftIndex(model: model, documents: live.values.sorted { $0.document.id < $1.document.id }, threads: 1)
            for q in queries {
                let a = canonicalRanking(index.search(q, k: 1000)), b = canonicalRanking(sorted.search(q, k: 1000))
                let same = a.count == b.count && zip(a, b).allSatisfy { $0.matches($1, tolerance: 1e-5) }
                #expect(same, "\(context) vs fresh build in id order: query '\(q)': \(a.prefix(4)) vs \(b.prefix(4))")
            }
        }
    }

    @Test("Random add / update / remove sequences search like a fresh build", arguments: 0..<sequenceCount)
    func randomSequence(sequence: Int) throws {
        let model = Self.model(for: sequence)
        var rng = SeededGenerator(seed: 0x1AC0_0000 + UInt64(sequence))
        var index = try SiftIndex(model: model)
        var live: [String: ChunkedDocument] = [:]
        var operations: [String] = []
        func context() -> String { "sequence \(sequence) (\(model.name), \(setting(model, "candidates")!) candidates) after [\(operations.joined(separator: ", "))]" }

        for step in 0..<Self.operationsPerSequence {
            let roll = Int.random(in: 0..<100, using: &rng)
            if roll < 45 || live.isEmpty {
                // Add a batch of 1–3 documents (new ids or updates; a batch may hold an id twice:
                // the later one wins).
                var batch: [ChunkedDocument] = []
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let id = Self.ids.randomElement(using: &rng)!
                    let sentences = Int.random(in: 0..<10, using: &rng) == 0 ? 0 : Int.random(in: 1...14, using: &rng)
                    batch.append(try ArticleFactory.document(id: id, kind: Self.kind(of: id), sentences: sentences, using: &rng))
                }
                if batch.count == 1 && Bool.random(using: &rng) { index.add(batch[0]) } else { index.add(contentsOf: batch, threads: 2) }
                for doc in batch { live[doc.document.id] = doc }
                operations.append("add " + batch.map { "\($0.document.id)(\($0.passages.count))" }.joined(separator: "+"))
            } else if roll < 70 {
                let id = live.keys.sorted().randomElement(using: &rng)!
                let doc = try ArticleFactory.document(id: id, kind: Self.kind(of: id), sentences: Int.random(in: 1...14, using: &rng), using: &rng)
                index.add(doc)
                live[id] = doc
                operations.append("update \(id)(\(doc.passages.count))")
            } else if roll < 92 {
                let id = live.keys.sorted().randomElement(using: &rng)!
                let removed = index.remove(documentID: id)
                #expect(removed, "\(context()): removing \(id)")
                live[id] = nil
                operations.append("remove \(id)")
            } else {
                let id = "missing/\(step).md"
                let removed = index.remove(documentID: id)
                #expect(!removed, "\(context()): removing an absent id")
                operations.append("remove absent")
            }
            // Cheap invariants after every operation.
            #expect(index.passageCount == live.values.reduce(0) { $0 + $1.passages.count }, "\(context())")
            #expect(index.statistics.passageCount == index.passageCount, "\(context())")
            #expect(index.passageIDCount == index.passageCount + index.tombstoneCount)
            if step == Self.operationsPerSequence / 2 {
                try Self.check(index, expected: live, model: model, queries: Self.queries(for: Array(live.values), using: &rng),
                               thorough: false, context())
            }
        }

        let queries = Self.queries(for: Array(live.values), using: &rng)
        try Self.check(index, expected: live, model: model, queries: queries, context())

        // write → open, compacted(), and compacted → write → open all search the same.
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("incremental.siftindex")
            try index.write(to: url)
            let opened = try SiftIndex.open(url, expectedModel: model, verification: .full)
            #expect(opened.tombstoneCount == index.tombstoneCount)
            try Self.check(opened, expected: live, model: model, queries: queries, context() + " → write → open")

            let compact = index.compacted()
            #expect(compact.tombstoneCount == 0 && compact.passageIDCount == compact.passageCount)
            try Self.check(compact, expected: live, model: model, queries: queries, context() + " → compacted")
            let few = Array(queries.prefix(6))
            let openedCompact = opened.compacted()
            try Self.check(openedCompact, expected: live, model: model, queries: few, thorough: false, context() + " → write → open → compacted")
            try compact.write(to: url)
            try Self.check(try SiftIndex.open(url, expectedModel: model), expected: live, model: model, queries: few, thorough: false,
                           context() + " → compacted → write → open")

            // An opened index keeps updating like a fresh one.
            var continued = opened
            var live2 = live
            for id in Self.ids.prefix(3) {
                let doc = try ArticleFactory.document(id: id, kind: Self.kind(of: id), sentences: 5, using: &rng)
                continued.add(doc)
                live2[id] = doc
            }
            if let victim = live2.keys.sorted().last { continued.remove(documentID: victim); live2[victim] = nil }
            try Self.check(continued, expected: live2, model: model, queries: few, thorough: false, context() + " → write → open → updates")
        }
    }

    @Test("AnswerEngine.add / remove sequences answer like an engine over a fresh build", arguments: 0..<6)
    func engineSequence(sequence: Int) throws {
        let model = Self.model(for: sequence)
        var rng = SeededGenerator(seed: 0xE9_0000 + UInt64(sequence))
        let bank = try QuestionBank(entries: [
            .init(question: "什么是监督微调？", date: "2025-01-01"), .init(question: "What is RLHF?", date: "2025-01-02"),
            .init(question: "LoRA 是什么", date: "2025-01-03"), .init(question: "How does vector search work?", date: "2025-01-04"),
        ], model: model)
        let engine = AnswerEngine(index: try SiftIndex(model: model), questions: bank)
        var live: [String: ChunkedDocument] = [:]
        for _ in 0..<Self.operationsPerSequence {
            if Int.random(in: 0..<100, using: &rng) < 65 || live.isEmpty {
                var batch: [ChunkedDocument] = []
                for _ in 0..<Int.random(in: 1...2, using: &rng) {
                    let id = Self.ids.randomElement(using: &rng)!
                    batch.append(try ArticleFactory.document(id: id, kind: Self.kind(of: id), sentences: Int.random(in: 1...12, using: &rng), using: &rng))
                }
                engine.add(batch)
                for doc in batch { live[doc.document.id] = doc }
            } else {
                let id = live.keys.sorted().randomElement(using: &rng)!
                #expect(engine.remove(documentID: id))
                #expect(!engine.remove(documentID: id))
                live[id] = nil
            }
        }
        let index = engine.index
        let queries = Self.queries(for: Array(live.values), using: &rng)
        try Self.check(index, expected: live, model: model, queries: queries, thorough: false, "engine sequence \(sequence)")
        let fresh = AnswerEngine(index: try SiftIndex(model: model, documents: index.documents.compactMap { live[$0.id] }, threads: 1),
                                 questions: bank)
        for q in Array(queries.prefix(6)) + ["什么是监督微调？", "What is RLHF?", "LoRA 是什么?", "红烧肉怎么做?"] {
            if let d = rankingDifference(engine.search(q, k: 8), fresh.search(q, k: 8)) {
                Issue.record("engine sequence \(sequence): search '\(q)': \(d)")
            }
            let a = engine.ask(q), b = fresh.ask(q)
            #expect(a == b, "engine sequence \(sequence): ask '\(q)'")
        }
        // Saving the engine writes the current snapshot.
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("engine.siftindex")
            try engine.save(to: url)
            let reopened = AnswerEngine(index: try SiftIndex.open(url, expectedModel: model), questions: bank)
            for q in ["什么是监督微调？", "What is RLHF?"] { #expect(reopened.ask(q) == fresh.ask(q)) }
        }
    }
}
