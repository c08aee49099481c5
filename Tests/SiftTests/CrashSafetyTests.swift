import Foundation
import Sift
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash safety of `sift index`: a writer killed (SIGKILL) at a random moment must leave the
/// previous index file intact — or the complete new one, if the rename already happened —
/// and nothing but `.<name>.tmp-*` leftovers beside it.
///
/// Fast variant: 40 kills (always on). `Tests/Hardening/kill-test.sh` runs hundreds
/// (`SIFT_KILL_ROUNDS`, `SIFT_KILL_SEED`).
@Suite("Crash safety", .serialized)
struct CrashSafetyTests {
    static let environment = ProcessInfo.processInfo.environment
    static var rounds: Int { Int(environment["SIFT_KILL_ROUNDS"] ?? "") ?? 40 }
    static var seed: UInt64 { UInt64(environment["SIFT_KILL_SEED"] ?? "") ?? 0x6B11_1ED }

    static let queries = ["什么是sft?", "What is RLHF?", "向量检索", "tokenization", "reward model 奖励模型"]

    /// What a test knows about the index file at one moment.
    struct Snapshot {
        var bytes: Data
        var fingerprint: String
        var results: [[SearchHit]]

        /// Opens `url` with full verification (every checksum, the matrix included).
        init(_ url: URL) throws {
            bytes = try Data(contentsOf: url)
            let index = try SiftIndex.open(url, expectedModel: .default, verification: .full)
            fingerprint = index.corpusFingerprint
            results = CrashSafetyTests.queries.map { index.search($0, k: 5) }
        }
    }

    /// A finished run of `sift`: exit status, duration, and when (seconds after the start)
    /// a temporary file was seen beside the index.
    struct ObservedRun {
        var status: Int32
        var seconds: Double
        var tempFileSeen: ClosedRange<Double>?
    }

