// Exact top-10 search over a FlatIndex of seeded random L2-normalised rows at the default
// model's dimension (512): single queries (cblas_sgemv + heap top-k) and a batch of 64
// queries (cblas_sgemm + top-k per query), at 10k and 100k rows (20 MB / 205 MB of
// Float32), and at 1M rows (2 GB) when SIFT_BENCH_LARGE=1.
//
// One sample of a `search-single-xN-…` benchmark is N consecutive single-query searches
// (different queries), so that one descheduling of the process does not decide a sample;
// divide by N for the per-query latency. One sample of `search-batch64-…` is one call
// with 64 queries.
//
// BLAS runs on SIFT_BENCH_BLAS_THREADS threads (default 1: on the shared 2-core VM,
// multi-threaded OpenBLAS waits on descheduled workers and its p90 triples). Under the
// netlib reference BLAS (LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/blas) these paths are
// 3-35x slower, which is what the CI guard is meant to catch.

import Benchmark
import BenchSupport
import Foundation
import Sift

final class SearchState: @unchecked Sendable {
    let index: FlatIndex
    let queries: [[Float]]
    var next = 0
    init(rows: Int, dimension: Int) {
        let threads = Int(ProcessInfo.processInfo.environment["SIFT_BENCH_BLAS_THREADS"] ?? "") ?? 1
        BLASRuntime.setThreads(threads)
        index = SyntheticMatrix.index(rows: rows, dimension: dimension, seed: 0x51F7_0000 &+ UInt64(rows))
        queries = SyntheticMatrix.vectors(count: 64, dimension: dimension, seed: 0x9E37_79B9)
        note("Search: \(rows) x \(dimension) rows, BLAS: \(BLASRuntime.implementation)")
    }
    /// The next query of the 64, in turn.
    func query() -> [Float] {
        defer { next &+= 1 }
        return queries[next & 63]
    }
}

func label(_ rows: Int) -> String {
    rows >= 1_000_000 ? "\(rows / 1_000_000)M" : "\(rows / 1000)k"
}

/// Registers the single-query and batch benchmarks for `rows` rows; `perSample` single
/// queries make one sample.
func register(rows: Int, dimension: Int, perSample: Int) {
    let n = label(rows)
    let big = rows >= 1_000_000
    let single = BenchConfig.make(timeUnits: .milliseconds, maxDuration: .seconds(big ? 5 : 3),
                                  maxIterations: big ? 100 : 400, warmupIterations: 2)
    Benchmark("search-single-x\(perSample)-top10-N\(n)-d\(dimension)", configuration: single) { benchmark, state in
        let s: SearchState = state
        measure(benchmark) {
            for _ in 0..<perSample { blackHole(s.index.search(s.query(), k: 10)) }
        }
    } setup: {
        SearchState(rows: rows, dimension: dimension)
    }

    let batch = BenchConfig.make(timeUnits: .milliseconds, maxDuration: .seconds(big ? 10 : 3),
                                 maxIterations: big ? 20 : 300, warmupIterations: 1, threaded: true)
    Benchmark("search-batch64-top10-N\(n)-d\(dimension)", configuration: batch) { benchmark, state in
        let s: SearchState = state
        measure(benchmark) { blackHole(s.index.search(batch: s.queries, k: 10)) }
    } setup: {
        SearchState(rows: rows, dimension: dimension)
    }
}

let benchmarks: @Sendable () -> Void = {
    let dimension = EmbeddingModel.default.dimension
    register(rows: 10_000, dimension: dimension, perSample: 32)
    register(rows: 100_000, dimension: dimension, perSample: 4)
    if BenchEnvironment.large {
        register(rows: 1_000_000, dimension: dimension, perSample: 1)
    }
}
