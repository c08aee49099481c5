import Dispatch
import Foundation
import CBLAS
import SiftKernels

extension FlatIndex {
    // MARK: - Single query

    /// Which kernel computes the scores of a single query.
    @_spi(Benchmarks)
    public enum SingleQueryKernel: String, Sendable, CaseIterable {
        /// For a Float32 matrix: `blas` below ``FlatIndex/simdScanThresholdBytes``, `simd`
        /// from there on; for a bfloat16 matrix: `simd`.
        ///
        /// Measured on a 2-core x86-64 VM with OpenBLAS 0.3.21 (`sift bench --dim 512`): at
        /// 5,000 rows sgemv takes 0.08 ms and the scan 0.32 ms (thread start-up dominates);
        /// at 50,000 rows (100 MiB) they are level; at 1,000,000 rows sgemv is 1.46× the
        /// bandwidth floor and the scan 1.04×.
        case automatic
        /// `cblas_sgemv` (the BLAS implementation decides threading). A bfloat16 matrix is
        /// widened to Float32 a tile of rows at a time first.
        case blas
        /// A Swift SIMD scan: each row's dot product with four vector accumulators, rows
        /// split across `threads` threads. A single query is bound by memory bandwidth, and
        /// this scan stays closer to the bandwidth floor than OpenBLAS's sgemv on large
        /// matrices (see README, Speed).
        case simd
    }

    /// Matrix size (bytes) from which ``SingleQueryKernel/automatic`` uses the SIMD scan
    /// on a Float32 matrix.
    @_spi(Benchmarks)
    public static let simdScanThresholdBytes = 128 << 20

    /// The concrete kernel (`blas` or `simd`) that `kernel` stands for on this matrix.
    @_spi(Benchmarks)
    public func resolvedKernel(_ kernel: SingleQueryKernel) -> SingleQueryKernel {
        guard kernel == .automatic else { return kernel }
        if precision == .bfloat16 { return .simd }
        return matrixBytes >= FlatIndex.simdScanThresholdBytes ? .simd : .blas
    }

    /// The `k` live rows most similar to `query` (dot product), best first.
    ///
    /// - Parameters:
    ///   - query: a `dimension`-wide vector (normalise it for cosine scores).
    ///   - k: how many rows to return; 0 gives none.
    ///   - minScore: rows scoring below this are left out.
    /// The scores come from the kernel that ``SingleQueryKernel/automatic`` picks.
    /// - Complexity: O(count · dimension) for the matrix–vector product, O(count · log k)
    ///   for the selection.
    public func search(_ query: [Float], k: Int, minScore: Float = -.infinity) -> [ScoredRow] {
        search(query, k: k, minScore: minScore, kernel: .automatic)
    }

    /// The `k` best rows for `query`, computing the scores with `kernel` on `threads`
    /// threads (0 = all cores; the BLAS kernel ignores it).
    @_spi(Benchmarks)
    public func search(_ query: [Float], k: Int, minScore: Float = -.infinity, kernel: SingleQueryKernel, threads: Int = 0) -> [ScoredRow] {
        search(query, k: k, minScore: minScore, kernel: kernel, threads: threads, allowed: nil)
    }

