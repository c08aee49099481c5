import Dispatch
import Foundation
@_spi(Benchmarks) import Sift

/// `sift bench --passages FILE --queries FILE…`: the whole search (query preparation,
/// stage 1, stage 2) timed per stage on a real-text corpus, for every first stage (exact
/// rows, int8 codes, sign codes), with stage-1 recall against the exact first stage and the
/// labelled queries' MRR@10 and recall@10.
struct CorpusBench {
    struct StageReport: Encodable {
        var first_stage: String
        var refine: Int?
        var bytes_per_passage: Int
        var prepare_ms_p50: Double
        var stage1_ms_p50: Double
        var stage1_ms_p99: Double
        var stage2_ms_p50: Double
        var stage2_ms_p99: Double
        var total_ms_p50: Double
        var total_ms_p99: Double
        var stage1_recall_of_exact: Double
        var mrr10: Double
        var recall10: Double
    }

    struct QuerySetReport: Encodable {
        var queries_file: String
        var queries: Int
        var stages: [StageReport]
    }

    struct Report: Encodable {
        var passages: Int
        var dimension: Int
        var candidates: Int
        var kernels: String
        var threads: Int
        var build_seconds: Double?
        var open_seconds: Double
        var index_file: String?
        var rss_mb_after_open: Double
        var rss_mb_after_search: Double
        var sets: [QuerySetReport]
    }

    let passagesPath: String
    let queryPaths: [String]
    let indexPath: String?
    let exportPath: String?
    let stages: [FirstStage]
    let refineSign: Int?
    let refineInt8: Int?
    let codeCandidates: Int?
    let threads: Int
    let json: Bool

    func run() throws {
        var buildSeconds: Double? = nil
        let t0 = Date()
        var index: SiftIndex
        let indexURL = indexPath.map { URL(fileURLWithPath: $0) }
        if let url = indexURL, FileManager.default.fileExists(atPath: url.path) {
            if !json { progressLine("Opening \(url.path) …") }
            index = try SiftIndex.open(url, verification: .lazy)
        } else {
            if !json { progressLine("Loading \(passagesPath) …") }
            let corpus = try CorpusLoader().loadJSONL(url: URL(fileURLWithPath: passagesPath))
            if !json { progressLine("Indexing \(corpus.documents.count) passages on \(threads) thread(s) …") }
            let start = Date()
            let total = corpus.documents.count
            let quiet = json
            index = try SiftIndex(documents: corpus.documents, threads: threads) { done, all in
                if !quiet && (done == all || done % 100_000 < 256) { progressLine("  \(done) of \(all) passages embedded") }
            }
            index.buildCodes(.sign)
            index.buildCodes(.int8)
            buildSeconds = Date().timeIntervalSince(start)
            if !json { progressLine(String(format: "Indexed %d passages in %.1f s", total, buildSeconds!)) }
            if let url = indexURL {
                try index.write(to: url)
                index = try SiftIndex.open(url, verification: .lazy)  // search the mapped file, as a server would
            }
        }
        if !index.availableFirstStages.contains(.sign) { index.buildCodes(.sign) }
        if !index.availableFirstStages.contains(.int8) { index.buildCodes(.int8) }
        let openSeconds = Date().timeIntervalSince(t0)
        let rssOpen = Double(residentBytes()) / 1_048_576
        let candidates = SearchSettings().resolved(for: index.model).candidates!
        let d = index.model.dimension
        // The exact first stage always runs first: the others' recall is measured against it.
        let stages: [(FirstStage, Int?, Int)] = [(.exact, nil, d * index.model.matrixPrecision.bytesPerElement)]
            + (self.stages.contains(.int8) ? [(.int8, refineInt8 ?? candidates * 2, FirstStage.int8.bytesPerRow(dimension: d))] : [])
            + (self.stages.contains(.sign) ? [(.sign, refineSign ?? candidates * 8, FirstStage.sign.bytesPerRow(dimension: d))] : [])
        var sets: [QuerySetReport] = []
        var exported: [[Float]] = []
        var exportedExact: [[Int]] = []
        var exportedSigns: [[UInt8]] = []
        for path in queryPaths {
            let labelled = try Eval.loadQueries(path)
            if !json { progressLine("\(labelled.count) queries of \(path) …") }
            // The exact first stage's candidates, for the recall of the code scans.
            var exactRows: [Set<Int>] = []
            var reports: [StageReport] = []
            for (stage, refine, bytes) in stages {
                let settings = SearchSettings(candidates: stage == .exact ? nil : codeCandidates, firstStage: stage, refine: refine)
                var prepare: [Double] = [], s1: [Double] = [], s2: [Double] = [], total: [Double] = []
                var recall = 0.0, mrr = 0.0, r10 = 0.0
                for (i, q) in labelled.enumerated() {
                    let t = index.timedSearch(q.question, k: 10, settings: settings)
                    prepare.append(t.prepareMs); s1.append(t.stage1Ms); s2.append(t.stage2Ms)
                    total.append(t.prepareMs + t.stage1Ms + t.stage2Ms)
                    let rows = Set(t.stage1Rows)
                    if stage == .exact {
                        exactRows.append(rows)
                        if exportPath != nil {
                            exported.append(index.denseQuery(q.question))
                            exportedSigns.append(index.signCode(query: q.question))
                            exportedExact.append(index.stage1Rows(for: q.question, settings: settings))  // best first
                        }
                    }
                    recall += exactRows[i].isEmpty ? 1 : Double(rows.intersection(exactRows[i]).count) / Double(exactRows[i].count)
                    if let rank = t.hits.firstIndex(where: { q.positives.contains($0.document.id) }) {
                        mrr += 1 / Double(rank + 1)
                        r10 += 1
                    }
                }
                let n = Double(max(1, labelled.count))
                prepare.sort(); s1.sort(); s2.sort(); total.sort()
                reports.append(StageReport(
                    first_stage: stage.rawValue, refine: refine, bytes_per_passage: bytes,
                    prepare_ms_p50: round3(percentile(prepare, 0.5)),
                    stage1_ms_p50: round3(percentile(s1, 0.5)), stage1_ms_p99: round3(percentile(s1, 0.99)),
                    stage2_ms_p50: round3(percentile(s2, 0.5)), stage2_ms_p99: round3(percentile(s2, 0.99)),
                    total_ms_p50: round3(percentile(total, 0.5)), total_ms_p99: round3(percentile(total, 0.99)),
                    stage1_recall_of_exact: (recall / n * 10_000).rounded() / 10_000,
                    mrr10: (mrr / n * 10_000).rounded() / 10_000, recall10: (r10 / n * 10_000).rounded() / 10_000))
            }
            sets.append(QuerySetReport(queries_file: path, queries: labelled.count, stages: reports))
        }
        if let dir = exportPath { try export(index, queries: exported, querySigns: exportedSigns, exact: exportedExact, candidates: candidates, to: URL(fileURLWithPath: dir)) }
        let report = Report(passages: index.passageCount, dimension: d, candidates: candidates, kernels: "\(Kernels.variant)",
                            threads: threads, build_seconds: buildSeconds.map(round3), open_seconds: round3(openSeconds),
                            index_file: indexPath, rss_mb_after_open: round3(rssOpen),
                            rss_mb_after_search: round3(Double(residentBytes()) / 1_048_576), sets: sets)
        if json { printJSON(report); return }
        print("passages        \(report.passages) × \(d), \(candidates) candidates, kernels: \(report.kernels)")
        if let b = report.build_seconds { print(String(format: "index build     %.1f s", b)) }
        print(String(format: "open            %.2f s; resident %.0f MiB after open, %.0f MiB after the searches",
                     report.open_seconds, report.rss_mb_after_open, report.rss_mb_after_search))
        for set in sets {
            print("\n\(set.queries_file) (\(set.queries) queries)")
            print("first stage  B/passage  stage1 p50/p99 ms  stage2 p50/p99 ms  total p50/p99 ms  stage-1 recall  MRR@10  R@10")
            for s in set.stages {
                print(String(format: "%-12@ %9d  %7.2f / %-7.2f  %7.2f / %-7.2f  %7.2f / %-7.2f  %14.4f  %6.4f  %5.4f",
                             s.first_stage + (s.refine.map { "/\($0)" } ?? ""), s.bytes_per_passage, s.stage1_ms_p50, s.stage1_ms_p99,
                             s.stage2_ms_p50, s.stage2_ms_p99, s.total_ms_p50, s.total_ms_p99, s.stage1_recall_of_exact, s.mrr10, s.recall10))
            }
        }
    }

