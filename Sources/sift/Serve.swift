import ArgumentParser
import Foundation
import Hummingbird
import Sift
import SiftServer
import Synchronization

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the Q&A wiki: home, question list, question pages and a JSON API.",
        discussion: """
        Pages: / (home), /questions (list, ?page=&q=), /questions/ID, /ask?q=QUESTION.
        JSON: /api/ask?q= (as 'sift ask --format json'), /api/questions?page=&q=, /api/questions/ID, /healthz.
        Every question asked is recorded in the history (SQLite) unless --no-history.
        """)

    @OptionGroup var source: IndexSource

    @Option(help: "Address to listen on (127.0.0.1: this machine only).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8080

    @Option(help: ArgumentHelp("The question history, a SQLite file (default: .sift-cache/history.sqlite beside the corpus).", valueName: "FILE"))
    var history: String?

    @Flag(name: .customLong("no-history"), help: "Record nothing; \"Others are asking\" comes from the bundled question bank.")
    var noHistory = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port)") }
        if noHistory && history != nil { throw ValidationError("--history and --no-history exclude each other") }
    }

    /// The other commands are synchronous (an async root command costs every one of them
    /// about 8 ms of start-up), so the server runs its async service from here and this
    /// thread waits for it to end (SIGINT/SIGTERM shut it down gracefully).
    func run() throws {
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { try await serve() } catch { outcome.error.withLock { $0 = error } }
            done.signal()
        }
        done.wait()
        if let error = outcome.error.withLock({ $0 }) { throw error }
    }

    final class Outcome: Sendable { let error = Mutex<(any Error)?>(nil) }

    func serve() async throws {
        let engine: AnswerEngine
        let store: QuestionHistory?
        do {
            engine = try source.engine()
            if noHistory {
                store = nil
            } else {
                let path = history ?? source.corpusURL.deletingLastPathComponent().appendingPathComponent(".sift-cache/history.sqlite").path
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                store = try QuestionHistory(path: path)
            }
        } catch let error as SiftError {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(1)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let wiki = try Wiki(engine: engine, history: store)
        var config = WikiServer.Configuration()
        config.host = host
        config.port = port
        FileHandle.standardError.write(Data("Serving \(source.corpus ?? source.index ?? "Corpus") on http://\(host):\(port)/\(store.map { " (history: \($0.path))" } ?? "")\n".utf8))
        try await WikiServer.application(wiki, configuration: config).runService()
    }
}
