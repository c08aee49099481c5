import Dispatch
import Foundation
import CBLAS

/// An exact (brute-force) cosine index over one contiguous row-major matrix.
///
/// Rows are L2-normalised vectors, so cosine similarity is a dot product. The matrix holds
/// Float32 components (``MatrixPrecision/float32``, the default) or bfloat16 ones
/// (``MatrixPrecision/bfloat16``: half the bytes, widened exactly to Float32 while read).
/// One query is a `cblas_sgemv` over the Float32 matrix, or a multi-threaded SIMD scan once
/// the matrix is large enough to be bound by memory bandwidth (see ``SingleQueryKernel``);
/// a batch of queries is one `cblas_sgemm` per tile of rows. Each is followed by a
/// buffered top-k selection per query (never a full sort).
///
/// `FlatIndex` is a value type with copy-on-write storage; a copy is a consistent
/// snapshot that other threads may search while the original is being changed. Removed
/// rows become tombstones: they keep their row number (so other rows never shift) and
/// are skipped by search.
@_spi(Benchmarks)
public struct FlatIndex: Sendable {
    /// Width of every row.
    public let dimension: Int
    /// How components are stored.
    public var precision: MatrixPrecision { storage.precision }
    /// Number of rows, tombstones included.
    public private(set) var count: Int
    var storage: MatrixStorage
    /// `false` for removed rows.
    private(set) var live: [Bool]
    /// Number of rows that are not tombstones.
    public private(set) var liveCount: Int
    /// Compact codes of every row, by kind (see ``FirstStage``); kept up to date by every add.
    var codes: [FirstStage: CodeStorage] = [:]

    /// An empty index of `dimension`-wide rows stored with `precision`.
    public init(dimension: Int, precision: MatrixPrecision = .float32, reservingCapacity capacity: Int = 0) {
        precondition(dimension > 0, "dimension must be positive")
        self.dimension = dimension
        count = 0
        liveCount = 0
        storage = MatrixStorage(dimension: dimension, precision: precision, capacityRows: max(capacity, 16))
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

    /// Bytes of the matrix (rows × dimension × bytes per component).
    public var matrixBytes: Int { count * storage.rowBytes }

    /// Appends a row; returns its row number. The vector should be L2-normalised; a
    /// bfloat16 index stores it rounded to nearest.
    /// - Complexity: amortised O(dimension).
    @discardableResult
    public mutating func add(_ vector: [Float]) -> Int {
        precondition(vector.count == dimension, "vector has \(vector.count) components, index has \(dimension)")
        if !isKnownUniquelyReferenced(&storage) || storage.isMapped || storage.capacityRows <= count {
            let capacity = storage.capacityRows <= count ? max(16, count * 2) : storage.capacityRows
            storage = storage.copy(rows: count, capacityRows: capacity)
        }
        vector.withUnsafeBufferPointer { storage.store($0.baseAddress!, rows: 1, at: count) }
        appendCodes(rows: 1)
        live.append(true)
        liveCount += 1
        count += 1
        return count - 1
    }

    /// Makes room for at least `rows` rows in all, so that appending up to that many copies
    /// nothing. (The pages of unused room are not touched, so they cost address space only.)
    public mutating func reserveCapacity(_ rows: Int) {
        guard rows > storage.capacityRows || !isKnownUniquelyReferenced(&storage) || storage.isMapped else { return }
        storage = storage.copy(rows: count, capacityRows: max(rows, count))
    }

    /// Makes room for `rows` more rows, copying a shared or memory-mapped matrix to the heap.
    /// When it must grow it grows by at least half, so that appending block after block
    /// copies the matrix O(log n) times overall.
    mutating func makeRoom(forAdding rows: Int) {
        let needed = count + rows
        guard !isKnownUniquelyReferenced(&storage) || storage.isMapped || storage.capacityRows < needed else { return }
        let current = storage.isMapped ? count : storage.capacityRows
        storage = storage.copy(rows: count, capacityRows: current < needed ? max(needed, current + current / 2) : current)
    }

    /// Appends `rows` rows at once from a row-major buffer of `rows × dimension` floats.
    /// - Complexity: O(rows · dimension).
    public mutating func add(rows: Int, contentsOf matrix: UnsafeBufferPointer<Float>) {
        precondition(matrix.count == rows * dimension, "buffer has \(matrix.count) floats, expected \(rows) × \(dimension)")
        guard rows > 0 else { return }
        makeRoom(forAdding: rows)
        storage.store(matrix.baseAddress!, rows: rows, at: count)
        appendCodes(rows: rows)
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

    /// A copy of row `row` (as stored: rounded for a bfloat16 index).
    public func vector(at row: Int) -> [Float] {
        precondition(row >= 0 && row < count)
        return [Float](unsafeUninitializedCapacity: dimension) { out, initialized in
            storage.decode(rows: 1, from: row, into: out.baseAddress!)
            initialized = dimension
        }
    }

    /// Scores of the given rows only (a gathered dot product per row).
    func scores(of rows: [Int], query: [Float]) -> [Float] {
        rows.map { row in
            let v = vector(at: row)
            return query.withUnsafeBufferPointer { q in
                v.withUnsafeBufferPointer { cblas_sdot(Int32(dimension), $0.baseAddress!, 1, q.baseAddress!, 1) }
            }
        }
    }

    /// A copy without tombstones, and the old row → new row mapping (nil for removed rows).
    public func compacted() -> (index: FlatIndex, mapping: [Int?]) {
        var result = FlatIndex(dimension: dimension, precision: precision, reservingCapacity: liveCount)
        var mapping = [Int?](repeating: nil, count: count)
        for row in 0..<count where live[row] {
            if !isKnownUniquelyReferenced(&result.storage) || result.storage.capacityRows <= result.count {
                result.storage = result.storage.copy(rows: result.count, capacityRows: max(16, result.count * 2))
            }
            // Copy the stored bits: no second rounding.
            (result.storage.raw + result.count * storage.rowBytes).copyMemory(from: storage.raw + row * storage.rowBytes, byteCount: storage.rowBytes)
            result.live.append(true)
            result.liveCount += 1
            result.count += 1
            mapping[row] = result.count - 1
        }
        for (kind, old) in codes {
            let fresh = CodeStorage(kind: kind, rowBytes: old.rowBytes, capacityRows: liveCount)
            var n = 0
            for row in 0..<count where live[row] {
                fresh.row(n).copyMemory(from: old.row(row), byteCount: old.rowBytes)
                n += 1
            }
            result.codes[kind] = fresh
        }
        return (result, mapping)
    }

}
