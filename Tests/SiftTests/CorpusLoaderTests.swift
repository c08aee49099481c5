import Foundation
import Sift
import Testing

@Suite("CorpusLoader")
struct CorpusLoaderTests {
    static var mixed: URL { TestPaths.fixture("corpus-mixed") }

    // MARK: - The bundled corpus

    @Test("The bundled corpus loads without warnings")
    func bundledCorpus() throws {
        let result = try Shared.corpusLoad.get()
        #expect(result.warnings.isEmpty, "\(result.warnings)")
        #expect(result.documents.map(\.document.id) == TestPaths.corpusArticles.sorted())
        #expect(result.documents.count == TestPaths.corpusArticles.count)
        for doc in result.documents {
            let d = doc.document
            #expect(!doc.passages.isEmpty)
            #expect(d.language == (d.id.hasPrefix("zh/") ? "zh" : "en"), "\(d.id) language \(d.language)")
            #expect(!d.title.isEmpty)
            #expect(d.source == d.id)
            #expect(d.url?.hasPrefix("http") ?? true)
            #expect(doc.passages.allSatisfy { $0.documentID == d.id })
        }
        let sft = try #require(result.documents.first { $0.document.id == "zh/sft-supervised-fine-tuning.md" })
        #expect(sft.document.title == "什么是 SFT（监督微调）")
        #expect(sft.document.url == "https://arxiv.org/abs/2203.02155")
        #expect(sft.document.date == "2026-11-25")
        #expect(sft.document.tags == ["sft", "监督微调", "微调", "llm", "大模型训练"])
    }

    // MARK: - A corpus with problem files

    @Test("Usable articles load; every problem file is skipped with a warning naming it")
    func mixedCorpus() throws {
        let result = try CorpusLoader().load(folder: Self.mixed)
        #expect(result.documents.map(\.document.id) == ["a-good.md", "b-citation.md", "c-no-title.txt", "j-utf8-bom.md", "sub/k-nested.md"])
        let warned = Dictionary(result.warnings.map { ($0.path, $0.reason) }, uniquingKeysWith: { a, b in a + "; " + b })
        let expected: [String: String] = [
            "d-invalid-utf8.md": "UTF-8",
            "e-utf16.md": "UTF-16",
            "f-binary.md": "binary",
            "g-empty.md": "",
            "h-broken-front-matter.md": "front matter",
            "i-bad-yaml.md": "front matter",
        ]
        #expect(Set(warned.keys) == Set(expected.keys), "warnings: \(result.warnings)")
        for (file, word) in expected {
            guard let reason = warned[file] else { continue }
            #expect(word.isEmpty || reason.contains(word), "\(file): \(reason)")
            let description = result.warnings.first { $0.path == file }!.description
            #expect(description.contains(file) && !description.contains("\n"))
        }
        // Files with other extensions are not articles and not warned about.
        #expect(!result.warnings.contains { $0.path.hasSuffix(".json") || $0.path.hasSuffix(".rst") })
    }

    @Test("Front matter: title, URL source, date, language and tags")
    func frontMatter() throws {
        let doc = try CorpusLoader().loadArticle(url: Self.mixed.appendingPathComponent("a-good.md"), relativePath: "a-good.md")
        let d = doc.document
        #expect(d.id == "a-good.md")
        #expect(d.source == "a-good.md")
        #expect(d.title == "Supervised fine-tuning", "front matter title wins over the first heading")
        #expect(d.url == "https://example.com/sft")
        #expect(d.citation == nil)
        #expect(d.date == "2024-05-01")
        #expect(d.language == "en")
        #expect(d.tags == ["sft", "fine-tuning", "llm"])
        // The front matter is not text; passage spans count from the start of the file.
        let text = try String(contentsOf: Self.mixed.appendingPathComponent("a-good.md"), encoding: .utf8)
        #expect(doc.passages.allSatisfy { !$0.text.contains("title:") && !$0.text.contains("---") })
        let first = try #require(doc.passages.first)
        #expect(text.scalarSlice(first.start, first.start + 1) == "A", "the first passage starts at the heading's text")
        #expect(first.text.hasPrefix("A heading that is not the title"))
    }

