import Foundation
import Yams

/// A problem that was worked around: an article the loader skipped, or an index cache
/// that was damaged (and rebuilt) or could not be written (the engine runs without it).
public struct CorpusWarning: Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it was.
    public enum Kind: Sendable, Hashable {
        /// An article file was skipped (not text, too large, unreadable, empty, …).
        case skippedArticle
        /// A cached index was damaged or unusable and is rebuilt.
        case cacheRebuilt
        /// The index could not be saved to the cache.
        case cacheNotSaved
    }

    /// The file (relative to the corpus folder for articles; absolute for caches).
    public var path: String
    /// Why, in a few words.
    public var reason: String
    /// What kind of problem it was.
    public var kind: Kind

    init(path: String, reason: String, kind: Kind = .skippedArticle) {
        self.path = path
        self.reason = reason
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .skippedArticle: "skipped '\(path)': \(reason)"
        case .cacheRebuilt: "index cache '\(path)': \(reason); rebuilding it"
        case .cacheNotSaved: "index cache '\(path)': \(reason); continuing without a cache"
        }
    }
}

/// Reads a corpus: a folder of Markdown / plain-text articles with optional YAML front
/// matter, or a JSONL file of `{"id","title","text"}` records.
public struct CorpusLoader: Sendable {
    /// Files larger than this are skipped with a warning.
    public var maxFileBytes: Int
    /// How articles are split into passages.
    public var chunker: Chunker
    /// Called for every skipped file as it is found (the same warnings end up in
    /// ``Result/warnings``; this also reports them when loading fails as a whole).
    public var onWarning: (@Sendable (CorpusWarning) -> Void)?

    static let articleExtensions: Set<String> = ["md", "markdown", "txt", "text"]

    /// A loader that chunks with `chunker` (default ``Chunker/standard``) and skips files
    /// over `maxFileBytes` (default 8 MiB).
    public init(chunker: Chunker? = nil, maxFileBytes: Int = 8 << 20) {
        self.chunker = chunker ?? .standard
        self.maxFileBytes = maxFileBytes
    }

    /// The result of loading: chunked documents, plus the files that were skipped.
    public struct Result: Sendable {
        /// The articles that were loaded, in path order.
        public var documents: [ChunkedDocument]
        /// The files that were skipped, and why.
        public var warnings: [CorpusWarning]
    }

