import Foundation

/// Where an ``AnswerEngine`` keeps the index of its corpus folder between runs.
public enum IndexCache: Sendable, Hashable {
    /// `.sift-cache/FOLDER.siftindex` beside the corpus folder (what the `sift` CLI uses).
    case automatic
    /// The index file at this URL.
    case file(URL)
    /// No cache: the corpus is indexed in memory on every start.
    case none
}

/// What opening or refreshing an engine's index did.
public struct IndexUpdate: Sendable, Hashable {
    /// Articles new since the cached index.
    public var added = 0
    /// Articles whose content changed (re-chunked and re-embedded).
    public var changed = 0
    /// Articles deleted from the folder (their passages became tombstones).
    public var removed = 0
    /// Articles found unchanged (by content hash).
    public var unchanged = 0
    /// Whether the index was built from scratch (no usable cache, or a rebuild was asked for).
    public var rebuilt = false
    /// Whether the cached index was used as it was, with no change at all.
    public var cacheHit = false
    /// Seconds spent loading, updating and saving.
    public var seconds: Double = 0
    /// The index file read or written, if any.
    public var cacheFile: URL?

    /// Nothing done yet.
    public init() {}
}

/// Progress of indexing a corpus, reported to ``AnswerEngine/Options/progress``.
public enum IndexingEvent: Sendable, Hashable {
    /// Work on `articles` article files begins: a full build, or an update of the cached index.
    case started(articles: Int, updating: Bool)
    /// `done` of `total` passages are embedded.
    case embedded(done: Int, total: Int)
    /// Indexing is complete (not sent on a cache hit).
    case finished(IndexUpdate)
}

/// Opens, updates and saves the cached index of a corpus folder. The cache is rebuilt when
/// the model, the chunker or the format changes; otherwise new, changed (by content hash)
/// and deleted articles are applied to it incrementally.
struct CorpusIndexer {
    let corpus: URL
    let options: AnswerEngine.Options

    var cacheURL: URL? {
        switch options.cache {
        case .none: return nil
        case .file(let url): return url
        case .automatic:
            let folder = corpus.standardizedFileURL
            return folder.deletingLastPathComponent().appendingPathComponent(".sift-cache")
                .appendingPathComponent("\(folder.lastPathComponent).siftindex")
        }
    }

    /// Where the question bank's index is cached (beside the corpus index).
    var bankCacheURL: URL? {
        cacheURL.map { $0.deletingPathExtension().appendingPathExtension("questions.siftindex") }
    }

    var loader: CorpusLoader {
        var loader = CorpusLoader(chunker: options.chunker, maxFileBytes: options.maxFileBytes)
        loader.onWarning = options.onWarning
        return loader
    }

    /// Changes to the model, the chunker or the file format force a full rebuild.
    var pipeline: String {
        let model = options.model, chunker = options.chunker
        return "model=\(model.identifier):\(model.fingerprint);chunker=\(chunker.maxCharacters)/\(chunker.overlapCharacters);format=\(IndexFileFormat.version)"
    }

