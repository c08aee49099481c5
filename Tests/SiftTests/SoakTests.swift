import Foundation
import Sift
import Testing

/// Load / soak: reader threads run mixed Chinese/English searches and questions against an
/// `AnswerEngine` while a writer applies document updates spread over the run; afterwards
/// every result is checked against a single-threaded reference on the same snapshot
/// (rebuilt by replaying the same updates), and throughput is reported.
///
/// Always on: a small variant (seconds). Full size with `SIFT_SOAK=1` (8 threads × 10,000
/// queries, 200 updates, 50,000 passages; override with SIFT_SOAK_PASSAGES, SIFT_SOAK_THREADS,
/// SIFT_SOAK_QUERIES (per thread), SIFT_SOAK_UPDATES, SIFT_SOAK_VERIFY_EVERY). Run it in
/// release: `SIFT_SOAK=1 swift test -c release --filter SoakTests` (see Tests/Hardening/README.md).
@Suite("Soak", .serialized)
struct SoakTests {
    struct Configuration {
        var passages: Int
        var threads: Int
        var queriesPerThread: Int
        var updates: Int
        var verifyEvery: Int
    }

    static var configuration: Configuration {
        let env = ProcessInfo.processInfo.environment
        func value(_ name: String, _ fallback: Int) -> Int { Int(env[name] ?? "") ?? fallback }
        if env["SIFT_SOAK"] == "1" {
            return Configuration(passages: value("SIFT_SOAK_PASSAGES", 50_000), threads: value("SIFT_SOAK_THREADS", 8),
                                 queriesPerThread: value("SIFT_SOAK_QUERIES", 10_000), updates: value("SIFT_SOAK_UPDATES", 200),
                                 verifyEvery: value("SIFT_SOAK_VERIFY_EVERY", 1))
        }
        return Configuration(passages: 1_000, threads: 8, queriesPerThread: 8, updates: 4, verifyEvery: 1)
    }

    /// Synthetic documents of 5 passages each; a passage is 2–4 corpus sentences of one
    /// language (or, for a tenth of the documents, both).
    static func syntheticDocuments(passages: Int, prefix: String, using rng: inout SeededGenerator) -> [ChunkedDocument] {
        var documents: [ChunkedDocument] = []
        var made = 0
        while made < passages {
            let roll = Int.random(in: 0..<20, using: &rng)
            let kind: TextKind = roll < 9 ? .zh : roll < 18 ? .en : .mixed
            let id = "\(prefix)/\(documents.count).md"
            var list: [Passage] = []
            var offset = 0
            for ordinal in 0..<min(5, passages - made) {
                let text = (0..<Int.random(in: 2...4, using: &rng)).map { _ in ArticleFactory.sentence(kind, using: &rng) }
                    .joined(separator: kind == .zh ? "" : " ")
                let length = text.unicodeScalars.count
                list.append(Passage(documentID: id, ordinal: ordinal, text: text, start: offset, end: offset + length))
                offset += length + 2
            }
            made += list.count
            let document = Document(id: id, title: "Synthetic \(documents.count)", source: id, language: kind == .en ? "en" : "zh",
                                    contentHash: rng.next())
            documents.append(ChunkedDocument(document: document, passages: list))
        }
        return documents
    }

    /// Queries: the bundled question bank, the hardening queries, and fragments of
    /// sentences (dataset-like text), a fixed pool so that queries repeat.
    static func queryPool(using rng: inout SeededGenerator) throws -> [String] {
        var pool = try QuestionBank(contentsOf: TestPaths.corpus.appendingPathComponent("questions.jsonl")).entries.map(\.question)
        pool += hardeningQueries
        for i in 0..<240 {
            let sentence = ArticleFactory.sentence(i % 2 == 0 ? .zh : .en, using: &rng)
            if sentence.containsCJK {
                let scalars = Array(sentence.unicodeScalars)
                let start = Int.random(in: 0..<max(1, scalars.count - 4), using: &rng)
                pool.append(String(String.UnicodeScalarView(scalars[start..<min(scalars.count, start + Int.random(in: 4...16, using: &rng))])))
            } else {
                let words = sentence.split(separator: " ")
                let start = Int.random(in: 0..<max(1, words.count - 3), using: &rng)
                pool.append(words[start..<min(words.count, start + Int.random(in: 2...10, using: &rng))].joined(separator: " "))
            }
        }
        return pool
    }

    enum Update { case add(ChunkedDocument), remove(String) }

    struct Call: Hashable { var query: String; var k: Int; var ask: Bool }

    struct Record {
        var call: Call
        var digest: Int
        var firstVersion: Int
        var lastVersion: Int
    }

    static func digest(_ hits: [SearchHit]) -> Int {
        var h = Hasher()
        h.combine(hits.count)
        for hit in hits {
            h.combine(hit.passageID); h.combine(hit.score.bitPattern); h.combine(hit.passage); h.combine(hit.document.id)
        }
        return h.finalize()
    }

    static func digest(_ answer: Answer) -> Int {
        var h = Hasher()
        h.combine(answer)
        return h.finalize()
    }

    static func apply(_ update: Update, to index: inout SiftIndex) {
        switch update {
        case .add(let doc): index.add(contentsOf: [doc], threads: 1)
        case .remove(let id): index.remove(documentID: id)
        }
    }

