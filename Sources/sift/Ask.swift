import ArgumentParser
import Foundation
import Sift
import SiftServer

extension AnswerFormat: ExpressibleByArgument {}

struct Ask: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a question from the corpus, citing the passages it quotes.")

    @Argument(help: "The question, in Chinese or English.")
    var question: String

    @OptionGroup var source: IndexSource

    @OptionGroup(title: "Filters") var filters: FilterOptions

    @OptionGroup var translation: TranslateOption

    @Option(help: "Output format: text, markdown or json.")
    var format: AnswerFormat = .text

    @Option(name: .customLong("top-k"), help: "Passages to retrieve (1...1000).")
    var topK: Int = 8

    @Option(name: .customLong("min-score"), help: "Minimum score (0...1) of the best passage for an answer.")
    var minScore: Float = 0.16

    @Option(help: ArgumentHelp("A Mustache template file to render the answer with (text and markdown formats).", valueName: "FILE"))
    var template: String?

    @Option(help: ArgumentHelp("Also record the question in this question history (a SQLite file, as 'sift serve --history' uses).", valueName: "FILE"))
    var history: String?

    func validate() throws {
        guard (1...1000).contains(topK) else { throw ValidationError("--top-k must be in 1...1000, got \(topK)") }
        guard minScore.isFinite, (0...1).contains(minScore) else { throw ValidationError("--min-score must be in 0...1, got \(minScore)") }
        if question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("the question is empty") }
        if template != nil && format == .json { throw ValidationError("--template applies to the text and markdown formats, not json") }
    }

    func run() throws {
        try runOrExit {
            let renderer = try template.map { try AnswerRenderer(templateFile: URL(fileURLWithPath: $0)) } ?? AnswerRenderer()
            let composer = try AnswerComposer(topK: topK, minScore: minScore)
            let engine = try source.engine(quiet: format == .json) { $0.composer = composer; $0.search.translate = translation.setting }
            let answer = engine.ask(question, filter: filters.filter)
            if let history {
                do { try QuestionHistory(path: history).record(question, answer: answer) } catch {
                    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                    throw ExitCode(1)
                }
            }
            print(renderer.render(answer, as: format))
        }
    }
}