    /// The pipeline plus every article's path, size and modification time.
    static func fingerprint(files: [(url: URL, relative: String)], pipeline: String) -> String {
        var parts = [pipeline]
        for (url, rel) in files {
            let attrs = try? FileManager.default.attributesOfItem(atPath: url.path)
            let size = (attrs?[.size] as? NSNumber)?.intValue ?? -1
            let mtime = (attrs?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            parts.append("\(rel)|\(size)|\(mtime)")
        }
        return parts.joined(separator: "\n")
    }

    func warn(_ path: String, _ reason: String, _ kind: CorpusWarning.Kind = .skippedArticle) {
        options.onWarning?(CorpusWarning(path: path, reason: reason, kind: kind))
    }

    /// The index of the corpus: the cached one when nothing changed; otherwise the cached
    /// one updated in place, or a full build; saved atomically to the cache.
    func load(rebuild: Bool) throws(SiftError) -> (SiftIndex, IndexUpdate) {
        let start = Date()
        var existing: SiftIndex? = nil
        if !rebuild, let target = cacheURL, FileManager.default.fileExists(atPath: target.path) {
            do {
                existing = try SiftIndex.open(target, expectedModel: options.model, verification: options.verification)
            } catch {
                warn(target.path, "\(error)", .cacheRebuilt)
            }
        }
        return try apply(to: existing, since: start)
    }

    /// `existing` (a cached or the running index) brought up to date with the folder, and
    /// saved to the cache when anything changed; a full build when `existing` is nil or was
    /// built by another pipeline.
    func apply(to existingIndex: SiftIndex?, since start: Date = Date()) throws(SiftError) -> (SiftIndex, IndexUpdate) {
        let loader = self.loader
        let (files, listWarnings) = try loader.articleFiles(in: corpus)
        for w in listWarnings { options.onWarning?(w) }
        let pipeline = self.pipeline
        let print = CorpusIndexer.fingerprint(files: files, pipeline: pipeline)
        var update = IndexUpdate()
        update.cacheFile = cacheURL
        var existing = existingIndex
        if let e = existing, e.corpusFingerprint.split(separator: "\n").first.map(String.init) != pipeline { existing = nil }
        if var index = existing, index.corpusFingerprint == print {
            if options.compact && index.tombstoneCount > 0 {
                index = index.compacted()
                if let target = cacheURL { save(index, to: target) }
                update.unchanged = index.documents.count
                update.seconds = Date().timeIntervalSince(start)
                return (index, update)
            }
            update.cacheHit = true
            update.unchanged = index.documents.count
            update.seconds = Date().timeIntervalSince(start)
            return (index, update)
        }
        let progress = options.progress
        var embedded: (@Sendable (Int, Int) -> Void)? = nil
        if let progress {
            embedded = { @Sendable done, total in progress(.embedded(done: done, total: total)) }
        }
        var index: SiftIndex
        if var current = existing {
            progress?(.started(articles: files.count, updating: true))
            var seen = Set<String>()
            var changed: [ChunkedDocument] = []
            for (url, rel) in files {
                seen.insert(rel)
                let doc: ChunkedDocument
                do { doc = try loader.loadArticle(url: url, relativePath: rel) } catch {
                    warn(rel, CorpusLoader.reason(error))
                    if current.remove(documentID: rel) { update.removed += 1 }
                    continue
                }
                if let old = current.document(id: rel) {
                    if old.contentHash == doc.document.contentHash { update.unchanged += 1; continue }
                    update.changed += 1
                } else {
                    update.added += 1
                }
                if doc.passages.isEmpty {
                    warn(rel, "no text")
                    current.remove(documentID: rel)
                } else {
                    changed.append(doc)
                }
            }
            for doc in current.documents where !seen.contains(doc.id) {
                current.remove(documentID: doc.id)
                update.removed += 1
            }
            current.add(contentsOf: changed, threads: options.threads, progress: embedded)
            if current.documents.isEmpty { throw .emptyCorpus(path: corpus.path, skipped: files.count) }
            index = current
        } else {
            progress?(.started(articles: files.count, updating: false))
            var documents: [ChunkedDocument] = []
            var skipped = listWarnings.count
            for (url, rel) in files {
                do {
                    let doc = try loader.loadArticle(url: url, relativePath: rel)
                    if doc.passages.isEmpty { warn(rel, "no text"); skipped += 1 } else { documents.append(doc) }
                } catch {
                    warn(rel, CorpusLoader.reason(error))
                    skipped += 1
                }
            }
            guard !documents.isEmpty else { throw .emptyCorpus(path: corpus.path, skipped: skipped) }
            index = try SiftIndex(model: options.model, documents: documents, threads: options.threads, progress: embedded)
            update.rebuilt = true
            update.added = documents.count
        }
        if options.compact && index.tombstoneCount > 0 { index = index.compacted() }
        index.corpusFingerprint = print
        if let target = cacheURL { save(index, to: target) }
        update.seconds = Date().timeIntervalSince(start)
        progress?(.finished(update))
        return (index, update)
    }

    /// Saves `index` to the cache; a failure is a warning (the engine works without a cache).
    func save(_ index: SiftIndex, to target: URL) {
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            warn(target.path, "could not create the cache folder (\(error.localizedDescription))", .cacheNotSaved)
            return
        }
        do { try index.write(to: target) } catch {
            if case .writeFailed(_, let reason) = error { warn(target.path, reason, .cacheNotSaved) } else {
                warn(target.path, error.description, .cacheNotSaved)
            }
        }
    }

    /// The question bank of the corpus (`questions.jsonl` in the folder), its index cached
    /// beside the corpus index.
    func loadBank(at url: URL) throws(SiftError) -> QuestionBank {
        let attrs = try? FileManager.default.attributesOfItem(atPath: url.path)
        let size = (attrs?[.size] as? NSNumber)?.intValue ?? -1
        let mtime = (attrs?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let print = "bank;model=\(options.model.identifier):\(options.model.fingerprint);format=\(IndexFileFormat.version);\(size)|\(mtime)"
        if let cached = bankCacheURL, FileManager.default.fileExists(atPath: cached.path),
           let index = try? SiftIndex.open(cached, expectedModel: options.model, verification: .full),
           index.corpusFingerprint == print {
            return QuestionBank(index: index)
        }
        let bank = try QuestionBank(contentsOf: url, model: options.model)
        if let cached = bankCacheURL {
            var index = bank.index
            index.corpusFingerprint = print
            save(index, to: cached)
        }
        return bank
    }
}
