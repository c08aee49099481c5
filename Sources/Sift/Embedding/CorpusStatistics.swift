import Foundation

/// Corpus-level statistics learned from the indexed passages: how many passages there
/// are, their total length, and a hashed document-frequency table (one counter per
/// bucket of feature hashes). Stored with the index; updated exactly on every add or
/// remove, so an updated index has the same statistics as a fresh build.
public struct CorpusStatistics: Sendable, Equatable {
    /// Number of live passages.
    public internal(set) var passageCount: Int
    /// Sum of the BM25 lengths of the live passages.
    var totalLexicalLength: Int
    /// Document frequency per hash bucket.
    var documentFrequency: [UInt32]

    init(buckets: Int) {
        passageCount = 0
        totalLexicalLength = 0
        documentFrequency = [UInt32](repeating: 0, count: buckets)
    }

    init(passageCount: Int, totalLexicalLength: Int, documentFrequency: [UInt32]) {
        self.passageCount = passageCount
        self.totalLexicalLength = totalLexicalLength
        self.documentFrequency = documentFrequency
    }

    /// Average BM25 length of a passage.
    public var averageLexicalLength: Float {
        passageCount == 0 ? 1 : max(1, Float(totalLexicalLength) / Float(passageCount))
    }

    @inline(__always) func bucket(_ hash: UInt64) -> Int { Int(hash & UInt64(documentFrequency.count - 1)) }

    /// The document frequency of `hash`'s bucket (an upper bound of the feature's own).
    @inline(__always) func documentFrequency(of hash: UInt64) -> Int { Int(documentFrequency[bucket(hash)]) }

    /// BM25 (Lucene) inverse document frequency, `ln(1 + (N − df + 0.5)/(df + 0.5))`.
    @inline(__always) func idf(_ hash: UInt64) -> Float {
        let df = Float(documentFrequency[bucket(hash)])
        let n = Float(passageCount)
        return log(1 + (max(0, n - df) + 0.5) / (df + 0.5))
    }

    /// Counts a passage in: `distinct` holds each of its feature hashes once.
    mutating func add(distinct: some Sequence<UInt64>, lexicalLength: Int) {
        passageCount += 1
        totalLexicalLength += lexicalLength
        addBuckets(distinct, delta: 1)
    }

    /// Counts a passage out (the exact inverse of ``add``).
    mutating func remove(distinct: some Sequence<UInt64>, lexicalLength: Int) {
        passageCount -= 1
        totalLexicalLength -= lexicalLength
        addBuckets(distinct, delta: -1)
    }

    private mutating func addBuckets(_ distinct: some Sequence<UInt64>, delta: Int) {
        // Several distinct features may share a bucket; each one counts, so that adding
        // and removing a passage are exact inverses.
        documentFrequency.withUnsafeMutableBufferPointer { df in
            let mask = UInt64(df.count - 1)
            for h in distinct {
                let b = Int(h & mask)
                df[b] = delta > 0 ? df[b] &+ 1 : df[b] &- 1
            }
        }
    }
}
