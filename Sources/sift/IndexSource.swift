import ArgumentParser
import Foundation
import Sift

/// Where `ask` and `search` get their index: a corpus folder (indexed and cached by the
/// library) or a saved index file.
struct IndexSource: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Corpus folder of .md/.txt articles (default: ./Corpus).", valueName: "DIR"))
    var corpus: String?

    @Option(name: .long, help: ArgumentHelp("A saved index file (from 'sift index').", valueName: "FILE"))
    var index: String?

    func validate() throws {
        if corpus != nil && index != nil { throw ValidationError("give either --corpus or --index, not both") }
    }

    var corpusURL: URL { URL(fileURLWithPath: corpus ?? "Corpus") }

    /// The engine over the index file or the (cached) corpus folder.
    func engine(quiet: Bool = false, configure: (inout AnswerEngine.Options) -> Void = { _ in }) throws -> AnswerEngine {
        var options = AnswerEngine.Options.cli(quiet: quiet)
        configure(&options)
        if let index { return try AnswerEngine(indexFile: URL(fileURLWithPath: index), options: options) }
        return try AnswerEngine(corpus: corpusURL, options: options)
    }
}

extension AnswerEngine.Options {
    /// Options that report warnings, and (unless `quiet`) indexing progress, on stderr.
    static func cli(quiet: Bool) -> AnswerEngine.Options {
        var options = AnswerEngine.Options()
        options.onWarning = { warn($0.description) }
        if !quiet { options.progress = cliProgress }
        return options
    }
}

/// Indexing progress as lines on stderr (a line per tenth for large corpora).
let cliProgress: @Sendable (IndexingEvent) -> Void = { event in
    switch event {
    case .started(let articles, let updating):
        progressLine(updating ? "Updating the index (\(articles) articles) …" : "Indexing \(articles) articles …")
    case .embedded(let done, let total):
        if total >= 20_000 && (done == total || done % max(1, total / 10) < 256) {
            progressLine(String(format: "  %d of %d passages embedded (%.0f %%)", done, total, 100 * Double(done) / Double(total)))
        }
    case .finished(let u):
        let what = u.rebuilt ? "built" : "updated (\(u.added) added, \(u.changed) changed, \(u.removed) removed, \(u.unchanged) unchanged)"
        progressLine(String(format: "Index %@ in %.2f s%@", what, u.seconds, u.cacheFile.map { " → \($0.path)" } ?? ""))
    }
}
