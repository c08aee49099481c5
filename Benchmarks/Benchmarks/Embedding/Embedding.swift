// Embedding throughput of the hashed n-gram embedder on the bundled corpus (mixed
// Chinese/English Markdown, front matter removed, one paragraph per `embed` call).
// One iteration embeds every paragraph of the corpus once (~120 kB of UTF-8).

import Benchmark
import BenchSupport
import Sift

final class EmbeddingState: @unchecked Sendable {
    let embedder: Embedder
    let corpus: BenchCorpus
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
        let elapsed = seconds {
            measured {
                for paragraph in s.corpus.paragraphs { blackHole(s.embedder.embed(paragraph)) }
            }
        }
        benchmark.measurement(.throughputKBps, Int(Double(s.corpus.utf8Bytes) / elapsed / 1000))
    } setup: {
        try EmbeddingState()
    }

    var threaded = config
    threaded.thresholds?[.mallocCountTotal] = .init(relative: [.p90: BenchConfig.mallocToleranceThreaded])
    Benchmark("embed-corpus-batch-2threads", configuration: threaded) { benchmark, state in
        let s: EmbeddingState = state
        let elapsed = seconds {
            measured { blackHole(s.embedder.embed(batch: s.corpus.paragraphs, threads: 2)) }
        }
        benchmark.measurement(.throughputKBps, Int(Double(s.corpus.utf8Bytes) / elapsed / 1000))
    } setup: {
        try EmbeddingState()
    }
}
