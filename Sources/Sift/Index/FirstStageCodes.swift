import SiftKernels

/// How the first stage of a search scans the flat matrix for candidates.
///
/// The exact scan reads every row at the model's precision (2 KiB per passage for the
/// default model). The compact codes are much smaller copies of the rows, kept beside them:
/// the scan ranks every row by its code, and the best ``SearchSettings/refine`` rows are then
/// scored exactly with their full rows (which may stay on disk, in the page cache) before the
/// usual re-scoring. Codes trade a little stage-1 recall for a scan that reads 2 to 16 times
/// less memory; build them with ``SiftIndex/buildCodes(_:)``.
public enum FirstStage: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every row at the model's precision.
    case exact
    /// int8 codes with a per-row scale: `dimension + 8` bytes per row (1,032 at 1,024 wide).
    case int8
    /// 1-bit sign codes of the randomly rotated rows, ranked by their sign-weighted dot product
    /// with the (4-bit) rotated query, corrected per row as in RaBitQ: `dimension / 8 + 4`
    /// bytes per row (132 at 1,024 wide).
    case sign

    /// Bytes per row of the codes at `dimension` (for `exact`, 0: the rows themselves).
    public func bytesPerRow(dimension: Int) -> Int {
        switch self {
        case .exact: 0
        case .int8: dimension + 8
        case .sign: dimension / 8 + 4
        }
    }
}

/// Rows of a fixed byte width (the codes of one ``FirstStage``): a growable heap buffer or
/// a read-only view of a memory-mapped index file. Shared by copies of a `FlatIndex`, which
/// copies it before a mutation unless it is the sole owner of a heap buffer.
final class CodeStorage: @unchecked Sendable {
    let kind: FirstStage
    let rowBytes: Int
    private(set) var raw: UnsafeMutableRawPointer
    private(set) var capacityRows: Int
    private let owner: AnyObject?

    init(kind: FirstStage, rowBytes: Int, capacityRows: Int) {
        self.kind = kind
        self.rowBytes = rowBytes
        self.capacityRows = max(capacityRows, 16)
        raw = UnsafeMutableRawPointer.allocate(byteCount: self.capacityRows * rowBytes, alignment: 64)
        owner = nil
    }

    init(kind: FirstStage, rowBytes: Int, mappedBy owner: AnyObject, raw: UnsafeMutableRawPointer) {
        self.kind = kind
        self.rowBytes = rowBytes
        self.raw = raw
        self.owner = owner
        capacityRows = 0
    }

    var isMapped: Bool { owner != nil }

    func copy(rows: Int, capacityRows: Int) -> CodeStorage {
        let c = CodeStorage(kind: kind, rowBytes: rowBytes, capacityRows: max(rows, capacityRows))
        c.raw.copyMemory(from: raw, byteCount: rows * rowBytes)
        return c
    }

    func row(_ r: Int) -> UnsafeMutableRawPointer { raw + r * rowBytes }

    deinit { if owner == nil { raw.deallocate() } }
}

/// Encoding rows into codes, and the queries that scan them.
enum Codes {
    /// Query values of the int8 scan are 7-bit, centred on 64.
    static let queryOffset: Int32 = 64