    /// Writes the rows, the queries' dense vectors and their exact candidates in the format
    /// `Benchmarks/peers/peers_codes.py` reads (raw little-endian Float32 / Int32 + meta.json).
    func export(_ index: SiftIndex, queries: [[Float]], querySigns: [[UInt8]], exact: [[Int]], candidates: Int, to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let d = index.model.dimension
        let rows = index.passageIDCount
        if !json { progressLine("Exporting \(rows) × \(d) vectors to \(dir.path) …") }
        FileManager.default.createFile(atPath: dir.appendingPathComponent("vectors.f32").path, contents: nil)
        let handle = try FileHandle(forWritingTo: dir.appendingPathComponent("vectors.f32"))
        var block = Data()
        for r in 0..<rows {
            index.denseRow(r).withUnsafeBytes { block.append(contentsOf: $0) }
            if block.count >= 64 << 20 { try handle.write(contentsOf: block); block.removeAll(keepingCapacity: true) }
        }
        try handle.write(contentsOf: block)
        try handle.close()
        // Sift's sign codes (of the rotated rows and queries) for faiss's IndexBinaryFlat.
        var codes = Data()
        for r in 0..<rows { if let c = index.signCode(row: r) { codes.append(contentsOf: c) } }
        if !codes.isEmpty { try codes.write(to: dir.appendingPathComponent("signcodes.u8")) }
        var qs = Data()
        for c in querySigns { qs.append(contentsOf: c) }
        try qs.write(to: dir.appendingPathComponent("querysigns.u8"))
        var q = Data()
        for v in queries { v.withUnsafeBytes { q.append(contentsOf: $0) } }
        try q.write(to: dir.appendingPathComponent("queries.f32"))
        var e = Data()
        for list in exact {
            var ids = list.map { Int32($0) }
            ids += [Int32](repeating: -1, count: max(0, candidates - ids.count))
            ids.prefix(candidates).withUnsafeBytes { e.append(contentsOf: $0) }
        }
        try e.write(to: dir.appendingPathComponent("exact.i32"))
        let meta: [String: Int] = ["rows": rows, "dim": d, "queries": queries.count, "k": 10, "candidates": candidates]
        try JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys]).write(to: dir.appendingPathComponent("meta.json"))
    }
}
