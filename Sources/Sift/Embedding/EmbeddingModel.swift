import Foundation

/// A named, versioned definition of the hashed character n-gram embedder and of the
/// two-stage ranking that uses it.
///
/// The canonical definition of each released model is a JSON file in `Models/`
/// (`Models/hashed-ngram-v1.json`); the library carries the same values compiled in
/// (``EmbeddingModel/hashedNgramV1``) and a test keeps the two identical. An index records
/// the model's ``identifier`` and ``fingerprint``; opening it with another model is an
/// error that asks the user to re-index.
///
/// Everything that changes what an index stores (the analyzer, the hashing, the dimension,
/// the matrix precision) or how it is scored is here: change any of it and bump
/// ``version``. Two settings are only defaults of a search, `candidates` (400) and the
/// lexical weight (0.5): they stay in the released definitions, so that the
/// fingerprints of existing index files do not change, and ``SearchSettings`` overrides
/// them per engine or per call without re-indexing.
///
/// To experiment with a variant, edit a definition and load it:
///
/// ```swift
/// var json = try JSONSerialization.jsonObject(with: EmbeddingModel.default.definition) as! [String: Any]
/// json["name"] = "my-variant"; json["dimension"] = 512
/// let variant = try EmbeddingModel(definition: JSONSerialization.data(withJSONObject: json))
/// ```
public struct EmbeddingModel: Codable, Sendable, Hashable {
    /// Weights of the four feature kinds; a weight of 0 leaves the kind out.
    struct FeatureWeights: Codable, Sendable, Hashable {
        var cjkUnigram: Float
        var cjkBigram: Float
        var word: Float
        var charNgram: Float

        init(cjkUnigram: Float, cjkBigram: Float, word: Float, charNgram: Float) {
            self.cjkUnigram = cjkUnigram
            self.cjkBigram = cjkBigram
            self.word = word
            self.charNgram = charNgram
        }

        func weight(_ kind: FeatureKind) -> Float {
            switch kind {
            case .cjkUnigram: cjkUnigram
            case .cjkBigram: cjkBigram
            case .word: word
            case .charNgram: charNgram
            }
        }

        var kinds: Set<FeatureKind> { Set(FeatureKind.allCases.filter { weight($0) > 0 }) }
    }

    /// Model name, e.g. `"hashed-ngram"`.
    public var name: String
    /// Model version; an index built with another version must be rebuilt.
    public var version: Int
    /// Seed of the feature hash (see `FeatureHash`).
    var seed: UInt64
    /// Width of the dense vectors stored in the flat matrix (stage 1).
    public var dimension: Int
    /// Feature weights of the dense stage-1 vectors.
    var denseWeights: FeatureWeights
    /// Feature weights of the exact, unhashed cosine used when re-scoring candidates.
    var rescoreWeights: FeatureWeights
    /// Snowball-stem ASCII words.
    var stemming: Bool
    /// Drop English stop words.
    var stopWords: Bool
    /// Shortest and longest character n-gram taken from a padded word.
    var charNgramMin: Int
    var charNgramMax: Int
    /// TF saturation of document vectors: `tf·(k1+1) / (tf + k1·(1 − b + b·len/pivot))`,
    /// with `len` the passage length in tokens and `pivot` a fixed length, so that a
    /// passage's vector never depends on the rest of the corpus.
    var tfK1: Float
    var tfB: Float
    var tfPivot: Float
    /// The pivot length of TF saturation in the re-scoring (stage-2) vectors.
    var rescoreTFPivot: Float
    /// Exponent of the IDF applied to query features in re-scoring (the document side
    /// carries none).
    var queryIDFExponent: Float
    /// Exponent of the IDF applied to query features of the dense stage-1 query. A flatter
    /// weighting than stage 2's keeps more of the query's features in play, which matters
    /// when the narrow hashed space makes rare features collide.
    var denseQueryIDFExponent: Float
    /// BM25 parameters of the lexical re-scorer (CJK characters and pairs, stemmed words).
    var bm25K1: Float
    var bm25B: Float
    /// How many stage-1 candidates are re-scored.
    var candidates: Int
    /// Weight of the BM25 part in the final score; the cosine part gets `1 − bm25Weight`.
    var bm25Weight: Float
    /// Number of buckets of the hashed document-frequency table (a power of two).
    var dfBuckets: Int
    /// How the flat matrix stores the dense vectors (`float32` when a definition omits it).
    public var matrixPrecision: MatrixPrecision = .float32
    /// Drop Chinese question words (什么, 哪些, 为什么, 什麼, …) from queries before they are
    /// analysed, as English question words already are as stop words: they say what kind of
    /// answer is wanted, not what it is about, and short passages that happen to contain
    /// them would otherwise match every question. They stay when they are the question's
    /// only Chinese ("什么是sft?"): then they are what says the asker wants Chinese sources
    /// (`false` when a definition omits it).
    var dropQuestionWords: Bool = false
    /// Count a feature that occurs n times in the query n times in BM25, as Lucene and bm25s
    /// do (`false` when a definition omits it: each distinct feature once).
    var bm25QueryTF: Bool = false

