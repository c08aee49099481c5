/// A cheap pre-filter of a query's features: which CJK characters and which pairs of
/// adjacent characters can start one of them. Re-scoring skips hashing (and stemming)
/// anything that cannot match; it never changes a count.
struct MatchFilter: Sendable {
    private var cjk = [UInt64](repeating: 0, count: 1024)     // 65,536 bits
    private var pairs = [UInt64](repeating: 0, count: 1024)   // 65,536 bits

    @inline(__always) static func pairKey(_ a: UInt32, _ b: UInt32) -> Int { Int((a &* 0x9E37 ^ b &* 0x85EB) & 0xFFFF) }

    mutating func addCJK(_ c: UInt32) { let k = Int(c & 0xFFFF); cjk[k >> 6] |= 1 << UInt64(k & 63) }
    mutating func addPair(_ a: UInt32, _ b: UInt32) { let k = MatchFilter.pairKey(a, b); pairs[k >> 6] |= 1 << UInt64(k & 63) }
    @inline(__always) func hasCJK(_ c: UInt32) -> Bool { let k = Int(c & 0xFFFF); return cjk[k >> 6] & (1 << UInt64(k & 63)) != 0 }
    @inline(__always) func hasPair(_ a: UInt32, _ b: UInt32) -> Bool {
        let k = MatchFilter.pairKey(a, b); return pairs[k >> 6] & (1 << UInt64(k & 63)) != 0
    }
}

extension Analyzer {
    /// Builds the filter for a query's normalised text: every CJK character, and the first
    /// two characters of every word stem and every padded word n-gram.
    func matchFilter(for text: Substring, scratch: inout Scratch) -> MatchFilter {
        var filter = MatchFilter()
        scratch.scalars.removeAll(keepingCapacity: true)
        TextNormalizer.normalize(text, into: &scratch.scalars)
        let s = scratch.scalars
        var i = 0
        while i < s.count {
            if ScriptClass.isCJK(s[i]) { filter.addCJK(s[i]); i += 1; continue }
            guard ScriptClass.isWordCharacter(s[i]) else { i += 1; continue }
            var j = i
            var ascii = true
            while j < s.count && ScriptClass.isWordCharacter(s[j]) { if s[j] >= 0x80 { ascii = false }; j += 1 }
            if j - i >= 2 {
                if ascii && stemming {
                    let stem = EnglishStemmer.stem(ascii: s[i..<j].map { UInt8(truncatingIfNeeded: $0) })
                    if stem.count >= 2 { filter.addPair(UInt32(stem[0]), UInt32(stem[1])) }
                }
                filter.addPair(s[i], s[i + 1])
                let padded = [0x20] + Array(s[i..<j]) + [0x20]
                for p in 0..<(padded.count - 1) { filter.addPair(padded[p], padded[p + 1]) }
            }
            i = j
        }
        return filter
    }

    /// Adds to `counts[slot]` the number of occurrences in `text` of each query feature in
    /// `table`: the same counts as analysing `text` fully and looking every feature up.
    func countMatches(_ text: Substring, table: QueryFeatureTable, filter: MatchFilter, kinds: Set<FeatureKind>,
                      counts: UnsafeMutablePointer<Int32>, scratch: inout Scratch) {
        scratch.scalars.removeAll(keepingCapacity: true)
        TextNormalizer.normalize(text, into: &scratch.scalars)
        let wantUni = kinds.contains(.cjkUnigram), wantBi = kinds.contains(.cjkBigram)
        let wantWord = kinds.contains(.word), wantGram = kinds.contains(.charNgram)
        scratch.scalars.withUnsafeBufferPointer { s in
            let n = s.count
            var i = 0
            while i < n {
                let v = s[i]
                if ScriptClass.isCJK(v) {
                    var j = i
                    while j < n && ScriptClass.isCJK(s[j]) { j += 1 }
                    for k in i..<j where filter.hasCJK(s[k]) {
                        if wantUni {
                            var h = FeatureHash(seed: seed, namespace: 1)
                            h.combine(s[k])
                            let slot = table.slot(of: h.value)
                            if slot >= 0 { counts[slot] += 1 }
                        }
                        if wantBi && k + 1 < j && filter.hasCJK(s[k + 1]) {
                            var h = FeatureHash(seed: seed, namespace: 2)
                            h.combine(s[k]); h.combine(s[k + 1])
                            let slot = table.slot(of: h.value)
                            if slot >= 0 { counts[slot] += 1 }
                        }
                    }
                    i = j
                } else if ScriptClass.isWordCharacter(v) {
                    var j = i
                    var ascii = true
                    while j < n && ScriptClass.isWordCharacter(s[j]) { if s[j] >= 0x80 { ascii = false }; j += 1 }
                    if j - i >= 2 {
                        matchWord(s, i, j, ascii: ascii, wantWord: wantWord, wantGram: wantGram, table: table, filter: filter,
                                  counts: counts, scratch: &scratch)
                    }
                    i = j
                } else {
                    i += 1
                }
            }
        }
    }

    @inline(__always)
    private func matchWord(_ s: UnsafeBufferPointer<UInt32>, _ i: Int, _ j: Int, ascii: Bool, wantWord: Bool, wantGram: Bool,
                           table: QueryFeatureTable, filter: MatchFilter, counts: UnsafeMutablePointer<Int32>, scratch: inout Scratch) {
        let wordPasses = wantWord && filter.hasPair(s[i], s[i + 1])
        var gramPasses = false
        if wantGram {
            if filter.hasPair(0x20, s[i]) || filter.hasPair(s[j - 1], 0x20) { gramPasses = true } else {
                for p in i..<(j - 1) where filter.hasPair(s[p], s[p + 1]) { gramPasses = true; break }
            }
        }
        guard wordPasses || gramPasses else { return }
        if dropStopWords && ascii && j - i <= 10 {
            var h = FeatureHash(seed: seed, namespace: 0)
            for k in i..<j { h.combine(s[k]) }
            if isStopWord(h.value) { return }
        }
        if wordPasses {
            var h = FeatureHash(seed: seed, namespace: 3)
            if ascii && stemming {
                scratch.word.removeAll(keepingCapacity: true)
                for k in i..<j { scratch.word.append(UInt8(truncatingIfNeeded: s[k])) }
                for b in EnglishStemmer.stem(ascii: scratch.word) { h.combine(UInt32(b)) }
            } else {
                for k in i..<j { h.combine(s[k]) }
            }
            let slot = table.slot(of: h.value)
            if slot >= 0 { counts[slot] += 1 }
        }
        if gramPasses {
            // Padded word: position p in 0...(len+1), where 0 and len+1 are spaces.
            let len = j - i
            @inline(__always) func at(_ p: Int) -> UInt32 { p == 0 || p == len + 1 ? 0x20 : s[i + p - 1] }
            let total = len + 2
            for start in 0..<(total - 1) where filter.hasPair(at(start), at(start + 1)) {
                for gram in charNgramMin...charNgramMax where start + gram <= total {
                    var h = FeatureHash(seed: seed, namespace: 4)
                    for p in start..<(start + gram) { h.combine(at(p)) }
                    let slot = table.slot(of: h.value)
                    if slot >= 0 { counts[slot] += 1 }
                }
            }
        }
    }
}
