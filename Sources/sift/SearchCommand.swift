import ArgumentParser
import Foundation
import Sift

enum SearchFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

struct SearchResult: Encodable {
    var rank: Int
    var score: Float
    var passage_id: Int
    var document: String
    var title: String
    var start: Int
    var end: Int
    var text: String
    /// Found through the query's translation into the other language.
    var translated: Bool

    init(_ hit: SearchHit) {
        rank = hit.rank
        score = (hit.score * 10000).rounded() / 10000
        passage_id = hit.passageID
        document = hit.document.id
        title = hit.document.title
        start = hit.passage.start
        end = hit.passage.end
        text = hit.passage.text
        translated = hit.translated
    }
}

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the passages that best match a query.",
        discussion: """
        With --batch-file FILE (or '-' for standard input), every line is a query (plain text, or a JSON \
        object with a "query" or "question" key) and all are searched at once (one BLAS sgemm); the output \
        is one JSON array per line (json) or a block per query (text).
        """)

    @Argument(help: "The query (omit with --batch-file).")
    var query: String?

    @OptionGroup var source: IndexSource

    @OptionGroup(title: "Filters") var filters: FilterOptions

    @OptionGroup var translation: TranslateOption

    @Option(name: .short, help: "Number of results.")
    var k: Int = 5

    @Option(help: "Output format: text or json.")
    var format: SearchFormat = .text

    @Option(name: .customLong("batch-file"), help: ArgumentHelp("Search every line of FILE ('-' = stdin).", valueName: "FILE"))
    var batchFile: String?

    func validate() throws {
        guard (1...1000).contains(k) else { throw ValidationError("-k must be in 1...1000, got \(k)") }
        if query == nil && batchFile == nil { throw ValidationError("give a QUERY or --batch-file FILE") }
        if query != nil && batchFile != nil { throw ValidationError("give either a QUERY or --batch-file, not both") }
        if let q = query, q.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("the query is empty") }
    }

    func run() throws {
        try runOrExit {
            let queries: [String]
            if let batchFile { queries = try readQueries(batchFile) } else { queries = [query!] }
            let engine = try source.engine(quiet: format == .json) { $0.questions = .none; $0.search.translate = translation.setting }
            let filter = filters.filter
            let results = batchFile == nil ? [engine.search(queries[0], k: k, filter: filter)]
                : engine.search(batch: queries, k: k, filter: filter)
            for (q, hits) in zip(queries, results) {
                switch format {
                case .json:
                    if batchFile == nil {
                        printJSON(hits.map(SearchResult.init))
                    } else {
                        let encoder = JSONEncoder(); encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                        print(String(decoding: try encoder.encode(hits.map(SearchResult.init)), as: UTF8.self))
                    }
                case .text:
                    if batchFile != nil { print("# \(q)") }
                    if hits.isEmpty { print("(no matching passage)") }
                    for h in hits {
                        let text = h.passage.text.replacingOccurrences(of: "\n", with: " ")
                        print(String(format: "%2d. %.3f  %@ [%d..<%d]  %@", h.rank, h.score, h.document.id, h.passage.start, h.passage.end, h.document.title)
                              + (h.translated ? "  (via translation)" : ""))
                        print("    " + (text.count > 200 ? String(text.prefix(200)) + "…" : text))
                    }
                    if batchFile != nil { print("") }
                }
            }
        }
    }

    func readQueries(_ path: String) throws -> [String] {
        let data: Data
        if path == "-" { data = FileHandle.standardInput.readDataToEndOfFile() } else {
            guard let d = FileManager.default.contents(atPath: path) else {
                throw SiftError.fileUnreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file")
            }
            data = d
        }
        guard let text = String(data: data, encoding: .utf8) else { throw SiftError.invalidText(path: path, reason: "invalid UTF-8") }
        var queries: [String] = []
        for line in lines(of: text) where !line.allSatisfy(\.isWhitespace) {
            if line.first == "{", let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
               let q = (obj["query"] ?? obj["question"]) as? String {
                queries.append(q)
            } else {
                queries.append(String(line))
            }
        }
        guard !queries.isEmpty else { throw SiftError.invalidArgument(name: "--batch-file", reason: "'\(path)' holds no query") }
        return queries
    }
}
