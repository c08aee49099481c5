import Foundation
@_spi(Benchmarks) import Sift
import Testing

/// Warnings and progress events collected from the engine's callbacks.
final class EngineLog: @unchecked Sendable {
    private let lock = NSLock()
    private var _warnings: [CorpusWarning] = []
    private var _events: [IndexingEvent] = []
    var warnings: [CorpusWarning] { lock.lock(); defer { lock.unlock() }; return _warnings }
    var events: [IndexingEvent] { lock.lock(); defer { lock.unlock() }; return _events }

    func options(_ base: AnswerEngine.Options = AnswerEngine.Options()) -> AnswerEngine.Options {
        var o = base
        o.onWarning = { w in self.lock.lock(); self._warnings.append(w); self.lock.unlock() }
        o.progress = { e in self.lock.lock(); self._events.append(e); self.lock.unlock() }
        return o
    }
}

private func writeArticles(_ articles: [(String, String)], in corpus: URL) throws {
    for (name, text) in articles { try write(text, to: corpus.appendingPathComponent(name)) }
}

private let gardenArticles: [(String, String)] = [
    ("en/roses.md", "---\ntitle: Roses\ndate: 2024-03-01\ntags: [garden, flowers]\n---\n# Roses\n\nRoses need six hours of sun and deep watering once a week.\n"),
    ("en/tomatoes.md", "---\ntitle: Tomatoes\ndate: 2025-06-10\ntags: [garden, vegetables]\n---\n# Tomatoes\n\nTomatoes are staked and watered at the base to keep the leaves dry.\n"),
    ("zh/月季.md", "---\ntitle: 月季\ndate: 2025-01-05\ntags: [花卉]\nlanguage: zh\n---\n# 月季\n\n月季每天需要六小时日照，每周深浇一次水。\n"),
]

@Suite("AnswerEngine: cache, updates, filters, settings")
struct EngineTests {
    @Test("The second start opens the cache; an edited article is applied without a rebuild")
    func cacheAndIncrementalUpdate() throws {
        try withTemporaryDirectory { dir in
            let corpus = dir.appendingPathComponent("wiki")
            try writeArticles(gardenArticles, in: corpus)
            let log1 = EngineLog()
            let first = try AnswerEngine(corpus: corpus, options: log1.options())
            let cacheFile = dir.appendingPathComponent(".sift-cache/wiki.siftindex")
            #expect(first.lastUpdate?.rebuilt == true)
            #expect(first.lastUpdate?.cacheFile?.path == cacheFile.path)
            #expect(FileManager.default.fileExists(atPath: cacheFile.path))
            #expect(log1.events.contains { if case .started(3, false) = $0 { true } else { false } })

            let log2 = EngineLog()
            let second = try AnswerEngine(corpus: corpus, options: log2.options())
            #expect(second.lastUpdate?.cacheHit == true)
            #expect(log2.events.isEmpty, "a cache hit does no indexing work")
            #expect(second.search("deep watering roses").first?.document.id == "en/roses.md")

            // Edit one article, delete another, add a third.
            try write("# Tomatoes\n\nTomatoes ripen faster when the nights are warm and the soil is mulched.\n",
                      to: corpus.appendingPathComponent("en/tomatoes.md"))
            try FileManager.default.removeItem(at: corpus.appendingPathComponent("en/roses.md"))
            try write("# Basil\n\nBasil is pinched above a leaf pair so that it branches.\n", to: corpus.appendingPathComponent("en/basil.md"))
            let third = try AnswerEngine(corpus: corpus)
            let u = try #require(third.lastUpdate)
            #expect(!u.rebuilt && !u.cacheHit)
            #expect(u.changed == 1 && u.removed == 1 && u.added == 1 && u.unchanged == 1)
            #expect(third.search("nights warm soil mulched").first?.document.id == "en/tomatoes.md")
            #expect(third.index.document(id: "en/roses.md") == nil)
            #expect(third.index.tombstoneCount > 0, "changed and removed passages are tombstones, not a rebuild")

            // The updated cache equals a fresh build of the same folder.
            var fresh = AnswerEngine.Options()
            fresh.cache = .none
            let rebuilt = try AnswerEngine(corpus: corpus, options: fresh)
            for q in ["tomatoes nights", "basil branches", "月季 日照"] {
                #expect(third.search(q).map(\.passage.text) == rebuilt.search(q).map(\.passage.text))
                #expect(third.search(q).map(\.score) == rebuilt.search(q).map(\.score))
            }
        }
    }

