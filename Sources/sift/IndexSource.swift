import ArgumentParser
import Foundation
import Sift

/// Where `ask` and `search` get their index: a corpus folder (indexed and cached) or a
/// saved index file.
struct IndexSource: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Corpus folder of .md/.txt articles (default: ./Corpus).", valueName: "DIR"))
    var corpus: String?

    @Option(name: .long, help: ArgumentHelp("A saved index file (from 'sift index').", valueName: "FILE"))
    var index: String?

    func validate() throws {
        if corpus != nil && index != nil { throw ValidationError("give either --corpus or --index, not both") }
    }

    var corpusURL: URL { URL(fileURLWithPath: corpus ?? "Corpus") }

    /// The index, and the question bank that goes with it (if any).
    func load(quiet: Bool = false) throws -> (SiftIndex, QuestionBank?) {
        if let index {
            let url = URL(fileURLWithPath: index)
            let loaded = try SiftIndex.open(url)
            let bankURL = url.deletingLastPathComponent().appendingPathComponent("questions.jsonl")
            let bank = FileManager.default.fileExists(atPath: bankURL.path) ? try QuestionBank(contentsOf: bankURL) : nil
            return (loaded, bank)
        }
        let cache = CorpusCache(corpus: corpusURL)
        let index = try cache.index(quiet: quiet)
        let bankURL = corpusURL.appendingPathComponent("questions.jsonl")
        let bank = FileManager.default.fileExists(atPath: bankURL.path) ? try QuestionBank(contentsOf: bankURL) : nil
        return (index, bank)
    }
}

/// The cached index of a corpus folder, in `.sift-cache/` beside it. Rebuilt when an
/// article is added, removed or changed (size or modification time), or the model changes.
struct CorpusCache {
    let corpus: URL

    var cacheURL: URL {
        let parent = corpus.standardizedFileURL.deletingLastPathComponent()
        return parent.appendingPathComponent(".sift-cache").appendingPathComponent("\(corpus.standardizedFileURL.lastPathComponent).siftindex")
    }

    /// Changes to the model, the chunker or the file format force a full rebuild.
    static func pipeline(_ model: EmbeddingModel, _ chunker: Chunker) -> String {
        "model=\(model.identifier):\(model.fingerprint);chunker=\(chunker.maxCharacters)/\(chunker.overlapCharacters);format=1"
    }

    func fingerprint(files: [(url: URL, relative: String)], pipeline: String) -> String {
        var parts = [pipeline]
        for (url, rel) in files {
            let attrs = try? FileManager.default.attributesOfItem(atPath: url.path)
            let size = (attrs?[.size] as? NSNumber)?.intValue ?? -1
            let mtime = (attrs?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            parts.append("\(rel)|\(size)|\(mtime)")
        }
        return parts.joined(separator: "\n")
    }

    /// What `index` did.
    struct Update { var added = 0, changed = 0, removed = 0, unchanged = 0, rebuilt = false }

    /// The index of the corpus: the cached one when nothing changed; otherwise the cached
    /// one updated in place (new, changed and deleted articles, detected by content hash),
    /// or a full build when there is no usable cache or `rebuild` is set.
    func index(quiet: Bool, rebuild: Bool = false, compact: Bool = false, output: URL? = nil) throws -> SiftIndex {
        var loader = CorpusLoader()
        loader.onWarning = { warn($0.description) }
        let (files, _) = try loader.articleFiles(in: corpus)
        let model = EmbeddingModel.default
        let pipeline = CorpusCache.pipeline(model, loader.chunker)
        let print = fingerprint(files: files, pipeline: pipeline)
        let target = output ?? cacheURL
        var existing: SiftIndex? = nil
        if !rebuild, FileManager.default.fileExists(atPath: target.path) {
            do {
                let opened = try SiftIndex.open(target)
                if opened.corpusFingerprint.split(separator: "\n").first.map(String.init) == pipeline { existing = opened }
            } catch {
                warn("\(error); rebuilding it")
            }
        }
        if let index = existing, index.corpusFingerprint == print, !compact { return index }
        let start = Date()
        var update = Update()
        var index: SiftIndex
        if var current = existing {
            if !quiet { progressLine("Updating the index of \(corpus.path) …") }
            var seen = Set<String>()
            var changed: [ChunkedDocument] = []
            for (url, rel) in files {
                seen.insert(rel)
                let doc: ChunkedDocument
                do { doc = try loader.loadArticle(url: url, relativePath: rel) } catch {
                    warn("skipped '\(rel)': \(error)")
                    if current.remove(documentID: rel) { update.removed += 1 }
                    continue
                }
                if let old = current.document(id: rel) {
                    if old.contentHash == doc.document.contentHash { update.unchanged += 1; continue }
                    update.changed += 1
                } else {
                    update.added += 1
                }
                if doc.passages.isEmpty { current.remove(documentID: rel) } else { changed.append(doc) }
            }
            for doc in current.documents where !seen.contains(doc.id) {
                current.remove(documentID: doc.id)
                update.removed += 1
            }
            current.add(contentsOf: changed)
            if current.documents.isEmpty { throw SiftError.emptyCorpus(path: corpus.path, skipped: files.count) }
            index = current
        } else {
            if !quiet { progressLine("Indexing \(files.count) articles in \(corpus.path) …") }
            let loaded = try loader.load(folder: corpus)
            index = try SiftIndex(model: model, documents: loaded.documents)
            update.rebuilt = true
            update.added = loaded.documents.count
        }
        if compact { index = index.compacted() }
        index.corpusFingerprint = print
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try index.write(to: target)
        } catch {
            if output != nil { throw error }
            warn("could not cache the index at \(target.path): \(error); continuing without a cache")
        }
        if !quiet {
            let what = update.rebuilt ? "built" : "updated (\(update.added) added, \(update.changed) changed, \(update.removed) removed, \(update.unchanged) unchanged)"
            progressLine(String(format: "Index %@: %d articles, %d passages, %d tombstones, %.2f s → %@", what, index.documents.count,
                                index.passageCount, index.tombstoneCount, Date().timeIntervalSince(start), target.path))
        }
        return index
    }
}