    /// The `k` best rows among those whose `allowed` flag is set (`allowed` replaces the
    /// live flags: it must be `count` long and false for tombstones); nil means the live rows.
    func search(_ query: [Float], k: Int, minScore: Float = -.infinity, kernel: SingleQueryKernel = .automatic, threads: Int = 0,
                allowed: [Bool]?, ordered: Bool = true) -> [ScoredRow] {
        precondition(query.count == dimension, "query has \(query.count) components, index has \(dimension)")
        precondition(allowed == nil || allowed!.count == count, "row mask has \(allowed!.count) flags, index has \(count) rows")
        guard k > 0, count > 0 else { return [] }
        let live = allowed ?? self.live
        if resolvedKernel(kernel) == .simd {
            return query.withUnsafeBufferPointer {
                simdSearch(query: $0.baseAddress!, k: k, minScore: minScore, threads: threads, live: live, ordered: ordered)
            }
        }
        let scores = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            query.withUnsafeBufferPointer { q in blasScores(query: q.baseAddress!, out: out.baseAddress!) }
            initialized = count
        }
        return scores.withUnsafeBufferPointer { s in
            live.withUnsafeBufferPointer { alive in
                TopKSelector.select(scores: s, k: k, minScore: minScore) { alive[$0] }
            }
        }
    }

    /// Rows per tile when a bfloat16 matrix is widened for BLAS (≤ 4 MiB of Float32).
    private var decodeTileRows: Int { max(64, (1 << 20) / dimension) }

    private func blasScores(query: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) {
        if precision == .float32 {
            FlatIndex.gemv(matrix: storage.floats, rows: count, dimension: dimension, query: query, out: out)
            return
        }
        let tile = min(decodeTileRows, count)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: tile * dimension)
        defer { scratch.deallocate() }
        var start = 0
        while start < count {
            let rows = min(tile, count - start)
            storage.decode(rows: rows, from: start, into: scratch)
            FlatIndex.gemv(matrix: scratch, rows: rows, dimension: dimension, query: query, out: out + start)
            start += rows
        }
    }

    /// Rows scored per block by the SIMD scan before their top-k pass (256 KiB of scores,
    /// L2-resident). Measured at 1M rows: 4,096-row blocks made the bfloat16 scan 14 % slower
    /// (68.6 against 60.1 ms per query at 1,024 wide); from 65,536 rows on, blocks cost
    /// nothing against one pass over each worker's share.
    static let scanBlockRows = 65_536

    /// The SIMD scan: every row's exact score, from the C kernel of this CPU (AVX-512 or AVX2
    /// with FMA) or, with the portable kernels, the Swift loops below.
    private func simdSearch(query: UnsafePointer<Float>, k: Int, minScore: Float, threads: Int, live: [Bool], ordered: Bool) -> [ScoredRow] {
        let raw = SendableRaw(storage.raw)
        let d = dimension
        let q = SendablePointer(UnsafeMutablePointer(mutating: query))
        if precision == .float32 {
            return blockScan(k: k, minScore: minScore, threads: threads, live: live, bytesPerRow: storage.rowBytes, ordered: ordered) { rows, out in
                FlatIndex.simdScores(raw.pointer.assumingMemoryBound(to: Float.self), rows: rows, dimension: d, query: q.pointer, out: out)
            }
        }
        if Kernels.useC && d % 32 == 0 {
            return blockScan(k: k, minScore: minScore, threads: threads, live: live, bytesPerRow: storage.rowBytes, ordered: ordered) { rows, out in
                sift_bf16_dot(raw.pointer.assumingMemoryBound(to: UInt16.self) + rows.lowerBound * d, rows.count, d, q.pointer, out)
            }
        }
        // The query as the Swift kernel reads it: its even and odd components, matching the
        // two halves of each 32-bit word of a row (see `bfloat16Scores`).
        let half = d / 2
        let split = UnsafeMutablePointer<Float>.allocate(capacity: 2 * half)
        defer { split.deallocate() }
        for i in 0..<half { split[i] = query[2 * i]; split[half + i] = query[2 * i + 1] }
        let sp = SendablePointer(split)
        return blockScan(k: k, minScore: minScore, threads: threads, live: live, bytesPerRow: storage.rowBytes, ordered: ordered) { rows, out in
            FlatIndex.bfloat16Scores(raw.pointer, rows: rows, dimension: d, query: q.pointer, even: sp.pointer, odd: sp.pointer + half, out: out)
        }
    }

    /// The scan of every row: each worker scores its share of the rows block by block into a
    /// small buffer (`score(rows, out)`) and keeps its own top-k selection; they are merged at
    /// the end. No score buffer of `count` floats is written or read back, and the selection
    /// runs on all workers. Matrices under 4 MiB (of `bytesPerRow`-wide rows) are scanned on
    /// the calling thread: starting workers costs more than the scan (about 0.1 ms).
    func blockScan(k: Int, minScore: Float, threads: Int, live: [Bool], bytesPerRow: Int, ordered: Bool = true,
                   score: @escaping @Sendable (Range<Int>, UnsafeMutablePointer<Float>) -> Void) -> [ScoredRow] {
        let n = count
        let byBytes = n * bytesPerRow < (4 << 20) ? 1 : n / 1024 + 1
        let workers = max(1, min(threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount, byBytes))
        let blockRows = max(1, min(FlatIndex.scanBlockRows, (n + workers - 1) / workers))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: workers * blockRows)
        defer { scratch.deallocate() }
        // Each worker builds its own selection and moves it into its (uninitialised) slot; the
        // slots live on the stack.
        return withUnsafeTemporaryAllocation(of: TopKSelector.self, capacity: workers) { selectors in
            let shared = SendableBatch(selectors: selectors, scores: UnsafeMutableBufferPointer(start: scratch, count: workers * blockRows))
            live.withUnsafeBufferPointer { alive in
                let aliveShared = SendableLive(alive)
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    let out = shared.scores.baseAddress! + w * blockRows
                    var selector = TopKSelector(k: k)
                    var start = n * w / workers
                    let end = n * (w + 1) / workers
                    while start < end {
                        let rows = start..<min(start + blockRows, end)
                        score(rows, out)
                        selector.offer(scores: UnsafeBufferPointer(start: out, count: rows.count), rowOffset: rows.lowerBound,
                                       minScore: minScore) { aliveShared.buffer[$0] }
                        start = rows.upperBound
                    }
                    (shared.selectors.baseAddress! + w).initialize(to: selector)
                }
            }
            var merged = selectors.baseAddress!.move()
            for w in 1..<workers {
                var other = (selectors.baseAddress! + w).move()
                for hit in other.unordered() { merged.offer(row: hit.row, score: hit.score) }
            }
            return ordered ? merged.sorted() : merged.unordered()
        }
    }

    /// Dot products of Float32 rows `rows` with `query`; `out[i]` is row `rows.lowerBound + i`'s.
    ///
    /// One row at a time, front to back (so the hardware prefetcher sees one sequential
    /// stream), with two 16-wide accumulators: eight vector registers on baseline x86-64,
    /// leaving room for the loads without spilling.
    static func simdScores(_ matrix: UnsafeMutablePointer<Float>, rows: Range<Int>, dimension d: Int,
                           query: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        typealias V = SIMD16<Float>
        let vectorEnd = d &- d % 32
        let q = UnsafeRawPointer(query)
        let endOffset = vectorEnd &* 4
        let base = rows.lowerBound
        for r in rows {
            let row = UnsafeRawPointer(matrix + r &* d)
            var a0 = V(), a1 = V()
            var off = 0
            while off < endOffset {
                a0 += row.loadUnaligned(fromByteOffset: off, as: V.self) * q.loadUnaligned(fromByteOffset: off, as: V.self)
                a1 += row.loadUnaligned(fromByteOffset: off &+ 64, as: V.self) * q.loadUnaligned(fromByteOffset: off &+ 64, as: V.self)
                off &+= 128
            }
            var s = (a0 + a1).sum()
            var j = vectorEnd
            while j < d { s += row.load(fromByteOffset: j &* 4, as: Float.self) * query[j]; j &+= 1 }
            out[r &- base] = s
        }
    }

    /// Dot products of bfloat16 rows with a Float32 query. Each 32-bit word of a row holds
    /// two components (little-endian: component 2i in the low half, 2i+1 in the high half);
    /// `word << 16` and `word & 0xFFFF0000` are those two components as Float32 bits, so a
    /// row is widened with one shift and one mask per two components and multiplied with
    /// the query's even and odd components. `out[i]` is row `rows.lowerBound + i`'s score.
    static func bfloat16Scores(_ matrix: UnsafeMutableRawPointer, rows: Range<Int>, dimension d: Int, query: UnsafePointer<Float>,
                               even: UnsafePointer<Float>, odd: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let vectorEnd = d - d % 32  // components handled 32 at a time (16 words)
        let mask = SIMD8<UInt32>(repeating: 0xFFFF_0000)
        let e = UnsafeRawPointer(even), o = UnsafeRawPointer(odd)
        for r in rows {
            let row = UnsafeRawPointer(matrix + r * d * 2)
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var j = 0
            while j < vectorEnd {
                let w0 = row.loadUnaligned(fromByteOffset: j * 2, as: SIMD8<UInt32>.self)
                let w1 = row.loadUnaligned(fromByteOffset: j * 2 + 32, as: SIMD8<UInt32>.self)
                let h = j / 2 * 4  // byte offset into the even/odd halves
                a0 += unsafeBitCast(w0 &<< 16, to: SIMD8<Float>.self) * e.loadUnaligned(fromByteOffset: h, as: SIMD8<Float>.self)
                a1 += unsafeBitCast(w0 & mask, to: SIMD8<Float>.self) * o.loadUnaligned(fromByteOffset: h, as: SIMD8<Float>.self)
                a2 += unsafeBitCast(w1 &<< 16, to: SIMD8<Float>.self) * e.loadUnaligned(fromByteOffset: h + 32, as: SIMD8<Float>.self)
                a3 += unsafeBitCast(w1 & mask, to: SIMD8<Float>.self) * o.loadUnaligned(fromByteOffset: h + 32, as: SIMD8<Float>.self)
                j += 32
            }
            var s = ((a0 + a1) + (a2 + a3)).sum()
            let bits = row.assumingMemoryBound(to: UInt16.self)
            while j < d { s += MatrixPrecision.float(bfloat16: bits[j]) * query[j]; j += 1 }
            out[r - rows.lowerBound] = s
        }
    }

    static func gemv(matrix: UnsafePointer<Float>, rows: Int, dimension: Int, query: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) {
        // BLAS takes Int32 dimensions: split very tall matrices into row blocks.
        let maxRows = Int(Int32.max) / max(dimension, 1)
        var start = 0
        while start < rows {
            let n = min(maxRows, rows - start)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(dimension), 1,
                        matrix + start * dimension, Int32(dimension), query, 1, 0, out + start, 1)
            start += n
        }
    }
}
