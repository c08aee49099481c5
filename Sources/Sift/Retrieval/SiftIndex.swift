import Dispatch
import Foundation

/// A searchable index of a corpus: its documents and passages, one dense vector per
/// passage in one flat matrix, and the corpus statistics, all built with one
/// ``EmbeddingModel``.
///
/// Search is two-stage: the flat matrix (BLAS) selects the model's `candidates` best
/// passages by dense cosine, then each candidate is re-scored exactly from its text
/// (`Rescorer`) and the best `k` are returned.
///
/// A value type: copies are snapshots. Documents can be added, replaced and removed;
/// removed passages become tombstones (passage ids never shift) until ``compacted()``.
/// Because passage vectors depend only on their own text and the statistics are updated
/// exactly, any sequence of updates searches exactly like a fresh build of the final corpus.
public struct SiftIndex: Sendable {
    struct Row: Sendable, Hashable {
        var document: Int32
        var ordinal: Int32
        var start: Int
        var end: Int
        var profile: PassageProfile
    }

    /// The model every vector and score of the index comes from.
    public let model: EmbeddingModel
    let embedder: Embedder
    private(set) var documentList: [Document] = []
    private(set) var documentLive: [Bool] = []
    private(set) var documentSlot: [String: Int] = [:]
    /// Passage ids of each document: always consecutive (a document's passages are added
    /// together; replacing it tombstones them all and appends new ones).
    private(set) var documentRows: [Range<Int>] = []
    private(set) var rows = RowStore()
    private(set) var texts = TextStore()
    /// Each passage's distinct features and their counts (the forward index re-scoring reads).
    private(set) var features = FeatureStore()
    /// Inverted lists of `features`, built on demand; replaced by an empty one on every change.
    private(set) var postingsCache = PostingsCache()
    private(set) var matrix: FlatIndex
    /// Passage count, average length and document frequencies, updated exactly on every
    /// change (so an updated index equals a fresh build of the same documents).
    public private(set) var statistics: CorpusStatistics
    /// Live documents per language (`Document/language`): whether a query needs translating.
    private(set) var languageDocuments: [String: Int] = [:]
    /// The term pairs each document writes ("知识蒸馏（Knowledge Distillation）"), by slot,
    /// which translation tries before the lexicon.
    private(set) var terms = TermTable()
    /// Free-form description of what was indexed (used by caches to detect changes).
    public var corpusFingerprint: String = ""

    /// An empty index.
    public init(model: EmbeddingModel = .default) throws(SiftError) {
        self.model = model
        embedder = try Embedder(model: model)
        matrix = FlatIndex(dimension: model.dimension, precision: model.matrixPrecision)
        statistics = CorpusStatistics(buckets: model.dfBuckets)
    }

    /// An index of `documents`, embedded on up to `threads` threads (0 = all cores).
    public init(model: EmbeddingModel = .default, documents: [ChunkedDocument], threads: Int = 0,
                progress: (@Sendable (Int, Int) -> Void)? = nil) throws(SiftError) {
        try self.init(model: model)
        add(contentsOf: documents, threads: threads, progress: progress)
    }

    init(model: EmbeddingModel, documents: [Document], documentLive: [Bool], rows: RowStore, documentRows: [Range<Int>],
         texts: TextStore, features: FeatureStore, matrix: FlatIndex, statistics: CorpusStatistics,
         corpusFingerprint: String, terms: TermTable? = nil) throws(SiftError) {
        self.model = model
        embedder = try Embedder(model: model)
        documentList = documents
        self.documentLive = documentLive
        self.rows = rows
        self.texts = texts
        self.features = features
        self.matrix = matrix
        self.statistics = statistics
        self.corpusFingerprint = corpusFingerprint
        self.documentRows = documentRows
        for (i, doc) in documents.enumerated() where documentLive[i] {
            documentSlot[doc.id] = i
            languageDocuments[doc.language, default: 0] += 1
        }
        if let terms {
            self.terms = terms
        } else {
            // A file written before term pairs were stored: found again in the stored texts.
            for slot in documents.indices {
                self.terms.appendDocument(documentLive[slot]
                    ? SiftIndex.termPairs(title: documents[slot].title, passages: documentRows[slot].map { texts[$0] }) : [])
            }
        }
    }

    /// The term pairs of a document's title and passages (repeats included; the table keeps each once).
    static func termPairs(title: String, passages: [String]) -> [TermPair] {
        ([title] + passages).flatMap(TermPairMiner.pairs(in:))
    }

    // MARK: - Contents