    @Test("Front matter: citation source, comma tags, zh-CN language, heading title")
    func frontMatterCitation() throws {
        let d = try CorpusLoader().loadArticle(url: Self.mixed.appendingPathComponent("b-citation.md"), relativePath: "b-citation.md").document
        #expect(d.title == "监督微调简介")
        #expect(d.url == nil)
        #expect(d.citation == "Ouyang et al. 2022, Training language models to follow instructions")
        #expect(d.language == "zh")
        #expect(d.tags == ["监督微调", "指令"])
        #expect(d.date == nil)
    }

    @Test("Plain-text articles: file-name title, Markdown kept literally")
    func plainText() throws {
        let doc = try CorpusLoader().loadArticle(url: Self.mixed.appendingPathComponent("c-no-title.txt"), relativePath: "c-no-title.txt")
        #expect(doc.document.title == "c-no-title")
        #expect(doc.passages.map(\.text).joined(separator: "\n").contains("# this line is not a heading"))
        #expect(doc.document.language == "en")
    }

    @Test("A UTF-8 byte-order mark is dropped and front matter still parsed")
    func utf8BOM() throws {
        let doc = try CorpusLoader().loadArticle(url: Self.mixed.appendingPathComponent("j-utf8-bom.md"), relativePath: "j-utf8-bom.md")
        #expect(doc.document.title == "BOM title")
        #expect(doc.passages.map(\.text) == ["Body text after a UTF-8 byte-order mark."])
        #expect(!doc.passages[0].text.unicodeScalars.contains("\u{FEFF}"))
    }

    @Test("Problem files throw invalidText naming the file when loaded alone", arguments: [
        "d-invalid-utf8.md", "e-utf16.md", "f-binary.md", "h-broken-front-matter.md", "i-bad-yaml.md",
    ])
    func problemFileAlone(name: String) throws {
        let error = siftError { _ = try CorpusLoader().loadArticle(url: Self.mixed.appendingPathComponent(name), relativePath: name) }
        guard case .invalidText(let path, _) = error else {
            Issue.record("\(name): expected invalidText, got \(String(describing: error))"); return
        }
        #expect(path == name)
        #expect(error!.description.contains(name))
    }

    @Test("An empty file yields no passage")
    func emptyFile() throws {
        let doc = try CorpusLoader().loadArticle(url: Self.mixed.appendingPathComponent("g-empty.md"), relativePath: "g-empty.md")
        #expect(doc.passages.isEmpty)
    }

    // MARK: - Folder errors

    @Test("A missing corpus folder throws corpusNotFound with its path")
    func missingFolder() throws {
        let url = URL(fileURLWithPath: "/nonexistent/sift-corpus-\(UUID().uuidString)")
        let error = siftError { _ = try CorpusLoader().load(folder: url) }
        #expect(error == .corpusNotFound(path: url.path))
        #expect(error?.description.contains(url.path) == true)
    }

    @Test("A file instead of a folder throws corpusNotFound")
    func fileInsteadOfFolder() throws {
        let url = Self.mixed.appendingPathComponent("a-good.md")
        #expect(siftError { _ = try CorpusLoader().load(folder: url) } == .corpusNotFound(path: url.path))
    }

    @Test("An empty folder throws emptyCorpus")
    func emptyFolder() throws {
        try withTemporaryDirectory { dir in
            #expect(siftError { _ = try CorpusLoader().load(folder: dir) } == .emptyCorpus(path: dir.path, skipped: 0))
            // Files that are not articles do not count.
            try write("{}", to: dir.appendingPathComponent("data.json"))
            try write("hidden article", to: dir.appendingPathComponent(".hidden.md"))
            try write("in a hidden folder", to: dir.appendingPathComponent(".git/notes.md"))
            #expect(siftError { _ = try CorpusLoader().load(folder: dir) } == .emptyCorpus(path: dir.path, skipped: 0))
        }
    }

    @Test("A folder whose only article is invalid UTF-8 throws emptyCorpus counting it")
    func onlyInvalidFile() throws {
        try withTemporaryDirectory { dir in
            try write(bytes: [0x23, 0x20, 0xC3, 0x28, 0xFF, 0x0A], to: dir.appendingPathComponent("bad.md"))
            let error = siftError { _ = try CorpusLoader().load(folder: dir) }
            #expect(error == .emptyCorpus(path: dir.path, skipped: 1))
            #expect(error?.description.contains(dir.path) == true)
        }
    }

