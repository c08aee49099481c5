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

    func fingerprint(files: [(url: URL, relative: String)], model: EmbeddingModel) -> String {
        var parts = ["model=\(model.identifier):\(model.fingerprint)"]
        for (url, rel) in files {
            let attrs = try? FileManager.default.attributesOfItem(atPath: url.path)
            let size = (attrs?[.size] as? NSNumber)?.intValue ?? -1
            let mtime = (attrs?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            parts.append("\(rel)|\(size)|\(mtime)")
        }
        return parts.joined(separator: "\n")
    }

    func index(quiet: Bool, forceRebuild: Bool = false, output: URL? = nil) throws -> SiftIndex {
        var loader = CorpusLoader()
        loader.onWarning = { warn($0.description) }
        let (files, _) = try loader.articleFiles(in: corpus)
        let model = EmbeddingModel.default
        let print = fingerprint(files: files, model: model)
        let target = output ?? cacheURL
        if !forceRebuild, let cached = try? SiftIndex.open(target), cached.corpusFingerprint == print {
            return cached
        }
        if !quiet { progressLine("Indexing \(files.count) articles in \(corpus.path) …") }
        let start = Date()
        let loaded = try loader.load(folder: corpus)
        var index = try SiftIndex(model: model, documents: loaded.documents)
        index.corpusFingerprint = print
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try index.write(to: target)
        } catch {
            if output != nil { throw error }
            warn("could not cache the index at \(target.path): \(error); continuing without a cache")
        }
        if !quiet {
            progressLine(String(format: "Indexed %d articles, %d passages in %.2f s → %@", index.documents.count, index.passageCount,
                                Date().timeIntervalSince(start), target.path))
        }
        return index
    }
}
