import Foundation
import Sift
import Testing

/// The result of one run of the `sift` executable.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
}

enum CLI {
    /// The built `sift` executable: beside the test bundle in the build products folder,
    /// else `<root>/.build/debug/sift`, else built now into a separate scratch folder.
    static let executable: Result<URL, CLIError> = {
        var candidates: [URL] = []
        let bundleDir = Bundle.module.bundleURL.deletingLastPathComponent()
        candidates.append(bundleDir.appendingPathComponent("sift"))
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("sift"))
        candidates.append(TestPaths.packageRoot.appendingPathComponent(".build/debug/sift"))
        for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return .success(c) }
        // Not built (e.g. only the test target was built): build it in another scratch
        // folder so that the running `swift test` build's lock is not contended.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sift-cli-build")
        let swift = ProcessInfo.processInfo.environment["SWIFT_EXEC"].map { URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("swift") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [swift?.path ?? "swift", "build", "--product", "sift", "--scratch-path", scratch.path,
                             "--package-path", TestPaths.packageRoot.path]
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return .failure(CLIError(message: "cannot run swift build: \(error)"))
        }
        let built = scratch.appendingPathComponent("debug/sift")
        guard process.terminationStatus == 0, FileManager.default.isExecutableFile(atPath: built.path) else {
            return .failure(CLIError(message: "the sift executable is not built and building it failed"))
        }
        return .success(built)
    }()

    struct CLIError: Error, CustomStringConvertible { var message: String; var description: String { message } }

    /// Runs `sift ARGS` in `directory` (the package root by default).
    static func run(_ arguments: [String], in directory: URL = TestPaths.packageRoot, stdin: String? = nil) throws -> CLIResult {
        let process = Process()
        process.executableURL = try executable.get()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let input = Pipe()
            process.standardInput = input
            try process.run()
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        // Read both pipes to the end before waiting, so a full pipe never blocks the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// The CLI tests share the bundled corpus's index cache, so they run one at a time.
@Suite("CLI", .serialized)
struct CLITests {
    @Test("sift ask --format json prints the answer contract")
    func askJSON() throws {
        let r = try CLI.run(["ask", "什么是sft?", "--format", "json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "stdout: \(r.stdout)")
        #expect(answerKeys.isSubset(of: Set(object.keys)), "keys: \(object.keys.sorted())")
        #expect(object["question"] as? String == "什么是sft?")
        #expect(object["language"] as? String == "zh")
        #expect(object["answered"] as? Bool == true)
        let lead = try #require(object["lead"] as? [String: Any])
        #expect((lead["text"] as? String)?.contains("监督微调") == true)
        let references = try #require(object["references"] as? [[String: Any]])
        #expect(!references.isEmpty)
        for ref in references { #expect(referenceKeys.isSubset(of: Set(ref.keys)), "reference keys: \(ref.keys.sorted())") }
        _ = try JSONDecoder().decode(Answer.self, from: Data(r.stdout.utf8))
    }

    @Test("The CLI's answer is the library's answer (fresh copy of the corpus, fresh cache)")
    func askMatchesLibrary() throws {
        try withTemporaryDirectory { dir in
            let corpus = dir.appendingPathComponent("Corpus")
            try FileManager.default.copyItem(at: TestPaths.corpus, to: corpus)
            for question in ["什么是sft?", "What is RLHF?", "红烧肉怎么做?"] {
                let r = try CLI.run(["ask", question, "--format", "json", "--corpus", corpus.path])
                #expect(r.status == 0, "stderr: \(r.stderr)")
                let decoded = try JSONDecoder().decode(Answer.self, from: Data(r.stdout.utf8))
                #expect(decoded == (try Shared.engine.get()).ask(question), "question '\(question)'")
            }
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".sift-cache/Corpus.siftindex").path))
        }
    }

    @Test("sift ask prints a text answer with citations")
    func askText() throws {
        let r = try CLI.run(["ask", "What is RLHF?"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.hasPrefix("Q: What is RLHF?"))
        #expect(r.stdout.contains("[1]"))
        let md = try CLI.run(["ask", "红烧肉怎么做?", "--format", "markdown"])
        #expect(md.status == 0)
        #expect(md.stdout.contains("语料中没有能回答这个问题的内容"))
    }

    @Test("sift search --format json prints ranked passages")
    func searchJSON() throws {
        let r = try CLI.run(["search", "RLHF", "--format", "json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]], "stdout: \(r.stdout)")
        #expect(!array.isEmpty && array.count <= 5)
        let keys: Set<String> = ["rank", "score", "passage_id", "document", "title", "start", "end", "text"]
        for (i, hit) in array.enumerated() {
            #expect(keys.isSubset(of: Set(hit.keys)), "keys: \(hit.keys.sorted())")
            #expect(hit["rank"] as? Int == i + 1)
            #expect(hit["passage_id"] is Int && hit["start"] is Int && hit["end"] is Int)
            #expect(hit["document"] is String && hit["title"] is String && hit["text"] is String)
            #expect(hit["score"] is NSNumber)
        }
        #expect((array.first?["document"] as? String).map { $0.hasSuffix("rlhf.md") } == true)
        let k = try CLI.run(["search", "RLHF", "--format", "json", "-k", "2"])
        #expect((try JSONSerialization.jsonObject(with: Data(k.stdout.utf8)) as? [Any])?.count == 2)
    }

    @Test("sift search --batch-file - reads queries from standard input")
    func searchBatch() throws {
        let r = try CLI.run(["search", "--batch-file", "-", "--format", "json", "-k", "3"], stdin: "RLHF\n{\"query\": \"监督微调\"}\n\nLoRA\n")
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        for line in lines {
            #expect((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Any])?.count == 3)
        }
    }

    @Test("A missing corpus folder exits 1 with one line naming it")
    func missingCorpus() throws {
        let r = try CLI.run(["ask", "x", "--corpus", "/nonexistent"])
        #expect(r.status == 1)
        #expect(r.stderrLines.count == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("/nonexistent"))
        #expect(r.stdout.isEmpty)
    }

    @Test("Invalid arguments exit 64", arguments: [
        ["ask", "--top-k", "0", "x"],
        ["ask", "x", "--top-k", "1001"],
        ["ask", "x", "--min-score", "2"],
        ["ask", "   "],
        ["ask", "x", "--format", "yaml"],
        ["ask", "x", "--corpus", "Corpus", "--index", "x.siftindex"],
        ["search", "x", "-k", "0"],
        ["search"],
        ["no-such-command"],
    ])
    func usageErrors(arguments: [String]) throws {
        let r = try CLI.run(arguments)
        #expect(r.status == 64, "sift \(arguments.joined(separator: " ")) exited \(r.status); stderr: \(r.stderr)")
        #expect(!r.stderr.isEmpty)
    }

    @Test("A corrupt index file exits 1 and names the file")
    func corruptIndex() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("corrupt.siftindex")
            var rng = SeededGenerator(seed: 77)
            try write(bytes: Array("SIFTIDX\0".utf8) + (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &rng) }, to: url)
            for command in [["ask", "x"], ["search", "x"]] {
                let r = try CLI.run(command + ["--index", url.path])
                #expect(r.status == 1, "stderr: \(r.stderr)")
                #expect(r.stderr.contains(url.path))
                #expect(r.stderrLines.count == 1, "stderr: \(r.stderr)")
            }
            let missing = try CLI.run(["ask", "x", "--index", dir.appendingPathComponent("missing.siftindex").path])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("missing.siftindex"))
        }
    }

    @Test("A corpus whose only file is invalid UTF-8 exits 1")
    func invalidCorpus() throws {
        try withTemporaryDirectory { dir in
            let corpus = dir.appendingPathComponent("corpus")
            try write(bytes: Array("# Title\n\nbad byte: ".utf8) + [0xC3, 0x28, 0xFF, 0x0A], to: corpus.appendingPathComponent("bad.md"))
            let r = try CLI.run(["ask", "x", "--corpus", corpus.path])
            #expect(r.status == 1)
            #expect(r.stderr.contains("bad.md"), "the skipped file is named: \(r.stderr)")
            #expect(r.stderr.contains(corpus.path))
            #expect(r.stdout.isEmpty)
            let json = try CLI.run(["ask", "x", "--corpus", corpus.path, "--format", "json"])
            #expect(json.status == 1)
            #expect(json.stdout.isEmpty)
        }
    }

    @Test("sift index writes an index that --index reads")
    func indexCommand() throws {
        try withTemporaryDirectory { dir in
            let corpus = dir.appendingPathComponent("corpus")
            try write("# Tides\n\nTides are the rise and fall of sea levels caused by the Moon's gravity.\n", to: corpus.appendingPathComponent("tides.md"))
            try write("# Volcanoes\n\nVolcanoes are openings in the crust where magma erupts.\n", to: corpus.appendingPathComponent("volcanoes.md"))
            let output = dir.appendingPathComponent("out.siftindex")
            let built = try CLI.run(["index", "--corpus", corpus.path, "--output", output.path])
            #expect(built.status == 0, "stderr: \(built.stderr)")
            let index = try SiftIndex.open(output)
            #expect(index.documents.map(\.id) == ["tides.md", "volcanoes.md"])
            let r = try CLI.run(["search", "magma", "--index", output.path, "--format", "json"])
            #expect(r.status == 0)
            let array = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
            #expect(array.first?["document"] as? String == "volcanoes.md")
            // The corpus's cache beside it (no file was written into the repository).
            let cached = try CLI.run(["search", "tides", "--corpus", corpus.path, "--format", "json"])
            #expect(cached.status == 0)
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".sift-cache/corpus.siftindex").path))
        }
    }

    @Test("A changed corpus is re-indexed")
    func cacheInvalidation() throws {
        try withTemporaryDirectory { dir in
            let corpus = dir.appendingPathComponent("corpus")
            try write("# Tides\n\nTides are caused by the Moon.\n", to: corpus.appendingPathComponent("tides.md"))
            let first = try CLI.run(["search", "photosynthesis", "--corpus", corpus.path, "--format", "json"])
            #expect(first.status == 0)
            #expect((try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [Any])?.isEmpty == true)
            try write("# Plants\n\nPhotosynthesis turns light into chemical energy.\n", to: corpus.appendingPathComponent("plants.md"))
            let second = try CLI.run(["search", "photosynthesis", "--corpus", corpus.path, "--format", "json"])
            let array = try #require(try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [[String: Any]])
            #expect(array.first?["document"] as? String == "plants.md")
        }
    }
}
