import Foundation
@_spi(Benchmarks) import Sift
import Testing

/// Integer-valued vectors: every dot product is a small integer, exact in Float32 whatever
/// the order of summation (BLAS or not), so results can be compared exactly, ties included.
private func integerVectors(count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in (0..<dimension).map { _ in Float(Int.random(in: -3...3, using: &rng)) } }
}

/// Random unit vectors.
private func unitVectors(count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
        var v = (0..<dimension).map { _ in Float.random(in: -1...1, using: &rng) }
        let n = v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        if n > 0 { v = v.map { Float(Double($0) / n) } }
        return v
    }
}

/// The reference: every live row's dot product (in Double), a full sort by score then
/// row, the first k.
private func bruteForce(_ rows: [[Float]], live: [Bool]? = nil, query: [Float], k: Int,
                        minScore: Float = -.infinity) -> [ScoredRow] {
    var all: [ScoredRow] = []
    for (i, r) in rows.enumerated() where live?[i] ?? true {
        var s = 0.0
        for j in r.indices { s += Double(r[j]) * Double(query[j]) }
        if Float(s) >= minScore { all.append(ScoredRow(row: i, score: Float(s))) }
    }
    all.sort { $0.score != $1.score ? $0.score > $1.score : $0.row < $1.row }
    return Array(all.prefix(max(k, 0)))
}

private func makeIndex(_ rows: [[Float]], dimension: Int, precision: MatrixPrecision = .float32) -> FlatIndex {
    var index = FlatIndex(dimension: dimension, precision: precision)
    for (i, r) in rows.enumerated() {
        let row = index.add(r)
        #expect(row == i)
    }
    return index
}

/// Float results agree with the reference up to rounding: same length, scores within
/// `tolerance`, best first, and every row left out scores no better than the last one kept.
private func expectClose(_ got: [ScoredRow], _ want: [ScoredRow], allScores: [Int: Float], tolerance: Float = 1e-4,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.count == want.count, sourceLocation: sourceLocation)
    for (g, w) in zip(got, want) {
        #expect(abs(g.score - w.score) <= tolerance, "score \(g.score) vs reference \(w.score)", sourceLocation: sourceLocation)
    }
    for g in got {
        if let ref = allScores[g.row] {
            #expect(abs(g.score - ref) <= tolerance, "row \(g.row) scored \(g.score), reference \(ref)", sourceLocation: sourceLocation)
        } else {
            Issue.record("row \(g.row) should not be returned", sourceLocation: sourceLocation)
        }
    }
    for (a, b) in zip(got, got.dropFirst()) {
        #expect(a.score >= b.score, "results are not best first", sourceLocation: sourceLocation)
    }
    if let last = got.last {
        let kept = Set(got.map(\.row))
        for (row, s) in allScores where !kept.contains(row) {
            #expect(s <= last.score + tolerance, "row \(row) (score \(s)) beats a returned row", sourceLocation: sourceLocation)
        }
    }
}

struct FlatCase: Sendable, CustomTestStringConvertible {
    var count: Int
    var dimension: Int
    var testDescription: String { "\(count)×\(dimension)" }
}

@Suite("FlatIndex")
struct FlatIndexTests {
    static let cases: [FlatCase] = [
        FlatCase(count: 0, dimension: 4), FlatCase(count: 1, dimension: 3), FlatCase(count: 7, dimension: 5),
        FlatCase(count: 50, dimension: 16), FlatCase(count: 300, dimension: 33), FlatCase(count: 1000, dimension: 64),
        FlatCase(count: 2500, dimension: 8),
    ]

    static func ks(_ count: Int) -> [Int] { [0, 1, 3, 10, count, count + 5] }

    @Test("search equals brute force exactly (integer data, ties by lower row)", arguments: cases)
    func exactSearch(c: FlatCase) {
        let rows = integerVectors(count: c.count, dimension: c.dimension, seed: UInt64(c.count * 1000 + c.dimension))
        let index = makeIndex(rows, dimension: c.dimension)
        #expect(index.count == c.count && index.liveCount == c.count)
        let queries = integerVectors(count: 8, dimension: c.dimension, seed: 99)
        for q in queries {
            for k in Self.ks(c.count) {
                #expect(index.search(q, k: k) == bruteForce(rows, query: q, k: k), "k = \(k)")
            }
        }
    }

