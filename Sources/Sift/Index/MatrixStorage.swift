#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the flat matrix stores each component.
public enum MatrixPrecision: String, Codable, Sendable, CaseIterable {
    /// IEEE 754 single precision: 4 bytes per component, searched with BLAS.
    case float32
    /// bfloat16, the upper half of a Float32 (8 exponent bits, 8 significant bits), rounded
    /// to nearest even: 2 bytes per component, half the memory of `float32` for the same
    /// width. Components are widened to Float32 exactly (a 16-bit shift) while they are
    /// read, so scores are Float32 dot products of the rounded rows.
    case bfloat16

    /// Bytes per component.
    public var bytesPerElement: Int { self == .float32 ? 4 : 2 }

    /// The bfloat16 bits of `x`, rounded to nearest even (NaN stays NaN).
    @inline(__always) static func bfloat16Bits(_ x: Float) -> UInt16 {
        let b = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: b >> 16) | 0x40 }
        return UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }

    /// The Float32 value of bfloat16 bits (exact).
    @inline(__always) static func float(bfloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// `x` rounded to the nearest value this precision can store.
    @_spi(Benchmarks)
    public func rounded(_ x: Float) -> Float {
        self == .float32 ? x : MatrixPrecision.float(bfloat16: MatrixPrecision.bfloat16Bits(x))
    }
}

/// The bytes of a row-major matrix (Float32 or bfloat16 components): either a heap
/// allocation (64-byte aligned, growable) or a read-only memory mapping of an index file.
/// Reference type, shared by copies of a ``FlatIndex``; `FlatIndex` copies it before any
/// mutation unless it is the sole owner of a heap allocation (copy-on-write).
final class MatrixStorage: @unchecked Sendable {
    enum Backing {
        case heap(capacityRows: Int)
        /// A memory mapping owned by `owner` (unmapped when the owner goes); `raw` points into it.
        case mapped(owner: AnyObject)
    }

    private(set) var raw: UnsafeMutableRawPointer
    let dimension: Int
    let precision: MatrixPrecision
    private(set) var backing: Backing

    var rowBytes: Int { dimension * precision.bytesPerElement }

    /// The components as Float32 (only for `float32` storage).
    var floats: UnsafeMutablePointer<Float> {
        precondition(precision == .float32)
        return raw.assumingMemoryBound(to: Float.self)
    }

    /// The components as bfloat16 bits (only for `bfloat16` storage).
    var halves: UnsafeMutablePointer<UInt16> {
        precondition(precision == .bfloat16)
        return raw.assumingMemoryBound(to: UInt16.self)
    }

    init(dimension: Int, precision: MatrixPrecision, capacityRows: Int) {
        self.dimension = dimension
        self.precision = precision
        let rows = max(capacityRows, 1)
        raw = MatrixStorage.allocate(bytes: rows * dimension * precision.bytesPerElement, precision: precision)
        backing = .heap(capacityRows: rows)
    }

    /// Wraps `raw`, which points into a mapping kept alive by `owner`.
    init(mappedBy owner: AnyObject, raw: UnsafeMutableRawPointer, dimension: Int, precision: MatrixPrecision) {
        self.raw = raw
        self.dimension = dimension
        self.precision = precision
        backing = .mapped(owner: owner)
    }

    private static func allocate(bytes: Int, precision: MatrixPrecision) -> UnsafeMutableRawPointer {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: 64)
        switch precision {
        case .float32: raw.bindMemory(to: Float.self, capacity: max(bytes, 64) / 4)
        case .bfloat16: raw.bindMemory(to: UInt16.self, capacity: max(bytes, 64) / 2)
        }
        return raw
    }

    var isMapped: Bool { if case .mapped = backing { true } else { false } }

    /// The file mapping the rows come from, if they are memory-mapped.
    var mapping: FileIO.Mapping? { if case .mapped(let owner) = backing { owner as? FileIO.Mapping } else { nil } }

    var capacityRows: Int {
        if case .heap(let rows) = backing { rows } else { 0 }
    }

    /// A heap copy of the first `rows` rows with room for `capacityRows`.
    func copy(rows: Int, capacityRows: Int) -> MatrixStorage {
        let copy = MatrixStorage(dimension: dimension, precision: precision, capacityRows: max(capacityRows, rows))
        copy.raw.copyMemory(from: raw, byteCount: rows * rowBytes)
        return copy
    }

    /// Stores `vector` (`dimension` floats) as row `row`, rounding to the precision.
    func store(_ vector: UnsafePointer<Float>, rows: Int, at row: Int) {
        switch precision {
        case .float32:
            (floats + row * dimension).update(from: vector, count: rows * dimension)
        case .bfloat16:
            let out = halves + row * dimension
            for i in 0..<(rows * dimension) { out[i] = MatrixPrecision.bfloat16Bits(vector[i]) }
        }
    }

    /// Writes rows `start..<start+rows` as Float32 into `out` (`rows × dimension` floats).
    func decode(rows: Int, from start: Int, into out: UnsafeMutablePointer<Float>) {
        switch precision {
        case .float32:
            out.update(from: floats + start * dimension, count: rows * dimension)
        case .bfloat16:
            let src = halves + start * dimension
            for i in 0..<(rows * dimension) { out[i] = MatrixPrecision.float(bfloat16: src[i]) }
        }
    }

    deinit {
        switch backing {
        case .heap:
            raw.deallocate()
        case .mapped:
            break  // the owner unmaps
        }
    }
}
