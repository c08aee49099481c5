import Dispatch
import Foundation
import CBLAS

/// An exact (brute-force) cosine index over one contiguous row-major Float32 matrix.
///
/// Rows are L2-normalised vectors, so cosine similarity is a dot product: one query is a
/// single `cblas_sgemv` over the whole matrix, a batch of queries one `cblas_sgemm`,
/// followed by a bounded-heap top-k per query (never a full sort).
///
/// `FlatIndex` is a value type with copy-on-write storage; a copy is a consistent
/// snapshot that other threads may search while the original is being changed. Removed
/// rows become tombstones: they keep their row number (so other rows never shift) and
/// are skipped by search.
public struct FlatIndex: Sendable {
    /// Width of every row.
    public let dimension: Int
    /// Number of rows, tombstones included.
    public private(set) var count: Int
    var storage: MatrixStorage
    /// `false` for removed rows.
    private(set) var live: [Bool]
    /// Number of rows that are not tombstones.
    public private(set) var liveCount: Int

    /// An empty index of `dimension`-wide rows.
    public init(dimension: Int, reservingCapacity capacity: Int = 0) {
        precondition(dimension > 0, "dimension must be positive")
        self.dimension = dimension
        count = 0
        liveCount = 0
        storage = MatrixStorage(dimension: dimension, capacityRows: max(capacity, 16))
        live = []
    }

    /// An index over existing storage (used by the file loader).
    init(dimension: Int, count: Int, storage: MatrixStorage, live: [Bool]) {
        self.dimension = dimension
        self.count = count
        self.storage = storage
        self.live = live
        liveCount = live.lazy.filter { $0 }.count
    }

    /// Whether the matrix is served from a memory-mapped file.
    public var isMemoryMapped: Bool { storage.isMapped }

    /// Appends a row; returns its row number. The vector should be L2-normalised.
    /// - Complexity: amortised O(dimension).
    @discardableResult
    public mutating func add(_ vector: [Float]) -> Int {
        precondition(vector.count == dimension, "vector has \(vector.count) components, index has \(dimension)")
        if !isKnownUniquelyReferenced(&storage) || storage.isMapped || storage.capacityRows <= count {
            let capacity = storage.capacityRows <= count ? max(16, count * 2) : storage.capacityRows
            storage = storage.copy(rows: count, capacityRows: capacity)
        }
        vector.withUnsafeBufferPointer { src in
            (storage.pointer + count * dimension).update(from: src.baseAddress!, count: dimension)
        }
        live.append(true)
        liveCount += 1
        count += 1
        return count - 1
    }

    /// Appends `rows` rows at once from a row-major buffer of `rows × dimension` floats.
    /// - Complexity: O(rows · dimension).
    public mutating func add(rows: Int, contentsOf matrix: UnsafeBufferPointer<Float>) {
        precondition(matrix.count == rows * dimension, "buffer has \(matrix.count) floats, expected \(rows) × \(dimension)")
        guard rows > 0 else { return }
        if !isKnownUniquelyReferenced(&storage) || storage.isMapped || storage.capacityRows < count + rows {
            storage = storage.copy(rows: count, capacityRows: max(count + rows, storage.capacityRows))
        }
        (storage.pointer + count * dimension).update(from: matrix.baseAddress!, count: rows * dimension)
        live.append(contentsOf: repeatElement(true, count: rows))
        liveCount += rows
        count += rows
    }

    /// Marks `row` as removed. Its row number is never reused until ``compacted()``.
    public mutating func remove(row: Int) {
        precondition(row >= 0 && row < count, "row \(row) out of range")
        if live[row] { live[row] = false; liveCount -= 1 }
    }

    /// Whether `row` is live (not removed).
    public func isLive(_ row: Int) -> Bool { row >= 0 && row < count && live[row] }

    /// A copy of row `row`.
    public func vector(at row: Int) -> [Float] {
        precondition(row >= 0 && row < count)
        return Array(UnsafeBufferPointer(start: storage.pointer + row * dimension, count: dimension))
    }

