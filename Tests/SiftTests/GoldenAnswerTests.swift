import Foundation
import Sift
import Testing

/// One line of `Fixtures/golden-questions.jsonl`: a question and every corpus article
/// (path relative to `Corpus/`) that genuinely answers it; `expected == []` marks a
/// question the corpus cannot answer.
private struct GoldenCase: Decodable, Sendable {
    var question: String
    var expected: [String]
    /// Strings of which at least one is in a statement that answers the question.
    var facts: [String]?
    /// Articles a bullet may come from without being off topic.
    var on_topic: [String]?

    var answerable: Bool { !expected.isEmpty }
}

/// The golden questions and their answers, computed once with the shared engine and
/// reused by every test of the suite.
private enum Golden {
    static let fixtureName = "golden-questions.jsonl"

    static let cases: Result<[GoldenCase], any Error> = Result {
        let url = Bundle.module.url(forResource: "golden-questions", withExtension: "jsonl", subdirectory: "Fixtures")
            ?? TestPaths.fixture(fixtureName)
        let text = try String(contentsOf: url, encoding: .utf8)
        let decoder = JSONDecoder()
        return try text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .map { try decoder.decode(GoldenCase.self, from: Data($0.utf8)) }
    }

    /// Each case with the engine's answer, in fixture order.
    static let results: Result<[(GoldenCase, Answer)], any Error> = Result {
        let engine = try Shared.engine.get()
        let clock = ContinuousClock()
        let start = clock.now
        // The engine is thread-safe; asking in parallel keeps the suite fast.
        let all = try cases.get()
        let answers = AnswerSlots(count: all.count)
        DispatchQueue.concurrentPerform(iterations: all.count) { i in answers[i] = engine.ask(all[i].question) }
        let rows = zip(all, answers.values).map { ($0, $1) }
        print("[golden] \(rows.count) questions asked in \(clock.now - start) (engine already built)")
        return rows
    }

    static func answerable() throws -> [(GoldenCase, Answer)] { try results.get().filter { $0.0.answerable } }
    static func unanswerable() throws -> [(GoldenCase, Answer)] { try results.get().filter { !$0.0.answerable } }
}

/// One slot per question, filled from several threads (each slot by one thread).
private final class AnswerSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Answer?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    subscript(i: Int) -> Answer? {
        get { lock.withLock { slots[i] } }
        set { lock.withLock { slots[i] = newValue } }
    }
    var values: [Answer] { lock.withLock { slots.map { $0! } } }
}

/// Statements (lead first) of an answer.
private func goldenStatements(_ a: Answer) -> [Answer.Statement] { (a.lead.map { [$0] } ?? []) + a.points }

private func percent(_ part: Int, _ whole: Int) -> String {
    whole == 0 ? "n/a" : String(format: "%.1f%%", 100 * Double(part) / Double(whole))
}

/// The first three reference sources of an answer, for diagnostics.
private func top3(_ a: Answer) -> [String] { a.references.prefix(3).map(\.source) }

@Suite("Golden questions on the bundled corpus")
struct GoldenAnswerTests {
    @Test("The fixture is well-formed: enough questions, real articles, no duplicates")
    func fixtureIsWellFormed() throws {
        let cases = try Golden.cases.get()
        #expect(cases.count >= 50, "only \(cases.count) golden questions")
        #expect(cases.filter { !$0.answerable }.count >= 10, "fewer than 10 unanswerable questions")
        let questions = cases.map(\.question)
        #expect(Set(questions).count == questions.count, "duplicate questions in \(Golden.fixtureName)")
        let articles = Set(TestPaths.corpusArticles)
        for c in cases {
            for e in c.expected {
                #expect(articles.contains(e), "'\(c.question)' expects \(e), which is not a corpus article")
            }
        }
        // Every article of the corpus is the expected answer of some question.
        let covered = Set(cases.flatMap(\.expected))
        #expect(articles.subtracting(covered).isEmpty, "articles no golden question covers: \(articles.subtracting(covered).sorted())")
    }

