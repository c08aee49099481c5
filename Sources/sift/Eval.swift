import ArgumentParser
import Foundation
@_spi(Benchmarks) import Sift

struct EvalReport: Encodable {
    var queries: Int
    var passages: Int
    var recall1: Double
    var recall5: Double
    var recall10: Double
    var mrr10: Double
    var indexSeconds: Double
    var queryP50: Double
    var queryP99: Double
    var stage1Recall: Double?
    var prepareP50: Double
    var stage1P50: Double
    var stage2P50: Double
    var firstStage: String

    enum CodingKeys: String, CodingKey {
        case queries, passages
        case recall1 = "recall@1", recall5 = "recall@5", recall10 = "recall@10", mrr10 = "mrr@10"
        case indexSeconds = "index_seconds", queryP50 = "query_ms_p50", queryP99 = "query_ms_p99"
        case stage1Recall = "stage1_recall"
        case prepareP50 = "prepare_ms_p50", stage1P50 = "stage1_ms_p50", stage2P50 = "stage2_ms_p50", firstStage = "first_stage"
    }
}

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure retrieval quality on labelled data.",
        discussion: """
        PASSAGES is JSONL of {"id","title","text"} (each record is indexed as one passage, title + text); \
        QUERIES is JSONL of {"id","question","positive_ids":[...]}. recall@k counts a query as found when any \
        of its positive passages is in the top k; MRR@10 uses the rank of the first positive. Latency is \
        per query, one query at a time, the whole two-stage search included.
        """)

    @Option(help: ArgumentHelp("Passages JSONL file.", valueName: "FILE"))
    var passages: String

    @Option(help: ArgumentHelp("Queries JSONL file.", valueName: "FILE"))
    var queries: String

    @Option(name: .short, help: "Results per query (≥ 10).")
    var k: Int = 10

    @Option(help: "Output format: text or json.")
    var format: SearchFormat = .text

    @Option(help: ArgumentHelp("Embedding model definition to evaluate (default: the built-in model).", valueName: "FILE"))
    var model: String?

    @Option(help: "Stage-1 candidates re-scored exactly (default: the model's, 400).")
    var candidates: Int?

    @Option(name: .customLong("lexical-weight"), help: "Weight of BM25 in the final score, 0...1 (default: the model's, 0.5).")
    var lexicalWeight: Float?

    @Option(name: .customLong("first-stage"), help: "How stage 1 scans: exact, int8 or sign (codes are built for the run); default: by index size.")
    var firstStage: FirstStage?

    @Option(help: "Rows refined exactly after a code scan (default: 8 × candidates for sign, 2 × for int8).")
    var refine: Int?

    @OptionGroup var translation: TranslateOption

    @Option(name: .customLong("map-ids"), help: ArgumentHelp("Rewrite the queries' positive ids that start with FROM to start with TO instead (for asking one set's questions of a parallel set's passages, e.g. xquad-zh=xquad-en).", valueName: "FROM=TO"))
    var mapIDs: String?

    var settings: SearchSettings {
        SearchSettings(candidates: candidates, lexicalWeight: lexicalWeight, firstStage: firstStage, refine: refine, translate: translation.setting)
    }

    /// `--map-ids` split at its "=".
    var idMapping: (from: String, to: String)? {
        guard let m = mapIDs, let eq = m.firstIndex(of: "=") else { return nil }
        return (String(m[..<eq]), String(m[m.index(after: eq)...]))
    }

    @Flag(help: "Measure the composed answers instead (the queries need gold \"answers\"): first, any, answered, statements per answer.")
    var answers = false

    @Option(name: .customLong("dump-statements"), help: ArgumentHelp("With --answers: write every candidate statement with its features and label (JSONL), for training the answer ranker.", valueName: "FILE"))
    var dumpStatements: String?

    @Flag(help: "Also report stage-1 recall (a positive among the candidates).")
    var stage1 = false

    @Option(help: ArgumentHelp("Also write one JSON line per query (id, rank of the first positive or null, the top-k passage ids, with --stage1 the positive's rank among the candidates) to this file.",
                               valueName: "FILE"))
    var details: String?

    func validate() throws {
        if let m = mapIDs, idMapping == nil || idMapping!.from.isEmpty {
            throw ValidationError("--map-ids: expected FROM=TO with a non-empty FROM, got '\(m)'")
        }
        guard (10...1000).contains(k) else { throw ValidationError("-k must be in 10...1000, got \(k)") }
        do { try settings.validate() } catch {
            if case .invalidArgument(let name, let reason) = error {
                throw ValidationError("--\(name == "lexicalWeight" ? "lexical-weight" : name): \(reason)")
            }
        }
    }

    func run() throws {
        try runOrExit {
            let embeddingModel = try model.map { try EmbeddingModel.load(contentsOf: URL(fileURLWithPath: $0)) } ?? .default
            let loader = CorpusLoader()
            let corpus = try loader.loadJSONL(url: URL(fileURLWithPath: passages))
            var labelled = try Eval.loadQueries(queries)
            if let (from, to) = idMapping {
                for i in labelled.indices {
                    labelled[i].positives = Set(labelled[i].positives.map { $0.hasPrefix(from) ? to + $0.dropFirst(from.count) : $0 })
                }
            }
            if format == .text { progressLine("Indexing \(corpus.documents.count) passages …") }
            let t0 = Date()
            var index = try SiftIndex(model: embeddingModel, documents: corpus.documents)
            if let stage = firstStage, stage != .exact { index.buildCodes(stage) }
            let indexSeconds = Date().timeIntervalSince(t0)
            if answers {
                try AnswerEval(index: index, queries: labelled, indexSeconds: indexSeconds, settings: settings, json: format == .json,
                               details: details, dump: dumpStatements).run()
                return
            }
            if format == .text { progressLine(String(format: "Indexed in %.2f s; running %d queries …", indexSeconds, labelled.count)) }
            var hits1 = 0, hits5 = 0, hits10 = 0, stage1Hits = 0
            var mrr = 0.0
            var detailLines: [String] = []
            var latencies: [Double] = [], prepare: [Double] = [], stage1Times: [Double] = [], stage2Times: [Double] = []
            latencies.reserveCapacity(labelled.count)
            for q in labelled {
                let start = DispatchTime.now().uptimeNanoseconds
                let timed = index.timedSearch(q.question, k: k, settings: settings)
                latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                let results = timed.hits
                prepare.append(timed.prepareMs); stage1Times.append(timed.stage1Ms); stage2Times.append(timed.stage2Ms)
                let firstPositive = results.firstIndex(where: { q.positives.contains($0.document.id) })
                var stage1Rank: Int?
                if stage1 {
                    stage1Rank = index.candidates(for: q.question, settings: settings).firstIndex(where: { q.positives.contains($0) })
                    if stage1Rank != nil { stage1Hits += 1 }
                }
                if details != nil {
                    var line: [String: Any] = ["id": q.id, "rank": firstPositive.map { $0 + 1 } as Any? ?? NSNull(),
                                               "top": results.map(\.document.id)]
                    if stage1 { line["stage1_rank"] = stage1Rank.map { $0 + 1 } as Any? ?? NSNull() }
                    if let data = try? JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes]) {
                        detailLines.append(String(decoding: data, as: UTF8.self))
                    }
                }
                if let rank = firstPositive {
                    if rank < 1 { hits1 += 1 }
                    if rank < 5 { hits5 += 1 }
                    if rank < 10 { hits10 += 1; mrr += 1.0 / Double(rank + 1) }
                }

            }
            latencies.sort()
            if let details {
                do {
                    try Data((detailLines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: details), options: .atomic)
                } catch {
                    throw SiftError.invalidArgument(name: "--details", reason: "cannot write '\(details)': \(error.localizedDescription)")
                }
            }
            func pct(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count - 1) * p + 0.5))] }
            let n = Double(max(labelled.count, 1))
            let report = EvalReport(queries: labelled.count, passages: index.passageCount, recall1: Double(hits1) / n, recall5: Double(hits5) / n,
                                    recall10: Double(hits10) / n, mrr10: mrr / n, indexSeconds: indexSeconds,
                                    queryP50: pct(0.5), queryP99: pct(0.99), stage1Recall: stage1 ? Double(stage1Hits) / n : nil,
                                    prepareP50: round3(median(prepare)), stage1P50: round3(median(stage1Times)),
                                    stage2P50: round3(median(stage2Times)), firstStage: (firstStage ?? .exact).rawValue)
            switch format {
            case .json: printJSON(report)
            case .text:
                print(String(format: "queries %d  passages %d", report.queries, report.passages))
                print(String(format: "recall@1 %.4f  recall@5 %.4f  recall@10 %.4f  MRR@10 %.4f", report.recall1, report.recall5, report.recall10, report.mrr10))
                if let s = report.stage1Recall { print(String(format: "stage-1 recall@%d %.4f", settings.resolved(for: embeddingModel).candidates ?? 0, s)) }
                print(String(format: "index %.2f s  query p50 %.3f ms  p99 %.3f ms (p50 by stage: prepare %.3f, stage 1 %.3f, stage 2 %.3f)",
                             report.indexSeconds, report.queryP50, report.queryP99, report.prepareP50, report.stage1P50, report.stage2P50))
            }
        }
    }

    struct LabelledQuery { var id: String; var question: String; var positives: Set<String>; var answers: [String] }

    static func loadQueries(_ path: String) throws -> [LabelledQuery] {
        let text = try CorpusLoader(maxFileBytes: Int.max).readText(url: URL(fileURLWithPath: path), displayPath: path)
        var result: [LabelledQuery] = []
        for (n, line) in lines(of: text).enumerated() where !line.allSatisfy(\.isWhitespace) {
            guard let obj = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  let q = obj["question"] as? String, let ids = obj["positive_ids"] as? [Any] else {
                throw SiftError.invalidJSONL(path: path, line: n + 1, reason: "expected {\"question\": string, \"positive_ids\": [...]}")
            }
            let id = (obj["id"] as? String) ?? (obj["id"].map { "\($0)" } ?? "line \(n + 1)")
            result.append(LabelledQuery(id: id, question: q, positives: Set(ids.map { ($0 as? String) ?? "\($0)" }),
                                        answers: (obj["answers"] as? [Any])?.compactMap { $0 as? String } ?? []))
        }
        guard !result.isEmpty else { throw SiftError.invalidArgument(name: "--queries", reason: "'\(path)' holds no query") }
        return result
    }
}