    /// Writes the code of the Float32 row `x` (`dimension` wide) to `out`.
    static func encode(_ kind: FirstStage, _ x: UnsafePointer<Float>, dimension d: Int, into out: UnsafeMutableRawPointer) {
        switch kind {
        case .exact:
            break
        case .sign:
            // The signs of the rotated row (see `rotate`): the hashed rows are sparse, and
            // the sign of a zero would say nothing; after the rotation every bit carries
            // part of every component.
            var y = [Float](repeating: 0, count: d)
            rotate(x, dimension: d, into: &y)
            let words = out.assumingMemoryBound(to: UInt64.self)
            for w in 0..<(d / 64) {
                var bits: UInt64 = 0
                for b in 0..<64 where y[w * 64 + b] > 0 { bits |= 1 << UInt64(b) }
                words[w] = bits
            }
            // How well the signs stand for the row: ⟨sign(y)/√d, y/‖y‖⟩ = Σ|y_i| / (√d·‖y‖).
            // Dividing a row's estimate by it makes the estimate of ⟨q, y⟩ unbiased (RaBitQ),
            // so rows whose signs capture them less well are not ranked too low.
            var absSum: Float = 0, squares: Float = 0
            for v in y { absSum += abs(v); squares += v * v }
            let factor: Float = squares > 0 ? absSum / (Float(d).squareRoot() * squares.squareRoot()) : 1
            out.storeBytes(of: factor.bitPattern.littleEndian, toByteOffset: d / 8, as: UInt32.self)
        case .int8:
            var top: Float = 0
            for i in 0..<d { top = max(top, abs(x[i])) }
            let scale: Float = top > 0 ? top / 127 : 1
            let codes = out.assumingMemoryBound(to: Int8.self)
            var sum: Int32 = 0
            for i in 0..<d {
                let c = Int8(clamping: Int((x[i] / scale).rounded()))
                codes[i] = c
                sum += Int32(c)
            }
            out.storeBytes(of: scale.bitPattern.littleEndian, toByteOffset: d, as: UInt32.self)
            out.storeBytes(of: UInt32(bitPattern: sum).littleEndian, toByteOffset: d + 4, as: UInt32.self)
        }
    }

    /// A fixed random rotation: random sign flips (a seeded xorshift, the same on every
    /// machine), then the fast Walsh–Hadamard transform. `dimension` is a power of two.
    static func rotate(_ x: UnsafePointer<Float>, dimension d: Int, into y: inout [Float]) {
        var state: UInt64 = 0x5EED_51F7_C0DE_0001
        for i in 0..<d {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            y[i] = state & 1 == 0 ? x[i] : -x[i]
        }
        var h = 1
        while h < d {
            var i = 0
            while i < d {
                for j in i..<(i + h) {
                    let a = y[j], b = y[j + h]
                    y[j] = a + b
                    y[j + h] = a - b
                }
                i += 2 * h
            }
            h *= 2
        }
    }

    /// Sign codes need a power-of-two dimension (for the rotation) that is a multiple of 512.
    static func signCodesSupported(dimension d: Int) -> Bool { d >= 512 && d.nonzeroBitCount == 1 }

    /// The query of a sign-code scan: its rotated components quantized to 4 bits,
    /// `y_i ≈ low + step · u_i`, as four bit planes of `dimension / 64` words each. A row's
    /// score `low · ones + step · Σ u_i b_i` (with `b` its bits, `ones` their count) orders
    /// rows as `Σ y_i s_i` does with `s_i = ±1` from the bits: the sign-weighted dot product of
    /// the float query (up to the query's rounding to 16 levels).
    struct SignQuery {
        var planes: [UInt64]
        var low: Float
        var step: Float
        /// Σ of the quantized components, `d·low + step·Σu_i`.
        var total: Float
    }

    static func signQuery(_ q: [Float]) -> SignQuery {
        let d = q.count
        var y = [Float](repeating: 0, count: d)
        q.withUnsafeBufferPointer { rotate($0.baseAddress!, dimension: d, into: &y) }
        let low = y.min() ?? 0, high = y.max() ?? 0
        let step = high > low ? (high - low) / 15 : 1
        let words = d / 64
        var planes = [UInt64](repeating: 0, count: 4 * words)
        var units = 0
        for i in 0..<d {
            let u = min(15, max(0, Int(((y[i] - low) / step).rounded())))
            units += u
            for k in 0..<4 where u & (1 << k) != 0 { planes[k * words + i / 64] |= 1 << UInt64(i % 64) }
        }
        return SignQuery(planes: planes, low: low, step: step, total: Float(d) * low + step * Float(units))
    }

