/// The kinds of features the analyzer produces.
enum FeatureKind: UInt8, Sendable, CaseIterable {
    /// One CJK character.
    case cjkUnigram = 1
    /// Two adjacent CJK characters in the same run.
    case cjkBigram = 2
    /// A word of any other script, Snowball-stemmed when it is ASCII (stop words dropped).
    case word = 3
    /// A character n-gram of a word padded with spaces (`" sft "` → `" sf"`, `"sft"`, …).
    case charNgram = 4
}

/// Where the analyzer puts features.
protocol FeatureSink {
    mutating func add(_ hash: UInt64, _ kind: FeatureKind)
    var lexicalLength: Int { get set }
    var tokenLength: Int { get set }
}

/// Features of one text: parallel arrays of hashes and kinds, plus the text's length in
/// lexical tokens (CJK characters + CJK pairs + words, the BM25 document length).
struct FeatureList: Sendable, FeatureSink {
    @inline(__always) mutating func add(_ hash: UInt64, _ kind: FeatureKind) {
        hashes.append(hash)
        kinds.append(kind)
    }

    var hashes: [UInt64] = []
    var kinds: [FeatureKind] = []
    var lexicalLength = 0
    /// Number of CJK characters plus words: the length used by TF saturation.
    var tokenLength = 0

    mutating func removeAll() {
        hashes.removeAll(keepingCapacity: true)
        kinds.removeAll(keepingCapacity: true)
        lexicalLength = 0
        tokenLength = 0
    }
}

/// Splits normalised text into script runs and produces hashed features.
///
/// - CJK runs (Han, kana, Hangul): every character and every adjacent pair.
/// - Other letters and digits form words (runs of letters/digits; words of one character
///   are dropped, as are English stop words). ASCII words are Snowball-stemmed.
/// - Character n-grams (`charNgramMin...charNgramMax`) of each kept word, padded with a
///   space on each side, catch partial matches and inflections the stemmer misses.
struct Analyzer: Sendable {
    let seed: UInt64
    let stemming: Bool
    let dropStopWords: Bool
    let charNgramMin: Int
    let charNgramMax: Int
    private let stopWordHashes: Set<UInt64>

    init(seed: UInt64, stemming: Bool, dropStopWords: Bool, charNgramMin: Int, charNgramMax: Int) {
        self.seed = seed
        self.stemming = stemming
        self.dropStopWords = dropStopWords
        self.charNgramMin = max(1, charNgramMin)
        self.charNgramMax = max(charNgramMin, charNgramMax)
        var hashes = Set<UInt64>()
        for word in StopWords.english {
            var h = FeatureHash(seed: seed, namespace: 0)
            for b in word.utf8 { h.combine(UInt32(b)) }
            hashes.insert(h.value)
        }
        stopWordHashes = hashes
    }

    @inline(__always) func isStopWord(_ hash: UInt64) -> Bool { stopWordHashes.contains(hash) }

    /// Reusable buffers, so that analysing many texts does not allocate per text.
    struct Scratch {
        var scalars: [UInt32] = []
        var word: [UInt8] = []
        var padded: [UInt32] = []
        var counter: FeatureCounter? = FeatureCounter()
        init() {
            scalars.reserveCapacity(4096)
            word.reserveCapacity(64)
            padded.reserveCapacity(64)
        }
    }

    /// Appends the features of `text` whose kind is in `kinds` to `output`.
    func analyze<Sink: FeatureSink>(_ text: Substring, kinds: Set<FeatureKind>, into output: inout Sink, scratch: inout Scratch) {
        scratch.scalars.removeAll(keepingCapacity: true)
        TextNormalizer.normalize(text, into: &scratch.scalars)
        let wantUni = kinds.contains(.cjkUnigram), wantBi = kinds.contains(.cjkBigram)
        let wantWord = kinds.contains(.word), wantGram = kinds.contains(.charNgram)
        let s = scratch.scalars
        let n = s.count
        var i = 0
        while i < n {
            let v = s[i]
            if ScriptClass.isCJK(v) {
                var j = i
                while j < n && ScriptClass.isCJK(s[j]) { j += 1 }
                for k in i..<j {
                    if wantUni {
                        var h = FeatureHash(seed: seed, namespace: 1)
                        h.combine(s[k])
                        output.add(h.value, .cjkUnigram)
                    }
                    if wantBi && k + 1 < j {
                        var h = FeatureHash(seed: seed, namespace: 2)
                        h.combine(s[k]); h.combine(s[k + 1])
                        output.add(h.value, .cjkBigram)
                    }
                }
                output.lexicalLength += 2 * (j - i) - 1
                output.tokenLength += j - i
                i = j
            } else if ScriptClass.isWordCharacter(v) {
                var j = i
                var ascii = true
                while j < n && ScriptClass.isWordCharacter(s[j]) { if s[j] >= 0x80 { ascii = false }; j += 1 }
                if j - i >= 2 { addWord(s[i..<j], ascii: ascii, wantWord: wantWord, wantGram: wantGram, into: &output, scratch: &scratch) }
                i = j
            } else {
                i += 1
            }
        }
    }

    private func addWord<Sink: FeatureSink>(_ w: ArraySlice<UInt32>, ascii: Bool, wantWord: Bool, wantGram: Bool,
                                            into output: inout Sink, scratch: inout Scratch) {
        if dropStopWords && ascii && w.count <= 10 {
            var h = FeatureHash(seed: seed, namespace: 0)
            for v in w { h.combine(v) }
            if isStopWord(h.value) { return }
        }
        output.lexicalLength += 1
        output.tokenLength += 1
        if wantWord {
            var h = FeatureHash(seed: seed, namespace: 3)
            if ascii && stemming {
                scratch.word.removeAll(keepingCapacity: true)
                for v in w { scratch.word.append(UInt8(truncatingIfNeeded: v)) }
                for b in EnglishStemmer.stem(ascii: scratch.word) { h.combine(UInt32(b)) }
            } else {
                for v in w { h.combine(v) }
            }
            output.add(h.value, .word)
        }
        if wantGram {
            scratch.padded.removeAll(keepingCapacity: true)
            scratch.padded.append(0x20)
            scratch.padded.append(contentsOf: w)
            scratch.padded.append(0x20)
            let p = scratch.padded
            for len in charNgramMin...charNgramMax where len <= p.count {
                for start in 0...(p.count - len) {
                    var h = FeatureHash(seed: seed, namespace: 4)
                    for k in start..<(start + len) { h.combine(p[k]) }
                    output.add(h.value, .charNgram)
                }
            }
        }
    }
}