    /// The `k` live rows most similar to `query` (dot product), best first.
    ///
    /// - Parameters:
    ///   - query: a `dimension`-wide vector (normalise it for cosine scores).
    ///   - k: how many rows to return; 0 gives none.
    ///   - minScore: rows scoring below this are left out.
    /// - Complexity: O(count · dimension) for the matrix–vector product, O(count · log k)
    ///   for the selection.
    public func search(_ query: [Float], k: Int, minScore: Float = -.infinity) -> [ScoredRow] {
        precondition(query.count == dimension, "query has \(query.count) components, index has \(dimension)")
        guard k > 0, count > 0 else { return [] }
        // sgemv overwrites every score (beta = 0): no need to zero the buffer first.
        let scores = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            query.withUnsafeBufferPointer { q in
                FlatIndex.gemv(matrix: storage.pointer, rows: count, dimension: dimension, query: q.baseAddress!, out: out.baseAddress!)
            }
            initialized = count
        }
        return scores.withUnsafeBufferPointer { s in
            live.withUnsafeBufferPointer { alive in
                TopKSelector.select(scores: s, k: k, minScore: minScore) { alive[$0] }
            }
        }
    }

    /// Searches many queries at once with matrix–matrix products (`cblas_sgemm`); result `i`
    /// equals `search(queries[i], k:minScore:)`.
    ///
    /// The matrix is processed in tiles of rows so that the score buffer stays small (a few
    /// MiB, cache-resident) whatever the number of rows; after each tile's sgemm the top-k
    /// heaps of the queries are updated on up to `threads` threads (0 = all cores), in
    /// turn with BLAS, so the two never compete for cores.
    /// - Complexity: O(count · dimension · queries) for the products, O(count · queries ·
    ///   log k) for the selection.
    public func search(batch queries: [[Float]], k: Int, minScore: Float = -.infinity, threads: Int = 0) -> [[ScoredRow]] {
        guard !queries.isEmpty else { return [] }
        guard k > 0, count > 0 else { return Array(repeating: [], count: queries.count) }
        let n = queries.count
        var packed = [Float](repeating: 0, count: n * dimension)
        for (i, q) in queries.enumerated() {
            precondition(q.count == dimension, "query has \(q.count) components, index has \(dimension)")
            packed.replaceSubrange(i * dimension..<(i + 1) * dimension, with: q)
        }
        let tileRows = max(256, min(count, (4 << 20) / n))  // ≤ 16 MiB of scores
        let selectors = UnsafeMutableBufferPointer<TopKSelector>.allocate(capacity: n)
        selectors.initialize(repeating: TopKSelector(k: k))
        defer { selectors.deinitialize(); selectors.deallocate() }
        let scores = UnsafeMutableBufferPointer<Float>.allocate(capacity: n * tileRows)
        defer { scores.deallocate() }
        let workers = max(1, min(threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount, n))
        let shared = SendableBatch(selectors: selectors, scores: scores)
        live.withUnsafeBufferPointer { alive in
            let aliveShared = SendableLive(alive)
            packed.withUnsafeBufferPointer { qp in
                var start = 0
                while start < count {
                    let rows = min(tileRows, count - start)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(rows), Int32(dimension), 1,
                                qp.baseAddress!, Int32(dimension), storage.pointer + start * dimension, Int32(dimension), 0,
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
        return selectors.map { $0.sorted() }
    }

    /// Scores of the given rows only (a gathered dot product per row).
    func scores(of rows: [Int], query: [Float]) -> [Float] {
        rows.map { row in
            query.withUnsafeBufferPointer { q in
                cblas_sdot(Int32(dimension), storage.pointer + row * dimension, 1, q.baseAddress!, 1)
            }
        }
    }

    /// A copy without tombstones, and the old row → new row mapping (nil for removed rows).
    public func compacted() -> (index: FlatIndex, mapping: [Int?]) {
        var result = FlatIndex(dimension: dimension, reservingCapacity: liveCount)
        var mapping = [Int?](repeating: nil, count: count)
        for row in 0..<count where live[row] {
            mapping[row] = result.add(vector(at: row))
        }
        return (result, mapping)
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

extension FlatIndex {
    /// Reads every float of the matrix once (a sum over 8 independent lanes, split across
    /// `threads` threads): the memory-bandwidth floor that a search cannot beat.
    public func scanChecksum(threads: Int = 1) -> Float {
        let total = count * dimension
        let workers = max(1, min(threads, max(1, total / 65536)))
        let partial = UnsafeMutableBufferPointer<Float>.allocate(capacity: workers)
        partial.initialize(repeating: 0)
        defer { partial.deallocate() }
        let out = SendableBuffer(partial)
        let base = SendablePointer(storage.pointer)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = total * w / workers, end = total * (w + 1) / workers
            var acc = SIMD16<Float>()
            var i = start
            let p = base.pointer
            while i + 16 <= end {
                acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
                i += 16
            }
            var s = acc.sum()
            while i < end { s += p[i]; i += 1 }
            out.buffer[w] = s
        }
        return partial.reduce(0, +)
    }
}

struct SendableBatch: @unchecked Sendable {
    let selectors: UnsafeMutableBufferPointer<TopKSelector>
    let scores: UnsafeMutableBufferPointer<Float>
}

struct SendableLive: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<Bool>
    init(_ buffer: UnsafeBufferPointer<Bool>) { self.buffer = buffer }
}

struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}

extension FlatIndex {
    /// Which kernel computes the scores of a single query.
    public enum SingleQueryKernel: String, Sendable, CaseIterable {
        /// `cblas_sgemv` (the BLAS implementation decides threading).
        case blas
        /// A Swift SIMD scan: each row's dot product with 16-wide vectors and four
        /// accumulators, rows split across `threads` threads. A single query is bound by
        /// memory bandwidth, and this scan stays closer to the bandwidth floor than
        /// OpenBLAS's sgemv on the machines we measured (see README, Speed).
        case simd
    }

    /// The `k` best rows for `query`, computing the scores with `kernel` on `threads`
    /// threads (0 = all cores; the BLAS kernel ignores it).
    public func search(_ query: [Float], k: Int, minScore: Float = -.infinity, kernel: SingleQueryKernel, threads: Int = 0) -> [ScoredRow] {
        guard kernel == .simd else { return search(query, k: k, minScore: minScore) }
        precondition(query.count == dimension, "query has \(query.count) components, index has \(dimension)")
        guard k > 0, count > 0 else { return [] }
        let workers = max(1, min(threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount, count / 4096 + 1))
        let scores = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            let outShared = SendablePointer(out.baseAddress!)
            let matrix = SendablePointer(storage.pointer)
            query.withUnsafeBufferPointer { q in
                let qShared = SendablePointer(UnsafeMutablePointer(mutating: q.baseAddress!))
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    let start = count * w / workers, end = count * (w + 1) / workers
                    FlatIndex.simdScores(matrix.pointer, rows: start..<end, dimension: dimension, query: qShared.pointer, out: outShared.pointer)
                }
            }
            initialized = count
        }
        return scores.withUnsafeBufferPointer { s in
            live.withUnsafeBufferPointer { alive in
                TopKSelector.select(scores: s, k: k, minScore: minScore) { alive[$0] }
            }
        }
    }

    static func simdScores(_ matrix: UnsafeMutablePointer<Float>, rows: Range<Int>, dimension d: Int,
                           query: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let vectorEnd = d - d % 64
        for r in rows {
            let row = UnsafeRawPointer(matrix + r * d)
            let q = UnsafeRawPointer(query)
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
            var j = 0
            while j < vectorEnd {
                let b = j * 4
                let x0 = row.loadUnaligned(fromByteOffset: b, as: SIMD16<Float>.self)
                let y0 = q.loadUnaligned(fromByteOffset: b, as: SIMD16<Float>.self)
                a0 += x0 * y0
                let x1 = row.loadUnaligned(fromByteOffset: b + 64, as: SIMD16<Float>.self)
                let y1 = q.loadUnaligned(fromByteOffset: b + 64, as: SIMD16<Float>.self)
                a1 += x1 * y1
                let x2 = row.loadUnaligned(fromByteOffset: b + 128, as: SIMD16<Float>.self)
                let y2 = q.loadUnaligned(fromByteOffset: b + 128, as: SIMD16<Float>.self)
                a2 += x2 * y2
                let x3 = row.loadUnaligned(fromByteOffset: b + 192, as: SIMD16<Float>.self)
                let y3 = q.loadUnaligned(fromByteOffset: b + 192, as: SIMD16<Float>.self)
                a3 += x3 * y3
                j += 64
            }
            let acc = (a0 + a1) + (a2 + a3)
            var s = acc.sum()
            while j < d { s += matrix[r * d + j] * query[j]; j += 1 }
            out[r] = s
        }
    }
}