    /// The live documents, in the order they were added.
    public var documents: [Document] { zip(documentList, documentLive).compactMap { $1 ? $0 : nil } }
    /// The document with `id`, if it is in the index.
    public func document(id: String) -> Document? { documentSlot[id].map { documentList[$0] } }
    /// Number of live passages.
    public var passageCount: Int { matrix.liveCount }
    /// Number of passage ids in use, tombstones included.
    public var passageIDCount: Int { rows.count }
    /// Number of removed passages still occupying ids.
    public var tombstoneCount: Int { rows.count - matrix.liveCount }
    /// The flat matrix of dense passage vectors.
    @_spi(Benchmarks)
    public var flatIndex: FlatIndex { matrix }

    /// The passage with id `id` (nil for unknown or removed ids).
    public func passage(id: Int) -> Passage? {
        guard matrix.isLive(id) else { return nil }
        let row = rows[id]
        return Passage(documentID: documentList[Int(row.document)].id, ordinal: Int(row.ordinal), text: texts[id],
                       start: row.start, end: row.end)
    }

    /// The live passages of a document, in order.
    public func passages(ofDocument id: String) -> [Passage] {
        guard let slot = documentSlot[id] else { return [] }
        return documentRows[slot].compactMap { passage(id: $0) }
    }

    // MARK: - Updates

    /// Adds documents (replacing any with the same id), embedding on `threads` threads.
    ///
    /// Passages are embedded in blocks of about 16 MiB of vectors that go straight into the
    /// matrix, so adding a million passages needs no more transient memory than adding a few
    /// thousand.
    public mutating func add(contentsOf documents: [ChunkedDocument], threads: Int = 0,
                             progress: (@Sendable (Int, Int) -> Void)? = nil) {
        guard !documents.isEmpty else { return }
        postingsCache = PostingsCache()
        let total = documents.reduce(0) { $0 + $1.passages.count }
        if total > 0 { matrix.makeRoom(forAdding: total) }  // room for all the new rows at once
        let d = embedder.dimension
        let blockPassages = max(1, (16 << 20) / (d * MemoryLayout<Float>.size))
        var vectors: [Float] = []
        var start = 0, doneBefore = 0
        while start < documents.count {
            var end = start + 1, n = documents[start].passages.count
            while end < documents.count && n + documents[end].passages.count <= blockPassages {
                n += documents[end].passages.count
                end += 1
            }
            let block = documents[start..<end]
            let offset = doneBefore
            var blockProgress: (@Sendable (Int, Int) -> Void)? = nil
            if let progress {
                blockProgress = { done, _ in progress(offset + done, total) }
            }
            let features = embedder.encode(block.flatMap { $0.passages.map(\.text) }, into: &vectors,
                                            collectDistinct: true, threads: threads, progress: blockProgress)
            var next = 0
            vectors.withUnsafeBufferPointer { all in
                for doc in block {
                    let k = doc.passages.count
                    insert(doc, vectors: UnsafeBufferPointer(rebasing: all[(next * d)..<((next + k) * d)]),
                           features: features[next..<(next + k)])
                    next += k
                }
            }
            doneBefore += n
            start = end
        }
    }

    /// Adds a document, replacing any document with the same id.
    public mutating func add(_ document: ChunkedDocument) {
        add(contentsOf: [document], threads: 1)
    }

    /// Removes the document with `id`; returns whether it was present.
    @discardableResult
    public mutating func remove(documentID id: String) -> Bool {
        guard let slot = documentSlot[id] else { return false }
        postingsCache = PostingsCache()
        var scratch = Analyzer.Scratch()
        for row in documentRows[slot] {
            let length = Int(rows[row].profile.lexicalLength)
            // The forward index has the passage's distinct features; without one, analyse the text again.
            let stored: Void? = features.features(of: row) { hashes, _ in statistics.remove(distinct: hashes, lexicalLength: length) }
            if stored == nil {
                let encoded = embedder.encodePassage(texts[row][...], into: nil, collectDistinct: true, scratch: &scratch)
                statistics.remove(distinct: encoded.distinct, lexicalLength: length)
            }
            matrix.remove(row: row)
        }
        documentRows[slot] = documentRows[slot].lowerBound..<documentRows[slot].lowerBound
        documentLive[slot] = false
        documentSlot[id] = nil
        languageDocuments[documentList[slot].language, default: 1] -= 1
        terms.removeDocument(slot: slot)
        return true
    }

