import Dispatch
import Foundation
import CBLAS

extension FlatIndex {
    // MARK: - Batch

    /// Searches many queries at once with matrix–matrix products (`cblas_sgemm`); result `i`
    /// equals `search(queries[i], k:minScore:)` up to Float32 rounding.
    ///
    /// The matrix is processed in tiles of rows so that the score buffer stays small (a few
    /// MiB, cache-resident) whatever the number of rows; after each tile's sgemm the top-k
    /// selections of the queries are updated on up to `threads` threads (0 = all cores), in
    /// turn with BLAS, so the two never compete for cores. A bfloat16 tile is widened to
    /// Float32 before its sgemm.
    /// - Complexity: O(count · dimension · queries) for the products, O(count · queries ·
    ///   log k) for the selection.
    public func search(batch queries: [[Float]], k: Int, minScore: Float = -.infinity, threads: Int = 0) -> [[ScoredRow]] {
        search(batch: queries, k: k, minScore: minScore, threads: threads, allowed: nil)
    }

    /// A batch search among the rows whose `allowed` flag is set (nil: the live rows).
    func search(batch queries: [[Float]], k: Int, minScore: Float = -.infinity, threads: Int = 0, allowed: [Bool]?) -> [[ScoredRow]] {
        guard !queries.isEmpty else { return [] }
        precondition(allowed == nil || allowed!.count == count, "row mask has \(allowed!.count) flags, index has \(count) rows")
        let live = allowed ?? self.live
        guard k > 0, count > 0 else { return Array(repeating: [], count: queries.count) }
        let n = queries.count
        var packed = [Float](repeating: 0, count: n * dimension)
        for (i, q) in queries.enumerated() {
            precondition(q.count == dimension, "query has \(q.count) components, index has \(dimension)")
            packed.replaceSubrange(i * dimension..<(i + 1) * dimension, with: q)
        }
        var tileRows = max(256, min(count, (4 << 20) / n))  // ≤ 16 MiB of scores
        // A bfloat16 tile is widened into a Float32 buffer of at most 16 MiB; larger tiles mean
        // fewer rounds of BLAS calls and worker hand-offs.
        if precision != .float32 { tileRows = min(tileRows, max(256, (4 << 20) / dimension)) }
        let selectors = UnsafeMutableBufferPointer<TopKSelector>.allocate(capacity: n)
        selectors.initialize(repeating: TopKSelector(k: k))
        defer { selectors.deinitialize(); selectors.deallocate() }
        let scores = UnsafeMutableBufferPointer<Float>.allocate(capacity: n * tileRows)
        defer { scores.deallocate() }
        let widened: UnsafeMutablePointer<Float>? = precision == .float32 ? nil : .allocate(capacity: tileRows * dimension)
        defer { widened?.deallocate() }
        let workers = max(1, min(threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount, n))
        let shared = SendableBatch(selectors: selectors, scores: scores)
        live.withUnsafeBufferPointer { alive in
            let aliveShared = SendableLive(alive)
            packed.withUnsafeBufferPointer { qp in
                var start = 0
                while start < count {
                    let rows = min(tileRows, count - start)
                    let tile: UnsafePointer<Float>
                    if let widened {
                        storage.decode(rows: rows, from: start, into: widened)
                        tile = UnsafePointer(widened)
                    } else {
                        tile = UnsafePointer(storage.floats + start * dimension)
                    }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(rows), Int32(dimension), 1,
                                qp.baseAddress!, Int32(dimension), tile, Int32(dimension), 0,
                                scores.baseAddress!, Int32(rows))
                    let offset = start
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        var q = w
                        while q < n {
                            let row = UnsafeBufferPointer(rebasing: shared.scores[(q * rows)..<((q + 1) * rows)])
                            shared.selectors[q].offer(scores: row, rowOffset: offset, minScore: minScore) { aliveShared.buffer[$0] }
                            q += workers
                        }
                    }
                    start += rows
                }
            }
        }
        return selectors.indices.map { selectors[$0].sorted() }
    }

}

struct SendableBatch: @unchecked Sendable {
    let selectors: UnsafeMutableBufferPointer<TopKSelector>
    let scores: UnsafeMutableBufferPointer<Float>
}

