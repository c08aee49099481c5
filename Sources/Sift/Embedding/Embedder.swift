import Foundation
import Dispatch

/// What the embedder keeps of one passage besides its dense vector: the lengths and the
/// norm needed to re-score it exactly without touching the rest of the corpus.
struct PassageProfile: Sendable, Hashable {
    /// Length in tokens (CJK characters + words), used by TF saturation.
    var tokenLength: Int32
    /// BM25 length (CJK characters + CJK pairs + words).
    var lexicalLength: Int32
    /// L2 norm of the passage's unhashed re-scoring vector.
    var rescoreNorm: Float
}

/// The hashed character n-gram embedder.
///
/// A passage becomes a dense `dimension`-wide Float32 vector: its features (CJK
/// characters, stemmed words, character n-grams; see `Analyzer`) are counted, the counts
/// saturated (`tf·(k1+1)/(tf + k1·(1−b+b·len/pivot))`, a sublinear TF), weighted by kind,
/// added with a hash-given sign into a hash-given bucket, and the vector is L2-normalised.
/// A passage's vector depends on its own text only, so vectors never go stale when the
/// corpus changes; corpus IDF (see ``CorpusStatistics``) weights the query instead.
///
/// Deterministic: the same text gives the same vector, bit for bit, in every process and
/// on every machine with IEEE-754 floats.
public struct Embedder: Sendable {
    /// The model whose analyzer and hashing the embedder applies.
    public let model: EmbeddingModel
    let analyzer: Analyzer
    let denseKinds: Set<FeatureKind>
    let rescoreKinds: Set<FeatureKind>
    let allKinds: Set<FeatureKind>

    /// An embedder for `model`.
    /// - Throws: ``SiftError/invalidModel(_:)`` when the model's settings are unusable.
    public init(model: EmbeddingModel = .default) throws(SiftError) {
        try model.validate()
        self.model = model
        analyzer = Analyzer(seed: model.seed, stemming: model.stemming, dropStopWords: model.stopWords,
                            charNgramMin: model.charNgramMin, charNgramMax: model.charNgramMax)
        denseKinds = model.denseWeights.kinds
        rescoreKinds = model.rescoreWeights.kinds
        allKinds = denseKinds.union(rescoreKinds).union([.cjkUnigram, .cjkBigram, .word])
    }

    /// Width of the dense vectors.
    public var dimension: Int { model.dimension }

    /// Saturated TF of a dense (stage-1) vector component.
    @inline(__always) func saturate(_ tf: Float, length: Int32) -> Float {
        let k1 = model.tfK1
        return tf * (k1 + 1) / (tf + k1 * (1 - model.tfB + model.tfB * Float(length) / model.tfPivot))
    }

    /// Saturated TF of a re-scoring (stage-2) vector component.
    @inline(__always) func saturateRescore(_ tf: Float, length: Int32) -> Float {
        let k1 = model.tfK1
        return tf * (k1 + 1) / (tf + k1 * (1 - model.tfB + model.tfB * Float(length) / model.rescoreTFPivot))
    }

    /// The L2-normalised dense vector of `text` (all zeros when it has no feature).
    public func embed(_ text: String) -> [Float] {
        var scratch = Analyzer.Scratch()
        return [Float](unsafeUninitializedCapacity: model.dimension) { v, initialized in
            _ = encodePassage(text[...], into: v, collectDistinct: false, scratch: &scratch)
            initialized = model.dimension
        }
    }

    /// What encoding a passage yields besides its dense vector.
    struct PassageFeatures {
        var profile: PassageProfile
        /// Every distinct feature hash, ascending (for document frequencies and the forward
        /// index); empty unless asked for.
        var distinct: [UInt64] = []
        /// The term frequency of each of `distinct`; nil when one does not fit in 16 bits
        /// (the passage then gets no forward-index entry).
        var tfs: [UInt16]? = nil
    }

