// Exact top-10 search over a FlatIndex of seeded random L2-normalised rows at the default
// model's dimension (512): one query (cblas_sgemv + heap top-k) and a batch of 64 queries
// (one cblas_sgemm + top-k per query), at 10k and 100k rows (20 MB / 205 MB of Float32),
// and at 1M rows (2 GB) when SIFT_BENCH_LARGE=1.
//
// These are the BLAS-bound paths: running under the netlib reference BLAS
// (LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/blas) makes them 6-35x slower.

import Benchmark
import BenchSupport
import Foundation
import Sift

final class SearchState: @unchecked Sendable {
    let index: FlatIndex
    let queries: [[Float]]
    var next = 0
    init(rows: Int, dimension: Int) {
        index = SyntheticMatrix.index(rows: rows, dimension: dimension, seed: 0x51F7_0000 &+ UInt64(rows))
        queries = SyntheticMatrix.vectors(count: 64, dimension: dimension, seed: 0x9E37_79B9)
        note("Search: \(rows) x \(dimension) rows, BLAS: \(BLASRuntime.implementation)")
    }
}

func label(_ rows: Int) -> String {
    rows >= 1_000_000 ? "\(rows / 1_000_000)M" : "\(rows / 1000)k"
}

func register(rows: Int, dimension: Int) {
    let n = label(rows)
    // Wall-clock budgets: 10k single ~0.1-0.3 ms, 100k single ~3-6 ms, 100k batch ~40-60 ms,
    // 1M single ~30-60 ms, 1M batch ~0.4-0.8 s (OpenBLAS, 2 threads).
    let big = rows >= 1_000_000
    let single = BenchConfig.make(timeUnits: .microseconds, maxDuration: .seconds(big ? 4 : 2),
                                  maxIterations: big ? 100 : 5_000, warmupIterations: 3)
    Benchmark("search-single-top10-N\(n)-d\(dimension)", configuration: single) { _, state in
        let s: SearchState = state
        // Rotate through 64 queries so that no result is cached anywhere.
        let q = s.queries[s.next & 63]
        s.next &+= 1
        measured { blackHole(s.index.search(q, k: 10)) }
    } setup: {
        SearchState(rows: rows, dimension: dimension)
    }

    let batch = BenchConfig.make(timeUnits: .milliseconds, maxDuration: .seconds(big ? 8 : 3),
                                 maxIterations: big ? 15 : 300, warmupIterations: 1)
    Benchmark("search-batch64-top10-N\(n)-d\(dimension)", configuration: batch) { _, state in
        let s: SearchState = state
        measured { blackHole(s.index.search(batch: s.queries, k: 10)) }
    } setup: {
        SearchState(rows: rows, dimension: dimension)
    }
}

let benchmarks: @Sendable () -> Void = {
    let dimension = EmbeddingModel.default.dimension
    register(rows: 10_000, dimension: dimension)
    register(rows: 100_000, dimension: dimension)
    if BenchEnvironment.large {
        register(rows: 1_000_000, dimension: dimension)
    }
}
