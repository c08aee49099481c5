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
    }

    /// Drops the codes of `kind`.
    public mutating func removeCodes(_ kind: FirstStage) { codes[kind] = nil }

    /// Encodes the stored (rounded) rows `rows` into `storage` (a block at a time).
    func encode(into storage: CodeStorage, rows: Range<Int>) {
        let block = 1024
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: block * dimension)
        defer { buffer.deallocate() }
        var start = rows.lowerBound
        while start < rows.upperBound {
            let n = min(block, rows.upperBound - start)
            self.storage.decode(rows: n, from: start, into: buffer)
            for r in 0..<n { Codes.encode(storage.kind, buffer + r * dimension, dimension: dimension, into: storage.row(start + r)) }
            start += n
        }
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
        let sign = firstStage == .sign ? Codes.signQuery(query) : Codes.SignQuery(planes: [], low: 0, step: 1)
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
        return ordered ? selector.sorted() : selector.unordered
    }

    /// The exact scores of `rows` (as the full scan computes them).
    func exactScores(rows: [Int], query: [Float]) -> [Float] {
        let d = dimension
        var out = [Float](repeating: 0, count: rows.count)
        query.withUnsafeBufferPointer { qb in
            let q = UnsafeMutablePointer(mutating: qb.baseAddress!)
            out.withUnsafeMutableBufferPointer { o in
                if precision == .float32 {
                    for (i, row) in rows.enumerated() { FlatIndex.simdScores(storage.floats, rows: row..<(row + 1), dimension: d, query: q, out: o.baseAddress! + i) }
                } else if Kernels.useC && d % 32 == 0 {
                    for (i, row) in rows.enumerated() { sift_bf16_dot(storage.halves + row * d, 1, d, q, o.baseAddress! + i) }
                } else {
                    var split = [Float](repeating: 0, count: d)
                    for i in 0..<(d / 2) { split[i] = q[2 * i]; split[d / 2 + i] = q[2 * i + 1] }
                    split.withUnsafeBufferPointer { sp in
                        for (i, row) in rows.enumerated() {
                            FlatIndex.bfloat16Scores(storage.raw, rows: row..<(row + 1), dimension: d, query: q, even: sp.baseAddress!,
                                                     odd: sp.baseAddress! + d / 2, out: o.baseAddress! + i)
                        }
                    }
                }
            }
        }
        return out
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
