import Foundation
import SiftKernels

extension FlatIndex {
    /// The kinds of codes the index keeps (``FirstStage/exact`` is always available).
    public var availableFirstStages: Set<FirstStage> { Set(codes.keys).union([.exact]) }

    /// Builds codes of `kind` for every row (and keeps them for rows added later).
    /// - Complexity: O(count · dimension).
    public mutating func buildCodes(_ kind: FirstStage) {
        guard kind != .exact, codes[kind] == nil else { return }
        if kind == .sign && !Codes.signCodesSupported(dimension: dimension) { return }
        let c = CodeStorage(kind: kind, rowBytes: kind.bytesPerRow(dimension: dimension), capacityRows: max(count, 16))
        encode(into: c, rows: 0..<count)
        codes[kind] = c
        adviseRandomRowAccess()
    }

    /// With codes, a memory-mapped matrix is read a refined row at a time, at random: read-ahead
    /// around each page fault would read (and map) far more of the file than the rows needed.
    private func adviseRandomRowAccess() {
        if storage.isMapped { FileIO.adviseRandomAccess(storage.raw, count: matrixBytes) }
    }

    /// Drops the codes of `kind`.
    public mutating func removeCodes(_ kind: FirstStage) { codes[kind] = nil }

    /// Encodes the stored (rounded) rows `rows` into `storage` (a block at a time). The
    /// pages of a memory-mapped matrix are released from the process after their block, so
    /// that encoding a matrix larger than memory does not fill the process's resident set.
    func encode(into storage: CodeStorage, rows: Range<Int>) {
        let block = 1024
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: block * dimension)
        defer { buffer.deallocate() }
        var start = rows.lowerBound
        while start < rows.upperBound {
            let n = min(block, rows.upperBound - start)
            self.storage.decode(rows: n, from: start, into: buffer)
            for r in 0..<n { Codes.encode(storage.kind, buffer + r * dimension, dimension: dimension, into: storage.row(start + r)) }
            if self.storage.isMapped { FileIO.releasePages(self.storage.raw + start * self.storage.rowBytes, count: n * self.storage.rowBytes) }
            start += n
        }
    }

    /// A read-only index over a file of `rows` raw row-major rows (Float32 or bfloat16,
    /// little-endian), memory-mapped: for benchmarks of matrices larger than memory.
    @_spi(Benchmarks)
    public init(mappingMatrixAt url: URL, rows: Int, dimension: Int, precision: MatrixPrecision) throws(SiftError) {
        let mapping = try FileIO.Mapping(path: url.path)
        guard mapping.length == rows * dimension * precision.bytesPerElement else {
            throw .invalidArgument(name: "matrix file", reason: "'\(url.path)' has \(mapping.length) bytes, not \(rows) × \(dimension) × \(precision.bytesPerElement)")
        }
        self.init(dimension: dimension, count: rows,
                  storage: MatrixStorage(mappedBy: mapping, raw: mapping.base, dimension: dimension, precision: precision),
                  live: [Bool](repeating: true, count: rows))
    }

    /// After `rows` new rows were stored at `count ..< count + rows`: their codes.
    mutating func appendCodes(rows: Int) {
        for kind in Array(codes.keys) {
            var c = codes[kind]!
            codes[kind] = nil  // so that `c` is uniquely referenced when it is
            let needed = count + rows
            if !isKnownUniquelyReferenced(&c) || c.isMapped || c.capacityRows < needed {
                let current = c.isMapped ? count : c.capacityRows
                c = c.copy(rows: count, capacityRows: current < needed ? max(needed, current + current / 2) : current)
            }
            encode(into: c, rows: count..<needed)
            codes[kind] = c
        }
    }

    /// Codes read from an index file (a view of its mapping).
    mutating func attachCodes(_ kind: FirstStage, mappedBy owner: AnyObject, raw: UnsafeMutableRawPointer) {
        codes[kind] = CodeStorage(kind: kind, rowBytes: kind.bytesPerRow(dimension: dimension), mappedBy: owner, raw: raw)
        adviseRandomRowAccess()
    }

    /// The bytes of the codes of `kind` (for writing them to a file), nil when not built.
    func codeBytes(_ kind: FirstStage) -> UnsafeRawBufferPointer? {
        codes[kind].map { UnsafeRawBufferPointer(start: $0.raw, count: count * $0.rowBytes) }
    }
}