    /// Runs `sift ARGS` to completion, watching `folder` for temporary files.
    static func runObserved(_ executable: URL, _ arguments: [String], watching folder: URL) throws -> ObservedRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        try process.run()
        var seen: ClosedRange<Double>? = nil
        while process.isRunning {
            if let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path), names.contains(where: { $0.contains(".tmp-") }) {
                let t = elapsed()
                seen = seen.map { $0.lowerBound...t } ?? t...t
            }
            usleep(500)
        }
        process.waitUntilExit()
        return ObservedRun(status: process.terminationStatus, seconds: elapsed(), tempFileSeen: seen)
    }

    /// Changes the corpus: edits an article, adds one, or deletes one.
    static func mutate(corpus: URL, round: Int, using rng: inout SeededGenerator) throws {
        let fm = FileManager.default
        var articles: [URL] = []
        for language in ["zh", "en"] {
            let dir = corpus.appendingPathComponent(language)
            articles += try fm.contentsOfDirectory(atPath: dir.path).sorted().map { dir.appendingPathComponent($0) }
        }
        switch round % 3 {
        case 0:
            let url = articles.randomElement(using: &rng)!
            let kind: TextKind = url.path.contains("/zh/") ? .zh : .en
            let paragraph = (0..<3).map { _ in ArticleFactory.sentence(kind, using: &rng) }.joined(separator: kind == .zh ? "" : " ")
            let handle = try FileHandle(forWritingTo: url)
            handle.seekToEndOfFile()
            handle.write(Data("\n\n\(paragraph)\n".utf8))
            try handle.close()
        case 1 where articles.count > 8:
            try fm.removeItem(at: articles.randomElement(using: &rng)!)
        default:
            let kind = TextKind.allCases.randomElement(using: &rng)!
            let folder = kind == .en ? "en" : "zh"
            let text = ArticleFactory.article(title: "Generated \(round)", kind: kind, sentences: Int.random(in: 3...20, using: &rng), using: &rng)
            try write(text, to: corpus.appendingPathComponent("\(folder)/generated-\(round).md"))
        }
    }

    @Test("Writing an index removes temporary files that killed writers left, and keeps live writers' ones")
    func staleTemporaries() throws {
        try withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("x.siftindex")
            // A process that has exited: its pid names a writer that no longer exists.
            let gone = Process()
            gone.executableURL = URL(fileURLWithPath: "/bin/true")
            try gone.run()
            gone.waitUntilExit()
            let stale = dir.appendingPathComponent(".x.siftindex.tmp-\(gone.processIdentifier)-42")
            let live = dir.appendingPathComponent(".x.siftindex.tmp-1-7")  // pid 1 is alive
            let other = dir.appendingPathComponent(".y.siftindex.tmp-\(gone.processIdentifier)-42")  // another file's
            for url in [stale, live, other] { try Data("partial".utf8).write(to: url) }
            let index = try SiftIndex(model: smallModel(), documents: sampleDocuments())
            try index.write(to: file)
            let names = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
            #expect(names == ["x.siftindex", live.lastPathComponent, other.lastPathComponent], "\(names.sorted())")
            #expect(try SiftIndex.open(file, expectedModel: smallModel(), verification: .full).passageCount == index.passageCount)
        }
    }

    @Test("sift index killed at random points leaves the old or the new index, intact")
    func killWriter() throws {
        let executable = try CLI.executable.get()
        try withTemporaryDirectory { dir in
            // A copy of part of the bundled corpus (10 articles per language: quick runs).
            let corpus = dir.appendingPathComponent("corpus")
            for language in ["zh", "en"] {
                let names = TestPaths.corpusArticles.filter { $0.hasPrefix(language + "/") }.prefix(10)
                for name in names {
                    try FileManager.default.createDirectory(at: corpus.appendingPathComponent(language), withIntermediateDirectories: true)
                    try FileManager.default.copyItem(at: TestPaths.corpus.appendingPathComponent(name), to: corpus.appendingPathComponent(name))
                }
            }
            let outDir = dir.appendingPathComponent("out")
            try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
            let file = outDir.appendingPathComponent("corpus.siftindex")
            let first = try Self.runObserved(executable, ["index", "--corpus", corpus.path, "--output", file.path], watching: outDir)
            try #require(first.status == 0, "initial sift index failed")
            var previous = try Snapshot(file)
            // Duration of an update run, and when its temporary file exists (learned from the
            // last update run that was not killed).
            var typicalRun = max(first.seconds, 0.05)
            var writeWindow: ClosedRange<Double>? = nil
            var writeDuration = 0.01

            var rng = SeededGenerator(seed: Self.seed)
            var outcomes: [String: Int] = [:]
            var leftovers: [String] = []
            var failures = 0
            for round in 0..<Self.rounds {
                try Self.mutate(corpus: corpus, round: round, using: &rng)
                var arguments = ["index", "--corpus", corpus.path, "--output", file.path]
                if round % 10 == 9 { arguments.append("--compact") }
                if round % 15 == 14 { arguments.append("--rebuild") }

                // Start the writer and kill it. Half of the kills wait for its temporary file
                // to appear and strike 0–120 % of the last write's duration later (inside the
                // write, or just after the rename); the others strike at 0–130 % of a typical
                // run, wherever that falls.
                let plain = arguments.count == 5
                let targeted = Bool.random(using: &rng)
                let process = Process()
                process.executableURL = executable
                process.arguments = arguments
                process.standardInput = FileHandle.nullDevice
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                var delay = Double.random(in: 0...1.3, using: &rng) * typicalRun
                let writeDelay = Double.random(in: 0...1.2, using: &rng) * max(writeDuration, 0.002)
                let start = DispatchTime.now().uptimeNanoseconds
                try process.run()
                if targeted {
                    while process.isRunning {
                        if let names = try? FileManager.default.contentsOfDirectory(atPath: outDir.path), names.contains(where: { $0.contains(".tmp-") }) {
                            usleep(UInt32(writeDelay * 1_000_000))
                            break
                        }
                        usleep(200)
                    }
                    delay = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                } else {
                    usleep(UInt32(delay * 1_000_000))
                }
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                let killed = process.terminationReason == .uncaughtSignal

                // Only the index file and `.corpus.siftindex.tmp-*` leftovers may be there.
                let names = try FileManager.default.contentsOfDirectory(atPath: outDir.path).sorted()
                for name in names where name != file.lastPathComponent {
                    if name.hasPrefix(".corpus.siftindex.tmp-") {
                        let size = (try? FileManager.default.attributesOfItem(atPath: outDir.appendingPathComponent(name).path)[.size] as? NSNumber)?.intValue ?? -1
                        leftovers.append("round \(round): \(name) (\(size) bytes)")
                        try FileManager.default.removeItem(at: outDir.appendingPathComponent(name))
                    } else {
                        Issue.record("round \(round): unexpected file '\(name)' beside the index")
                    }
                }

                // The file must open with every checksum verified.
                let afterKill: Snapshot
                do {
                    afterKill = try Snapshot(file)
                } catch {
                    failures += 1
                    Issue.record("round \(round) (killed after \(Int(delay * 1000)) ms): the index does not open: \(error)")
                    // Rebuild so that later rounds can go on.
                    _ = try Self.runObserved(executable, ["index", "--corpus", corpus.path, "--output", file.path, "--rebuild"], watching: outDir)
                    previous = try Snapshot(file)
                    continue
                }

                // Let a writer finish, for the new version.
                let completion = try Self.runObserved(executable, arguments, watching: outDir)
                #expect(completion.status == 0, "round \(round): sift index after the kill exited \(completion.status)")
                let next = try Snapshot(file)
                if plain && next.fingerprint != afterKill.fingerprint {
                    // A complete update run (the killed one had not written): learn from it.
                    typicalRun = 0.7 * typicalRun + 0.3 * completion.seconds
                    if let w = completion.tempFileSeen { writeWindow = w; writeDuration = w.upperBound - w.lowerBound }
                }

                let outcome: String
                if afterKill.bytes == previous.bytes {
                    outcome = "old index intact"
                    #expect(afterKill.results == previous.results, "round \(round)")
                } else if afterKill.fingerprint == next.fingerprint && afterKill.results == next.results {
                    outcome = "new index complete"
                } else {
                    outcome = "NEITHER old nor new"
                    failures += 1
                    Issue.record("round \(round) (killed after \(Int(delay * 1000)) ms): the file is neither the old index nor the new one")
                }
                let hadTemp = leftovers.last?.hasPrefix("round \(round):") == true
                outcomes[(killed ? (hadTemp ? "killed while writing, " : "killed, ") : "finished before the kill, ") + outcome, default: 0] += 1
                previous = next
            }
            let summary = outcomes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            let window = writeWindow.map { "\(Int($0.lowerBound * 1000))–\(Int($0.upperBound * 1000)) ms" } ?? "not seen"
            hardeningReport("crash-safety: \(Self.rounds) rounds (seed \(Self.seed), typical run \(Int(typicalRun * 1000)) ms, temp file at \(window)): \(summary); "
                            + "\(failures) failures; \(leftovers.count) temp-file leftovers")
            for l in leftovers.prefix(5) { hardeningReport("crash-safety leftover: \(l)") }
            #expect(failures == 0)
        }
    }
}