    enum CodingKeys: String, CodingKey {
        case name, version, seed, dimension, denseWeights, rescoreWeights, stemming, stopWords, charNgramMin, charNgramMax
        case tfK1, tfB, tfPivot, rescoreTFPivot, queryIDFExponent, denseQueryIDFExponent, bm25K1, bm25B, candidates
        case bm25Weight, dfBuckets, matrixPrecision, dropQuestionWords, bm25QueryTF
    }

    init(name: String, version: Int, seed: UInt64, dimension: Int, denseWeights: FeatureWeights, rescoreWeights: FeatureWeights,
                stemming: Bool, stopWords: Bool, charNgramMin: Int, charNgramMax: Int, tfK1: Float, tfB: Float, tfPivot: Float,
                rescoreTFPivot: Float, queryIDFExponent: Float, denseQueryIDFExponent: Float, bm25K1: Float, bm25B: Float,
                candidates: Int, bm25Weight: Float, dfBuckets: Int, matrixPrecision: MatrixPrecision = .float32,
                dropQuestionWords: Bool = false, bm25QueryTF: Bool = false) {
        self.name = name
        self.version = version
        self.seed = seed
        self.dimension = dimension
        self.denseWeights = denseWeights
        self.rescoreWeights = rescoreWeights
        self.stemming = stemming
        self.stopWords = stopWords
        self.charNgramMin = charNgramMin
        self.charNgramMax = charNgramMax
        self.tfK1 = tfK1
        self.tfB = tfB
        self.tfPivot = tfPivot
        self.rescoreTFPivot = rescoreTFPivot
        self.queryIDFExponent = queryIDFExponent
        self.denseQueryIDFExponent = denseQueryIDFExponent
        self.bm25K1 = bm25K1
        self.bm25B = bm25B
        self.candidates = candidates
        self.bm25Weight = bm25Weight
        self.dfBuckets = dfBuckets
        self.matrixPrecision = matrixPrecision
        self.dropQuestionWords = dropQuestionWords
        self.bm25QueryTF = bm25QueryTF
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        version = try c.decode(Int.self, forKey: .version)
        seed = try c.decode(UInt64.self, forKey: .seed)
        dimension = try c.decode(Int.self, forKey: .dimension)
        denseWeights = try c.decode(FeatureWeights.self, forKey: .denseWeights)
        rescoreWeights = try c.decode(FeatureWeights.self, forKey: .rescoreWeights)
        stemming = try c.decode(Bool.self, forKey: .stemming)
        stopWords = try c.decode(Bool.self, forKey: .stopWords)
        charNgramMin = try c.decode(Int.self, forKey: .charNgramMin)
        charNgramMax = try c.decode(Int.self, forKey: .charNgramMax)
        tfK1 = try c.decode(Float.self, forKey: .tfK1)
        tfB = try c.decode(Float.self, forKey: .tfB)
        tfPivot = try c.decode(Float.self, forKey: .tfPivot)
        rescoreTFPivot = try c.decode(Float.self, forKey: .rescoreTFPivot)
        queryIDFExponent = try c.decode(Float.self, forKey: .queryIDFExponent)
        denseQueryIDFExponent = try c.decode(Float.self, forKey: .denseQueryIDFExponent)
        bm25K1 = try c.decode(Float.self, forKey: .bm25K1)
        bm25B = try c.decode(Float.self, forKey: .bm25B)
        candidates = try c.decode(Int.self, forKey: .candidates)
        bm25Weight = try c.decode(Float.self, forKey: .bm25Weight)
        dfBuckets = try c.decode(Int.self, forKey: .dfBuckets)
        matrixPrecision = try c.decodeIfPresent(MatrixPrecision.self, forKey: .matrixPrecision) ?? .float32
        dropQuestionWords = try c.decodeIfPresent(Bool.self, forKey: .dropQuestionWords) ?? false
        bm25QueryTF = try c.decodeIfPresent(Bool.self, forKey: .bm25QueryTF) ?? false
    }