extension FlatIndex {
    /// The `k` best rows for `query`: every allowed row ranked by its `firstStage` codes, the
    /// best `refine` of them scored exactly with their full rows, and the best `k` of those
    /// returned (best first). Without codes of that kind, the exact scan.
    func search(_ query: [Float], k: Int, minScore: Float = -.infinity, threads: Int = 0, allowed: [Bool]?,
                firstStage: FirstStage, refine: Int, ordered: Bool = true) -> [ScoredRow] {
        guard firstStage != .exact, let storage = codes[firstStage], k > 0, count > 0 else {
            return search(query, k: k, minScore: minScore, threads: threads, allowed: allowed, ordered: ordered)
        }
        precondition(query.count == dimension, "query has \(query.count) components, index has \(dimension)")
        let live = allowed ?? self.live
        let d = dimension
        let sign = firstStage == .sign ? Codes.signQuery(query) : Codes.SignQuery(planes: [], low: 0, step: 1, total: 0)
        let int8 = firstStage == .int8 ? Codes.int8Query(query) : (values: [], scale: 1)
        let portable = !Kernels.useC
        let coarse = blockScan(k: max(refine, k), minScore: -.infinity, threads: threads, live: live, bytesPerRow: storage.rowBytes,
                               ordered: false) { rows, out in
            Codes.scores(storage, rows: rows, dimension: d, signQuery: sign, int8Query: int8, portable: portable, out: out)
        }
        // Exact scores of the survivors, read in row order (the full rows may be on disk).
        let rows = coarse.map(\.row).sorted()
        let exact = exactScores(rows: rows, query: query)
        var selector = TopKSelector(k: k)
        for (i, row) in rows.enumerated() where exact[i] >= minScore { selector.offer(row: row, score: exact[i]) }
        return ordered ? selector.sorted() : selector.unordered()
    }

    /// A memory-mapped matrix larger than this share of physical memory is read a refined row
    /// at a time with `pread` instead of through the mapping: touching a row through the
    /// mapping maps the whole page-cache folio around it (up to 2 MiB on Linux), and over many
    /// queries the whole file ends up in the process's resident set.
    static let readRowsAbove = Double(ProcessInfo.processInfo.physicalMemory) / 4

    /// The exact scores of `rows` (as the full scan computes them). Rows of a mapped matrix
    /// larger than ``readRowsAbove`` are read with `pread` rather than through the mapping.
    func exactScores(rows: [Int], query: [Float]) -> [Float] {
        let rowBytes = storage.rowBytes
        let mapping = Double(matrixBytes) > FlatIndex.readRowsAbove ? storage.mapping : nil
        let buffer = mapping.map { _ in UnsafeMutableRawPointer.allocate(byteCount: rowBytes, alignment: 64) }
        defer { buffer?.deallocate() }
        let scorer = RowScorer(precision: precision, dimension: dimension, query: query)
        return rows.map { row in
            let address = storage.raw + row * rowBytes
            if let mapping, let buffer, mapping.read(buffer, count: rowBytes, at: address) { return scorer.score(UnsafeRawPointer(buffer)) }
            return scorer.score(UnsafeRawPointer(address))
        }
    }
}

/// Exact scores of single rows, as the full scan computes them: the C kernel of this CPU, or
/// the Swift loops (for bfloat16 with the query's even and odd components split once).
struct RowScorer {
    let precision: MatrixPrecision
    let dimension: Int
    let query: [Float]
    let split: [Float]
    let useC: Bool

    init(precision: MatrixPrecision, dimension d: Int, query: [Float]) {
        self.precision = precision
        dimension = d
        self.query = query
        useC = Kernels.useC && d % 32 == 0
        var split = [Float]()
        if precision == .bfloat16 && !useC {
            split = [Float](repeating: 0, count: d)
            for i in 0..<(d / 2) { split[i] = query[2 * i]; split[d / 2 + i] = query[2 * i + 1] }
        }
        self.split = split
    }

    func score(_ row: UnsafeRawPointer) -> Float {
        var s: Float = 0
        let d = dimension
        query.withUnsafeBufferPointer { qb in
            let q = UnsafeMutablePointer(mutating: qb.baseAddress!)
            let raw = UnsafeMutableRawPointer(mutating: row)
            if precision == .float32 {
                FlatIndex.simdScores(raw.assumingMemoryBound(to: Float.self), rows: 0..<1, dimension: d, query: q, out: &s)
            } else if useC {
                sift_bf16_dot(raw.assumingMemoryBound(to: UInt16.self), 1, d, q, &s)
            } else {
                split.withUnsafeBufferPointer { sp in
                    FlatIndex.bfloat16Scores(raw, rows: 0..<1, dimension: d, query: q, even: sp.baseAddress!, odd: sp.baseAddress! + d / 2, out: &s)
                }
            }
        }
        return s
    }
}

extension FlatIndex {
    /// The `k` best live rows for `query` with `firstStage`: the rows ranked by their codes,
    /// the best `refine` scored exactly (see ``FirstStage``); ``FirstStage/exact`` (or codes
    /// not built) is the exact scan.
    @_spi(Benchmarks)
    public func search(_ query: [Float], k: Int, minScore: Float = -.infinity, firstStage: FirstStage, refine: Int,
                       threads: Int = 0) -> [ScoredRow] {
        search(query, k: k, minScore: minScore, threads: threads, allowed: nil, firstStage: firstStage, refine: refine)
    }
}