    /// Encodes `text`: writes its L2-normalised dense vector to `vector` (`dimension`
    /// floats, overwritten; skipped when `nil`) and returns its profile, with its distinct
    /// feature hashes (ascending) and their term frequencies when `collectDistinct`.
    func encodePassage(_ text: Substring, into vector: UnsafeMutableBufferPointer<Float>?, collectDistinct: Bool,
                       scratch: inout Analyzer.Scratch) -> PassageFeatures {
        var counter = scratch.counter ?? FeatureCounter()
        scratch.counter = nil  // keep the counter's storage uniquely referenced
        defer { scratch.counter = counter }
        counter.removeAll()
        analyzer.analyze(text, kinds: allKinds, into: &counter, scratch: &scratch)
        let length = Int32(clamping: counter.tokenLength)
        if let v = vector {
            precondition(v.count == model.dimension, "vector buffer has \(v.count) floats, the model \(model.dimension)")
            v.update(repeating: 0)
            // Features are summed in the order they first occur in the text: deterministic.
            for slot in counter.order {
                let i = Int(slot)
                let dw = model.denseWeights.weight(counter.kinds[i])
                guard dw > 0 else { continue }
                let (bucket, sign) = counter.keys[i].bucketAndSign(dimension: model.dimension)
                v[bucket] += sign * dw * saturate(Float(counter.counts[i]), length: length)
            }
            VectorMath.normalize(v)
        }
        let profile = self.profile(of: counter)
        guard collectDistinct else { return PassageFeatures(profile: profile) }
        var slots = counter.order
        slots.sort { counter.keys[Int($0)] < counter.keys[Int($1)] }
        let distinct = slots.map { counter.keys[Int($0)] }
        let fits = slots.allSatisfy { counter.counts[Int($0)] <= FeatureStore.maxTF }
        return PassageFeatures(profile: profile, distinct: distinct, tfs: fits ? slots.map { UInt16(counter.counts[Int($0)]) } : nil)
    }

    /// The re-scoring profile of a text whose features (all of ``allKinds``) are in `counter`:
    /// its lengths and the norm of its re-scoring vector.
    func profile(of counter: FeatureCounter) -> PassageProfile {
        let length = Int32(clamping: counter.tokenLength)
        var rescoreSquares: Double = 0
        for slot in counter.order {  // first-occurrence order: deterministic
            let i = Int(slot)
            let rw = model.rescoreWeights.weight(counter.kinds[i])
            if rw > 0 {
                let x = Double(rw * saturateRescore(Float(counter.counts[i]), length: length))
                rescoreSquares += x * x
            }
        }
        return PassageProfile(tokenLength: length, lexicalLength: Int32(clamping: counter.lexicalLength),
                              rescoreNorm: Float(rescoreSquares.squareRoot()))
    }

    /// Prepares a query for two-stage search against an index with `statistics`.
    func prepareQuery(_ rawText: String, statistics: CorpusStatistics) -> PreparedQuery {
        let text = model.dropQuestionWords ? QuestionWords.stripForSearch(rawText) : rawText
        var scratch = Analyzer.Scratch()
        var features = FeatureList()
        analyzer.analyze(text[...], kinds: allKinds, into: &features, scratch: &scratch)
        var seen = Set<UInt64>()
        var table = QueryFeatureTable(capacity: features.hashes.count)
        var dense = [Float](repeating: 0, count: model.dimension)
        var queryNormSquared: Float = 0
        var bm25Max: Float = 0
        let k1 = model.bm25K1
        let denseExp = model.denseQueryIDFExponent
        var queryTF: [UInt64: Float] = [:]
        if model.bm25QueryTF { for h in features.hashes { queryTF[h, default: 0] += 1 } }
        for (h, kind) in zip(features.hashes, features.kinds) where seen.insert(h).inserted {
            let idf = statistics.idf(h)
            let qidf = model.queryIDFExponent == 1 ? idf : pow(idf, model.queryIDFExponent)
            let dw = model.denseWeights.weight(kind)
            if dw > 0 {
                let (bucket, sign) = h.bucketAndSign(dimension: model.dimension)
                dense[bucket] += sign * dw * (denseExp == 1 ? idf : pow(idf, denseExp))
            }
            let rw = model.rescoreWeights.weight(kind) * qidf
            let lexical = kind != .charNgram
            let bm25Weight: Float = lexical ? idf * (queryTF[h] ?? 1) : 0
            if rw > 0 || bm25Weight > 0 {
                table.insert(h, kind: kind, idf: idf, rescoreWeight: rw * model.rescoreWeights.weight(kind), bm25IDF: bm25Weight)  // q_f · w_f
                queryNormSquared += rw * rw
                bm25Max += bm25Weight * (k1 + 1)
            }
        }
        VectorMath.normalize(&dense)
        let filter = analyzer.matchFilter(for: text[...], scratch: &scratch)
        return PreparedQuery(dense: dense, table: table, filter: filter, queryNorm: queryNormSquared.squareRoot(), bm25Max: bm25Max)
    }
}

