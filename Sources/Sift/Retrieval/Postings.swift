import Foundation

/// Inverted lists of the forward index: for each distinct feature hash of the live passages,
/// the passages that contain it and how often.
///
/// Re-scoring `c` candidates from the forward index reads every feature of every candidate
/// (about 500 each); from postings it reads only the lists of the query's features, a few
/// thousand entries on a corpus of a thousand passages. The lists pay off on small and
/// middle-sized corpora and not on large ones (a common character's list grows with the
/// corpus), so a search picks whichever reads fewer entries, and the lists are built only
/// once they have saved more reading than building them costs (see `PostingsCache`).
/// Both paths give the same scores, to the bit.
struct Postings: Sendable {
    /// Distinct hashes, ascending.
    let keys: [UInt64]
    /// `keys.count + 1` offsets into `rows` / `tfs`.
    let starts: [Int32]
    let rows: [Int32]
    let tfs: [UInt16]

    /// Builds the lists of the `live` rows; nil when a live row has no forward entry.
    init?(features: FeatureStore, live: (Int) -> Bool, count: Int) {
        var total = 0
        for r in 0..<count where live(r) {
            guard let n = features.features(of: r, { h, _ in h.count }) else { return nil }
            total += n
        }
        guard total < Int(Int32.max) else { return nil }
        // Counting sort by the top 16 bits of the hash, then each bucket sorted by hash.
        var bucketCounts = [Int](repeating: 0, count: 65_537)
        for r in 0..<count where live(r) {
            _ = features.features(of: r) { h, _ in for x in h { bucketCounts[Int(x >> 48) + 1] += 1 } }
        }
        for b in 1..<bucketCounts.count { bucketCounts[b] += bucketCounts[b - 1] }
        var hashes = [UInt64](repeating: 0, count: total)
        var rowsOut = [Int32](repeating: 0, count: total)
        var tfsOut = [UInt16](repeating: 0, count: total)
        var next = bucketCounts
        for r in 0..<count where live(r) {
            _ = features.features(of: r) { h, t in
                for j in 0..<h.count {
                    let b = Int(h[j] >> 48)
                    let p = next[b]
                    next[b] = p + 1
                    hashes[p] = h[j]; rowsOut[p] = Int32(r); tfsOut[p] = t[j]
                }
            }
        }
        // Within each bucket (a few dozen entries), order by hash with an insertion sort:
        // stable, so rows stay ascending for equal hashes (the scatter visited rows in order).
        for bucket in 0..<65_536 {
            let lo = bucketCounts[bucket], hi = bucketCounts[bucket + 1]
            guard hi - lo > 1 else { continue }
            for i in (lo + 1)..<hi {
                let h = hashes[i], r = rowsOut[i], t = tfsOut[i]
                var j = i
                while j > lo && hashes[j - 1] > h {
                    hashes[j] = hashes[j - 1]; rowsOut[j] = rowsOut[j - 1]; tfsOut[j] = tfsOut[j - 1]
                    j -= 1
                }
                hashes[j] = h; rowsOut[j] = r; tfsOut[j] = t
            }
        }
        var keys: [UInt64] = []
        var starts: [Int32] = []
        for i in 0..<total where i == 0 || hashes[i] != hashes[i - 1] {
            keys.append(hashes[i]); starts.append(Int32(i))
        }
        starts.append(Int32(total))
        self.keys = keys
        self.starts = starts
        rows = rowsOut
        tfs = tfsOut
    }

    /// The entries of `hash` (empty when no live passage has it).
    @inline(__always) func entries(of hash: UInt64) -> Range<Int> {
        var lo = 0, hi = keys.count
        while lo < hi {
            let m = (lo + hi) >> 1
            if keys[m] < hash { lo = m + 1 } else { hi = m }
        }
        guard lo < keys.count, keys[lo] == hash else { return 0..<0 }
        return Int(starts[lo])..<Int(starts[lo + 1])
    }

    /// Entries the postings hold in all.
    var entryCount: Int { rows.count }
}

/// The postings of one snapshot of an index, built on demand: a search that re-scores from
/// the forward index adds what postings would have saved it (forward entries read minus
/// the entries of the query's lists, estimated from the document frequencies) and, once the
/// savings exceed the cost of building the lists, builds them (the rent-or-buy rule: never
/// more than twice the reading of the better choice in hindsight). Copies of an index share
/// it until one of them changes, which gives the changed copy a new, empty one.
final class PostingsCache: @unchecked Sendable {
    private struct State {
        var postings: Postings?
        var savings = 0
        var unavailable = false
        var building = false
    }

    // A pthread lock (NSLock) rather than Synchronization's Mutex: ThreadSanitizer models
    // pthread locks, and reported this state's accesses inside `Mutex.withLock` as races.
    // `state` is only touched with `lock` held.
    private let lock = NSLock()
    private var state = State()

    private func locked<R>(_ body: (inout State) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }

    /// Cost of building, in forward entries read, per entry built (measured: building the
    /// lists of cmrc2018's 848 passages takes about as long as re-scoring 14 queries' 400
    /// candidates from the forward index).
    static let buildCostPerEntry = 12

    var postings: Postings? { locked { $0.postings } }

    /// Records the savings of one search; returns true when the caller should build now.
    func record(savings: Int, totalEntries: Int) -> Bool {
        locked { s in
            guard s.postings == nil, !s.unavailable, !s.building else { return false }
            s.savings += max(0, savings)
            if s.savings >= totalEntries * PostingsCache.buildCostPerEntry {
                s.building = true
                return true
            }
            return false
        }
    }

    func finish(_ built: Postings?) {
        locked { s in
            s.postings = built
            s.unavailable = built == nil
            s.building = false
        }
    }
}
