#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of a row-major Float32 matrix: either a heap allocation (64-byte aligned,
/// growable) or a read-only memory mapping of an index file. Reference type, shared by
/// copies of a ``FlatIndex``; `FlatIndex` copies it before any mutation unless it is the
/// sole owner of a heap allocation (copy-on-write).
final class MatrixStorage: @unchecked Sendable {
    enum Backing {
        case heap(capacityRows: Int)
        /// A memory mapping owned by `owner` (unmapped when the owner goes); `pointer` points into it.
        case mapped(owner: AnyObject)
    }

    private(set) var pointer: UnsafeMutablePointer<Float>
    let dimension: Int
    private(set) var backing: Backing

    init(dimension: Int, capacityRows: Int) {
        self.dimension = dimension
        let rows = max(capacityRows, 1)
        pointer = MatrixStorage.allocate(count: rows * dimension)
        backing = .heap(capacityRows: rows)
    }

    /// Wraps `pointer`, which points into a mapping kept alive by `owner`.
    init(mappedBy owner: AnyObject, pointer: UnsafeMutablePointer<Float>, dimension: Int) {
        self.pointer = pointer
        self.dimension = dimension
        backing = .mapped(owner: owner)
    }

    private static func allocate(count: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    var isMapped: Bool { if case .mapped = backing { true } else { false } }

    var capacityRows: Int {
        if case .heap(let rows) = backing { rows } else { 0 }
    }

    /// A heap copy of the first `rows` rows with room for `capacityRows`.
    func copy(rows: Int, capacityRows: Int) -> MatrixStorage {
        let copy = MatrixStorage(dimension: dimension, capacityRows: max(capacityRows, rows))
        copy.pointer.update(from: pointer, count: rows * dimension)
        return copy
    }

    deinit {
        switch backing {
        case .heap:
            UnsafeMutableRawPointer(pointer).deallocate()
        case .mapped:
            break  // the owner unmaps
        }
    }
}
