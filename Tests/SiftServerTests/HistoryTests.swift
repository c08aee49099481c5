import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Sift
import SiftServer
import Testing

@Suite("Question history on a real SQLite file")
struct HistoryTests {
    @Test("One row per distinct question: normalised text, counts, first and last time, language, summary")
    func rows() throws {
        let history = try QuestionHistory(path: Fixture.historyFile())
        let engine = try Fixture.engine.get()
        let a = engine.ask("什么是sft?")
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let first = try history.record("什么是sft?", answer: a, at: t0)
        let again = try history.record("  什么是 SFT？ ", answer: a, at: t0.addingTimeInterval(60))
        #expect(first.id == again.id)
        #expect(again.count == 2)
        #expect(again.question == "什么是sft?", "the first wording is kept")
        #expect(again.firstAsked == t0 && again.lastAsked == t0.addingTimeInterval(60))
        #expect(again.language == "zh" && again.answered)
        #expect(again.summary.contains("监督微调"))
        let none = try history.record("红烧肉怎么做?", answer: engine.ask("红烧肉怎么做?"))
        #expect(!none.answered && none.summary.isEmpty)
        #expect(try history.count() == 2)
        #expect(try history.mostAsked(5).first?.id == first.id)
        #expect(try history.entry(id: 424242) == nil)
    }

    @Test("The schema survives reopening; a file that is not a database is refused with its path")
    func reopenAndCorrupt() throws {
        let path = Fixture.historyFile()
        do {
            let h = try QuestionHistory(path: path)
            try h.record("What is RLHF?", answer: Fixture.engine.get().ask("What is RLHF?"))
        }
        #expect(try QuestionHistory(path: path).count() == 1)
        let bad = Fixture.historyFile()
        try Data("this is not a SQLite database, just text".utf8).write(to: URL(fileURLWithPath: bad))
        do {
            _ = try QuestionHistory(path: bad)
            Issue.record("a text file opened as a history")
        } catch {
            #expect(error.description.contains(bad), "\(error)")
        }
    }

    @Test("Concurrent writers from many tasks lose and duplicate nothing")
    func concurrentTasks() async throws {
        let path = Fixture.historyFile()
        let history = try QuestionHistory(path: path)
        let second = try QuestionHistory(path: path)  // a second connection pool on the same file
        let answer = await (try Fixture.engine.get()).ask("What is LoRA?")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<8 {
                group.addTask {
                    let store = t % 2 == 0 ? history : second
                    for i in 0..<40 {
                        try store.record("distinct question \(t)-\(i)", answer: answer)
                        try store.record("the shared question", answer: answer)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try history.count() == 8 * 40 + 1)
        #expect(try history.entry(question: "the shared question")?.count == 8 * 40)
        #expect(try history.all().allSatisfy { $0.question == "the shared question" || $0.count == 1 })
    }

    @Test("Two processes write at once: a sift serve child and this process; no row lost or duplicated")
    func twoProcesses() async throws {
        let path = Fixture.historyFile()
        let history = try QuestionHistory(path: path)
        let bank = try Wiki(engine: Fixture.engine.get(), history: history).history!.count()
        let port = 20000 + Int(getpid() % 20000)
        let server = try ServerProcess(arguments: ["serve", "--corpus", Fixture.corpus.path, "--port", String(port), "--history", path])
        defer { server.stop() }
        try await server.waitUntilHealthy(port: port)
        let answer = await (try Fixture.engine.get()).ask("What is DPO?")
        async let remote: Void = {
            for i in 0..<30 {
                let q = "asked over HTTP \(i)".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                _ = try await ServerProcess.get("http://127.0.0.1:\(port)/api/ask?q=\(q)")
                _ = try await ServerProcess.get("http://127.0.0.1:\(port)/api/ask?q=both%20processes%20ask%20this")
            }
        }()
        for i in 0..<30 {
            try history.record("asked in the test process \(i)", answer: answer)
            try history.record("both processes ask this", answer: answer)
        }
        try await remote
        #expect(try history.count() == bank + 30 + 30 + 1)
        #expect(try history.entry(question: "both processes ask this")?.count == 60)
        // SIGTERM: the server shuts down cleanly, and what it wrote stays.
        server.terminate()
        #expect(server.waitForExit() == 0)
        #expect(try QuestionHistory(path: path).count() == bank + 61)
    }
}

/// A `sift` child process.
final class ServerProcess: @unchecked Sendable {
    let process = Process()

    init(arguments: [String]) throws {
        let bundleDir = Bundle.main.bundleURL
        let candidates = [bundleDir.appendingPathComponent("sift"), Fixture.root.appendingPathComponent(".build/debug/sift")]
        guard let exe = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: candidates[0].path])
        }
        process.executableURL = exe
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func waitUntilHealthy(port: Int) async throws {
        for _ in 0..<300 {
            if (try? await ServerProcess.get("http://127.0.0.1:\(port)/healthz")) == "ok\n" { return }
            guard process.isRunning else { throw CocoaError(.executableLoad) }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        throw CocoaError(.executableLoad)
    }

    static func get(_ url: String) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
        return String(decoding: data, as: UTF8.self)
    }

    func terminate() { process.terminate() }

    func waitForExit() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    func stop() { if process.isRunning { process.terminate(); process.waitUntilExit() } }
}

@Suite("sift ask --history")
struct AskHistoryTests {
    @Test("The CLI records its questions when given a history file, and names a bad one")
    func cliRecords() throws {
        let path = Fixture.historyFile()
        for q in ["What is DPO?", "what is  DPO", "什么是sft?"] {
            let p = try ServerProcess(arguments: ["ask", q, "--corpus", Fixture.corpus.path, "--history", path])
            #expect(p.waitForExit() == 0)
        }
        let history = try QuestionHistory(path: path)
        #expect(try history.count() == 2)
        #expect(try history.entry(question: "What is DPO?")?.count == 2)
        let bad = Fixture.historyFile()
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: bad))
        let p = try ServerProcess(arguments: ["ask", "What is DPO?", "--corpus", Fixture.corpus.path, "--history", bad])
        #expect(p.waitForExit() == 1)
    }
}
