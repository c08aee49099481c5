// Building a full SiftIndex (embedding every passage + corpus statistics + the flat
// matrix) from 2,000 synthetic passages (200 documents of 10), generated deterministically
// from the bundled corpus's sentences (300-700 characters each, mixed Chinese/English).

import Benchmark
@_spi(Benchmarks) import BenchSupport
@_spi(Benchmarks) import Sift

final class BuildState: @unchecked Sendable {
    let documents: [ChunkedDocument]
    let passages: Int
    init(passages: Int) {
        documents = BenchCorpus.load().syntheticDocuments(passages: passages)
        self.passages = documents.reduce(0) { $0 + $1.passages.count }
        let bytes = documents.reduce(0) { $0 + $1.passages.reduce(0) { $0 + $1.text.utf8.count } }
        note("IndexBuild: \(self.passages) passages in \(documents.count) documents, \(bytes) UTF-8 bytes")
    }
}

func register(threads: Int, passages: Int = 2000) {
    let config = BenchConfig.make(timeUnits: .milliseconds, maxDuration: .seconds(4), maxIterations: 60,
                                  warmupIterations: 1, threaded: threads > 1, extra: [.itemsPerSecond])
    let name = "build-\(passages / 1000)k-passages-\(threads)thread\(threads == 1 ? "" : "s")"
    Benchmark(name, configuration: config) { benchmark, state in
        let s: BuildState = state
        measure(benchmark, items: s.passages) {
            do {
                blackHole(try SiftIndex(model: .default, documents: s.documents, threads: threads))
            } catch {
                benchmark.error("SiftIndex build failed: \(error)")
            }
        }
    } setup: {
        BuildState(passages: passages)
    }
}

let benchmarks: @Sendable () -> Void = {
    register(threads: 1)
    register(threads: 2)
}
