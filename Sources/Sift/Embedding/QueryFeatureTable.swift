/// A small open-addressing table from a query's distinct feature hashes to their
/// re-scoring weights. Scanning a candidate passage looks every one of its features up
/// here, so the lookup is a multiply-free probe on a power-of-two table.
struct QueryFeatureTable: Sendable {
    private(set) var keys: [UInt64]
    /// `w_kind² · idf^e`: multiplied by the candidate's saturated TF gives the cosine term.
    private(set) var rescoreWeights: [Float]
    /// BM25 IDF (0 for character n-grams, which BM25 does not use).
    private(set) var bm25IDF: [Float]
    /// Each feature's kind and plain IDF (for scoring answer sentences).
    private(set) var kinds: [FeatureKind]
    private(set) var idf: [Float]
    private var slots: [Int32]
    private let mask: Int
    var count: Int { keys.count }

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        keys = []
        rescoreWeights = []
        bm25IDF = []
        kinds = []
        idf = []
    }

    mutating func insert(_ hash: UInt64, kind: FeatureKind, idf plainIDF: Float, rescoreWeight: Float, bm25IDF idf: Float) {
        var i = Int(truncatingIfNeeded: hash >> 20) & mask
        while slots[i] >= 0 {
            if keys[Int(slots[i])] == hash { return }
            i = (i + 1) & mask
        }
        slots[i] = Int32(keys.count)
        keys.append(hash)
        rescoreWeights.append(rescoreWeight)
        bm25IDF.append(idf)
        kinds.append(kind)
        self.idf.append(plainIDF)
    }

    /// Index of `hash` among the query's features, or -1.
    @inline(__always) func slot(of hash: UInt64) -> Int {
        var i = Int(truncatingIfNeeded: hash >> 20) & mask
        while true {
            let s = Int(slots[i])
            if s < 0 { return -1 }
            if keys[s] == hash { return s }
            i = (i + 1) & mask
        }
    }
}
