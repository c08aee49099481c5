import ArgumentParser
import Sift

/// `--lang`, `--tag`, `--source`, `--since`, `--until`: which documents `ask` and `search` may use.
struct FilterOptions: ParsableArguments {
    @Option(name: .customLong("lang"), help: ArgumentHelp("Only documents in this language (zh, en, …); repeatable.", valueName: "LANG"))
    var languages: [String] = []

    @Option(name: .customLong("tag"), help: ArgumentHelp("Only documents with this tag (any of the given ones); repeatable.", valueName: "TAG"))
    var tags: [String] = []

    @Option(name: .customLong("source"), help: ArgumentHelp("Only documents whose path starts with this prefix (e.g. zh/); repeatable.", valueName: "PREFIX"))
    var sources: [String] = []

    @Option(help: ArgumentHelp("Only documents dated on or after this day (YYYY, YYYY-MM or YYYY-MM-DD).", valueName: "DATE"))
    var since: String?

    @Option(help: ArgumentHelp("Only documents dated on or before this day.", valueName: "DATE"))
    var until: String?

    var filter: SearchFilter {
        SearchFilter(languages: Set(languages), tags: Set(tags), sourcePrefixes: sources, since: since, until: until)
    }

    func validate() throws {
        do { try filter.validate() } catch {
            if case .invalidArgument(let name, let reason) = error { throw ValidationError("--\(name): \(reason)") }
            throw error
        }
    }
}

/// `--translate`: whether a question is also searched in the corpus's other language.
struct TranslateOption: ParsableArguments {
    enum Mode: String, ExpressibleByArgument, CaseIterable { case auto, on, off }

    @Option(help: ArgumentHelp("Also search the question translated between Chinese and English (word by word, CC-CEDICT lexicon): auto (when the corpus holds documents in the other language), on or off.", valueName: "MODE"))
    var translate: Mode = .auto

    var setting: Bool? { translate == .auto ? nil : translate == .on }
}