    @Test("refresh() applies changes of the folder while the engine runs")
    func refresh() throws {
        try withTemporaryDirectory { dir in
            let corpus = dir.appendingPathComponent("wiki")
            try writeArticles(gardenArticles, in: corpus)
            let engine = try AnswerEngine(corpus: corpus)
            let snapshot = engine.index
            #expect(try engine.refresh().cacheHit)
            try write("# Mint\n\nMint spreads by runners and is best kept in a pot.\n", to: corpus.appendingPathComponent("en/mint.md"))
            let u = try engine.refresh()
            #expect(u.added == 1 && !u.rebuilt)
            #expect(engine.search("mint runners pot").first?.document.id == "en/mint.md")
            #expect(snapshot.document(id: "en/mint.md") == nil)
            // The refreshed state was saved: a new engine starts from a cache hit.
            #expect(try AnswerEngine(corpus: corpus).lastUpdate?.cacheHit == true)
            // An engine over an index file cannot refresh.
            let file = dir.appendingPathComponent("saved.siftindex")
            try engine.save(to: file)
            let readOnly = try AnswerEngine(indexFile: file)
            #expect(throws: SiftError.self) { try readOnly.refresh() }
        }
    }

    @Test("No cache writes nothing; a damaged cache is rebuilt; an unwritable one is skipped with a warning")
    func cacheProblems() throws {
        try withTemporaryDirectory { dir in
            let corpus = dir.appendingPathComponent("wiki")
            try writeArticles(gardenArticles, in: corpus)
            var none = AnswerEngine.Options()
            none.cache = .none
            _ = try AnswerEngine(corpus: corpus, options: none)
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".sift-cache").path))

            let cacheFile = dir.appendingPathComponent("cache/wiki.siftindex")
            var custom = AnswerEngine.Options()
            custom.cache = .file(cacheFile)
            _ = try AnswerEngine(corpus: corpus, options: custom)
            try Data("this is not an index".utf8).write(to: cacheFile)
            let log = EngineLog()
            let healed = try AnswerEngine(corpus: corpus, options: log.options(custom))
            #expect(healed.lastUpdate?.rebuilt == true)
            #expect(log.warnings.contains { $0.kind == .cacheRebuilt && $0.path == cacheFile.path })
            #expect(try AnswerEngine(corpus: corpus, options: custom).lastUpdate?.cacheHit == true)

            // A cache path under a regular file cannot be created.
            try write("x", to: dir.appendingPathComponent("blocker"))
            var blocked = AnswerEngine.Options()
            blocked.cache = .file(dir.appendingPathComponent("blocker/wiki.siftindex"))
            let log2 = EngineLog()
            let engine = try AnswerEngine(corpus: corpus, options: log2.options(blocked))
            #expect(log2.warnings.contains { $0.kind == .cacheNotSaved })
            #expect(engine.search("roses sun").first?.document.id == "en/roses.md")
        }
    }

    @Test("Skipped articles are reported as warnings that name the file")
    func skippedArticleWarnings() throws {
        try withTemporaryDirectory { dir in
            let corpus = dir.appendingPathComponent("wiki")
            try writeArticles(gardenArticles, in: corpus)
            try Data([0xFF, 0xFE, 0x00, 0xC3]).write(to: corpus.appendingPathComponent("broken.md"))
            let log = EngineLog()
            _ = try AnswerEngine(corpus: corpus, options: log.options())
            #expect(log.warnings.contains { $0.kind == .skippedArticle && $0.path == "broken.md" })
        }
    }

    @Test("The async API opens, asks and refreshes")
    func asyncAPI() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sift-async-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("wiki")
        try writeArticles(gardenArticles, in: corpus)
        let engine = try await AnswerEngine.open(corpus: corpus)
        let answer = await engine.ask("How often should roses be watered?")
        #expect(answer.answered)
        #expect(answer.references.first?.source == "en/roses.md")
        let u = try await engine.refresh()
        #expect(u.cacheHit)
    }

    @Test("Filters by language, tag, source prefix and date")
    func filters() throws {
        try withTemporaryDirectory { dir in
            let corpus = dir.appendingPathComponent("wiki")
            try writeArticles(gardenArticles, in: corpus)
            let engine = try AnswerEngine(corpus: corpus)
            let q = "watering sun 日照 浇水"
            #expect(Set(engine.search(q, filter: SearchFilter(languages: ["zh"])).map(\.document.id)) == ["zh/月季.md"])
            #expect(Set(engine.search(q, filter: SearchFilter(tags: ["FLOWERS"])).map(\.document.id)) == ["en/roses.md"])
            #expect(Set(engine.search(q, filter: SearchFilter(sourcePrefixes: ["en/"])).map(\.document.id)).isSubset(of: ["en/roses.md", "en/tomatoes.md"]))
            // 月季 (2025-01) through the translation: watered → water → 浇水 / 水.
            #expect(Set(engine.search("watered", filter: SearchFilter(since: "2025")).map(\.document.id)) == ["en/tomatoes.md", "zh/月季.md"])
            let untranslated = SearchSettings(translate: false)
            #expect(Set(engine.index.search("watered", filter: SearchFilter(since: "2025"), settings: untranslated).map(\.document.id)) == ["en/tomatoes.md"])
            #expect(Set(engine.search("watering watered", filter: SearchFilter(until: "2024-12-31")).map(\.document.id)) == ["en/roses.md"])
            #expect(engine.search(q, filter: SearchFilter(languages: ["fr"])).isEmpty)
            let zh = engine.ask("月季多久浇一次水", filter: SearchFilter(languages: ["zh"]))
            #expect(zh.references.allSatisfy { $0.source == "zh/月季.md" })
            #expect(throws: SiftError.self) { try SearchFilter(since: "last week").validate() }
        }
    }

    @Test("A filtered search equals a brute-force search over the matching documents", arguments: [
        SearchFilter(languages: ["zh"]), SearchFilter(languages: ["en"]), SearchFilter(tags: ["rlhf", "dpo"]),
        SearchFilter(sourcePrefixes: ["zh/sft", "en/lora"]), SearchFilter(since: "2026-11-25", until: "2026-11-25"),
    ])
    func filteredEqualsBruteForce(filter: SearchFilter) throws {
        let index = try Shared.corpusIndex.get()
        let everything = SearchSettings(candidates: index.passageIDCount)
        for q in ["什么是sft?", "What is RLHF?", "LoRA rank", "向量检索 精确搜索", "reward model preference data"] {
            let filtered = index.search(q, k: 10, filter: filter)
            #expect(filtered.allSatisfy { filter.matches($0.document) })
            // Reference: every passage re-scored exactly, then the filter applied.
            let reference = index.search(q, k: index.passageIDCount, settings: everything).filter { filter.matches($0.document) }.prefix(10)
            #expect(filtered.map(\.passageID) == reference.map(\.passageID), "query \(q)")
        }
    }

    @Test("A narrow filter is not starved by the candidate count")
    func filterIsNotStarved() throws {
        // 3,000 passages about one topic and one document about another: the filter keeps
        // only that document, whose passages are far outside an unfiltered top 50.
        let loader = CorpusLoader()
        var docs: [ChunkedDocument] = []
        for i in 0..<300 {
            let body = (0..<10).map { j in "Pruning apple trees in winter, note \(i)-\(j), keeps the orchard healthy." }.joined(separator: "\n\n")
            docs.append(try loader.article(text: "# Orchard \(i)\n\n\(body)", id: "orchard/\(i).md"))
        }
        docs.append(try loader.article(text: "# Bees\n\nBees visit apple blossoms in spring.\n\nA hive needs water nearby.", id: "bees.md"))
        let index = try SiftIndex(documents: docs, threads: 2)
        let settings = SearchSettings(candidates: 50)
        let hits = index.search("pruning apple trees winter", k: 2, filter: SearchFilter(sourcePrefixes: ["bees"]), settings: settings)
        #expect(!hits.isEmpty && hits.count == index.passages(ofDocument: "bees.md").count)
        #expect(hits.allSatisfy { $0.document.id == "bees.md" })
        #expect(!index.search("pruning apple trees winter", k: 50, settings: settings).contains { $0.document.id == "bees.md" },
                "unfiltered, the document is outside the candidates")
    }

    @Test("Search settings change results without re-indexing; bad values are rejected")
    func settings() throws {
        let index = try Shared.corpusIndex.get()
        let q = "How does LoRA reduce the number of trainable parameters?"
        let lexical = index.search(q, k: 5, settings: SearchSettings(lexicalWeight: 1))
        let dense = index.search(q, k: 5, settings: SearchSettings(lexicalWeight: 0))
        #expect(lexical.allSatisfy { abs($0.score - $0.lexicalScore) < 1e-6 })
        #expect(dense.allSatisfy { abs($0.score - $0.cosineScore) < 1e-6 })
        // With as many candidates as results, the results are the stage-1 best, re-ordered.
        let narrow = SearchSettings(candidates: 5)
        #expect(Set(index.search(q, k: 5, settings: narrow).map(\.document.id)).isSubset(of: Set(index.candidates(for: q, settings: narrow))))
        #expect(index.search(q, k: 5) == index.search(q, k: 5, settings: SearchSettings(candidates: 400, lexicalWeight: 0.5)))
        for bad in [SearchSettings(candidates: 0), SearchSettings(lexicalWeight: 1.5), SearchSettings(lexicalWeight: .nan)] {
            #expect(throws: SiftError.self) { try bad.validate() }
            var options = AnswerEngine.Options()
            options.search = bad
            #expect(throws: SiftError.self) { _ = try AnswerEngine(indexFile: URL(fileURLWithPath: "/nonexistent"), options: options) }
        }
    }
}
