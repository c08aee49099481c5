/// One search result of the flat index: a row and its score.
@_spi(Benchmarks)
public struct ScoredRow: Sendable, Hashable {
    public var row: Int
    public var score: Float
    public init(row: Int, score: Float) { self.row = row; self.score = score }
}

/// Bounded min-heap top-k selection over a score buffer: O(n log k), one pass, no sort
/// of the whole buffer. Ties are broken by the lower row number, so results are
/// deterministic.
struct TopKSelector {
    private(set) var heap: [ScoredRow] = []
    let k: Int

    init(k: Int) {
        self.k = k
        heap.reserveCapacity(k)
    }

    /// `a` ranks below `b`.
    @inline(__always) private static func worse(_ a: ScoredRow, _ b: ScoredRow) -> Bool {
        a.score < b.score || (a.score == b.score && a.row > b.row)
    }

    @inline(__always) mutating func offer(row: Int, score: Float) {
        if heap.count < k {
            heap.append(ScoredRow(row: row, score: score))
            siftUp(heap.count - 1)
        } else if k > 0 && TopKSelector.worse(heap[0], ScoredRow(row: row, score: score)) {
            heap[0] = ScoredRow(row: row, score: score)
            siftDown(0)
        }
    }

    /// The threshold a new score must beat once the heap is full.
    @inline(__always) var floor: Float { heap.count < k ? -.infinity : heap[0].score }

    private mutating func siftUp(_ index: Int) {
        var i = index
        while i > 0 {
            let parent = (i - 1) / 2
            guard TopKSelector.worse(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var i = index
        let n = heap.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n && TopKSelector.worse(heap[l], heap[m]) { m = l }
            if r < n && TopKSelector.worse(heap[r], heap[m]) { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }

    /// The selected rows in heap order (for callers that rank them again).
    var unordered: [ScoredRow] { heap }

    /// The selected rows, best first (sorting only the k kept).
    func sorted() -> [ScoredRow] {
        heap.sorted { TopKSelector.worse($1, $0) }
    }

    /// Offers `scores[j]` as row `rowOffset + j` for every j (skipping rows `isLive` rejects
    /// and scores below `minScore`).
    ///
    /// Once the heap is full almost every score falls below its floor, so the buffer is
    /// skipped 16 scores at a time with one vector comparison (``firstBlock(_:from:count:atLeast:)``),
    /// and only blocks holding a score at or above the floor are looked at one by one.
    mutating func offer(scores: UnsafeBufferPointer<Float>, rowOffset: Int, minScore: Float, isLive: (Int) -> Bool) {
        guard k > 0, let base = scores.baseAddress else { return }
        var floor = max(minScore, self.floor)
        let n = scores.count
        var j = 0
        while j < n {
            j = TopKSelector.firstBlock(base, from: j, count: n, atLeast: floor)
            let end = min(j + 16, n)
            while j < end {
                let s = base[j]
                if s >= floor && isLive(rowOffset + j) {
                    offer(row: rowOffset + j, score: s)
                    if heap.count == k { floor = max(minScore, self.floor) }
                }
                j += 1
            }
        }
    }

    /// The start of the first 16-score block at or after `j` that holds a score ≥ `floor`
    /// (NaN never does), or of the last partial block.
    @inline(never)
    static func firstBlock(_ p: UnsafePointer<Float>, from start: Int, count n: Int, atLeast floor: Float) -> Int {
        let f = SIMD16<Float>(repeating: floor)
        let raw = UnsafeRawPointer(p)
        var j = start
        while j + 16 <= n {
            if any(raw.loadUnaligned(fromByteOffset: j &* 4, as: SIMD16<Float>.self) .>= f) { return j }
            j &+= 16
        }
        return j
    }

    /// Selects the top `k` of `scores[0..<count]`, skipping rows `skip` rejects and scores
    /// below `minScore`.
    static func select(scores: UnsafeBufferPointer<Float>, k: Int, minScore: Float, isLive: (Int) -> Bool) -> [ScoredRow] {
        var selector = TopKSelector(k: k)
        guard k > 0 else { return [] }
        selector.offer(scores: scores, rowOffset: 0, minScore: minScore, isLive: isLive)
        return selector.sorted()
    }
}