    @Test("Hidden files and folders are ignored, subfolders are read, order is by path")
    func folderWalk() throws {
        try withTemporaryDirectory { dir in
            try write("# B\n\nbee text", to: dir.appendingPathComponent("b.md"))
            try write("# A\n\nay text", to: dir.appendingPathComponent("z/a.markdown"))
            try write("# C\n\nsee text", to: dir.appendingPathComponent("a/c.text"))
            try write("# H\n\nhidden", to: dir.appendingPathComponent(".hidden.md"))
            try write("# G\n\nin git", to: dir.appendingPathComponent(".git/x.md"))
            try write("# U\n\nupper-case extension", to: dir.appendingPathComponent("UPPER.MD"))
            let result = try CorpusLoader().load(folder: dir)
            #expect(result.documents.map(\.document.id) == ["UPPER.MD", "a/c.text", "b.md", "z/a.markdown"])
            #expect(result.warnings.isEmpty)
        }
    }

    @Test("Files over maxFileBytes are skipped with a warning")
    func tooLarge() throws {
        try withTemporaryDirectory { dir in
            try write("# Small\n\nsmall text", to: dir.appendingPathComponent("small.md"))
            try write("# Big\n\n" + String(repeating: "big text ", count: 200), to: dir.appendingPathComponent("big.md"))
            let result = try CorpusLoader(maxFileBytes: 1000).load(folder: dir)
            #expect(result.documents.map(\.document.id) == ["small.md"])
            #expect(result.warnings.map(\.path) == ["big.md"])
        }
    }

    @Test("Front matter with CRLF line endings is parsed")
    func crlfFrontMatter() throws {
        let text = "---\r\ntitle: Windows file\r\nlanguage: en\r\n---\r\n# Heading\r\n\r\nBody line one.\r\nBody line two.\r\n"
        let doc = try CorpusLoader().article(text: text, id: "win.md")
        #expect(doc.document.title == "Windows file")
        #expect(doc.passages.map(\.text) == ["Heading\nBody line one. Body line two."])
    }

    @Test("Broken front matter throws invalidText", arguments: [
        "---\ntitle: x\n\nno closing line\n",
        "---\ntitle: [unclosed\n---\nbody\n",
        "---\n- a\n- list\n---\nbody\n",
    ])
    func brokenFrontMatter(text: String) {
        let error = siftError { _ = try CorpusLoader().article(text: text, id: "broken.md") }
        guard case .invalidText(let path, _) = error else {
            Issue.record("expected invalidText, got \(String(describing: error))"); return
        }
        #expect(path == "broken.md")
    }

    @Test("Empty front matter and a lone thematic break are fine")
    func unusualButValid() throws {
        let empty = try CorpusLoader().article(text: "---\n---\nBody.\n", id: "e.md")
        #expect(empty.passages.map(\.text) == ["Body."])
        #expect(empty.document.title == "e")
        let noFront = try CorpusLoader().article(text: "Intro.\n\n---\n\nMore.\n", id: "n.md")
        #expect(noFront.passages.map(\.text).joined(separator: "\n") == "Intro.\nMore.")
    }

    @Test("Language detection", arguments: [
        ("监督微调是一种训练方法。", "zh"),
        ("Supervised fine-tuning is a training method.", "en"),
        ("SFT 即监督微调，是一种训练方法。", "zh"),
        ("12345 !!!", "en"),
        ("什么是sft?", "zh"),
        ("What does 监督微调 mean in LLM training?", "en"),
    ])
    func languageDetection(text: String, language: String) throws {
        // Without `language` in the front matter, the article's language is detected.
        #expect(try CorpusLoader().article(text: text, id: "a.md", markdown: false).document.language == language)
    }

    @Test("The content hash changes with the text")
    func contentHash() throws {
        let a = try CorpusLoader().article(text: "# T\n\nOne.", id: "x.md")
        let b = try CorpusLoader().article(text: "# T\n\nTwo.", id: "x.md")
        let a2 = try CorpusLoader().article(text: "# T\n\nOne.", id: "x.md")
        #expect(a.document.contentHash != b.document.contentHash)
        #expect(a.document.contentHash == a2.document.contentHash)
    }

