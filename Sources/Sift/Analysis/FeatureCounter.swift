/// Counts features by hash in an open-addressing table that is reused across texts,
/// remembering the order in which features first appeared (a deterministic order to sum
/// in, unlike a `Dictionary`'s, which is randomised per process).
struct FeatureCounter: FeatureSink {
    private(set) var keys: [UInt64]
    private(set) var counts: [Int32]
    private(set) var kinds: [FeatureKind]
    /// Slots in first-seen order.
    private(set) var order: [Int32] = []
    private var mask: Int
    var lexicalLength = 0
    var tokenLength = 0

    init(capacity: Int = 4096) {
        var size = 1024
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: 0, count: size)
        counts = [Int32](repeating: 0, count: size)
        kinds = [FeatureKind](repeating: .word, count: size)
        mask = size - 1
    }

    /// Number of distinct features.
    var distinctCount: Int { order.count }

    mutating func removeAll() {
        for s in order { counts[Int(s)] = 0 }
        order.removeAll(keepingCapacity: true)
        lexicalLength = 0
        tokenLength = 0
    }

    @inline(__always) mutating func add(_ hash: UInt64, _ kind: FeatureKind) {
        if order.count * 2 >= keys.count { grow() }
        var i = Int(truncatingIfNeeded: hash >> 17) & mask
        while counts[i] != 0 {
            if keys[i] == hash { counts[i] += 1; return }
            i = (i + 1) & mask
        }
        keys[i] = hash
        counts[i] = 1
        kinds[i] = kind
        order.append(Int32(i))
    }

    private mutating func grow() {
        let old = order.map { (keys[Int($0)], counts[Int($0)], kinds[Int($0)]) }
        let size = keys.count * 2
        keys = [UInt64](repeating: 0, count: size)
        counts = [Int32](repeating: 0, count: size)
        kinds = [FeatureKind](repeating: .word, count: size)
        mask = size - 1
        order.removeAll(keepingCapacity: true)
        for (h, c, k) in old {
            var i = Int(truncatingIfNeeded: h >> 17) & mask
            while counts[i] != 0 { i = (i + 1) & mask }
            keys[i] = h; counts[i] = c; kinds[i] = k
            order.append(Int32(i))
        }
    }
}
