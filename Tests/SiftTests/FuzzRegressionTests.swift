import Foundation
import Sift
import Testing

/// The fuzz targets of `Tests/Fuzz` (libFuzzer, see Tests/Hardening/README.md), replayed
/// in-process on their committed corpus (`Tests/Fuzz/corpus/<target>/`), and the inputs of
/// past findings (`Tests/Fuzz/regressions/<target>/`) each in a child process (exit tests),
/// with the same checks as the harnesses (the chunker's trimming check included). `SIFT_WRITE_FUZZ_SEEDS=1` (re)writes the generated seed files.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let fuzzRoot = TestPaths.packageRoot.appendingPathComponent("Tests/Fuzz")
    static let targets = ["FuzzIndexFile", "FuzzMarkdown", "FuzzChunker", "FuzzEmbedder"]

    /// The committed inputs of `target`: its corpus and its regressions.
    static func inputs(_ target: String, folders: [String] = ["corpus", "regressions"]) -> [(name: String, bytes: [UInt8])] {
        var result: [(String, [UInt8])] = []
        for folder in folders {
            let dir = fuzzRoot.appendingPathComponent("\(folder)/\(target)")
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
            for name in names {
                if let data = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path) { result.append(("\(folder)/\(name)", [UInt8](data))) }
            }
        }
        return result
    }

    // MARK: - The harnesses' checks (each returns what it found wrong)

    /// FuzzIndexFile: repair (header byte 28 bit 0), open (`.lazy` when header byte 29 bit 0
    /// is set, else `.full`), use; typed errors must name the file.
    static func indexFile(_ input: [UInt8], in dir: URL) throws -> [String] {
        var bytes = input
        if bytes.count > 28, bytes[28] & 1 == 1, bytes.count >= 4096, bytes.starts(with: Array("SIFTIDX".utf8) + [0]) {
            var file = IndexFileBytes(bytes)
            if let model = file.sections.first(where: { $0.kind == 6 }), model.range.lowerBound >= 4096, model.range.upperBound <= bytes.count,
               let decoded = try? JSONDecoder().decode(EmbeddingModel.self, from: Data(bytes[model.range])) {
                file.setU64(decoded.fingerprint, at: 16)
            }
            file.sections = file.sections.filter { $0.range.lowerBound >= 4096 && $0.range.upperBound <= bytes.count }
            file.fixAllChecksums()
            bytes = file.bytes
        }
        let url = dir.appendingPathComponent("input.siftindex")
        try Data(bytes).write(to: url)
        let verification: IndexVerification = bytes.count > 29 && bytes[29] & 1 == 1 ? .lazy : .full
        let index: SiftIndex
        do throws(SiftError) {
            index = try SiftIndex.open(url, expectedModel: nil, verification: verification)
        } catch {
            return error.description.contains(url.path) ? [] : ["the error does not name the file: \(error)"]
        }
        for q in ["监督微调 sft", "the retrieval of passages", "RLHF"] { _ = index.search(q, k: 5) }
        _ = index.search(batch: ["检索", "reward"], k: 3, threads: 1)
        _ = AnswerEngine(index: index).ask("什么是sft?")
        var changed = index
        if let first = index.documents.first { changed.remove(documentID: first.id) }
        changed.add(try CorpusLoader().article(text: "# Extra\n\nAn extra article about 监督微调 and retrieval.", id: "extra.md"))
        let compact = changed.compacted()
        _ = compact.search("retrieval", k: 3)
        let resaved = dir.appendingPathComponent("resaved.siftindex")
        if (try? compact.write(to: resaved)) != nil { _ = try? SiftIndex.open(resaved, expectedModel: nil) }
        return []
    }

    static func passageProblems(_ passages: [Passage], documentID: String, maxCharacters: Int, sourceCount: Int) -> [String] {
        var problems: [String] = []
        for (i, p) in passages.enumerated() {
            let length = p.text.unicodeScalars.count
            if length > maxCharacters { problems.append("passage \(i) has \(length) > \(maxCharacters) characters") }
            if p.ordinal != i || p.documentID != documentID { problems.append("passage \(i): ordinal \(p.ordinal), document \(p.documentID)") }
            if p.text.isEmpty { problems.append("passage \(i) is empty") }
            if !(p.start >= 0 && p.start < p.end && p.end <= sourceCount) { problems.append("passage \(i): span \(p.start)..<\(p.end) of \(sourceCount)") }
            if i > 0 && p.start < passages[i - 1].start { problems.append("passage \(i) starts before passage \(i - 1)") }
        }
        return problems
    }

    /// FuzzMarkdown: loadArticle from a .md and a .txt file, and article(text:) both ways.
    static func markdown(_ input: [UInt8], in dir: URL) throws -> [String] {
        let loader = CorpusLoader(maxFileBytes: 1 << 20)
        var problems: [String] = []
        for ext in ["md", "txt"] {
            let url = dir.appendingPathComponent("input.\(ext)")
            try Data(input).write(to: url)
            do throws(SiftError) {
                let doc = try loader.loadArticle(url: url, relativePath: "fuzz/input.\(ext)")
                var text = String(decoding: input, as: UTF8.self)
                if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
                problems += passageProblems(doc.passages, documentID: "fuzz/input.\(ext)", maxCharacters: loader.chunker.maxCharacters,
                                            sourceCount: text.unicodeScalars.count)
            } catch {
                if !error.description.contains("fuzz/input.\(ext)") { problems.append("the error does not name the file: \(error)") }
            }
        }
        let text = String(decoding: input, as: UTF8.self)
        for markdown in [true, false] {
            do throws(SiftError) {
                let doc = try loader.article(text: text, id: "fuzz.md", markdown: markdown)
                problems += passageProblems(doc.passages, documentID: "fuzz.md", maxCharacters: loader.chunker.maxCharacters,
                                            sourceCount: text.unicodeScalars.count)
            } catch {
                if !error.description.contains("fuzz.md") { problems.append("the error does not name the article: \(error)") }
            }
        }
        return problems
    }

    /// FuzzChunker: 4 setting bytes, then the text (checked strictly: trimming included).
    static func chunker(_ input: [UInt8]) throws -> [String] {
        guard input.count >= 4 else { return [] }
        let maxCharacters = 16 + Int(input[0]) * 3
        let overlap = Int(input[1]) % ((maxCharacters - 1) / 2)
        let text = String(decoding: input[4...], as: UTF8.self)
        let passages = try Chunker(maxCharacters: maxCharacters, overlapCharacters: overlap)
            .passages(documentID: "f", source: text, bodyStart: Int(input[2]), markdown: input[3] & 1 == 0)
        var problems = passageProblems(passages, documentID: "f", maxCharacters: maxCharacters, sourceCount: text.unicodeScalars.count)
        for p in passages where p.text != p.text.trimmingCharacters(in: .whitespacesAndNewlines) {
            problems.append("passage \(p.ordinal) is not trimmed: \(p.text.debugDescription)")
        }
        return problems
    }

    static let smallEngine: AnswerEngine = {
        let loader = CorpusLoader()
        let articles = [
            ("zh/sft.md", "# 监督微调\n\nSFT 即监督微调，是用标注好的指令数据继续训练预训练模型的方法。数据质量比数量更重要。\n"),
            ("en/rag.md", "# Retrieval-augmented generation\n\nRetrieval-augmented generation (RAG) retrieves passages and lets the model answer from them. Running retrievers is cheap.\n"),
            ("en/rlhf.md", "# RLHF\n\nReinforcement learning from human feedback trains a reward model from human preferences and optimises the policy with PPO.\n"),
        ]
        return AnswerEngine(index: try! SiftIndex(documents: articles.map { try! loader.article(text: $0.1, id: $0.0) }, threads: 1))
    }()

    static let embedder = try! Embedder(model: .default)

    /// FuzzEmbedder: the vector, then the text as a query.
    static func embedding(_ input: [UInt8]) throws -> [String] {
        let text = String(decoding: input, as: UTF8.self)
        var problems: [String] = []
        let vector = embedder.embed(text)
        if vector.count != embedder.dimension { problems.append("\(vector.count) components") }
        if !vector.allSatisfy({ $0.isFinite }) { problems.append("a component is not finite") }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if !(norm == 0 || abs(norm - 1) < 1e-3) { problems.append("norm \(norm)") }
        for (i, h) in smallEngine.search(text, k: 5).enumerated() where !(h.rank == i + 1 && h.score.isFinite && h.score > 0 && h.score <= 1.0001) {
            problems.append("hit \(i): rank \(h.rank), score \(h.score)")
        }
        let answer = smallEngine.ask(text)
        for s in (answer.lead.map { [$0] } ?? []) + answer.points {
            for c in s.citations where !answer.references[c - 1].passage.contains(s.text) { problems.append("a statement is not in the passage it cites") }
        }
        return problems
    }

    static func check(target: String, input: [UInt8], in dir: URL) throws -> [String] {
        switch target {
        case "FuzzIndexFile": try indexFile(input, in: dir)
        case "FuzzMarkdown": try markdown(input, in: dir)
        case "FuzzChunker": try chunker(input)
        default: try embedding(input)
        }
    }

    @Test("The committed fuzz corpus replays cleanly", arguments: targets)
    func replay(target: String) throws {
        let inputs = Self.inputs(target, folders: ["corpus"])
        #expect(!inputs.isEmpty, "no committed inputs for \(target) under \(Self.fuzzRoot.path)")
        try withTemporaryDirectory { dir in
            for (name, bytes) in inputs {
                let problems = try Self.check(target: target, input: bytes, in: dir)
                #expect(problems.isEmpty, "\(target)/\(name): \(problems)")
            }
        }
    }

    /// Past findings (`Tests/Fuzz/regressions/<target>/<file>`), each replayed in a child
    /// process (an exit test), since some crashed the process that ran them.
    static let regressionFiles: [String] = targets.flatMap { target in
        let dir = fuzzRoot.appendingPathComponent("regressions/\(target)")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted().map { "\(target)/\($0)" }
    }

    /// The scratch folder of the child process that replays `file` for the test process `parent`.
    static func scratch(for file: String, parent: Int32) -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("sift-fuzz-regression-\(parent)-\(file.replacingOccurrences(of: "/", with: "-"))")
    }

    @Test("Past fuzzing findings stay fixed (replayed in a child process)", arguments: regressionFiles)
    func regression(file: String) async throws {
        let scratch = Self.scratch(for: file, parent: getpid())
        defer { try? FileManager.default.removeItem(at: scratch) }
        await #expect(processExitsWith: .success) { [file] in
            let parts = file.split(separator: "/", maxSplits: 1).map(String.init)
            let url = FuzzRegressionTests.fuzzRoot.appendingPathComponent("regressions/\(file)")
            let input = [UInt8](try Data(contentsOf: url))
            // Named after the parent, which removes it (a crashing child cannot).
            let dir = FuzzRegressionTests.scratch(for: file, parent: getppid())
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let problems = try FuzzRegressionTests.check(target: parts[0], input: input, in: dir)
            if !problems.isEmpty {
                try Data(problems.joined(separator: "; ").utf8).write(to: dir.appendingPathComponent("problems.txt"))
                exit(1)
            }
        }
        if let problems = try? String(contentsOf: scratch.appendingPathComponent("problems.txt"), encoding: .utf8) {
            Issue.record("\(file): \(problems)")
        }
    }

    // MARK: - Findings

    /// Finding F1, fixed in 017a929 (FuzzChunker, Tests/Fuzz/regressions/FuzzChunker/f1-*): passages could start
    /// or end with whitespace other than space, tab, U+3000 and U+00A0 — a form feed, a
    /// vertical tab, U+2000…U+200A, U+2028/U+2029, U+205F, U+1680, U+0085 — because
    /// `MarkdownText.Parser.isSpace` (Sources/Sift/Corpus/MarkdownText.swift:76) only knows
    /// those four, so line indentation and trailing blanks made of the others stay in the
    /// text. ChunkerTests' own invariant ("no leading/trailing whitespace") then fails.
    /// Fix: `func isSpace(_ c: Unicode.Scalar) -> Bool { c != "\n" && c != "\r" && c.properties.isWhitespace }`.
    @Test("Passages never start or end with whitespace (form feed, vertical tab, Unicode spaces)", arguments: [
        "\u{0C}Hello world.", "Hello world.\u{0C}", "\u{0B}Vertical tab.", "\u{2003}Em space start.", "Trailing thin space.\u{2009}",
        "# Title\n\n\u{2028}Line separator.", "\u{205F}Medium space.", "\u{1680}Ogham space.", "Next line\u{85}",
    ])
    func passagesAreTrimmed(text: String) throws {
        for markdown in [true, false] {
            for p in try Chunker(maxCharacters: 100).passages(documentID: "ws", source: text, markdown: markdown) {
                #expect(p.text == p.text.trimmingCharacters(in: .whitespacesAndNewlines),
                        "markdown: \(markdown): passage \(p.text.debugDescription) of \(text.debugDescription)")
            }
        }
    }

    /// Finding F2, fixed in 017a929 (FuzzChunker, Tests/Fuzz/regressions/FuzzChunker/f2-*): emphasis,
    /// strikethrough and code markers that `MarkdownText.Parser.inline` drops
    /// (Sources/Sift/Corpus/MarkdownText.swift:243 for "`", :248 for `*`, `_`, `~`)
    /// leave the spaces next to them, and `line` trimmed the line before they were dropped:
    /// `** ** Hello.` gives the passage "  Hello.", `Hello. ____` gives "Hello. ", and
    /// `~~ ~~` or `` `` `` `` a passage that is one space.
    /// Fix: trim in `Chunker.passages`' `emit()` (Sources/Sift/Chunking/Chunker.swift:78): move
    /// the range's ends past `properties.isWhitespace` scalars and drop it when empty (this also
    /// fixes F1); or have `MarkdownText` drop spaces at the start of a block and before a
    /// block separator.
    @Test("Dropped emphasis markers leave no leading/trailing space and no blank passage", arguments: [
        "** ** Hello.", "__ __ Hello.", "~~ ~~ struck.", "`` Hello.", "Hello. ____", "~~ ~~", "`` ``", "# Title\n\n~~ ~~\n\nBody.",
    ])
    func droppedMarkersAreTrimmed(text: String) throws {
        let passages = try Chunker(maxCharacters: 100).passages(documentID: "md", source: text)
        for p in passages {
            #expect(p.text == p.text.trimmingCharacters(in: .whitespacesAndNewlines), "passage \(p.text.debugDescription) of \(text.debugDescription)")
            let blank = p.text.allSatisfy { $0.isWhitespace }
            #expect(!blank, "a blank passage from \(text.debugDescription)")
        }
    }

    // MARK: - Seeds

    /// A tiny model (8-wide vectors, 1024 document-frequency buckets) for small index seeds.
    static var tinyModel: EmbeddingModel {
        variant(smallModel(seed: 7), ["name": "fuzz-tiny", "dimension": 8, "candidates": 4])
    }

    static func seedFiles() throws -> [String: [(String, [UInt8])]] {
        var seeds: [String: [(String, [UInt8])]] = [:]
        let loader = CorpusLoader()
        // Index files.
        try withTemporaryDirectory { dir in
            let zh = try loader.article(text: "# 监督微调\n\nSFT 即监督微调。数据质量很重要。\n", id: "zh/sft.md")
            let en = try loader.article(text: "---\ntitle: RAG\n---\n# Retrieval\n\nRetrieval-augmented generation retrieves passages.\n\nA second paragraph.\n", id: "en/rag.md")
            let mixed = try loader.article(text: "# Mixed 混合\n\nLoRA 低秩适配 adapts weights. 奖励模型 reward model.\n", id: "mix.md")
            var variants: [(String, SiftIndex)] = []
            variants.append(("two-documents", try SiftIndex(model: tinyModel, documents: [zh, en], threads: 1)))
            var tomb = try SiftIndex(model: tinyModel, documents: [zh, en, mixed], threads: 1)
            tomb.remove(documentID: "en/rag.md")
            tomb.corpusFingerprint = "model=x;chunker=600/0;format=1\na.md|10|1.5"
            variants.append(("tombstones", tomb))
            variants.append(("empty", try SiftIndex(model: tinyModel)))
            var wide = tinyModel; wide.dimension = 16; wide.name = "fuzz-wide"
            variants.append(("wide", try SiftIndex(model: wide, documents: [mixed], threads: 1)))
            var files: [(String, [UInt8])] = []
            for (name, index) in variants {
                let url = dir.appendingPathComponent("\(name).siftindex")
                try index.write(to: url)
                var bytes = [UInt8](try Data(contentsOf: url))
                files.append(("seed-\(name).siftindex", bytes))
                bytes[28] |= 1  // repair mode: the harness recomputes the checksums
                files.append(("seed-\(name)-repair.siftindex", bytes))
                bytes[29] |= 1  // and opens with .lazy verification
                files.append(("seed-\(name)-repair-lazy.siftindex", bytes))
            }
            seeds["FuzzIndexFile"] = files
        }
        // Articles.
        var articles: [(String, [UInt8])] = []
        for folder in ["corpus-mixed", "bad-input", "markdown"] {
            let dir = TestPaths.fixture(folder)
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted() {
                if let data = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path), data.count <= 4096 {
                    articles.append(("seed-\(folder)-\(name)", [UInt8](data)))
                }
            }
        }
        for name in TestPaths.corpusArticles.prefix(3) + TestPaths.corpusArticles.suffix(3) {
            let data = try Data(contentsOf: TestPaths.corpus.appendingPathComponent(name))
            articles.append(("seed-corpus-\(name.replacingOccurrences(of: "/", with: "-"))", Array([UInt8](data).prefix(2048))))
        }
        articles += [
            ("seed-front-matter-types.md", Array("---\ntitle: 123\ndate: 2024-05-01\ntags: [a, 1, true, null]\nsource: ftp://x\nlanguage: zh-CN\n---\n# T\n\nBody.\n".utf8)),
            ("seed-crlf.md", Array("---\r\ntitle: CRLF\r\n---\r\n# H\r\n\r\n第一段。\r\nSecond line.\r\n".utf8)),
            ("seed-bom-front-matter.md", [0xEF, 0xBB, 0xBF] + Array("---\ntitle: BOM\n...\nText after a YAML end marker.\n".utf8)),
            ("seed-nested-lists.md", Array("- a\n  - b\n    1. c\n> quote **bold** `code` [link](http://x)\n\n```\ncode block\n```\n| a | b |\n|---|---|\n| 1 | 2 |\n".utf8)),
        ]
        seeds["FuzzMarkdown"] = articles
        // Chunker: 4 setting bytes + text.
        let texts = [
            "第一句话。第二句话！第三句话？" + String(repeating: "很长的句子没有标点", count: 30),
            "Sentence one. Sentence two! " + String(repeating: "word ", count: 200),
            "# Heading\n\nParagraph one.\n\n## Sub\n\n- item 1\n- item 2\n\n| a | b |\n|---|---|\n| c | d |\n",
            "混合 mixed text 和 English words, with 标点。And emoji 🙂👍🏽 and combining e\u{301} marks.",
            String(repeating: "x", count: 700),
            "---\ntitle: x\n---\nBody after front matter.",
        ]
        var chunks: [(String, [UInt8])] = []
        for (i, text) in texts.enumerated() {
            for (j, settings) in [[0, 0, 0, 0], [28, 9, 0, 1], [61, 40, 12, 0], [255, 200, 255, 1]].enumerated() {
                chunks.append(("seed-\(i)-\(j)", settings.map(UInt8.init) + Array(text.utf8)))
            }
        }
        seeds["FuzzChunker"] = chunks
        // Queries.
        let queries = hardeningQueries + [
            "", " ", "？！。", "🙂", "the of and", "running runners ran", "naïve café résumé", "e\u{301}\u{301}\u{301}", "Ⅻ ½ ①",
            "مرحبا بالعالم", "שלום", "Привет мир", "こんにちは世界", "안녕하세요", "https://example.com/a?b=c#d", "C++ / C# / F#",
            String(repeating: "a", count: 300), "SFT\u{0}x", "\u{202E}reversed", "監督微調（繁體）",
        ]
        seeds["FuzzEmbedder"] = queries.enumerated().map { ("seed-\($0.offset)", Array($0.element.utf8)) }
        return seeds
    }

    @Test("Write the generated fuzz seeds (SIFT_WRITE_FUZZ_SEEDS=1)",
          .enabled(if: ProcessInfo.processInfo.environment["SIFT_WRITE_FUZZ_SEEDS"] == "1"))
    func writeSeeds() throws {
        for (target, files) in try Self.seedFiles() {
            let dir = Self.fuzzRoot.appendingPathComponent("corpus/\(target)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for (name, bytes) in files { try Data(bytes).write(to: dir.appendingPathComponent(name)) }
            hardeningReport("fuzz seeds: \(files.count) files for \(target)")
        }
    }
}