    @Test("At least 90 % of answerable questions have an expected article among the first 3 references")
    func topThreeHitRate() throws {
        let rows = try Golden.answerable()
        var misses: [String] = []
        for (c, a) in rows where !a.references.prefix(3).contains(where: { c.expected.contains($0.source) }) {
            misses.append("  '\(c.question)': expected one of \(c.expected); top 3: \(top3(a))")
        }
        let hits = rows.count - misses.count
        let summary = "top-3 hit rate: \(hits)/\(rows.count) = \(percent(hits, rows.count))"
        print("[golden] \(summary)")
        // Informational, not asserted: the first reference alone, and top-3 hits that are also answered.
        let top1 = rows.filter { c, a in a.references.first.map { c.expected.contains($0.source) } ?? false }.count
        let answeredHits = rows.filter { c, a in a.answered && a.references.prefix(3).contains { c.expected.contains($0.source) } }.count
        print("[golden] top-1 hit rate: \(top1)/\(rows.count) = \(percent(top1, rows.count)); answered with a top-3 hit: \(answeredHits)/\(rows.count) = \(percent(answeredHits, rows.count))")
        if !misses.isEmpty { print("[golden] top-3 misses (\(misses.count)):\n" + misses.joined(separator: "\n")) }
        #expect(!rows.isEmpty)
        #expect(Double(hits) >= 0.9 * Double(rows.count), "\(summary); misses:\n\(misses.joined(separator: "\n"))")
    }

    @Test("Every lead and point is a verbatim substring of the passage of every reference it cites")
    func statementsAreVerbatim() throws {
        let rows = try Golden.results.get()
        var total = 0
        var failures: [String] = []
        for (c, a) in rows {
            for s in goldenStatements(a) {
                total += 1
                if s.citations.isEmpty {
                    failures.append("  '\(c.question)': uncited statement '\(s.text)'")
                    continue
                }
                for n in s.citations {
                    guard n >= 1 && n <= a.references.count else {
                        failures.append("  '\(c.question)': '\(s.text)' cites [\(n)] of \(a.references.count) references")
                        break
                    }
                    let r = a.references[n - 1]
                    if !r.passage.contains(s.text) {
                        failures.append("  '\(c.question)': '\(s.text)' is not in [\(n)] \(r.source): \(r.passage)")
                        break
                    }
                }
            }
        }
        let verbatim = total - failures.count
        let summary = "verbatim statements: \(verbatim)/\(total) = \(percent(verbatim, total))"
        print("[golden] \(summary)")
        if !failures.isEmpty { print("[golden] non-verbatim statements:\n" + failures.joined(separator: "\n")) }
        #expect(total > 0)
        #expect(failures.isEmpty, "\(summary):\n\(failures.joined(separator: "\n"))")
    }

    @Test("Every question the corpus cannot answer is declined: answered == false, no lead, no points")
    func unanswerableQuestionsAreDeclined() throws {
        let rows = try Golden.unanswerable()
        var failures: [String] = []
        for (c, a) in rows where a.answered || a.lead != nil || !a.points.isEmpty {
            let texts = goldenStatements(a).map(\.text)
            failures.append("  '\(c.question)': answered=\(a.answered), lead=\(a.lead != nil), points=\(a.points.count); top 3: \(top3(a)); statements: \(texts)")
        }
        let handled = rows.count - failures.count
        let summary = "unanswerable handled: \(handled)/\(rows.count) = \(percent(handled, rows.count))"
        print("[golden] \(summary)")
        if !failures.isEmpty { print("[golden] unanswerable questions that got an answer:\n" + failures.joined(separator: "\n")) }
        #expect(rows.count >= 10)
        #expect(failures.isEmpty, "\(summary):\n\(failures.joined(separator: "\n"))")
    }