    /// Article files under `folder`, recursively, sorted by relative path. Hidden files and
    /// folders are ignored; symbolic links are followed once (loops are detected).
    func articleFiles(in folder: URL) throws(SiftError) -> (files: [(url: URL, relative: String)], warnings: [CorpusWarning]) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else {
            throw .corpusNotFound(path: folder.path)
        }
        var files: [(URL, String)] = []
        var warnings: [CorpusWarning] = []
        var visited = Set<String>()
        func walk(_ dir: URL, _ prefix: String) {
            let real = dir.resolvingSymlinksInPath().path
            guard visited.insert(real).inserted else {
                warnings.append(CorpusWarning(path: prefix.isEmpty ? dir.path : prefix, reason: "symbolic link loop"))
                return
            }
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: dir.path) } catch {
                warnings.append(CorpusWarning(path: prefix.isEmpty ? dir.path : prefix, reason: "folder is not readable"))
                return
            }
            for name in names.sorted() where !name.hasPrefix(".") {
                let url = dir.appendingPathComponent(name)
                let rel = prefix.isEmpty ? name : prefix + "/" + name
                var sub: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &sub) else {
                    warnings.append(CorpusWarning(path: rel, reason: "broken symbolic link"))
                    continue
                }
                if sub.boolValue {
                    walk(url, rel)
                } else if CorpusLoader.articleExtensions.contains(url.pathExtension.lowercased()) {
                    files.append((url, rel))
                }
            }
        }
        walk(folder, "")
        return (files.sorted { $0.1 < $1.1 }, warnings)
    }

    /// Loads and chunks every article under `folder`.
    /// - Throws: ``SiftError/corpusNotFound(path:)`` when `folder` is not a folder,
    ///   ``SiftError/emptyCorpus(path:skipped:)`` when no article is usable.
    public func load(folder: URL) throws(SiftError) -> Result {
        let (files, listWarnings) = try articleFiles(in: folder)
        var warnings: [CorpusWarning] = []
        for w in listWarnings { onWarning?(w); warnings.append(w) }
        var documents: [ChunkedDocument] = []
        for (url, relative) in files {
            do {
                let doc = try loadArticle(url: url, relativePath: relative)
                if doc.passages.isEmpty {
                    let w = CorpusWarning(path: relative, reason: "no text")
                    onWarning?(w); warnings.append(w)
                } else {
                    documents.append(doc)
                }
            } catch {
                let w = CorpusWarning(path: relative, reason: CorpusLoader.reason(error))
                onWarning?(w); warnings.append(w)
            }
        }
        guard !documents.isEmpty else { throw .emptyCorpus(path: folder.path, skipped: warnings.count) }
        return Result(documents: documents, warnings: warnings)
    }

    static func reason(_ error: SiftError) -> String {
        switch error {
        case .invalidText(_, let r), .fileUnreadable(_, let r): r
        default: error.description
        }
    }

    /// Reads a file as UTF-8 text, rejecting what is not text.
    public func readText(url: URL, displayPath: String) throws(SiftError) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        if let size = (attributes?[.size] as? NSNumber)?.intValue, size > maxFileBytes {
            throw .invalidText(path: displayPath, reason: "file is \(size) bytes, over the \(maxFileBytes)-byte limit")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .fileUnreadable(path: displayPath, reason: "not readable (\((error as NSError).localizedDescription))")
        }
        if data.count > maxFileBytes {
            throw .invalidText(path: displayPath, reason: "file is \(data.count) bytes, over the \(maxFileBytes)-byte limit")
        }
        return try CorpusLoader.decodeText(data, path: displayPath)
    }

    /// Decodes UTF-8 (a UTF-8 BOM is dropped); rejects UTF-16/32, binary data and invalid UTF-8.
    static func decodeText(_ data: Data, path: String) throws(SiftError) -> String {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            throw .invalidText(path: path, reason: "UTF-16 text (byte-order mark); convert it to UTF-8")
        }
        if bytes.prefix(8192).contains(0) {
            throw .invalidText(path: path, reason: "binary data (NUL bytes)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalidText(path: path, reason: "invalid UTF-8")
        }
        return text
    }

    /// Loads one article.
    public func loadArticle(url: URL, relativePath: String) throws(SiftError) -> ChunkedDocument {
        let text = try readText(url: url, displayPath: relativePath)
        let markdown = !["txt", "text"].contains(url.pathExtension.lowercased())
        return try article(text: text, id: relativePath, markdown: markdown)
    }

    /// Parses and chunks an article from its text.
    public func article(text: String, id: String, markdown: Bool = true) throws(SiftError) -> ChunkedDocument {
        let front = try FrontMatter.parse(text, path: id)
        let passages = chunker.passages(documentID: id, source: text, bodyStart: front.bodyStart, markdown: markdown)
        let body = passages.map(\.text).joined(separator: "\n")
        var title = front.title
        if title == nil {
            let scalars = Array(text.unicodeScalars)
            let plain = MarkdownText(source: scalars, range: front.bodyStart..<scalars.count, markdown: markdown)
            if let heading = plain.blocks.first(where: { $0.kind == .heading }) { title = plain.text(heading.range) }
        }
        let fileName = (id as NSString).lastPathComponent
        let fallbackTitle = (fileName as NSString).deletingPathExtension
        var url: String? = nil, citation: String? = nil
        if let source = front.source {
            if source.hasPrefix("http://") || source.hasPrefix("https://") { url = source } else { citation = source }
        }
        var h = FeatureHash(seed: 0xD0C, namespace: 0)
        for b in text.utf8 { h.combine(UInt32(b)) }
        let document = Document(id: id, title: title ?? fallbackTitle, source: id, url: url, citation: citation,
                                date: front.date, language: front.language ?? LanguageDetector.detect(body),
                                tags: front.tags, contentHash: h.value)
        return ChunkedDocument(document: document, passages: passages)
    }

    /// Loads a JSONL file of `{"id", "title", "text"}` records; each record is one passage
    /// (it is not chunked). Records with empty text are skipped with a warning.
    public func loadJSONL(url: URL) throws(SiftError) -> Result {
        let text = try CorpusLoader(chunker: chunker, maxFileBytes: Int.max).readText(url: url, displayPath: url.path)
        let name = url.lastPathComponent
        var documents: [ChunkedDocument] = []
        var warnings: [CorpusWarning] = []
        var seen = Set<String>()
        var lineNumber = 0
        for line in TextLines.lines(text) {
            lineNumber += 1
            if line.allSatisfy(\.isWhitespace) { continue }
            guard let obj = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                throw .invalidJSONL(path: url.path, line: lineNumber, reason: "not a JSON object")
            }
            guard let id = (obj["id"] as? String) ?? (obj["id"] as? NSNumber)?.stringValue else {
                throw .invalidJSONL(path: url.path, line: lineNumber, reason: "missing string \"id\"")
            }
            guard let body = obj["text"] as? String else {
                throw .invalidJSONL(path: url.path, line: lineNumber, reason: "missing string \"text\"")
            }
            guard seen.insert(id).inserted else {
                throw .invalidJSONL(path: url.path, line: lineNumber, reason: "duplicate id \"\(id)\"")
            }
            let title = obj["title"] as? String ?? ""
            if body.allSatisfy(\.isWhitespace) && title.allSatisfy(\.isWhitespace) {
                warnings.append(CorpusWarning(path: "\(name)#\(id)", reason: "no text"))
                continue
            }
            var h = FeatureHash(seed: 0xD0C, namespace: 0)
            for b in line.utf8 { h.combine(UInt32(b)) }
            let document = Document(id: id, title: title, source: "\(name)#\(id)", language: LanguageDetector.detect(body),
                                    contentHash: h.value)
            let passageText = title.isEmpty ? body : title + "\n" + body
            let passage = Passage(documentID: id, ordinal: 0, text: passageText, start: 0, end: passageText.unicodeScalars.count)
            documents.append(ChunkedDocument(document: document, passages: [passage]))
        }
        return Result(documents: documents, warnings: warnings)
    }
}

