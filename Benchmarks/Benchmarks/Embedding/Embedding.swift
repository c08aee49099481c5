// Embedding throughput of the hashed n-gram embedder on the bundled corpus (mixed
// Chinese/English Markdown, front matter removed, one paragraph per `embed` call).
// One iteration embeds every paragraph of the corpus once (~120 kB of UTF-8). The batch
// benchmark embeds into one reused row-major matrix, the way an index build does.

import Benchmark
@_spi(Benchmarks) import BenchSupport
@_spi(Benchmarks) import Sift

final class EmbeddingState: @unchecked Sendable {
    let embedder: Embedder
    let corpus: BenchCorpus
    /// The reused output of the batch benchmark (as an index build reuses its block buffer).
    var vectors: [Float] = []
    init() throws {
        embedder = try Embedder(model: .default)
        corpus = BenchCorpus.load()
        note("Embedding: \(corpus.paragraphs.count) paragraphs, \(corpus.utf8Bytes) UTF-8 bytes per iteration")
    }
}

let benchmarks: @Sendable () -> Void = {
    // ~12 ms per iteration: 3 s gives ~250 samples, enough for a stable p90.
    let config = BenchConfig.make(timeUnits: .milliseconds, maxDuration: .seconds(3), maxIterations: 400,
                                  warmupIterations: 3, extra: [.throughputKBps])

    Benchmark("embed-corpus-serial", configuration: config) { benchmark, state in
        let s: EmbeddingState = state
        measure(benchmark, bytes: s.corpus.utf8Bytes) {
            for paragraph in s.corpus.paragraphs { blackHole(s.embedder.embed(paragraph)) }
        }
    } setup: {
        try EmbeddingState()
    }

    let threaded = BenchConfig.make(timeUnits: .milliseconds, maxDuration: .seconds(3), maxIterations: 400,
                                    warmupIterations: 3, threaded: true, extra: [.throughputKBps])
    Benchmark("embed-corpus-batch-2threads", configuration: threaded) { benchmark, state in
        let s: EmbeddingState = state
        measure(benchmark, bytes: s.corpus.utf8Bytes) {
            s.embedder.embed(batch: s.corpus.paragraphs, into: &s.vectors, threads: 2)
            blackHole(s.vectors.count)
        }
    } setup: {
        try EmbeddingState()
    }
}
