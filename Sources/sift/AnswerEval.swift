import Dispatch
import Foundation
@_spi(Benchmarks) import Sift

/// `sift eval --answers`: the composed answers against gold answer strings. A statement
/// "contains" a gold answer when, after NFKC, case folding and removing all whitespace, the
/// answer is a substring of it. first = the first statement shown (the lead) contains one;
/// any = some statement does.
struct AnswerEval {
    struct Report: Encodable {
        var questions: Int
        var passages: Int
        var first: Double
        var any: Double
        var answered: Double
        var statements_per_answer: Double
        var first_statement_chars: Double
        var ms_p50: Double
        var ms_p99: Double
        var index_seconds: Double
    }

    let index: SiftIndex
    let queries: [Eval.LabelledQuery]
    let indexSeconds: Double
    let settings: SearchSettings
    let json: Bool
    let details: String?
    let dump: String?

    static func normalize(_ s: String) -> String {
        String(s.precomposedStringWithCompatibilityMapping.lowercased().unicodeScalars.filter { !$0.properties.isWhitespace })
    }

    static func contains(_ statement: String, _ golds: [String]) -> Bool {
        let s = normalize(statement)
        return golds.contains { !$0.isEmpty && s.contains($0) }
    }

    func run() throws {
        var composer = AnswerComposer.standard
        composer.maxPoints = 4  // five statements at most, as the peer's "any"
        let engine = AnswerEngine(index: index, options: { var o = AnswerEngine.Options(); o.search = settings; o.composer = composer; return o }())
        var first = 0, any = 0, answered = 0, statements = 0, firstChars = 0
        var latencies: [Double] = []
        var detailLines: [String] = [], dumpLines: [String] = []
        for q in queries {
            let golds = q.answers.map(AnswerEval.normalize).filter { !$0.isEmpty }
            let start = DispatchTime.now().uptimeNanoseconds
            let answer = engine.ask(q.question)
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            let shown = (answer.lead.map { [$0] } ?? []) + answer.points
            let f = shown.first.map { AnswerEval.contains($0.text, golds) } ?? false
            let a = shown.contains { AnswerEval.contains($0.text, golds) }
            if answer.answered && !shown.isEmpty {
                answered += 1
                statements += shown.count
                firstChars += shown[0].text.count
            }
            if f { first += 1 }
            if a { any += 1 }
            if details != nil {
                let line: [String: Any] = ["id": q.id, "first": f, "any": a, "first_statement": shown.first?.text ?? NSNull(),
                                           "statements": shown.map(\.text)]
                if let d = try? JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]) { detailLines.append(String(decoding: d, as: UTF8.self)) }
            }
            if dump != nil {
                for c in composer.candidateStatements(q.question, index: index, settings: settings) {
                    let line: [String: Any] = ["q": q.id, "label": AnswerEval.contains(c.text, golds) ? 1 : 0, "rank": c.passageRank,
                                               "gold_passage": q.positives.contains(c.documentID) ? 1 : 0, "f": c.features.map { Double($0) }]
                    if let d = try? JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]) { dumpLines.append(String(decoding: d, as: UTF8.self)) }
                }
            }
        }
        if let path = details { try (detailLines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8) }
        if let path = dump {
            let header = try JSONSerialization.data(withJSONObject: ["features": AnswerComposer.featureNames], options: [])
            try ([String(decoding: header, as: UTF8.self)] + dumpLines).joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        latencies.sort()
        let n = Double(max(1, queries.count))
        let report = Report(questions: queries.count, passages: index.passageCount, first: Double(first) / n, any: Double(any) / n,
                            answered: Double(answered) / n, statements_per_answer: Double(statements) / Double(max(1, answered)),
                            first_statement_chars: Double(firstChars) / Double(max(1, answered)),
                            ms_p50: round3(percentile(latencies, 0.5)), ms_p99: round3(percentile(latencies, 0.99)),
                            index_seconds: round3(indexSeconds))
        if json { printJSON(report); return }
        print(String(format: "questions %d  passages %d", report.questions, report.passages))
        print(String(format: "first %.4f  any %.4f  answered %.4f  statements/answer %.2f  first statement %.1f chars",
                     report.first, report.any, report.answered, report.statements_per_answer, report.first_statement_chars))
        print(String(format: "answer p50 %.2f ms  p99 %.2f ms", report.ms_p50, report.ms_p99))
    }
}