    /// Appends `doc` (replacing any document with its id) with its passages' `vectors`
    /// (row-major, one row per passage) and features.
    private mutating func insert(_ doc: ChunkedDocument, vectors: UnsafeBufferPointer<Float>,
                                 features: ArraySlice<Embedder.PassageFeatures>) {
        precondition(vectors.count == doc.passages.count * matrix.dimension && features.count == doc.passages.count)
        remove(documentID: doc.document.id)
        let slot = documentList.count
        documentList.append(doc.document)
        documentLive.append(true)
        documentSlot[doc.document.id] = slot
        languageDocuments[doc.document.language, default: 0] += 1
        terms.appendDocument(SiftIndex.termPairs(title: doc.document.title, passages: doc.passages.map(\.text)))
        let first = rows.count
        precondition(matrix.count == first)
        matrix.add(rows: doc.passages.count, contentsOf: vectors)
        for (passage, f) in zip(doc.passages, features) {
            rows.append(Row(document: Int32(slot), ordinal: Int32(passage.ordinal), start: passage.start, end: passage.end,
                            profile: f.profile))
            texts.append(passage.text)
            self.features.append(hashes: f.tfs == nil ? nil : f.distinct, tfs: f.tfs ?? [])
            statistics.add(distinct: f.distinct, lexicalLength: Int(f.profile.lexicalLength))
        }
        documentRows.append(first..<rows.count)
    }

    /// The first stages this index can search with (``FirstStage/exact`` always).
    public var availableFirstStages: Set<FirstStage> { matrix.availableFirstStages }

    /// Builds the first-stage codes of `kind` for every passage; passages added later get
    /// theirs as they are added, and the codes are saved with the index.
    /// - Complexity: O(passages · dimension).
    public mutating func buildCodes(_ kind: FirstStage) {
        matrix.buildCodes(kind)
    }

    /// Drops the first-stage codes of `kind` (an exact first stage remains).
    public mutating func removeCodes(_ kind: FirstStage) {
        matrix.removeCodes(kind)
    }

    /// A copy without tombstones (passage ids are renumbered densely).
    public func compacted() -> SiftIndex {
        var result = try! SiftIndex(model: model)
        result.corpusFingerprint = corpusFingerprint
        for kind in matrix.availableFirstStages { result.matrix.buildCodes(kind) }
        result.matrix.reserveCapacity(matrix.liveCount)
        for (slot, doc) in documentList.enumerated() where documentLive[slot] {
            let docRows = documentRows[slot]
            let passages = docRows.map { id in
                Passage(documentID: doc.id, ordinal: Int(rows[id].ordinal), text: texts[id], start: rows[id].start, end: rows[id].end)
            }
            let vectors = docRows.flatMap { matrix.vector(at: $0) }
            // The forward entries are copied; the statistics are copied whole below.
            let carried = docRows.map { row in
                features.features(of: row) { h, t in
                    Embedder.PassageFeatures(profile: rows[row].profile, distinct: Array(h), tfs: Array(t))
                } ?? Embedder.PassageFeatures(profile: rows[row].profile)
            }
            vectors.withUnsafeBufferPointer {
                result.insert(ChunkedDocument(document: doc, passages: passages), vectors: $0, features: carried[...])
            }
        }
        result.statistics = statistics
        return result
    }
}

extension SiftIndex {
    /// A copy whose passages have no forward-index entries, so that every candidate is
    /// re-scored from its text (the path of format-1 files): for tests that compare the two.
    @_spi(Internals)
    public func withoutForwardIndex() -> SiftIndex {
        var copy = self
        copy.features = FeatureStore(absentFor: rows.count)
        copy.postingsCache = PostingsCache()
        return copy
    }

    /// A copy whose postings are built now (searches then use them whenever they read fewer
    /// entries than the forward index), for tests that compare the two.
    @_spi(Internals)
    public func withPostings() -> SiftIndex {
        var copy = self
        copy.postingsCache = PostingsCache()
        copy.postingsCache.finish(Postings(features: features, live: { matrix.isLive($0) }, count: rows.count))
        return copy
    }

    /// Whether a search for `query` would re-score its candidates from postings (built ones).
    @_spi(Internals)
    public func rescoresFromPostings(_ query: String, settings: SearchSettings = SearchSettings()) -> Bool {
        guard postingsCache.postings != nil else { return false }
        let prepared = prepare(query)
        let (candidates, _) = stage1(prepared, k: 10, filter: SearchFilter(), settings: settings)
        return postingsFor(candidates, query: prepared) != nil
    }

    /// How many passage ids have a forward-index entry.
    @_spi(Internals)
    public var forwardIndexEntries: Int {
        (0..<rows.count).reduce(0) { $0 + (features.features(of: $1) { _, _ in 1 } ?? 0) }
    }
}
