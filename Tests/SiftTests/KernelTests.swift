import Foundation
@_spi(Benchmarks) import Sift
import SiftKernels
import Testing

/// The C scan kernels (every variant this CPU runs) against brute-force references, and the
/// first-stage code scans against the exact scan.
@Suite("Scan kernels and first-stage codes", .serialized)
struct KernelTests {
    /// Variants of the C kernels this CPU can run.
    static var variants: [Int32] {
        (0...max(0, sift_kernels_variant())).map { Int32($0) }
    }

    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in Float(Int64(bitPattern: rng.next()) >> 40) / Float(1 << 23) }
    }

    @Test("bfloat16 dot products: every variant within float rounding of the exact sum")
    func bf16Dot() {
        let rows = 37, d = 1024
        let values = Self.random(rows * d, seed: 1)
        let bits = values.map { UInt16(truncatingIfNeeded: $0.bitPattern >> 16) }  // truncation is fine for a test matrix
        let q = Self.random(d, seed: 2)
        let reference: [Double] = (0..<rows).map { r in
            (0..<d).reduce(0.0) { $0 + Double(Float(bitPattern: UInt32(bits[r * d + $1]) << 16)) * Double(q[$1]) }
        }
        for (name, kernel) in [("portable", sift_bf16_dot_portable), ("avx2", sift_bf16_dot_avx2), ("avx512", sift_bf16_dot_avx512)]
            where Self.variants.count > ["portable", "avx2", "avx512"].firstIndex(of: name)! {
            var out = [Float](repeating: .nan, count: rows)
            kernel(bits, rows, d, q, &out)
            for r in 0..<rows { #expect(abs(Double(out[r]) - reference[r]) < 1e-3, "\(name) row \(r)") }
        }
    }

    @Test("Sign codes against a 4-bit query: every variant exact")
    func signDot4() {
        let rows = 41, words = 16
        var rng = SeededGenerator(seed: 3)
        let codes = (0..<(rows * words)).map { _ in rng.next() }
        let planes = (0..<(4 * words)).map { _ in rng.next() }
        let reference = (0..<rows).map { r in
            (0..<words).reduce(UInt32(0)) { acc, w in
                acc + (0..<4).reduce(UInt32(0)) { $0 + UInt32((codes[r * words + w] & planes[$1 * words + w]).nonzeroBitCount) << UInt32($1) }
            }
        }
        let ones = (0..<rows).map { r in UInt32((0..<words).reduce(0) { $0 + codes[r * words + $1].nonzeroBitCount }) }
        for (i, kernel) in [sift_sign_dot4_portable, sift_sign_dot4_avx2, sift_sign_dot4_avx512].enumerated() where i < Self.variants.count {
            var dot = [UInt32](repeating: 0, count: rows), n = [UInt32](repeating: 0, count: rows)
            kernel(codes, rows, words, words * 8, planes, &dot, &n)
            #expect(dot == reference && n == ones, "variant \(i)")
        }
    }

    @Test("7-bit × int8 dot products: every variant exact, at the extremes too")
    func int8Dot() {
        let rows = 29, d = 1024, stride = d + 8
        var rng = SeededGenerator(seed: 4)
        var codes = [Int8](repeating: 0, count: rows * stride)
        for r in 0..<rows { for i in 0..<d { codes[r * stride + i] = r == 0 ? -128 : r == 1 ? 127 : Int8(truncatingIfNeeded: rng.next()) } }
        let q: [UInt8] = (0..<d).map { i in i % 3 == 0 ? 127 : UInt8(rng.next() % 128) }
        let reference = (0..<rows).map { r in (0..<d).reduce(Int32(0)) { $0 + Int32(q[$1]) * Int32(codes[r * stride + $1]) } }
        for (i, kernel) in [sift_u8i8_dot_portable, sift_u8i8_dot_avx2, sift_u8i8_dot_avx512].enumerated() where i < Self.variants.count {
            var out = [Int32](repeating: 0, count: rows)
            kernel(codes, rows, d, stride, q, &out)
            #expect(out == reference, "variant \(i)")
        }
    }

    /// An index of `rows` random unit vectors at 1,024 × bfloat16, with both kinds of codes.
    static func index(rows: Int, seed: UInt64) -> FlatIndex {
        var index = FlatIndex(dimension: 1024, precision: .bfloat16)
        var v = [Float](repeating: 0, count: 1024)
        var rng = SeededGenerator(seed: seed)
        for r in 0..<rows {
            var norm: Float = 0
            for i in 0..<1024 { v[i] = (i + r) % 3 == 0 ? 0 : Float(Int64(bitPattern: rng.next()) >> 40) / Float(1 << 23); norm += v[i] * v[i] }
            for i in 0..<1024 { v[i] /= norm.squareRoot() }
            index.add(v)
        }
        return index
    }

    @Test("Scanning codes with every row refined equals the exact scan; tombstones and added rows are handled")
    func codesWithFullRefine() {
        var index = Self.index(rows: 900, seed: 5)
        index.buildCodes(.sign)
        index.buildCodes(.int8)
        index.remove(row: 17)
        index.add(index.vector(at: 3))  // row 900: a copy of row 3, added after the codes were built
        #expect(index.availableFirstStages == [.exact, .sign, .int8])
        for q in (0..<5).map({ index.vector(at: $0 * 101) }) {
            let exact = index.search(q, k: 20)
            for stage in [FirstStage.sign, .int8] {
                let viaCodes = index.search(q, k: 20, firstStage: stage, refine: index.count)
                #expect(viaCodes == exact, "\(stage)")
                #expect(!viaCodes.contains { $0.row == 17 })
            }
        }
        // The added row's codes are its own: searching for it finds it (and its twin) first.
        let twin = index.search(index.vector(at: 3), k: 2, firstStage: .sign, refine: 50)
        #expect(Set(twin.map(\.row)) == [3, 900])
    }

    @Test("Code scans find the near neighbour first; int8 keeps the exact top 50, sign codes more of it as refine grows")
    func codesRecall() {
        var index = Self.index(rows: 3000, seed: 6)
        index.buildCodes(.sign)
        index.buildCodes(.int8)
        var found: [String: Int] = [:]
        var total = 0
        for i in 0..<10 {
            // A query near row i·97: the row plus noise. (The rest of the exact top 50 of random
            // vectors is nearly a tie, the hardest case for codes.)
            var q = index.vector(at: i * 97)
            var rng = SeededGenerator(seed: UInt64(i))
            for j in q.indices { q[j] += 0.02 * Float(Int64(bitPattern: rng.next()) >> 40) / Float(1 << 23) }
            let exact = Set(index.search(q, k: 50).map(\.row))
            total += exact.count
            for (stage, refine) in [(FirstStage.int8, 400), (.sign, 400), (.sign, 1500)] {
                let viaCodes = index.search(q, k: 50, firstStage: stage, refine: refine)
                #expect(viaCodes.first?.row == i * 97, "\(stage) finds the neighbour")
                found["\(stage)/\(refine)", default: 0] += exact.intersection(viaCodes.map(\.row)).count
            }
        }
        #expect(Double(found["int8/400"]!) / Double(total) > 0.97, "int8 recall \(found)")
        #expect(found["sign/1500"]! > found["sign/400"]!, "deeper refine, more recall: \(found)")
    }

    @Test("The C and the Swift kernels rank alike")
    func cAgainstSwift() {
        var index = Self.index(rows: 2000, seed: 7)
        index.buildCodes(.sign)
        index.buildCodes(.int8)
        let queries = (0..<4).map { index.vector(at: $0 * 333) }
        func run() -> [[[ScoredRow]]] {
            queries.map { q in
                [index.search(q, k: 30)] + [FirstStage.sign, .int8].map { index.search(q, k: 30, firstStage: $0, refine: 300) }
            }
        }
        let fast = run()
        // Task-local: other suites running meanwhile keep the C kernels.
        let slow = Kernels.$swiftOnly.withValue(true) { run() }
        for (a, b) in zip(fast.joined(), slow.joined()) {
            // FMA or not: scores agree to rounding, and the ranking with them.
            #expect(a.count == b.count)
            for (x, y) in zip(a, b) { #expect(abs(x.score - y.score) < 1e-5) }
            #expect(Set(a.prefix(25).map(\.row)).isSubset(of: Set(b.map(\.row))))
        }
    }

    @Test("Codes are saved with the index, opened mapped, and compacted")
    func codesInTheFile() throws {
        try withTemporaryDirectory { dir in
            var index = try SiftIndex(documents: try Shared.corpusLoad.get().documents, threads: 2)
            index.buildCodes(.sign)
            index.buildCodes(.int8)
            index.remove(documentID: "en/rlhf.md")
            let url = dir.appendingPathComponent("codes.siftindex")
            try index.write(to: url)
            for verification in [IndexVerification.full, .lazy] {
                let opened = try SiftIndex.open(url, verification: verification)
                #expect(opened.availableFirstStages == [.exact, .sign, .int8])
                for stage in [FirstStage.sign, .int8] {
                    let s = SearchSettings(firstStage: stage, refine: 1000)
                    #expect(opened.search("LoRA 的秩", k: 5, settings: s).map(\.passageID) == index.search("LoRA 的秩", k: 5, settings: s).map(\.passageID))
                }
            }
            let compact = index.compacted()
            #expect(compact.availableFirstStages == [.exact, .sign, .int8])
            let s = SearchSettings(firstStage: .sign, refine: 10_000)
            #expect(compact.search("What is RLHF?", k: 5, settings: s).map(\.passage.text) == index.search("What is RLHF?", k: 5).map(\.passage.text))
        }
    }
}
