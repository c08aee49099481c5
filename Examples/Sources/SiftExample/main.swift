// Uses Sift as README shows: open a corpus (cached), ask, search with a filter, add a
// document; then, on a scratch copy of the corpus, checks that a second start is a cache hit
// and that an edited article is picked up without a full rebuild. Exits 1 if a check fails.
import Foundation
import Sift

let corpus = URL(fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "../Corpus")

func milliseconds(since start: Date) -> String { String(format: "%.1f ms", Date().timeIntervalSince(start) * 1000) }
var failures = 0
@MainActor func check(_ condition: Bool, _ what: String) {
    print(condition ? "ok    \(what)" : "FAIL  \(what)")
    if !condition { failures += 1 }
}

do {
    // 1. README's five lines.
    let start = Date()
    let engine = try AnswerEngine(corpus: corpus)
    print("opened \(corpus.path) in \(milliseconds(since: start)) (cache hit: \(engine.lastUpdate?.cacheHit == true))")
    let answer = engine.ask("什么是sft?")
    print(answer.rendered(as: .markdown))

    // 2. Search, with a filter.
    for hit in engine.search("reward model preference data", k: 3, filter: SearchFilter(languages: ["en"])) {
        print(String(format: "%d. %.3f  %@  %@", hit.rank, hit.score, hit.document.id, hit.document.title))
    }
    check(engine.search("奖励模型", k: 5, filter: SearchFilter(languages: ["zh"])).allSatisfy { $0.document.language == "zh" },
          "a language filter returns only documents in that language")

    // 3. Add a document (in memory) and find it.
    let article = try CorpusLoader().article(
        text: "---\ntitle: Tea\ntags: [drinks]\n---\n# Tea\n\nGreen tea is steeped at about 80 °C for two minutes.\n", id: "notes/tea.md")
    engine.add([article])
    check(engine.search("green tea steeped", k: 1).first?.document.id == "notes/tea.md", "an added document is searchable")
    check(engine.ask("How hot should green tea be steeped?").references.first?.source == "notes/tea.md",
          "an added document answers questions")

    // 4. The cache, on a scratch copy of the corpus.
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sift-example-\(getpid())")
    defer { try? FileManager.default.removeItem(at: scratch) }
    let copy = scratch.appendingPathComponent("Corpus")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: corpus, to: copy)
    let first = try AnswerEngine(corpus: copy)
    check(first.lastUpdate?.rebuilt == true, "the first start indexes the corpus")
    let t1 = Date()
    let second = try AnswerEngine(corpus: copy)
    let secondMs = Date().timeIntervalSince(t1) * 1000
    check(second.lastUpdate?.cacheHit == true, "the second start opens the cache (\(String(format: "%.1f", secondMs)) ms)")
    let article2 = copy.appendingPathComponent("en/rlhf.md")
    var text = try String(contentsOf: article2, encoding: .utf8)
    text += "\nThe example program appended this sentence about heliotropes to check incremental updates.\n"
    try text.write(to: article2, atomically: true, encoding: .utf8)
    let third = try AnswerEngine(corpus: copy)
    check(third.lastUpdate.map { !$0.rebuilt && $0.changed == 1 } == true, "an edited article is applied without a rebuild")
    check(third.search("heliotropes incremental updates", k: 1).first?.document.id == "en/rlhf.md", "the edit is searchable")
} catch {
    print("error: \(error)")
    exit(1)
}
if failures > 0 { print("\(failures) check(s) failed"); exit(1) }
print("all checks passed")
