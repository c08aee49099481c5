// Exact top-10 search over a FlatIndex of seeded random L2-normalised rows at the default
// model's dimension and precision (1024 × bfloat16): single queries (SIMD scan + heap top-k)
// and a batch of 64 queries (rows widened to Float32 a tile at a time, cblas_sgemm, top-k
// per query), at 10k and 100k rows (20 MB / 205 MB), and at 1M rows (2 GB) when
// SIFT_BENCH_LARGE=1. Also single queries over 50k × 512 Float32 rows (102 MB), which use
// cblas_sgemv (the kernel for Float32 matrices below 128 MiB).
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
@_spi(Benchmarks) import BenchSupport
import Foundation
@_spi(Benchmarks) import Sift

final class SearchState: @unchecked Sendable {
    let index: FlatIndex
    let queries: [[Float]]
    var next = 0
    init(rows: Int, dimension: Int, precision: MatrixPrecision) {
        let threads = Int(ProcessInfo.processInfo.environment["SIFT_BENCH_BLAS_THREADS"] ?? "") ?? 1
        BLASRuntime.setThreads(threads)
        index = SyntheticMatrix.index(rows: rows, dimension: dimension, precision: precision, seed: 0x51F7_0000 &+ UInt64(rows))
        queries = SyntheticMatrix.vectors(count: 64, dimension: dimension, seed: 0x9E37_79B9)
        note("Search: \(rows) x \(dimension) \(precision.rawValue) rows, BLAS: \(BLASRuntime.implementation)")
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

/// Registers the single-query (and, with `batch`, the batch) benchmarks for `rows` rows;
/// `perSample` single queries make one sample.
func register(rows: Int, dimension: Int, precision: MatrixPrecision, perSample: Int, batch withBatch: Bool = true) {
    let n = label(rows)
    let big = rows >= 1_000_000
    let suffix = "d\(dimension)\(precision == .float32 ? "-f32" : "-bf16")"
    let single = BenchConfig.make(timeUnits: .milliseconds, maxDuration: .seconds(big ? 5 : 3),
                                  maxIterations: big ? 100 : 400, warmupIterations: 2)
    Benchmark("search-single-x\(perSample)-top10-N\(n)-\(suffix)", configuration: single) { benchmark, state in
        let s: SearchState = state
        measure(benchmark) {
            for _ in 0..<perSample { blackHole(s.index.search(s.query(), k: 10)) }
        }
    } setup: {
        SearchState(rows: rows, dimension: dimension, precision: precision)
    }
    guard withBatch else { return }

    let batch = BenchConfig.make(timeUnits: .milliseconds, maxDuration: .seconds(big ? 10 : 3),
                                 maxIterations: big ? 20 : 300, warmupIterations: 1, threaded: true)
    Benchmark("search-batch64-top10-N\(n)-\(suffix)", configuration: batch) { benchmark, state in
        let s: SearchState = state
        measure(benchmark) { blackHole(s.index.search(batch: s.queries, k: 10)) }
    } setup: {
        SearchState(rows: rows, dimension: dimension, precision: precision)
    }
}

let benchmarks: @Sendable () -> Void = {
    let dimension = EmbeddingModel.default.dimension
    let precision = EmbeddingModel.default.matrixPrecision
    register(rows: 10_000, dimension: dimension, precision: precision, perSample: 32)
    register(rows: 100_000, dimension: dimension, precision: precision, perSample: 4)
    // The sgemv path (a Float32 matrix below the SIMD-scan threshold): what falls back to
    // the reference BLAS if the wrong library is installed.
    register(rows: 50_000, dimension: 512, precision: .float32, perSample: 4, batch: false)
    if BenchEnvironment.large {
        register(rows: 1_000_000, dimension: dimension, precision: precision, perSample: 1)
    }
}