    /// A fixed score threshold cannot separate every answerable question from every
    /// unanswerable one (Chinese questions with few topic words score low); unanswerable
    /// questions must all be declined (above), answerable ones at least 90 % answered.
    @Test("At least 90 % of answerable questions are answered")
    func answerableQuestionsAreAnswered() throws {
        let rows = try Golden.answerable()
        var failures: [String] = []
        for (c, a) in rows where !a.answered {
            failures.append("  '\(c.question)': not answered; expected \(c.expected); top 3: \(top3(a))")
        }
        let answered = rows.count - failures.count
        let summary = "answerable answered: \(answered)/\(rows.count) = \(percent(answered, rows.count))"
        print("[golden] \(summary)")
        if !failures.isEmpty { print("[golden] unanswered answerable questions:\n" + failures.joined(separator: "\n")) }
        #expect(Double(answered) >= 0.9 * Double(rows.count), "\(summary):\n\(failures.joined(separator: "\n"))")
    }

    /// The fixture's `facts`: strings of which one is in a statement that answers the question.
    @Test("The lead states a fact of the answer for at least 55 % of the questions with facts, the whole answer too")
    func leadsStateFacts() throws {
        let rows = try Golden.answerable().filter { !($0.0.facts ?? []).isEmpty }
        func has(_ s: Answer.Statement?, _ facts: [String]) -> Bool {
            guard let t = s?.text.lowercased() else { return false }
            return facts.contains { t.contains($0.lowercased()) }
        }
        var leadMisses: [String] = [], anyHits = 0
        for (c, a) in rows {
            let facts = c.facts ?? []
            if !has(a.lead, facts) { leadMisses.append("  '\(c.question)': lead \(a.lead?.text.prefix(80) ?? "none")") }
            if goldenStatements(a).contains(where: { has($0, facts) }) { anyHits += 1 }
        }
        let leads = rows.count - leadMisses.count
        let summary = "lead states a fact: \(leads)/\(rows.count) = \(percent(leads, rows.count)); "
            + "any statement: \(anyHits)/\(rows.count) = \(percent(anyHits, rows.count))"
        print("[golden] \(summary)")
        if !leadMisses.isEmpty { print("[golden] leads without a fact:\n" + leadMisses.joined(separator: "\n")) }
        #expect(rows.count >= 60)
        // Measured 2026-12-01: lead 60.7 %, any statement 63.7 % of 135 (before bare terms, terms
        // no article is about, question words left out of coverage and table rows judged with
        // their headers: 55.6 % and 56.3 %; before
        // cross-language search: 50.0 % and 51.5 % of 130; the composer before the ranker: lead
        // 8.5 %, any 55.4 % with five bullets an answer, half of them off topic).
        #expect(Double(leads) >= 0.55 * Double(rows.count), "\(summary)")
        #expect(Double(anyHits) >= 0.55 * Double(rows.count), "\(summary)")
    }

    /// The fixture's `on_topic`: a bullet from any other article pads the answer.
    @Test("At least 80 % of bullets come from an article on the question's topic")
    func bulletsAreOnTopic() throws {
        let rows = try Golden.answerable().filter { $0.0.on_topic != nil }
        var total = 0, onTopic = 0, off: [String] = []
        for (c, a) in rows {
            let allowed = Set((c.on_topic ?? []) + c.expected)
            for p in a.points {
                total += 1
                let source = a.references[p.citations[0] - 1].source
                if allowed.contains(source) { onTopic += 1 } else { off.append("  '\(c.question)': \(source): \(p.text.prefix(70))") }
            }
        }
        let summary = "bullets on topic: \(onTopic)/\(total) = \(percent(onTopic, total))"
        print("[golden] \(summary)")
        if !off.isEmpty { print("[golden] off-topic bullets:\n" + off.joined(separator: "\n")) }
        // Measured 2026-12-01: 37 of 41 (18 of them the lead passage's second statement; before
        // it and the changes above 10 of 14; before cross-language search 10 of 13; the composer
        // before the ranker: 183 of 349).
        #expect(Double(onTopic) >= 0.8 * Double(total), "\(summary)")
    }
}
