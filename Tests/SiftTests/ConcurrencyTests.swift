import Foundation
import Sift
import Testing

/// Concurrent readers (`AnswerEngine.ask` / `search`) while writers add and remove
/// documents: no crash, no lost update, and every result is exactly what one of the
/// snapshots the writers published answers. Meant to run clean under ThreadSanitizer:
/// `swift test --sanitize=thread --filter ConcurrencyTests` (see Tests/Hardening/README.md).
@Suite("Concurrency")
struct ConcurrencyTests {
    static let environment = ProcessInfo.processInfo.environment
    /// Scales the amount of work (SIFT_CONCURRENCY_SCALE, default 1).
    static var scale: Int { max(1, Int(environment["SIFT_CONCURRENCY_SCALE"] ?? "") ?? 1) }

    static let model: EmbeddingModel = {
        // 24 candidates, so that stage 1 cuts, and results depend on the snapshot's vectors.
        variant(smallModel(seed: 0xC0C0), ["candidates": 24])
    }()

    static func initialDocuments() throws -> [ChunkedDocument] {
        var rng = SeededGenerator(seed: 0xC0)
        var docs = try sampleDocuments()
        for i in 0..<16 {
            docs.append(try ArticleFactory.document(id: "doc\(i).md", kind: TextKind.allCases[i % 3], sentences: 8, using: &rng))
        }
        return docs
    }

    static let bank: QuestionBank = try! QuestionBank(entries: [
        .init(question: "什么是监督微调？", date: "2025-01-01"), .init(question: "What is RLHF?", date: "2025-01-02"),
        .init(question: "检索增强生成是什么", date: "2025-01-03"),
    ], model: model)

    static let questions = ["什么是监督微调？", "What is RLHF?", "检索增强生成", "swimming pool", "reward model 奖励模型", "LoRA",
                            "tokenization 分词", "红烧肉怎么做?", "vector search"]

    enum Call: Sendable { case search(String, Int), ask(String) }
    enum Outcome: Sendable, Equatable { case hits([SearchHit]), answer(Answer) }

    /// One reader call and the range of published snapshots it may have used.
    struct Record: Sendable {
        var call: Call
        var outcome: Outcome
        var firstSnapshot: Int
        var lastSnapshot: Int
    }

    static func perform(_ call: Call, engine: AnswerEngine) -> Outcome {
        switch call {
        case .search(let q, let k): .hits(engine.search(q, k: k))
        case .ask(let q): .answer(engine.ask(q))
        }
    }

    static func expected(_ call: Call, snapshot: SiftIndex, composer: AnswerComposer) -> Outcome {
        switch call {
        case .search(let q, let k): .hits(snapshot.search(q, k: k))
        case .ask(let q): .answer(composer.answer(q, index: snapshot, questions: bank))
        }
    }

