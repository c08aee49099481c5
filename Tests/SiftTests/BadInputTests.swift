import Foundation
import Sift
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bad input, through the library and the CLI: every problem file gets a warning that names
/// it, every bad argument exits 64 naming the argument, every runtime problem exits 1
/// naming the file; nothing crashes.
///
/// Fixtures: `Fixtures/bad-input/` (small files); big files, symbolic links and unreadable
/// files are made at test time in a temporary folder.
@Suite("Bad input")
struct BadInputTests {
    static var fixtures: URL { TestPaths.fixture("bad-input") }

    /// What the loader must say about each problem file (a word of the reason).
    static let expectedWarnings: [String: String] = [
        "invalid-utf8.md": "invalid UTF-8",
        "utf16le-bom.md": "UTF-16",
        "utf16be-bom.txt": "UTF-16",
        "binary.md": "binary",
        "empty.md": "no text",
        "whitespace-only.md": "no text",
        "only-heading.md": "no text",
        "broken-front-matter.md": "front matter",
        "bad-yaml.md": "YAML",
        "front-matter-list.md": "mapping",
    ]

    /// A copy of the fixtures plus what cannot be committed: a file over the default 8 MiB
    /// limit (one 9 MB line), a symbolic link loop, a link to itself, a dangling link, and
    /// (when the tests do not run as root) an unreadable file.
    static func makeCorpus(in dir: URL) throws -> (corpus: URL, expected: [String: String]) {
        let corpus = dir.appendingPathComponent("bad-input")
        try FileManager.default.copyItem(at: fixtures, to: corpus)
        try FileManager.default.removeItem(at: corpus.appendingPathComponent("bad-template.mustache"))
        var expected = expectedWarnings
        // 9 MB on a single line (no newline at all).
        try Data(repeating: UInt8(ascii: "a"), count: 9_000_000).write(to: corpus.appendingPathComponent("huge-line.md"))
        expected["huge-line.md"] = "limit"
        try FileManager.default.createDirectory(at: corpus.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: corpus.appendingPathComponent("sub/loop").path, withDestinationPath: "..")
        expected["sub/loop"] = "loop"
        try FileManager.default.createSymbolicLink(atPath: corpus.appendingPathComponent("self.md").path, withDestinationPath: "self.md")
        expected["self.md"] = "symbolic link"
        try FileManager.default.createSymbolicLink(atPath: corpus.appendingPathComponent("dangling.md").path, withDestinationPath: "missing/nowhere.md")
        expected["dangling.md"] = "symbolic link"
        // chmod 000 only makes a file unreadable for users other than root: as root (as in
        // CI containers) the file stays readable, so that case is only checked when it is.
        let unreadable = corpus.appendingPathComponent("unreadable.md")
        try write("# Secret\n\nThis file cannot be read.\n", to: unreadable)
        chmod(unreadable.path, 0)
        if access(unreadable.path, R_OK) != 0 { expected["unreadable.md"] = "not readable" } else { try FileManager.default.removeItem(at: unreadable) }
        return (corpus, expected)
    }

    @Test("CorpusLoader: every problem file is skipped with a warning naming it; good files load")
    func loaderWarnings() throws {
        try withTemporaryDirectory { dir in
            let (corpus, expected) = try Self.makeCorpus(in: dir)
            let seen = Locked<[CorpusWarning]>([])
            var loader = CorpusLoader()
            loader.onWarning = { w in seen.withLock { $0.append(w) } }
            let result = try loader.load(folder: corpus)
            #expect(result.documents.map(\.document.id) == ["good-zh.md", "good.md"])
            let warned = Dictionary(result.warnings.map { ($0.path, $0.reason) }, uniquingKeysWith: { $0 + "; " + $1 })
            #expect(Set(warned.keys) == Set(expected.keys), "warnings: \(result.warnings)")
            for (file, word) in expected {
                guard let reason = warned[file] else { continue }
                #expect(reason.localizedCaseInsensitiveContains(word), "\(file): \(reason)")
                #expect(result.warnings.first { $0.path == file }!.description.contains(file))
            }
            #expect(seen.current.count == result.warnings.count, "onWarning reports each warning once")
            hardeningReport("bad-input/loader: \(result.warnings.count) problem files, each skipped with a named warning")
        }
    }

    @Test("CorpusLoader(maxFileBytes:) skips files over a small limit, naming the size and the limit")
    func smallLimit() throws {
        try withTemporaryDirectory { dir in
            try write("# Small\n\nA small article.", to: dir.appendingPathComponent("small.md"))
            try write("# Big\n\n" + String(repeating: "long text ", count: 20), to: dir.appendingPathComponent("big.md"))
            let result = try CorpusLoader(maxFileBytes: 64).load(folder: dir)
            #expect(result.documents.map(\.document.id) == ["small.md"])
            #expect(result.warnings.map(\.path) == ["big.md"])
            #expect(result.warnings.first?.reason.contains("64-byte limit") == true, "\(result.warnings)")
            let error = siftError { _ = try CorpusLoader(maxFileBytes: 64).readText(url: dir.appendingPathComponent("big.md"), displayPath: "big.md") }
            guard case .invalidText(let path, _)? = error else { Issue.record("expected invalidText, got \(String(describing: error))"); return }
            #expect(path == "big.md")
        }
    }