    /// The 7-bit query of the int8 scan: `u_i = round(q_i / s) + 64` with `s = max|q| / 63`.
    static func int8Query(_ q: [Float]) -> (values: [UInt8], scale: Float) {
        let top = q.reduce(Float(0)) { max($0, abs($1)) }
        let s: Float = top > 0 ? top / 63 : 1
        return (q.map { UInt8(clamping: Int(($0 / s).rounded()) + Int(queryOffset)) }, s)
    }

    /// Scores of rows `rows` by their codes, higher is better: for sign codes the negated
    /// Hamming distance, for int8 the approximate dot product.
    static func scores(_ storage: CodeStorage, rows: Range<Int>, dimension d: Int, signQuery: SignQuery,
                       int8Query: (values: [UInt8], scale: Float), portable: Bool, out: UnsafeMutablePointer<Float>) {
        let n = rows.count
        guard n > 0 else { return }
        switch storage.kind {
        case .exact:
            break
        case .sign:
            let words = d / 64
            let base = storage.row(rows.lowerBound)
            let stride = storage.rowBytes
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2 * n) { tmp in
                let dots = tmp.baseAddress!, ones = tmp.baseAddress! + n
                signQuery.planes.withUnsafeBufferPointer { p in
                    if portable { signDot4Swift(base, rows: n, words: words, stride: stride, planes: p.baseAddress!, dot: dots, ones: ones) } else {
                        sift_sign_dot4(base, n, words, stride, p.baseAddress!, dots, ones)
                    }
                }
                // Σ y_i s_i = 2·(low·ones + step·dot) − total, over the row's factor.
                for i in 0..<n {
                    let factor = Float(bitPattern: UInt32(littleEndian: (base + i * stride).loadUnaligned(fromByteOffset: d / 8, as: UInt32.self)))
                    out[i] = (2 * (signQuery.low * Float(ones[i]) + signQuery.step * Float(dots[i])) - signQuery.total) / factor
                }
            }
        case .int8:
            let base = storage.row(rows.lowerBound)
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: n) { dots in
                int8Query.values.withUnsafeBufferPointer { q in
                    if portable {
                        for r in 0..<n {
                            let row = (base + r * storage.rowBytes).assumingMemoryBound(to: Int8.self)
                            var s: Int32 = 0
                            for i in 0..<d { s &+= Int32(q[i]) &* Int32(row[i]) }
                            dots[r] = s
                        }
                    } else {
                        sift_u8i8_dot(base.assumingMemoryBound(to: Int8.self), n, d, storage.rowBytes, q.baseAddress!, dots.baseAddress!)
                    }
                }
                for r in 0..<n {
                    let row = base + r * storage.rowBytes
                    let scale = Float(bitPattern: UInt32(littleEndian: row.loadUnaligned(fromByteOffset: d, as: UInt32.self)))
                    let sum = Int32(bitPattern: UInt32(littleEndian: row.loadUnaligned(fromByteOffset: d + 4, as: UInt32.self)))
                    out[r] = scale * int8Query.scale * Float(dots[r] &- queryOffset &* sum)
                }
            }
        }
    }

    /// The Swift sign-code scan (the fallback of `sift_sign_dot4`).
    static func signDot4Swift(_ codes: UnsafeRawPointer, rows: Int, words: Int, stride: Int, planes: UnsafePointer<UInt64>,
                              dot: UnsafeMutablePointer<UInt32>, ones: UnsafeMutablePointer<UInt32>) {
        for r in 0..<rows {
            let row = (codes + r * stride).assumingMemoryBound(to: UInt64.self)
            var d = 0, n = 0
            for w in 0..<words {
                let x = row[w]
                d &+= (x & planes[w]).nonzeroBitCount + 2 &* (x & planes[words + w]).nonzeroBitCount
                    + 4 &* (x & planes[2 * words + w]).nonzeroBitCount + 8 &* (x & planes[3 * words + w]).nonzeroBitCount
                n &+= x.nonzeroBitCount
            }
            dot[r] = UInt32(d)
            ones[r] = UInt32(n)
        }
    }
}