    @Test("every kernel and precision equals brute force exactly, tombstones included", arguments: cases)
    func kernelsAgree(c: FlatCase) {
        // Integers in -3...3 are exact in bfloat16 too, so both precisions must match exactly.
        let rows = integerVectors(count: c.count, dimension: c.dimension, seed: UInt64(c.count * 31 + c.dimension))
        for precision in MatrixPrecision.allCases {
            var index = makeIndex(rows, dimension: c.dimension, precision: precision)
            #expect(index.precision == precision)
            #expect(index.matrixBytes == c.count * c.dimension * precision.bytesPerElement)
            var live = [Bool](repeating: true, count: c.count)
            for row in stride(from: 0, to: c.count, by: 3) { index.remove(row: row); live[row] = false }
            let queries = integerVectors(count: 4, dimension: c.dimension, seed: 7)
            for q in queries {
                for k in Self.ks(c.count) {
                    let want = bruteForce(rows, live: live, query: q, k: k)
                    for kernel in FlatIndex.SingleQueryKernel.allCases {
                        for threads in [0, 1, 3] {
                            #expect(index.search(q, k: k, kernel: kernel, threads: threads) == want, "\(precision) \(kernel) k = \(k) threads = \(threads)")
                        }
                    }
                }
            }
            let batch = index.search(batch: queries, k: 5)
            for (q, got) in zip(queries, batch) { #expect(got == bruteForce(rows, live: live, query: q, k: 5), "\(precision) batch") }
            let (compact, mapping) = index.compacted()
            #expect(compact.precision == precision && compact.count == live.filter { $0 }.count)
            for (old, new) in mapping.enumerated() { if let new { #expect(compact.vector(at: new) == rows[old]) } }
        }
    }

    @Test("the SIMD scan over several workers and blocks equals brute force, tombstones and minScore included")
    func scanAcrossBlocksAndWorkers() {
        // 140,000 rows: more than one 65,536-row block per worker on 1 and 2 threads, and at
        // 19 components (10.6 MB Float32, 5.3 MB bfloat16) above the size from which the scan
        // starts workers; 19 also exercises the components left after the vector loop.
        let rows = integerVectors(count: 140_000, dimension: 19, seed: 2024)
        let queries = integerVectors(count: 3, dimension: 19, seed: 5)
        for precision in MatrixPrecision.allCases {
            var index = FlatIndex(dimension: 19, precision: precision, reservingCapacity: rows.count)
            let flat = rows.flatMap { $0 }
            flat.withUnsafeBufferPointer { index.add(rows: rows.count, contentsOf: $0) }
            var live = [Bool](repeating: true, count: rows.count)
            for row in stride(from: 1, to: rows.count, by: 7) { index.remove(row: row); live[row] = false }
            for q in queries {
                for (k, minScore) in [(1, -Float.infinity), (10, -Float.infinity), (50, 10), (140_000, 12)] as [(Int, Float)] {
                    let want = bruteForce(rows, live: live, query: q, k: k, minScore: minScore)
                    for threads in [1, 2, 3] {
                        let got = index.search(q, k: k, minScore: minScore, kernel: .simd, threads: threads)
                        #expect(got == want, "\(precision) k = \(k) minScore = \(minScore) threads = \(threads)")
                    }
                }
            }
        }
    }

    @Test("bfloat16 rows are stored rounded to nearest even and searched as stored")
    func bfloat16Rounding() {
        let p = MatrixPrecision.bfloat16
        #expect(p.rounded(1) == 1 && p.rounded(-0.5) == -0.5 && p.rounded(0) == 0)
        #expect(p.rounded(1 + 0x1p-8) == 1, "a tie rounds to the even neighbour")
        #expect(p.rounded(1 + 3 * 0x1p-8) == 1 + 0x1p-6, "a tie rounds to the even neighbour")
        #expect(p.rounded(1 + 0x1p-8 + 0x1p-20) == 1 + 0x1p-7, "above the tie rounds up")
        #expect(p.rounded(.infinity) == .infinity && p.rounded(.nan).isNaN)
        #expect(MatrixPrecision.float32.rounded(1 + 0x1p-20) == 1 + 0x1p-20)
        let rows = unitVectors(count: 300, dimension: 70, seed: 3)
        let index = makeIndex(rows, dimension: 70, precision: .bfloat16)
        let rounded = rows.map { $0.map(p.rounded) }
        for (i, r) in rounded.enumerated() { #expect(index.vector(at: i) == r) }
        for q in unitVectors(count: 4, dimension: 70, seed: 9) {
            let all = Dictionary(uniqueKeysWithValues: bruteForce(rounded, query: q, k: rounded.count).map { ($0.row, $0.score) })
            for kernel in FlatIndex.SingleQueryKernel.allCases {
                expectClose(index.search(q, k: 10, kernel: kernel), bruteForce(rounded, query: q, k: 10), allScores: all)
            }
            // Rounding moves a unit vector's scores by well under 1 %.
            let exact = bruteForce(rows, query: q, k: 1)[0].score
            #expect(abs(index.search(q, k: 1)[0].score - exact) < 0.01)
        }
    }

    @Test("automatic picks sgemv for small matrices and the SIMD scan from the threshold on")
    func automaticKernel() {
        let small = makeIndex(unitVectors(count: 10, dimension: 8, seed: 1), dimension: 8)
        #expect(small.resolvedKernel(.automatic) == .blas)
        #expect(small.resolvedKernel(.simd) == .simd && small.resolvedKernel(.blas) == .blas)
        #expect(FlatIndex(dimension: 8, precision: .bfloat16).resolvedKernel(.automatic) == .simd)
        let dimension = 1024
        let rowsAtThreshold = FlatIndex.simdScanThresholdBytes / (dimension * MemoryLayout<Float>.stride)
        var large = FlatIndex(dimension: dimension, reservingCapacity: rowsAtThreshold)
        let block = [Float](repeating: 0.5, count: rowsAtThreshold * dimension)
        block.withUnsafeBufferPointer { large.add(rows: rowsAtThreshold - 1, contentsOf: UnsafeBufferPointer(rebasing: $0[0..<((rowsAtThreshold - 1) * dimension)])) }
        #expect(large.resolvedKernel(.automatic) == .blas)
        _ = large.add([Float](repeating: 1, count: dimension))
        #expect(large.resolvedKernel(.automatic) == .simd)
        let query = [Float](repeating: 1, count: dimension)
        #expect(large.search(query, k: 1) == [ScoredRow(row: rowsAtThreshold - 1, score: Float(dimension))])
    }

    @Test("search agrees with brute force on random unit vectors", arguments: cases)
    func floatSearch(c: FlatCase) {
        let rows = unitVectors(count: c.count, dimension: c.dimension, seed: UInt64(c.count + 7 * c.dimension))
        let index = makeIndex(rows, dimension: c.dimension)
        for q in unitVectors(count: 5, dimension: c.dimension, seed: 1234) {
            let all = Dictionary(uniqueKeysWithValues: bruteForce(rows, query: q, k: rows.count).map { ($0.row, $0.score) })
            for k in Self.ks(c.count) {
                expectClose(index.search(q, k: k), bruteForce(rows, query: q, k: k), allScores: all)
            }
        }
    }

    @Test("k = 0 and an empty index give no result")
    func emptyResults() {
        var index = FlatIndex(dimension: 3)
        #expect(index.search([1, 0, 0], k: 5).isEmpty)
        #expect(index.search(batch: [[1, 0, 0], [0, 1, 0]], k: 5) == [[], []])
        #expect(index.search(batch: [], k: 5).isEmpty)
        index.add([1, 0, 0])
        #expect(index.search([1, 0, 0], k: 0).isEmpty)
        #expect(index.search(batch: [[1, 0, 0]], k: 0) == [[]])
        #expect(index.search([1, 0, 0], k: 1) == [ScoredRow(row: 0, score: 1)])
    }

    @Test("batch search equals single searches", arguments: cases)
    func batchEqualsSingle(c: FlatCase) {
        // Exact on integer data.
        let rows = integerVectors(count: c.count, dimension: c.dimension, seed: 7)
        let index = makeIndex(rows, dimension: c.dimension)
        let queries = integerVectors(count: 13, dimension: c.dimension, seed: 8)
        for k in Self.ks(c.count) {
            let batch = index.search(batch: queries, k: k)
            #expect(batch.count == queries.count)
            for (i, q) in queries.enumerated() {
                #expect(batch[i] == index.search(q, k: k), "query \(i), k = \(k)")
            }
            let filtered = index.search(batch: queries, k: k, minScore: 2)
            for (i, q) in queries.enumerated() {
                #expect(filtered[i] == index.search(q, k: k, minScore: 2), "query \(i), k = \(k), minScore 2")
            }
        }
        // Within rounding on float data.
        let unit = unitVectors(count: c.count, dimension: c.dimension, seed: 9)
        let floatIndex = makeIndex(unit, dimension: c.dimension)
        let floatQueries = unitVectors(count: 6, dimension: c.dimension, seed: 10)
        let batch = floatIndex.search(batch: floatQueries, k: 10)
        for (i, q) in floatQueries.enumerated() {
            let all = Dictionary(uniqueKeysWithValues: bruteForce(unit, query: q, k: unit.count).map { ($0.row, $0.score) })
            expectClose(batch[i], floatIndex.search(q, k: 10), allScores: all)
        }
    }

    @Test("minScore leaves out lower scores", arguments: [-100, -1, 0, 1, 3, 1000] as [Float])
    func minScore(threshold: Float) {
        let rows = integerVectors(count: 400, dimension: 12, seed: 42)
        let index = makeIndex(rows, dimension: 12)
        for q in integerVectors(count: 5, dimension: 12, seed: 43) {
            for k in [1, 10, 400] {
                let got = index.search(q, k: k, minScore: threshold)
                #expect(got == bruteForce(rows, query: q, k: k, minScore: threshold))
                #expect(got.allSatisfy { $0.score >= threshold })
            }
        }
    }

    @Test("Removed rows (tombstones) are never returned")
    func tombstones() {
        let rows = integerVectors(count: 200, dimension: 10, seed: 5)
        var index = makeIndex(rows, dimension: 10)
        var live = [Bool](repeating: true, count: rows.count)
        var rng = SeededGenerator(seed: 6)
        for _ in 0..<80 {
            let r = Int.random(in: 0..<rows.count, using: &rng)
            index.remove(row: r)
            live[r] = false
        }
        index.remove(row: 3); live[3] = false
        index.remove(row: 3)  // removing twice is harmless
        let liveCount = live.filter { $0 }.count
        #expect(index.liveCount == liveCount)
        #expect(index.count == rows.count, "tombstones keep their row numbers")
        for i in rows.indices { #expect(index.isLive(i) == live[i]) }
        #expect(!index.isLive(-1) && !index.isLive(rows.count))
        let queries = integerVectors(count: 10, dimension: 10, seed: 11)
        for q in queries {
            for k in [1, 5, liveCount, rows.count + 1] {
                let got = index.search(q, k: k)
                #expect(got == bruteForce(rows, live: live, query: q, k: k))
                #expect(got.allSatisfy { live[$0.row] })
            }
        }
        let batch = index.search(batch: queries, k: 7)
        for (i, q) in queries.enumerated() { #expect(batch[i] == bruteForce(rows, live: live, query: q, k: 7)) }
        // A query equal to a removed row does not find that row.
        #expect(!index.search(rows[3], k: rows.count).contains { $0.row == 3 })
        // Adding after removals appends.
        #expect(index.add(rows[3]) == rows.count)
    }

    @Test("Removing every row leaves an index that finds nothing")
    func removeAll() {
        var index = makeIndex(integerVectors(count: 20, dimension: 4, seed: 1), dimension: 4)
        for r in 0..<20 { index.remove(row: r) }
        #expect(index.liveCount == 0)
        #expect(index.search([1, 1, 1, 1], k: 10).isEmpty)
        let (compact, mapping) = index.compacted()
        #expect(compact.count == 0 && compact.liveCount == 0)
        #expect(mapping.allSatisfy { $0 == nil })
    }

    @Test("compacted() drops tombstones and maps old rows to new ones")
    func compacted() {
        let rows = integerVectors(count: 150, dimension: 9, seed: 21)
        var index = makeIndex(rows, dimension: 9)
        let removed: Set<Int> = [0, 1, 7, 20, 21, 22, 99, 149]
        for r in removed { index.remove(row: r) }
        let (compact, mapping) = index.compacted()
        #expect(compact.count == rows.count - removed.count)
        #expect(compact.liveCount == compact.count)
        #expect(compact.dimension == 9)
        #expect(mapping.count == rows.count)
        var next = 0
        for old in rows.indices {
            if removed.contains(old) {
                #expect(mapping[old] == nil)
            } else {
                #expect(mapping[old] == next, "rows keep their order")
                #expect(compact.vector(at: next) == rows[old])
                next += 1
            }
        }
        for q in integerVectors(count: 10, dimension: 9, seed: 22) {
            let before = index.search(q, k: 20).map { ScoredRow(row: mapping[$0.row]!, score: $0.score) }
            #expect(compact.search(q, k: 20) == before)
        }
    }

    @Test("Adding many rows at once equals adding them one by one")
    func addRows() {
        let rows = integerVectors(count: 300, dimension: 11, seed: 51)
        let single = makeIndex(rows, dimension: 11)
        var bulk = FlatIndex(dimension: 11)
        let flat = rows.flatMap { $0 }
        flat.withUnsafeBufferPointer { bulk.add(rows: 100, contentsOf: UnsafeBufferPointer(rebasing: $0[0..<1100])) }
        bulk.add(rows[100])
        flat.withUnsafeBufferPointer { bulk.add(rows: 199, contentsOf: UnsafeBufferPointer(rebasing: $0[1111...])) }
        [Float]().withUnsafeBufferPointer { bulk.add(rows: 0, contentsOf: $0) }
        #expect(bulk.count == 300 && bulk.liveCount == 300)
        for i in rows.indices { #expect(bulk.vector(at: i) == rows[i]) }
        let snapshot = bulk
        flat.withUnsafeBufferPointer { bulk.add(rows: 2, contentsOf: UnsafeBufferPointer(rebasing: $0[0..<22])) }
        #expect(snapshot.count == 300, "bulk adds keep copies unchanged")
        for q in integerVectors(count: 5, dimension: 11, seed: 52) {
            #expect(snapshot.search(q, k: 17) == single.search(q, k: 17))
        }
    }

    @Test("vector(at:) returns what was added")
    func vectorAt() {
        let rows = unitVectors(count: 40, dimension: 17, seed: 3)
        let index = makeIndex(rows, dimension: 17)
        for (i, r) in rows.enumerated() { #expect(index.vector(at: i) == r) }
        #expect(!index.isMemoryMapped)
    }

    @Test("A copy is a snapshot: changing the original does not change it")
    func copyOnWrite() {
        let rows = integerVectors(count: 30, dimension: 6, seed: 31)
        var original = makeIndex(rows, dimension: 6)
        let snapshot = original
        let q: [Float] = [1, 2, 3, 1, 2, 3]
        let before = snapshot.search(q, k: 30)
        original.add([3, 3, 3, 3, 3, 3])
        original.remove(row: before[0].row)
        #expect(snapshot.count == 30 && snapshot.liveCount == 30)
        #expect(snapshot.search(q, k: 30) == before)
        #expect(original.count == 31)
        #expect(original.search(q, k: 1).first?.row == 30)
    }

    @Test("Growing far past the reserved capacity keeps every row")
    func growth() {
        var index = FlatIndex(dimension: 2, reservingCapacity: 1)
        for i in 0..<5000 { index.add([Float(i), 1]) }
        #expect(index.count == 5000)
        #expect(index.vector(at: 4999) == [4999, 1])
        #expect(index.search([1, 0], k: 2) == [ScoredRow(row: 4999, score: 4999), ScoredRow(row: 4998, score: 4998)])
    }
}
