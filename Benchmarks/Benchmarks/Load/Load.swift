// Opening a saved index: SiftIndex.open of a ~20k-passage index (20,000 synthetic passages,
// 512-dim matrix of 41 MB, written once in setup to a temporary folder), with
// `.skipMatrix` (header and small sections verified, matrix only memory-mapped) and
// `.full` (every checksum, the whole matrix read once). The file is in the page cache, so
// this is the warm-open cost, not disk speed.

import Benchmark
@_spi(Benchmarks) import BenchSupport
import Foundation
@_spi(Benchmarks) import Sift

final class LoadState: @unchecked Sendable {
    let folder: URL
    let file: URL
    init(passages: Int) throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("sift-bench-load-\(ProcessInfo.processInfo.processIdentifier)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        file = folder.appendingPathComponent("bench.siftindex")
        let documents = BenchCorpus.load().syntheticDocuments(passages: passages, seed: 77)
        let index = try SiftIndex(model: .default, documents: documents, threads: 0)
        try index.write(to: file)
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        note("Load: \(index.passageCount) passages, \(size) bytes at \(file.path)")
    }
    func remove() { try? FileManager.default.removeItem(at: folder) }
}

nonisolated(unsafe) var loadState: LoadState?

func register(_ name: String, verification: IndexVerification, maxIterations: Int) {
    let config = BenchConfig.make(timeUnits: .milliseconds, maxDuration: .seconds(3), maxIterations: maxIterations,
                                  warmupIterations: 2)
    Benchmark(name, configuration: config) { benchmark, state in
        let s: LoadState = state
        measure(benchmark) {
            do {
                blackHole(try SiftIndex.open(s.file, expectedModel: .default, verification: verification))
            } catch {
                benchmark.error("SiftIndex.open failed: \(error)")
            }
        }
    } setup: {
        let state = try LoadState(passages: 20_000)
        loadState = state
        return state
    } teardown: {
        loadState?.remove()
    }
}

let benchmarks: @Sendable () -> Void = {
    register("open-20k-passages-skipMatrix", verification: .skipMatrix, maxIterations: 300)
    register("open-20k-passages-full", verification: .full, maxIterations: 200)
}
