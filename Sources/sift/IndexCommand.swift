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
            let cache = CorpusCache(corpus: URL(fileURLWithPath: corpus))
            _ = try cache.index(quiet: false, rebuild: rebuild, compact: compact, output: output.map { URL(fileURLWithPath: $0) })
        }
    }
}
