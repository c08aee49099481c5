import ArgumentParser
import Foundation
import Sift

struct Index: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Index a corpus folder and save the index.",
        discussion: """
        An existing index is updated in place: new, changed (by content hash) and deleted articles are \
        detected; removed passages become tombstones, so other passage ids never shift. Statistics (IDF, \
        average length) are updated exactly, and passage vectors never depend on them, so an updated index \
        answers exactly like a fresh build. --compact drops the tombstones.
        """)

    @Option(help: ArgumentHelp("Corpus folder (default: ./Corpus).", valueName: "DIR"))
    var corpus: String = "Corpus"

    @Option(help: ArgumentHelp("Index file to write (default: the cache that 'ask' and 'search' use).", valueName: "FILE"))
    var output: String?

    @Flag(help: "Rewrite the index without the tombstones of removed or changed passages (renumbers passage ids).")
    var compact = false

    @Flag(help: "Build from scratch instead of updating the existing index.")
    var rebuild = false

    func run() throws {
        try runOrExit {
            var options = AnswerEngine.Options.cli(quiet: false)
            options.rebuild = rebuild
            options.compact = compact
            options.questions = .none
            if let output { options.cache = .file(URL(fileURLWithPath: output)) }
            // A cache that cannot be written is an error here: writing it is the point.
            let failures = WarningLog()
            let report = options.onWarning
            options.onWarning = { w in
                if w.kind == .cacheNotSaved { failures.add(w) }
                report?(w)
            }
            let engine = try AnswerEngine(corpus: URL(fileURLWithPath: corpus), options: options)
            if let failure = failures.first { throw SiftError.writeFailed(path: failure.path, reason: failure.reason) }
            let index = engine.index
            let update = engine.lastUpdate
            if update?.cacheHit == true && !compact {
                progressLine("Index is up to date: \(index.documents.count) articles, \(index.passageCount) passages"
                             + (update?.cacheFile.map { " (\($0.path))" } ?? ""))
            } else {
                progressLine("Index: \(index.documents.count) articles, \(index.passageCount) passages, \(index.tombstoneCount) tombstones")
            }
        }
    }
}

/// Warnings collected from callbacks on any thread.
final class WarningLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [CorpusWarning] = []
    func add(_ w: CorpusWarning) { lock.lock(); items.append(w); lock.unlock() }
    var first: CorpusWarning? { lock.lock(); defer { lock.unlock() }; return items.first }
}