/// A query ready for search: its dense stage-1 vector and the table of its distinct
/// features used to re-score candidates.
struct PreparedQuery: Sendable {
    var dense: [Float]
    var table: QueryFeatureTable
    var filter: MatchFilter
    var queryNorm: Float
    var bm25Max: Float
    /// A 4,096-bit Bloom filter of the table's hashes (bits 40...51), so that scanning a
    /// passage's features probes the table only for the few that may match.
    var bloom: [UInt64]
    var isEmpty: Bool { table.count == 0 }
    /// The query translated into the corpus's other language, searched beside this one (see
    /// `SiftIndex.prepare(_:settings:)`); nil when it is not translated.
    var translation: TranslatedQuery? = nil

    @inline(__always) static func bloomBit(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: hash >> 40) & 4095 }

    init(dense: [Float], table: QueryFeatureTable, filter: MatchFilter, queryNorm: Float, bm25Max: Float) {
        self.dense = dense
        self.table = table
        self.filter = filter
        self.queryNorm = queryNorm
        self.bm25Max = bm25Max
        var bits = [UInt64](repeating: 0, count: 64)
        for h in table.keys { let b = PreparedQuery.bloomBit(h); bits[b >> 6] |= 1 << UInt64(b & 63) }
        bloom = bits
    }
}

/// A query's translation: prepared (never empty), its text, its language ("en" or "zh": the
/// passages it scores) and what its matches' scores are multiplied by
/// (`SiftIndex.translationWeight` × the translation's coverage).
final class TranslatedQuery: Sendable {
    let query: PreparedQuery
    let text: String
    let language: String
    let weight: Float

    init(query: PreparedQuery, text: String, language: String, weight: Float) {
        self.query = query
        self.text = text
        self.language = language
        self.weight = weight
    }
}

extension Embedder {
    /// Embeds many texts on up to `threads` threads (0 = all cores); result `i` is
    /// `embed(texts[i])`.
    public func embed(batch texts: [String], threads: Int = 0) -> [[Float]] {
        var matrix: [Float] = []
        embed(batch: texts, into: &matrix, threads: threads)
        let d = model.dimension
        return (0..<texts.count).map { Array(matrix[($0 * d)..<(($0 + 1) * d)]) }
    }

    /// Embeds many texts into one row-major matrix, on up to `threads` threads (0 = all
    /// cores): `matrix` is replaced by `texts.count × dimension` floats whose row `i` is
    /// `embed(texts[i])`.
    ///
    /// `matrix`'s storage is reused, so embedding batch after batch through the same array
    /// allocates nothing for the vectors; the rows can go straight into
    /// ``FlatIndex/add(rows:contentsOf:)``.
    @_spi(Benchmarks)
    public func embed(batch texts: [String], into matrix: inout [Float], threads: Int = 0) {
        _ = encode(texts, into: &matrix, collectDistinct: false, threads: threads, progress: nil)
    }

    /// Embeds `texts` into `matrix` (replaced by `texts.count × dimension` floats, its
    /// storage reused) on up to `threads` threads, and returns each text's features.
    func encode(_ texts: [String], into matrix: inout [Float], collectDistinct: Bool,
                       threads: Int, progress: (@Sendable (Int, Int) -> Void)?) -> [Embedder.PassageFeatures] {
        let d = dimension
        let needed = texts.count * d
        if matrix.count > needed {
            matrix.removeLast(matrix.count - needed)
        } else if matrix.count < needed {
            matrix.append(contentsOf: repeatElement(0, count: needed - matrix.count))
        }
        guard !texts.isEmpty else { return [] }
        let workers = max(1, min(threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount, texts.count))
        let empty = Embedder.PassageFeatures(profile: PassageProfile(tokenLength: 0, lexicalLength: 0, rescoreNorm: 0))
        var features = [Embedder.PassageFeatures](repeating: empty, count: texts.count)
        features.withUnsafeMutableBufferPointer { featureBuffer in
            matrix.withUnsafeMutableBufferPointer { vectorBuffer in
                let out = SendableBuffer(featureBuffer)
                let rowsOut = SendableBuffer(vectorBuffer)
                let done = AtomicCounter()
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    var scratch = Analyzer.Scratch()
                    var i = worker
                    while i < texts.count {
                        let row = UnsafeMutableBufferPointer(rebasing: rowsOut.buffer[(i * d)..<((i + 1) * d)])
                        out.buffer[i] = self.encodePassage(texts[i][...], into: row, collectDistinct: collectDistinct,
                                                               scratch: &scratch)
                        if let progress {
                            let n = done.increment()
                            if n % 256 == 0 || n == texts.count { progress(n, texts.count) }
                        }
                        i += workers
                    }
                }
            }
        }
        return features
    }
}