    // MARK: - JSONL

    static func jsonl(_ text: String, _ body: (URL) throws -> Void) throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("passages.jsonl")
            try write(text, to: url)
            try body(url)
        }
    }

    @Test("JSONL records become one-passage documents")
    func jsonlGood() throws {
        let text = """
        {"id": "p1", "title": "First", "text": "The first passage."}

        {"id": 2, "title": "Second", "text": "第二段文字。"}
        {"id": "p3", "text": "No title."}
        """
        try Self.jsonl(text) { url in
            let result = try CorpusLoader().loadJSONL(url: url)
            #expect(result.warnings.isEmpty)
            #expect(result.documents.map(\.document.id) == ["p1", "2", "p3"])
            #expect(result.documents.allSatisfy { $0.passages.count == 1 })
            #expect(result.documents[0].document.title == "First")
            #expect(result.documents[0].passages[0].text.contains("The first passage."))
            #expect(result.documents[1].document.language == "zh")
        }
    }

    @Test("JSONL errors name the line", arguments: [
        ("{\"id\": \"a\", \"text\": \"ok\"}\n{\"id\": \"b\", \"text\": \"ok\"}\nnot json\n", 3),
        ("{\"id\": \"a\", \"text\": \"ok\"}\n\n\n[1, 2]\n", 4),
        ("{\"text\": \"no id\"}\n", 1),
        ("{\"id\": \"a\", \"title\": \"no text\"}\n", 1),
        ("{\"id\": \"a\", \"text\": 5}\n", 1),
        ("{\"id\": \"a\", \"text\": \"x\"}\n{\"id\": \"a\", \"text\": \"dup\"}\n", 2),
        ("{\"id\": \"a\", \"text\": \"x\"}\n{\"id\": \"b\", \"text\": \"truncated\n", 2),
    ])
    func jsonlErrors(text: String, line: Int) throws {
        try Self.jsonl(text) { url in
            let error = siftError { _ = try CorpusLoader().loadJSONL(url: url) }
            guard case .invalidJSONL(let path, let got, _) = error else {
                Issue.record("expected invalidJSONL, got \(String(describing: error))"); return
            }
            #expect(path == url.path)
            #expect(got == line)
            #expect(error!.description.contains("line \(line)"))
        }
    }

    @Test("JSONL records without text are skipped with a warning")
    func jsonlEmptyRecords() throws {
        try Self.jsonl("{\"id\": \"a\", \"text\": \"  \"}\n{\"id\": \"b\", \"text\": \"real text\"}\n") { url in
            let result = try CorpusLoader().loadJSONL(url: url)
            #expect(result.documents.map(\.document.id) == ["b"])
            #expect(result.warnings.count == 1)
            #expect(result.warnings.first?.path.contains("a") == true)
        }
    }

    @Test("JSONL with CRLF line endings loads")
    func jsonlCRLF() throws {
        try Self.jsonl("{\"id\": \"a\", \"text\": \"one\"}\r\n{\"id\": \"b\", \"text\": \"two\"}\r\n") { url in
            let result = try CorpusLoader().loadJSONL(url: url)
            #expect(result.documents.map(\.document.id) == ["a", "b"])
        }
    }

    @Test("JSONL files that are not text, or missing, throw typed errors")
    func jsonlFileErrors() throws {
        try withTemporaryDirectory { dir in
            let missing = dir.appendingPathComponent("missing.jsonl")
            guard case .fileUnreadable = siftError({ _ = try CorpusLoader().loadJSONL(url: missing) }) else {
                Issue.record("a missing JSONL file should throw fileUnreadable"); return
            }
            let binary = dir.appendingPathComponent("binary.jsonl")
            try write(bytes: [0x7B, 0x00, 0x7D, 0xFF], to: binary)
            guard case .invalidText = siftError({ _ = try CorpusLoader().loadJSONL(url: binary) }) else {
                Issue.record("a binary JSONL file should throw invalidText"); return
            }
        }
    }
}