    @Test("8 readers while 2 writers add, update and remove: every result is exactly one published snapshot's")
    func readersAndWriters() throws {
        let engine = AnswerEngine(index: try SiftIndex(model: Self.model, documents: Self.initialDocuments(), threads: 2), questions: Self.bank)
        // Writers publish under this lock: change the engine, then record its snapshot.
        let snapshots = Locked<[SiftIndex]>([engine.index])
        let publish = NSLock()
        let records = Locked<[Record]>([])
        let writersDone = Locked(0)
        let writerCount = 2, readerCount = 8
        let operationsPerWriter = 10 * Self.scale
        let minimumCallsPerReader = 6 * Self.scale

        runOnThreads(writerCount + readerCount) { thread in
            if thread < writerCount {
                var rng = SeededGenerator(seed: 0xA11CE + UInt64(thread))
                for op in 0..<operationsPerWriter {
                    let id = "doc\(Int.random(in: 0..<20, using: &rng)).md"
                    let remove = op % 4 == 3
                    let doc = remove ? nil : try! ArticleFactory.document(id: id, kind: TextKind.allCases.randomElement(using: &rng)!,
                                                                          sentences: Int.random(in: 1...10, using: &rng), using: &rng)
                    publish.lock()
                    if let doc { engine.add([doc]) } else { engine.remove(documentID: id) }
                    let snapshot = engine.index
                    snapshots.withLock { $0.append(snapshot) }
                    publish.unlock()
                }
                writersDone.withLock { $0 += 1 }
            } else {
                var rng = SeededGenerator(seed: 0xBEEF + UInt64(thread))
                var calls = 0
                while calls < minimumCallsPerReader || writersDone.current < writerCount {
                    let q = Self.questions.randomElement(using: &rng)!
                    let call: Call = Bool.random(using: &rng) ? .ask(q) : .search(q, Int.random(in: 1...12, using: &rng))
                    let first = snapshots.withLock { $0.count - 1 }
                    let outcome = Self.perform(call, engine: engine)
                    // The writer holding `publish` may have swapped its index in already.
                    let last = snapshots.withLock { $0.count }
                    records.withLock { $0.append(Record(call: call, outcome: outcome, firstSnapshot: first, lastSnapshot: last)) }
                    calls += 1
                }
            }
        }

        // Every outcome must be what some snapshot in its window answers.
        let published = snapshots.current
        #expect(published.count == writerCount * operationsPerWriter + 1)
        let composer = try AnswerComposer()
        var cache: [String: Outcome] = [:]
        var inconsistent = 0
        let all = records.current
        for record in all {
            let window = record.firstSnapshot...min(record.lastSnapshot, published.count - 1)
            let match = window.contains { j in
                let key = "\(j)|\(record.call)"
                let expected = cache[key] ?? Self.expected(record.call, snapshot: published[j], composer: composer)
                cache[key] = expected
                return expected == record.outcome
            }
            if !match {
                inconsistent += 1
                Issue.record("\(record.call) matches no snapshot in \(window)")
            }
            // Every passage returned is a passage its document had in a published version.
            if case .hits(let hits) = record.outcome {
                for hit in hits {
                    #expect(window.contains { published[$0].passages(ofDocument: hit.document.id).contains(hit.passage) },
                            "\(hit.document.id)#\(hit.passage.ordinal)")
                }
            }
        }
        let final = engine.index
        #expect(final.documents == published.last!.documents)
        hardeningReport("concurrency: \(all.count) reader calls by \(readerCount) threads during \(published.count - 1) updates by \(writerCount) threads; "
                        + "\(inconsistent) inconsistent with every snapshot in their window")
    }

    @Test("Concurrent writers never lose each other's updates, while readers ask")
    func noLostUpdates() throws {
        let engine = AnswerEngine(index: try SiftIndex(model: Self.model, documents: sampleDocuments(), threads: 1), questions: Self.bank)
        let writers = 4, perWriter = 6 * Self.scale
        let done = Locked(0)
        runOnThreads(writers + 4) { thread in
            if thread < writers {
                var rng = SeededGenerator(seed: 0x10 + UInt64(thread))
                for i in 0..<perWriter {
                    let doc = try! ArticleFactory.document(id: "w\(thread)/\(i).md", kind: TextKind.allCases[thread % 3], sentences: 4, using: &rng)
                    if i % 2 == 0 { engine.add([doc]) } else { engine.add([doc, try! ArticleFactory.document(id: "w\(thread)/extra\(i).md", kind: .en, sentences: 2, using: &rng)]) }
                    if i % 3 == 2 { #expect(engine.remove(documentID: "w\(thread)/\(i - 1).md")) }
                }
                done.withLock { $0 += 1 }
            } else {
                while done.current < writers {
                    let a = engine.ask(Self.questions[thread % Self.questions.count])
                    for s in (a.lead.map { [$0] } ?? []) + a.points {
                        for c in s.citations { #expect(a.references[c - 1].passage.contains(s.text)) }
                    }
                }
            }
        }
        var expected = Set(try sampleDocuments().map(\.document.id))
        for t in 0..<writers {
            for i in 0..<perWriter {
                expected.insert("w\(t)/\(i).md")
                if i % 2 == 1 { expected.insert("w\(t)/extra\(i).md") }
                if i % 3 == 2 { expected.remove("w\(t)/\(i - 1).md") }
            }
        }
        let index = engine.index
        #expect(Set(index.documents.map(\.id)) == expected)
        #expect(index.statistics.passageCount == index.passageCount)
        let fresh = try SiftIndex(model: Self.model, documents: index.documents.map { ChunkedDocument(document: $0, passages: index.passages(ofDocument: $0.id)) }, threads: 1)
        #expect(fresh.statistics == index.statistics, "statistics after concurrent updates equal a fresh build's")
    }

    @Test("A frozen snapshot answers identically on 8 threads at once")
    func frozenSnapshotIsDeterministic() throws {
        let index = try SiftIndex(model: Self.model, documents: Self.initialDocuments(), threads: 2)
        let engine = AnswerEngine(index: index, questions: Self.bank)
        let referenceSearch = Self.questions.map { index.search($0, k: 10) }
        let referenceAnswers = Self.questions.map { engine.ask($0) }
        let referenceBatch = index.search(batch: Self.questions, k: 10, threads: 1)
        let mismatches = Locked(0)
        runOnThreads(8) { thread in
            for round in 0..<(2 * Self.scale) {
                for (i, q) in Self.questions.enumerated() where (i + round + thread) % 2 == 0 {
                    if index.search(q, k: 10) != referenceSearch[i] { mismatches.withLock { $0 += 1 } }
                    if engine.ask(q) != referenceAnswers[i] { mismatches.withLock { $0 += 1 } }
                }
                let batch = index.search(batch: Self.questions, k: 10, threads: 2)
                for i in batch.indices where batch[i].map(\.passageID) != referenceBatch[i].map(\.passageID) || batch[i].map(\.score) != referenceBatch[i].map(\.score) {
                    mismatches.withLock { $0 += 1 }
                }
            }
        }
        #expect(mismatches.current == 0)
    }

    @Test("Copies of an index updated on different threads stay independent (copy-on-write)")
    func copyOnWrite() throws {
        let base = try SiftIndex(model: Self.model, documents: Self.initialDocuments(), threads: 1)
        let reference = Self.questions.map { base.search($0, k: 8) }
        let results = Locked<[Int: [String]]>([:])
        runOnThreads(6) { thread in
            var copy = base
            var rng = SeededGenerator(seed: 0xC0 + UInt64(thread))
            for i in 0..<3 {
                copy.add(try! ArticleFactory.document(id: "t\(thread)-\(i).md", kind: .mixed, sentences: 5, using: &rng))
                copy.remove(documentID: "doc\((thread + i) % 16).md")
            }
            _ = copy.compacted()
            results.withLock { $0[thread] = copy.documents.map(\.id) }
            // The shared original is untouched.
            for (i, q) in Self.questions.enumerated() where base.search(q, k: 8) != reference[i] {
                Issue.record("thread \(thread): the original changed for '\(q)'")
            }
        }
        for (thread, ids) in results.current {
            #expect(ids.filter { $0.hasPrefix("t") && $0.contains("-") }.sorted() == (0..<3).map { "t\(thread)-\($0).md" }.sorted())
            #expect(!ids.contains { $0.hasPrefix("t") && $0.contains("-") && !$0.hasPrefix("t\(thread)-") })
        }
        #expect(base.documents.count == (try Self.initialDocuments()).count)
    }
}

/// A deliberate data race, run only with SIFT_TSAN_CANARY=1: under
/// `swift test --sanitize=thread --filter TSanCanary` ThreadSanitizer must report it, which
/// shows that a clean ConcurrencyTests run means something.
@Suite("TSan canary")
struct TSanCanary {
    final class Unsafe: @unchecked Sendable { var value = 0 }

    @Test("A deliberate race (negative control for ThreadSanitizer)",
          .enabled(if: ProcessInfo.processInfo.environment["SIFT_TSAN_CANARY"] == "1"))
    func race() {
        let shared = Unsafe()
        runOnThreads(2) { _ in for _ in 0..<1000 { shared.value += 1 } }
        #expect(shared.value > 0)
    }
}