    /// Settings added after version 1 are written only when they differ from their
    /// defaults, so that definitions (and fingerprints) of earlier models stay as they were.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(version, forKey: .version)
        try c.encode(seed, forKey: .seed)
        try c.encode(dimension, forKey: .dimension)
        try c.encode(denseWeights, forKey: .denseWeights)
        try c.encode(rescoreWeights, forKey: .rescoreWeights)
        try c.encode(stemming, forKey: .stemming)
        try c.encode(stopWords, forKey: .stopWords)
        try c.encode(charNgramMin, forKey: .charNgramMin)
        try c.encode(charNgramMax, forKey: .charNgramMax)
        try c.encode(tfK1, forKey: .tfK1)
        try c.encode(tfB, forKey: .tfB)
        try c.encode(tfPivot, forKey: .tfPivot)
        try c.encode(rescoreTFPivot, forKey: .rescoreTFPivot)
        try c.encode(queryIDFExponent, forKey: .queryIDFExponent)
        try c.encode(denseQueryIDFExponent, forKey: .denseQueryIDFExponent)
        try c.encode(bm25K1, forKey: .bm25K1)
        try c.encode(bm25B, forKey: .bm25B)
        try c.encode(candidates, forKey: .candidates)
        try c.encode(bm25Weight, forKey: .bm25Weight)
        try c.encode(dfBuckets, forKey: .dfBuckets)
        if matrixPrecision != .float32 { try c.encode(matrixPrecision, forKey: .matrixPrecision) }
        if dropQuestionWords { try c.encode(dropQuestionWords, forKey: .dropQuestionWords) }
        if bm25QueryTF { try c.encode(bm25QueryTF, forKey: .bm25QueryTF) }
    }

    /// `name-vVERSION`, as recorded in index files.
    public var identifier: String { "\(name)-v\(version)" }

    /// A stable 64-bit digest of every setting, recorded in index files so that an index is
    /// never searched with settings other than the ones it was built with.
    public var fingerprint: UInt64 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        var h = FeatureHash(seed: 0x5349_4654, namespace: 0)
        for byte in data { h.combine(UInt32(byte)) }
        return h.value
    }

    /// Checks that the settings are usable.
    public func validate() throws(SiftError) {
        func fail(_ why: String) -> SiftError { .invalidModel("model \(identifier): \(why)") }
        guard dimension >= 8 && dimension <= 1 << 20 && (matrixPrecision == .float32 || dimension % 2 == 0) else { throw fail("dimension must be in 8...1048576 (and even for a bfloat16 matrix), got \(dimension)") }
        guard dfBuckets >= 1024 && dfBuckets.nonzeroBitCount == 1 else { throw fail("dfBuckets must be a power of two ≥ 1024, got \(dfBuckets)") }
        guard charNgramMin >= 1 && charNgramMax >= charNgramMin && charNgramMax <= 16 else { throw fail("character n-gram range must be within 1...16") }
        guard candidates >= 1 else { throw fail("candidates must be ≥ 1") }
        guard (0...1).contains(bm25Weight) else { throw fail("bm25Weight must be within 0...1") }
        guard tfK1 > 0, tfPivot > 0, rescoreTFPivot > 0, denseQueryIDFExponent >= 0, queryIDFExponent >= 0, (0...1).contains(tfB), bm25K1 > 0, (0...1).contains(bm25B) else {
            throw fail("k1 and pivot must be positive and b within 0...1")
        }
        guard denseWeights.kinds.count > 0, rescoreWeights.kinds.count > 0 else { throw fail("every stage needs at least one feature kind") }
    }

    /// The model's definition as JSON, the form `Models/*.json` holds (sorted keys).
    public var definition: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// A model from a JSON definition (see ``definition`` and `Models/README.md` for the keys).
    /// - Throws: ``SiftError/invalidModel(_:)`` for JSON that is not a valid definition.
    public init(definition: Data) throws(SiftError) {
        do { self = try JSONDecoder().decode(EmbeddingModel.self, from: definition) } catch {
            throw .invalidModel("not a valid model definition: \(error)")
        }
        try validate()
    }

    /// Loads a model definition from a JSON file (such as `Models/hashed-ngram-v1.json`).
    public static func load(contentsOf url: URL) throws(SiftError) -> EmbeddingModel {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .fileUnreadable(path: url.path, reason: "cannot read the model file (\(error.localizedDescription))")
        }
        let model: EmbeddingModel
        do { model = try JSONDecoder().decode(EmbeddingModel.self, from: data) } catch {
            throw .invalidModel("\(url.path) is not a valid model definition: \(error)")
        }
        do { try model.validate() } catch { throw .invalidModel("\(url.path): \(error)") }
        return model
    }

    /// `hashed-ngram-v1` (the same values as `Models/hashed-ngram-v1.json`): 512-wide Float32 stage 1.
    public static let hashedNgramV1 = EmbeddingModel(
        name: "hashed-ngram",
        version: 1,
        seed: 0x5_1F70_0001,
        dimension: 512,
        denseWeights: .init(cjkUnigram: 1, cjkBigram: 0, word: 1, charNgram: 0.2),
        rescoreWeights: .init(cjkUnigram: 1, cjkBigram: 1, word: 1, charNgram: 0.2),
        stemming: true,
        stopWords: true,
        charNgramMin: 3,
        charNgramMax: 5,
        tfK1: 2.0,
        tfB: 1.0,
        tfPivot: 200,
        rescoreTFPivot: 1000,
        queryIDFExponent: 1.0,
        denseQueryIDFExponent: 0.25,
        bm25K1: 1.5,
        bm25B: 0.75,
        candidates: 400,
        bm25Weight: 0.5,
        dfBuckets: 1 << 20
    )

    /// `hashed-ngram-v2` (the same values as `Models/hashed-ngram-v2.json`): v1's features
    /// and weights with a 1,024-wide stage-1 matrix stored as bfloat16 (2 KiB per passage,
    /// as v1's 512 Float32), a dense query IDF exponent of 0.5, Chinese question words
    /// dropped from queries, and BM25 counting repeated query features (as Lucene does).
    public static let hashedNgramV2: EmbeddingModel = {
        var m = hashedNgramV1
        m.version = 2
        m.dimension = 1024
        m.matrixPrecision = .bfloat16
        m.denseQueryIDFExponent = 0.5
        m.dropQuestionWords = true
        m.bm25QueryTF = true
        return m
    }()

    /// The model used when none is named (``hashedNgramV2``).
    public static let `default` = hashedNgramV2

    /// Every released model, oldest first.
    public static let released: [EmbeddingModel] = [hashedNgramV1, hashedNgramV2]
}
