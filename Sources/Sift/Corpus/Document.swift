/// One article of a corpus.
public struct Document: Sendable, Hashable, Codable, Identifiable {
    /// Stable id: the path relative to the corpus folder (`zh/rlhf.md`), or the `id` of a
    /// JSONL record.
    public var id: String
    /// Title from front matter, else the first heading, else the file name.
    public var title: String
    /// Where it came from: the path relative to the corpus folder, or `file.jsonl#id`.
    public var source: String
    /// A URL from the front matter's `source` key, when it is one.
    public var url: String?
    /// A citation from the front matter's `source` key, when it is not a URL.
    public var citation: String?
    /// `date` from front matter, as written.
    public var date: String?
    /// `language` from front matter (`zh`, `en`, …), else detected from the text.
    public var language: String
    /// `tags` from front matter.
    public var tags: [String]
    /// 64-bit digest of the file's bytes, to detect changed articles.
    public var contentHash: UInt64

    /// A document; see the properties for what each field holds.
    public init(id: String, title: String, source: String, url: String? = nil, citation: String? = nil,
                date: String? = nil, language: String, tags: [String] = [], contentHash: UInt64) {
        self.id = id
        self.title = title
        self.source = source
        self.url = url
        self.citation = citation
        self.date = date
        self.language = language
        self.tags = tags
        self.contentHash = contentHash
    }
}

/// A document together with its passages, ready to be indexed.
public struct ChunkedDocument: Sendable, Hashable {
    /// The document's metadata.
    public var document: Document
    /// Its passages, in order (their `documentID` is `document.id`).
    public var passages: [Passage]

    /// A document with its passages.
    public init(document: Document, passages: [Passage]) {
        self.document = document
        self.passages = passages
    }
}