    @Test("Readers on 8 threads during updates: every result equals the single-threaded reference on its snapshot")
    func soak() throws {
        let config = Self.configuration
        var rng = SeededGenerator(seed: 0x50A4)
        let documents = Self.syntheticDocuments(passages: config.passages, prefix: "syn", using: &rng)
        let (base, buildSeconds) = try measure { try SiftIndex(documents: documents, threads: 0) }
        let bank = try QuestionBank(contentsOf: TestPaths.corpus.appendingPathComponent("questions.jsonl"))
        let engine = AnswerEngine(index: base, questions: bank)
        let pool = try Self.queryPool(using: &rng)

        // The updates: add new documents, replace existing ones (same id, new text), remove some.
        var updates: [Update] = []
        for i in 0..<config.updates {
            switch i % 4 {
            case 0, 1: updates.append(.add(Self.syntheticDocuments(passages: 5, prefix: "new\(i)", using: &rng)[0]))
            case 2:
                var doc = Self.syntheticDocuments(passages: Int.random(in: 1...5, using: &rng), prefix: "x", using: &rng)[0]
                let id = documents.randomElement(using: &rng)!.document.id
                doc.document.id = id; doc.document.source = id
                doc.passages = doc.passages.map { var p = $0; p.documentID = id; return p }
                updates.append(.add(doc))
            default: updates.append(.remove(documents.randomElement(using: &rng)!.document.id))
            }
        }

        let version = Locked(0)
        let completed = Locked(0)
        let totalQueries = config.threads * config.queriesPerThread
        let recordsByThread = Locked<[Int: [Record]]>([:])
        let seeds = (0..<config.threads).map { _ in rng.next() }
        let sharedUpdates = updates
        let ((), seconds) = measure {
            runOnThreads(config.threads + 1) { thread in
                if thread == config.threads {
                    // The writer: update i once (i+1)/(updates+1) of the queries are done.
                    for (i, update) in sharedUpdates.enumerated() {
                        let due = (i + 1) * totalQueries / (sharedUpdates.count + 1)
                        while completed.current < due { usleep(200) }
                        switch update {
                        case .add(let doc): engine.add([doc])
                        case .remove(let id): engine.remove(documentID: id)
                        }
                        version.withLock { $0 += 1 }
                    }
                    return
                }
                var local = SeededGenerator(seed: seeds[thread])
                var records: [Record] = []
                records.reserveCapacity(config.queriesPerThread)
                for _ in 0..<config.queriesPerThread {
                    let call = Call(query: pool.randomElement(using: &local)!, k: Int.random(in: 1...20, using: &local),
                                    ask: Int.random(in: 0..<5, using: &local) == 0)
                    let first = version.current
                    let d = call.ask ? Self.digest(engine.ask(call.query)) : Self.digest(engine.search(call.query, k: call.k))
                    let last = version.current
                    records.append(Record(call: call, digest: d, firstVersion: first, lastVersion: min(last + 1, sharedUpdates.count)))
                    completed.withLock { $0 += 1 }
                }
                recordsByThread.withLock { $0[thread] = records }
            }
        }
        #expect(version.current == config.updates)

        // Single-threaded reference: replay the updates on a copy of the base index and,
        // at each version, recompute the calls whose window includes it.
        let all = recordsByThread.current.values.flatMap { $0 }
        var pending = all.enumerated().filter { $0.offset % config.verifyEvery == 0 }.map(\.element).sorted { $0.firstVersion < $1.firstVersion }
        let verified = pending.count
        var reference = base
        let composer = try AnswerComposer()
        var active: [Record] = []
        var next = 0
        var mismatches: [String] = []
        let (_, verifySeconds) = measure {
            for v in 0...updates.count {
                if v > 0 { Self.apply(updates[v - 1], to: &reference) }
                while next < pending.count && pending[next].firstVersion == v { active.append(pending[next]); next += 1 }
                var cache: [Call: Int] = [:]
                var still: [Record] = []
                for record in active {
                    let expected = cache[record.call] ?? (record.call.ask ? Self.digest(composer.answer(record.call.query, index: reference, questions: bank))
                                                                          : Self.digest(reference.search(record.call.query, k: record.call.k)))
                    cache[record.call] = expected
                    if expected == record.digest { continue }
                    if record.lastVersion > v { still.append(record) } else {
                        mismatches.append("\(record.call.ask ? "ask" : "search k=\(record.call.k)") '\(record.call.query)' (versions \(record.firstVersion)...\(record.lastVersion))")
                    }
                }
                active = still
            }
        }
        pending = []
        #expect(mismatches.isEmpty, "\(mismatches.count) results match no snapshot: \(mismatches.prefix(5))")
        let final = engine.index
        #expect(final.passageCount == reference.passageCount && final.statistics == reference.statistics)

        hardeningReport(String(format: "soak: %d passages built in %.2f s (%.0f passages/s); %d threads × %d queries (%d%% ask) during %d updates "
                               + "in %.2f s = %.0f queries/s; %d results verified against the single-threaded reference in %.2f s; %d mismatches",
                               config.passages, buildSeconds, Double(config.passages) / buildSeconds, config.threads, config.queriesPerThread,
                               all.isEmpty ? 0 : 100 * all.filter(\.call.ask).count / all.count, config.updates,
                               seconds, Double(all.count) / seconds, verified, verifySeconds, mismatches.count))
    }
}