    @Test("A corpus path that is a file, or missing, throws corpusNotFound naming it")
    func corpusIsAFile() throws {
        let file = Self.fixtures.appendingPathComponent("good.md")
        #expect(siftError { _ = try CorpusLoader().load(folder: file) } == .corpusNotFound(path: file.path))
        let missing = Self.fixtures.appendingPathComponent("no-such-folder")
        #expect(siftError { _ = try CorpusLoader().load(folder: missing) } == .corpusNotFound(path: missing.path))
    }

    static let junkQuestions: [String] = [
        "", " ", "   \n\t  ", "？！。，,.;:!?", "……——～", "🙂🙃🎉👍🏽", "👨‍👩‍👧‍👦🏳️‍🌈", "\u{0}\u{1}\u{7F}", "\u{200B}\u{FEFF}\u{2060}",
        String(repeating: "?!. ", count: 25_000),  // 100 KB of punctuation
        String(repeating: "🙂", count: 25_000),  // 100 KB of emoji
    ]

    @Test("AnswerEngine.ask: junk questions are not answered and never crash", arguments: junkQuestions.indices)
    func junkQuestion(index: Int) throws {
        let question = Self.junkQuestions[index]
        let engine = try Shared.engine.get()
        let answer = engine.ask(question)
        #expect(!answer.answered, "question #\(index) (\(question.prefix(20).debugDescription)) was answered")
        #expect(answer.lead == nil && answer.points.isEmpty)
        #expect(engine.search(question).isEmpty)
        for format in AnswerFormat.allCases { _ = answer.rendered(as: format) }
    }

    @Test("AnswerEngine.ask: a 100 KB question is cut and answered quickly")
    func longQuestion() throws {
        let engine = try Shared.engine.get()
        let question = String(repeating: "什么是监督微调？What is supervised fine-tuning? ", count: 100_000 / 60)
        #expect(question.utf8.count > 90_000)
        let (answer, seconds) = measure { engine.ask(question) }
        #expect(answer.question == question)
        #expect(seconds < 20, "took \(seconds) s")
        _ = answer.rendered(as: .json)
    }

    // MARK: - CLI

    @Test("sift index over the bad-input corpus: exit 0, a warning naming every problem file")
    func cliIndexWarnings() throws {
        try withTemporaryDirectory { dir in
            let (corpus, expected) = try Self.makeCorpus(in: dir)
            let output = dir.appendingPathComponent("bad.siftindex")
            let r = try CLI.run(["index", "--corpus", corpus.path, "--output", output.path])
            #expect(r.status == 0, "stderr: \(r.stderr)")
            let warnings = r.stderrLines.filter { $0.hasPrefix("warning:") }
            for file in expected.keys {
                #expect(warnings.contains { $0.contains("'\(file)'") }, "no warning names \(file): \(r.stderr)")
            }
            let index = try SiftIndex.open(output)
            #expect(index.documents.map(\.id) == ["good-zh.md", "good.md"])
            // ask and search over it work.
            let ask = try CLI.run(["ask", "What is a tide table?", "--index", output.path, "--format", "json"])
            #expect(ask.status == 0, "stderr: \(ask.stderr)")
            #expect(ask.stdout.contains("good.md"))
        }
    }

