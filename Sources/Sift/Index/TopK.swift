/// One search result of the flat index: a row and its score.
@_spi(Benchmarks)
public struct ScoredRow: Sendable, Hashable {
    public var row: Int
    public var score: Float
    public init(row: Int, score: Float) { self.row = row; self.score = score }
}

/// Top-k selection over a stream of scores in amortised O(1) per score: scores at or above a
/// floor are appended to a buffer of up to 2k; when it is full a quickselect keeps the best k
/// and raises the floor to the k-th best score. (A bounded heap paid a sift of log k levels
/// for most rows when k is a large share of them, as in stage 1's 400 of a few thousand.)
/// Ties are broken by the lower row number, so results are deterministic.
struct TopKSelector {
    private var items: [ScoredRow] = []
    let k: Int
    /// The score a new one must reach to be kept: below it none can be among the best k (the
    /// k-th best after the last compaction).
    private(set) var floor: Float = -.infinity

    init(k: Int) {
        self.k = k
        items.reserveCapacity(2 * k)
    }

    /// `a` ranks above `b`: higher score, then lower row.
    @inline(__always) static func better(_ a: ScoredRow, _ b: ScoredRow) -> Bool {
        a.score > b.score || (a.score == b.score && a.row < b.row)
    }

    @inline(__always) mutating func offer(row: Int, score: Float) {
        guard k > 0, score >= floor else { return }
        items.append(ScoredRow(row: row, score: score))
        if items.count >= 2 * k { compact() }
    }

    /// Keeps the best k of the buffer and raises the floor to the k-th best score.
    private mutating func compact() {
        guard items.count > k else { return }
        items.withUnsafeMutableBufferPointer { TopKSelector.select(k, in: $0) }
        items.removeLast(items.count - k)
        floor = items.withUnsafeBufferPointer { b in b.reduce(Float.infinity) { min($0, $1.score) } }
    }

    /// Rearranges `a` so that its first `k` elements are its best `k` (in no order):
    /// quickselect with a median-of-three pivot (the order is total, rows being distinct).
    static func select(_ k: Int, in a: UnsafeMutableBufferPointer<ScoredRow>) {
        var lo = 0, hi = a.count - 1
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if better(a[mid], a[lo]) { a.swapAt(mid, lo) }
            if better(a[hi], a[lo]) { a.swapAt(hi, lo) }
            if better(a[hi], a[mid]) { a.swapAt(hi, mid) }
            let pivot = a[mid]  // a[lo] ≥ pivot ≥ a[hi] in rank
            var i = lo, j = hi
            while i <= j {
                while better(a[i], pivot) { i += 1 }
                while better(pivot, a[j]) { j -= 1 }
                if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
            }
            // Now a[lo...j] rank at or above the pivot, a[i...hi] at or below it.
            if k - 1 <= j { hi = j } else if k - 1 >= i { lo = i } else { return }
        }
    }

    /// The selected rows in no particular order (for callers that rank them again); the
    /// buffer is cut to them in place.
    mutating func unordered() -> [ScoredRow] {
        compact()
        return items
    }

    /// The selected rows, best first (sorting only the k kept, in place).
    mutating func sorted() -> [ScoredRow] {
        compact()
        items.sort(by: TopKSelector.better)
        return items
    }

    /// Offers `scores[j]` as row `rowOffset + j` for every j (skipping rows `isLive` rejects
    /// and scores below `minScore`).
    ///
    /// Once k scores are kept almost every score falls below the floor, so the buffer is
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
                    floor = max(minScore, self.floor)
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
