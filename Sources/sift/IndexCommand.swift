import ArgumentParser
import Foundation
import Sift

struct Index: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Index a corpus folder and save the index.")

    @Option(help: ArgumentHelp("Corpus folder (default: ./Corpus).", valueName: "DIR"))
    var corpus: String = "Corpus"

    @Option(help: ArgumentHelp("Index file to write (default: the cache that 'ask' and 'search' use).", valueName: "FILE"))
    var output: String?

    func run() throws {
        try runOrExit {
            let cache = CorpusCache(corpus: URL(fileURLWithPath: corpus))
            _ = try cache.index(quiet: false, forceRebuild: true, output: output.map { URL(fileURLWithPath: $0) })
        }
    }
}
