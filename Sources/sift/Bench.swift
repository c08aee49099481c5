import ArgumentParser
import Dispatch
import Foundation
@_spi(Benchmarks) import Sift

extension MatrixPrecision: ExpressibleByArgument {}
extension FirstStage: ExpressibleByArgument {}

struct BenchReport: Encodable {
    var rows: Int
    var dim: Int
    var precision: String
    var blas: String
    var threads: Int
    var floor_ms: Double
    var single_ms_p50: Double
    var single_ms_p99: Double
    var single_kernel: String
    var blas_single_ms_p50: Double
    var simd_single_ms_p50: Double
    var batch: Int
    var batch_ms_per_query: Double
    var ratio_to_floor: Double
    var embed_mb_per_s: Double
    var rss_mb: Double
    var open_passages: Int?
    var open_ms: Double?
    var open_rss_delta_mb: Double?
}

/// Deterministic xorshift64* generator for synthetic benchmark data.
struct BenchRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
    /// Uniform in [-1, 1).
    mutating func float() -> Float { Float(Int64(bitPattern: next()) >> 40) / Float(1 << 23) }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark flat-index search and embedding on this machine.",
        discussion: """
        Builds a seeded synthetic matrix of L2-normalised rows and measures, in one run: the memory-bandwidth \
        floor (a read-only scan of the same bytes), single-query search latency (sgemv + top-10), batched search \
        (sgemm + top-10 per query) and embedding throughput on mixed Chinese/English text. Prints the BLAS \
        implementation actually loaded and warns when it is the slow reference BLAS.
        """)

    @Option(help: "Rows of the matrix.") var rows: Int = 100_000
    @Option(help: "Dimension of each row.") var dim: Int = 256
    @Option(help: "How the matrix stores components: float32, or bfloat16 (half the bytes; the default model's stage 1).")
    var precision: MatrixPrecision = .float32
    @Option(help: "Single queries to time.") var queries: Int = 50
    @Option(help: "Queries per batch.") var batch: Int = 64
    @Option(help: "Threads for BLAS, the scan and embedding (default: all cores).") var threads: Int?
    @Option(help: ArgumentHelp("Text file for the embedding throughput (default: the bundled corpus).", valueName: "FILE"))
    var text: String?
    @Option(help: "Seed of the synthetic data.") var seed: UInt64 = 42
    @Option(help: "Kernel reported as the single-query time: automatic (what searches use: sgemv below 128 MiB, the SIMD scan above), blas (cblas_sgemv) or simd.")
    var kernel: String = "automatic"
    var kernelName: FlatIndex.SingleQueryKernel { FlatIndex.SingleQueryKernel(rawValue: kernel) ?? .automatic }
    @Option(name: .customLong("open-passages"),
            help: "Also save a synthetic index of this many passages (default model) and time opening it (memory-mapped, lazy).")
    var openPassages: Int = 0
    @Option(help: "Output format: text or json.") var format: SearchFormat = .text
    @Option(name: .customLong("matrix-file"), help: ArgumentHelp("Large-matrix mode: write the synthetic rows to FILE, memory-map it, and search it with --first-stage (the rows stay in the page cache, not in the process).", valueName: "FILE"))
    var matrixFile: String?
    @Option(name: .customLong("first-stage"), help: "Large-matrix mode: exact, int8 or sign (default sign).")
    var firstStage: FirstStage = .sign
    @Option(help: "Large-matrix mode: rows refined after a code scan (default 3200).")
    var refine: Int = 3200
    @Option(help: ArgumentHelp("Real-text mode: a passages JSONL file ({\"id\",\"title\",\"text\"}); every stage of the whole search is timed on it.", valueName: "FILE"))
    var passages: String?
    @Option(name: .customLong("queries-file"), help: ArgumentHelp("Real-text mode: labelled queries JSONL (repeatable).", valueName: "FILE"))
    var queryFiles: [String] = []
    @Option(name: .customLong("index-file"), help: ArgumentHelp("Real-text mode: the index of --passages, read if it exists, else built and written here.", valueName: "FILE"))
    var indexFile: String?
    @Option(help: ArgumentHelp("Real-text mode: also export the vectors, queries and exact candidates for Benchmarks/peers/peers_codes.py.", valueName: "DIR"))
    var export: String?
    @Option(name: .customLong("first-stages"), parsing: .upToNextOption, help: "Real-text mode: the first stages to time (default: exact int8 sign).")
    var firstStages: [FirstStage] = [.exact, .int8, .sign]
    @Option(name: .customLong("code-candidates"), help: "Real-text mode: candidates re-scored after a code scan (default: the model's, as for the exact scan).")
    var codeCandidates: Int?
    @Option(name: .customLong("refine-sign"), help: "Real-text mode: rows refined after the sign-code scan (default 8 × candidates).")
    var refineSign: Int?
    @Option(name: .customLong("refine-int8"), help: "Real-text mode: rows refined after the int8 scan (default 2 × candidates).")
    var refineInt8: Int?

    func validate() throws {
        if passages != nil {
            guard !queryFiles.isEmpty else { throw ValidationError("--passages needs at least one --queries-file FILE") }
            for (name, v) in [("--refine-sign", refineSign), ("--refine-int8", refineInt8)] {
                if let v, !(1...10_000_000).contains(v) { throw ValidationError("\(name) must be in 1...10000000, got \(v)") }
            }
        } else if !queryFiles.isEmpty || indexFile != nil || export != nil {
            throw ValidationError("--queries-file, --index-file and --export need --passages FILE")
        }
        guard rows >= 1 && rows <= 100_000_000 else { throw ValidationError("--rows must be in 1...100000000, got \(rows)") }
        guard dim >= 1 && dim <= 65536 else { throw ValidationError("--dim must be in 1...65536, got \(dim)") }
        guard queries >= 1 && queries <= 100_000 else { throw ValidationError("--queries must be in 1...100000, got \(queries)") }
        guard batch >= 1 && batch <= 4096 else { throw ValidationError("--batch must be in 1...4096, got \(batch)") }
        guard FlatIndex.SingleQueryKernel(rawValue: kernel) != nil else { throw ValidationError("--kernel must be automatic, blas or simd, got '\(kernel)'") }
        if let t = threads, !(1...256).contains(t) { throw ValidationError("--threads must be in 1...256, got \(t)") }
        let bytes = Double(rows) * Double(dim) * Double(precision.bytesPerElement)
        if matrixFile == nil && bytes > Double(ProcessInfo.processInfo.physicalMemory) * 0.7 {
            throw ValidationError(String(format: "--rows × --dim needs %.1f GB, more than this machine can hold", bytes / 1e9))
        }
    }

    func run() throws {
        if let matrixFile {
            try runOrExit { try largeMatrix(file: URL(fileURLWithPath: matrixFile)) }
            return
        }
        if let passages {
            try runOrExit {
                let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
                BLASRuntime.setThreads(threadCount)
                try CorpusBench(passagesPath: passages, queryPaths: queryFiles, indexPath: indexFile, exportPath: export, stages: firstStages,
                                refineSign: refineSign, refineInt8: refineInt8, codeCandidates: codeCandidates, threads: threadCount,
                                json: format == .json).run()
            }
            return
        }
        try runOrExit {
            let rows = self.rows, dim = self.dim  // (property-wrapper reads are slow in the build loop)
            let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
            BLASRuntime.setThreads(threadCount)
            let blas = BLASRuntime.implementation
            if !BLASRuntime.isOpenBLAS {
                warn("the reference BLAS is in use; search will be 7-38x slower. Install libopenblas0-pthread (bash .ci/setup).")
            }
            if format == .text { progressLine("Building \(rows) × \(dim) matrix (seed \(seed)) …") }
            var rng = BenchRandom(state: seed | 1)
            var index = FlatIndex(dimension: dim, precision: precision, reservingCapacity: rows)
            let chunkRows = max(1, min(rows, (16 << 20) / (dim * 4)))
            var chunk = [Float](repeating: 0, count: chunkRows * dim)
            var done = 0
            while done < rows {
                let n = min(chunkRows, rows - done)
                for r in 0..<n {
                    var norm: Float = 0
                    for c in 0..<dim { let x = rng.float(); chunk[r * dim + c] = x; norm += x * x }
                    let scale = 1 / max(norm.squareRoot(), 1e-12)
                    for c in 0..<dim { chunk[r * dim + c] *= scale }
                }
                chunk.withUnsafeBufferPointer { index.add(rows: n, contentsOf: UnsafeBufferPointer(rebasing: $0[0..<(n * dim)])) }
                done += n
            }
            chunk = []
            func randomQuery() -> [Float] {
                var q = (0..<dim).map { _ in rng.float() }
                let norm = q.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for i in q.indices { q[i] /= max(norm, 1e-12) }
                return q
            }
            // Memory floor: read every byte of the matrix once, on the same threads; measured
            // between the queries below, so that floor and queries see the same machine.
            _ = index.scanChecksum(threads: threadCount)
            var floorTimes: [Double] = []
            // Single queries.
            let singleQueries = (0..<queries).map { _ in randomQuery() }
            _ = index.search(singleQueries[0], k: 10)  // warm up
            var blasTimes: [Double] = [], simdTimes: [Double] = []
            for q in singleQueries {  // interleaved, so the floor and both kernels see the same load
                floorTimes.append(time { _ = index.scanChecksum(threads: threadCount) })
                blasTimes.append(time { _ = index.search(q, k: 10, kernel: .blas) })
                simdTimes.append(time { _ = index.search(q, k: 10, kernel: .simd, threads: threadCount) })
            }
            let kernel = index.resolvedKernel(kernelName)
            blasTimes.sort(); simdTimes.sort()
            let floor = median(floorTimes)
            let single = kernel == .simd ? simdTimes : blasTimes
            // Batches.
            let batchQueries = (0..<batch).map { _ in randomQuery() }
            _ = index.search(batch: batchQueries, k: 10)
            let batchTime = median((0..<3).map { _ in time { _ = index.search(batch: batchQueries, k: 10) } })
            // Resident memory of the search part (matrix + search buffers), before embedding.
            let searchRSS = residentBytes()
            // Embedding throughput.
            let sample = try embeddingText()
            let embedder = try Embedder()
            let mb = Double(sample.reduce(0) { $0 + $1.utf8.count }) / 1e6
            // Into one reused row-major matrix, as an index build embeds (block after block).
            var vectors: [Float] = []
            let embedSeconds = median((0..<3).map { _ in time { embedder.embed(batch: sample, into: &vectors, threads: threadCount) } }) / 1000
            var report = BenchReport(
                rows: rows, dim: dim, precision: precision.rawValue, blas: blas, threads: threadCount, floor_ms: round3(floor),
                single_ms_p50: round3(percentile(single, 0.5)), single_ms_p99: round3(percentile(single, 0.99)),
                single_kernel: kernel.rawValue, blas_single_ms_p50: round3(percentile(blasTimes, 0.5)),
                simd_single_ms_p50: round3(percentile(simdTimes, 0.5)),
                batch: batch, batch_ms_per_query: round3(batchTime / Double(batch)),
                ratio_to_floor: round3(percentile(single, 0.5) / floor), embed_mb_per_s: round3(mb / embedSeconds),
                rss_mb: round3(Double(searchRSS) / 1_048_576))
            if openPassages > 0 {
                let (ms, delta) = try measureOpen(passages: openPassages, threads: threadCount)
                report.open_passages = openPassages
                report.open_ms = round3(ms)
                report.open_rss_delta_mb = round3(delta)
            }
            switch format {
            case .json: printJSON(report)
            case .text:
                print("matrix          \(rows) × \(dim) \(precision == .float32 ? "Float32" : "bfloat16") (\(String(format: "%.1f", Double(index.matrixBytes) / 1_048_576)) MiB), \(threadCount) thread(s)")
                print("BLAS            \(blas)")
                print(String(format: "memory floor    %.3f ms (read-only scan of the matrix)", report.floor_ms))
                print(String(format: "single query    p50 %.3f ms  p99 %.3f ms  (%.2f× the floor, %@ kernel)", report.single_ms_p50, report.single_ms_p99, report.ratio_to_floor, report.single_kernel))
                print(String(format: "  by kernel     sgemv p50 %.3f ms (%.2f× floor), SIMD scan p50 %.3f ms (%.2f× floor)", report.blas_single_ms_p50,
                             report.blas_single_ms_p50 / report.floor_ms, report.simd_single_ms_p50, report.simd_single_ms_p50 / report.floor_ms))
                print(String(format: "batch of %d     %.3f ms per query", batch, report.batch_ms_per_query))
                print(String(format: "embedding       %.2f MB/s of mixed zh/en text", report.embed_mb_per_s))
                print(String(format: "resident memory %.0f MiB after building and searching the matrix", report.rss_mb))
                if let ms = report.open_ms, let d = report.open_rss_delta_mb {
                    print(String(format: "open index      %.2f ms for %d passages (memory-mapped, lazy); resident memory +%.1f MiB", ms, openPassages, d))
                }
            }
        }
    }

    /// Large-matrix mode: seeded rows written to `file` block by block (never all in memory),
    /// mapped read-only, codes built, and single queries timed with the chosen first stage;
    /// resident memory is reported after building the codes and after the searches.
    func largeMatrix(file: URL) throws {
        let rows = self.rows, dim = self.dim
        let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        var rng = BenchRandom(state: seed | 1)
        let t0 = DispatchTime.now().uptimeNanoseconds
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        let rowBytes = dim * precision.bytesPerElement
        let blockRows = max(1, (64 << 20) / rowBytes)
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: blockRows * rowBytes, alignment: 64)
        defer { block.deallocate() }
        var written = 0
        var row = [Float](repeating: 0, count: dim)
        while written < rows {
            let n = min(blockRows, rows - written)
            for r in 0..<n {
                var norm: Float = 0
                for c in 0..<dim { let x = rng.float(); row[c] = x; norm += x * x }
                let scale = 1 / max(norm.squareRoot(), 1e-12)
                let base = block.baseAddress! + r * rowBytes
                if precision == .float32 {
                    let out = base.assumingMemoryBound(to: Float.self)
                    for c in 0..<dim { out[c] = row[c] * scale }
                } else {
                    let out = base.assumingMemoryBound(to: UInt16.self)
                    for c in 0..<dim {
                        let b = (row[c] * scale).bitPattern
                        out[c] = UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
                    }
                }
            }
            try handle.write(contentsOf: Data(bytesNoCopy: block.baseAddress!, count: n * rowBytes, deallocator: .none))
            written += n
            if format == .text && written % (blockRows * 16) < blockRows { progressLine("  \(written) of \(rows) rows written") }
        }
        try handle.synchronize()
        // Out of the page cache: the searches below read the file as a server reads an index
        // it did not just write (a cached, freshly written file maps 2 MiB folios per touch).
        posix_fadvise(handle.fileDescriptor, 0, 0, POSIX_FADV_DONTNEED)
        try handle.close()
        let writeSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        var index = try FlatIndex(mappingMatrixAt: file, rows: rows, dimension: dim, precision: precision)
        let t1 = DispatchTime.now().uptimeNanoseconds
        if firstStage != .exact { index.buildCodes(firstStage) }
        let codeSeconds = Double(DispatchTime.now().uptimeNanoseconds - t1) / 1e9
        let memCodes = residentParts()
        var times: [Double] = []
        for _ in 0..<queries {
            var q = (0..<dim).map { _ in rng.float() }
            let norm = q.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for i in q.indices { q[i] /= max(norm, 1e-12) }
            times.append(time { _ = index.search(q, k: 400, firstStage: firstStage, refine: refine, threads: threadCount) })
        }
        times.sort()
        let memSearch = residentParts()
        let codeBytes = firstStage.bytesPerRow(dimension: dim)
        print("matrix          \(rows) × \(dim) \(precision.rawValue) in \(file.path) (\(String(format: "%.1f", Double(rows * dim * precision.bytesPerElement) / 1_073_741_824)) GiB, written in \(String(format: "%.1f", writeSeconds)) s)")
        print("first stage     \(firstStage.rawValue)\(firstStage == .exact ? "" : " (\(codeBytes) B per row, built in \(String(format: "%.1f", codeSeconds)) s), refine \(refine)"), \(threadCount) thread(s), kernels: \(Kernels.variant)")
        print(String(format: "single query    p50 %.2f ms  p99 %.2f ms  (top 400, %d queries)", percentile(times, 0.5), percentile(times, 0.99), queries))
        print(String(format: "resident memory after building the codes: %.0f MiB (%.0f private + %.0f of the mapped file)",
                     memCodes.anon + memCodes.file, memCodes.anon, memCodes.file))
        print(String(format: "resident memory after the searches:       %.0f MiB (%.0f private + %.0f of the mapped file)",
                     memSearch.anon + memSearch.file, memSearch.anon, memSearch.file))
    }

    /// Builds and saves a synthetic index of `passages` passages, then times opening it.
    func measureOpen(passages: Int, threads: Int) throws -> (ms: Double, rssDeltaMB: Double) {
        if format == .text { progressLine("Building a \(passages)-passage index to time opening it …") }
        let words = ["检索", "向量", "模型", "微调", "数据", "矩阵", "search", "vector", "model", "index", "passage", "query",
                     "答案", "引用", "语料", "BLAS", "embedding", "token", "评测", "质量"]
        var rng = BenchRandom(state: seed ^ 0xABCD)
        var index = try SiftIndex(model: .default)
        var batch: [ChunkedDocument] = []
        let perDocument = 100
        for d in 0..<((passages + perDocument - 1) / perDocument) {
            let id = "doc\(d)"
            let n = min(perDocument, passages - d * perDocument)
            let ps = (0..<n).map { i -> Passage in
                let text = (0..<16).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined(separator: " ")
                return Passage(documentID: id, ordinal: i, text: text, start: 0, end: text.unicodeScalars.count)
            }
            batch.append(ChunkedDocument(document: Document(id: id, title: id, source: id, language: "zh", contentHash: UInt64(d)), passages: ps))
            if batch.count == 200 { index.add(contentsOf: batch, threads: threads); batch = [] }
        }
        index.add(contentsOf: batch, threads: threads)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sift-bench-\(getpid()).siftindex")
        defer { try? FileManager.default.removeItem(at: url) }
        try index.write(to: url)
        index = try SiftIndex(model: .default)  // release the in-memory copy
        var times: [Double] = []
        var delta = 0.0
        for _ in 0..<5 {
            let before = residentBytes()
            var opened: SiftIndex? = nil
            times.append(time { opened = try? SiftIndex.open(url, verification: .lazy) })
            guard let o = opened, o.passageCount == passages else {
                throw SiftError.corruptIndex(path: url.path, reason: "the saved synthetic index did not open")
            }
            delta = Double(residentBytes() - before) / 1_048_576
        }
        return (median(times), delta)
    }

    func embeddingText() throws -> [String] {
        var text = ""
        if let path = self.text {
            text = try CorpusLoader(maxFileBytes: 1 << 30).readText(url: URL(fileURLWithPath: path), displayPath: path)
        } else if let loaded = try? CorpusLoader().load(folder: URL(fileURLWithPath: "Corpus")) {
            text = loaded.documents.flatMap { $0.passages.map(\.text) }.joined(separator: "\n")
        } else {
            text = "监督微调（Supervised Fine-Tuning，SFT）是在预训练模型之上用标注数据继续训练的方法。 Retrieval-augmented generation grounds answers in retrieved passages.\n"
        }
        // About 8 MB, in passage-sized pieces.
        var pieces: [String] = []
        let lines = text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        var total = 0
        while total < 8_000_000 && !lines.isEmpty {
            for l in lines { pieces.append(l); total += l.utf8.count }
        }
        return pieces
    }
}

func time(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

func median(_ xs: [Double]) -> Double { percentile(xs.sorted(), 0.5) }

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

/// Resident memory in MiB: private (anonymous) and file-backed (mapped index pages, which the
/// kernel can drop and read again).
func residentParts() -> (anon: Double, file: Double) {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
    func value(_ key: String) -> Double {
        for line in status.split(separator: "\n") where line.hasPrefix(key) {
            return Double(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }.first ?? 0) / 1024
        }
        return 0
    }
    return (value("RssAnon:"), value("RssFile:") + value("RssShmem:"))
}

func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kb = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }.first ?? 0
        return kb * 1024
    }
    return 0
}