    @Test("sift with a corpus that is a file, or has no usable article: exit 1 naming it", arguments: ["index", "ask", "search"])
    func cliCorpusIsAFile(command: String) throws {
        try withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("article.md")
            try write("# A file\n\nNot a folder.", to: file)
            let empty = dir.appendingPathComponent("empty-corpus")
            try FileManager.default.copyItem(at: Self.fixtures, to: empty)
            for name in ["good.md", "good-zh.md"] { try FileManager.default.removeItem(at: empty.appendingPathComponent(name)) }
            for corpus in [file, empty] {
                let arguments = command == "index" ? ["index", "--corpus", corpus.path, "--output", dir.appendingPathComponent("x.siftindex").path]
                    : [command, "tides", "--corpus", corpus.path]
                let r = try CLI.run(arguments)
                #expect(r.status == 1, "sift \(arguments.joined(separator: " ")): exit \(r.status); stderr: \(r.stderr)")
                #expect(r.stderrLines.last?.hasPrefix("error:") == true && r.stderrLines.last?.contains(corpus.path) == true, "stderr: \(r.stderr)")
                #expect(r.stdout.isEmpty)
            }
        }
    }

    /// Usage errors: exit 64, and the message names the argument.
    @Test("Bad arguments exit 64 naming the argument", arguments: [
        (["ask", ""], "question"),
        (["ask", "   \t\n "], "question"),
        (["ask", "x", "--top-k", "0"], "--top-k"),
        (["ask", "x", "--top-k", "-1"], "--top-k"),
        (["ask", "x", "--top-k=-5"], "--top-k"),
        (["ask", "x", "--top-k", "1001"], "--top-k"),
        (["ask", "x", "--top-k", "1000000000"], "--top-k"),
        (["ask", "x", "--top-k", "99999999999999999999999"], "--top-k"),
        (["ask", "x", "--top-k", "ten"], "--top-k"),
        (["ask", "x", "--min-score", "-0.5"], "--min-score"),
        (["ask", "x", "--min-score", "nan"], "--min-score"),
        (["ask", "x", "--template", "t.mustache", "--format", "json"], "--template"),
        (["search", ""], "query"),
        (["search", "x", "-k", "0"], "-k"),
        (["search", "x", "-k", "-3"], "-k"),
        (["search", "x", "-k", "1000000"], "-k"),
        (["search", "x", "-k", "18446744073709551616"], "-k"),
        (["search", "x", "--batch-file", "q.txt"], "batch-file"),
        (["index", "--corpus"], "--corpus"),
    ])
    func cliUsageErrors(arguments: [String], argument: String) throws {
        let r = try CLI.run(arguments)
        #expect(r.status == 64, "sift \(arguments.debugDescription) exited \(r.status); stderr: \(r.stderr)")
        #expect(r.stderr.localizedCaseInsensitiveContains(argument), "sift \(arguments.debugDescription): the message does not name \(argument): \(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test("A 100 KB question through the CLI is answered (exit 0)")
    func cliLongQuestion() throws {
        try withTemporaryDirectory { dir in
            let corpus = dir.appendingPathComponent("corpus")
            try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
            for name in ["good.md", "good-zh.md"] { try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent(name), to: corpus.appendingPathComponent(name)) }
            let question = String(repeating: "What is a tide table? 潮汐表是什么？", count: 100_000 / 45)
            let r = try CLI.run(["ask", question, "--corpus", corpus.path, "--format", "json"])
            #expect(r.status == 0, "stderr: \(r.stderr.prefix(300))")
            let junk = try CLI.run(["ask", "？！🙂", "--corpus", corpus.path, "--format", "json"])
            #expect(junk.status == 0, "stderr: \(junk.stderr)")
            #expect(junk.stdout.contains("\"answered\" : false"), "stdout: \(junk.stdout)")
        }
    }

    @Test("Template problems exit 1 naming the template file", arguments: ["missing", "syntax error", "not UTF-8", "folder"])
    func cliTemplateErrors(problem: String) throws {
        try withTemporaryDirectory { dir in
            let corpus = dir.appendingPathComponent("corpus")
            try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("good.md"), to: corpus.appendingPathComponent("good.md"))
            let template: URL
            switch problem {
            case "missing": template = dir.appendingPathComponent("no-such-template.mustache")
            case "syntax error": template = Self.fixtures.appendingPathComponent("bad-template.mustache")
            case "not UTF-8": template = dir.appendingPathComponent("latin1.mustache"); try write(bytes: [0x7B, 0x7B, 0xE9, 0x7D, 0x7D, 0xFF], to: template)
            default: template = dir.appendingPathComponent("a-folder.mustache"); try FileManager.default.createDirectory(at: template, withIntermediateDirectories: true)
            }
            let r = try CLI.run(["ask", "What is a tide table?", "--corpus", corpus.path, "--template", template.path])
            #expect(r.status == 1, "exit \(r.status); stderr: \(r.stderr)")
            #expect(r.stderr.contains(template.path), "the message names the template: \(r.stderr)")
            #expect(r.stderrLines.count == 1, "one line: \(r.stderr)")
            #expect(r.stdout.isEmpty)
            // The library throws invalidTemplate naming the file.
            guard case .invalidTemplate(let path, _)? = siftError({ _ = try AnswerRenderer(templateFile: template) }) else {
                Issue.record("expected invalidTemplate"); return
            }
            #expect(path == template.path)
        }
    }

    @Test("A batch file of only blank lines, or not UTF-8, is an error naming it")
    func cliBadBatchFile() throws {
        try withTemporaryDirectory { dir in
            let corpus = dir.appendingPathComponent("corpus")
            try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("good.md"), to: corpus.appendingPathComponent("good.md"))
            let blank = dir.appendingPathComponent("blank.txt")
            try write("\n   \n\t\n", to: blank)
            let latin1 = dir.appendingPathComponent("latin1.txt")
            try write(bytes: [0x74, 0x69, 0x64, 0xE9, 0x0A], to: latin1)
            for file in [blank, latin1, dir.appendingPathComponent("missing.txt")] {
                let r = try CLI.run(["search", "--batch-file", file.path, "--corpus", corpus.path])
                #expect(r.status == 1 || r.status == 64, "exit \(r.status); stderr: \(r.stderr)")
                #expect(r.stderr.contains(file.lastPathComponent), "stderr: \(r.stderr)")
            }
        }
    }
}