/// Splits text into lines on "\n", "\r\n" or "\r" (empty lines kept, so that line numbers
/// are right).
enum TextLines {
    static func lines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
    }
}

/// YAML front matter between a first line `---` and the next `---` (or `...`) line.
struct FrontMatter {
    var title: String?
    var source: String?
    var date: String?
    var language: String?
    var tags: [String] = []
    /// Where the body starts, in Unicode scalars.
    var bodyStart = 0

    static func parse(_ text: String, path: String) throws(SiftError) -> FrontMatter {
        var result = FrontMatter()
        let scalars = Array(text.unicodeScalars.prefix(200_000))
        var i = 0
        if scalars.first == "\u{FEFF}" { i = 1 }
        func line(at start: Int) -> (String, Int) {
            var j = start
            while j < scalars.count && scalars[j] != "\n" { j += 1 }
            let s = String(String.UnicodeScalarView(scalars[start..<j])).trimmingCharacters(in: .whitespaces.union(.init(charactersIn: "\r")))
            return (s, min(j + 1, scalars.count))
        }
        let (first, afterFirst) = line(at: i)
        guard first == "---" else { return result }
        var j = afterFirst
        var yamlEnd: Int? = nil
        while j < scalars.count {
            let (l, next) = line(at: j)
            if l == "---" || l == "..." { yamlEnd = j; result.bodyStart = next; break }
            j = next
        }
        guard let end = yamlEnd else {
            throw .invalidText(path: path, reason: "front matter starts with '---' but has no closing '---' line")
        }
        let yaml = String(String.UnicodeScalarView(scalars[afterFirst..<end]))
        let node: Any?
        do { node = try Yams.load(yaml: yaml) } catch {
            throw .invalidText(path: path, reason: "front matter is not valid YAML (\(String(describing: error).split(separator: "\n").first ?? ""))")
        }
        guard let map = node as? [String: Any] else {
            if node == nil { return result }
            throw .invalidText(path: path, reason: "front matter is not a YAML mapping of keys to values")
        }
        func string(_ key: String) -> String? {
            guard let v = map[key] else { return nil }
            if let s = v as? String { return s.trimmingCharacters(in: .whitespacesAndNewlines) }
            if let d = v as? Date {
                let f = DateFormatter(); f.dateFormat = "yyyy-MM-dd"; f.timeZone = TimeZone(identifier: "UTC")
                return f.string(from: d)
            }
            return "\(v)"
        }
        result.title = string("title").flatMap { $0.isEmpty ? nil : $0 }
        result.source = string("source").flatMap { $0.isEmpty ? nil : $0 }
        result.date = string("date")
        result.language = string("language").map { $0.lowercased().hasPrefix("zh") ? "zh" : $0.lowercased() }
        if let tags = map["tags"] as? [Any] {
            result.tags = tags.map { "\($0)" }
        } else if let tag = map["tags"] as? String {
            result.tags = tag.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return result
    }
}
