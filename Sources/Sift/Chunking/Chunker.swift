/// A passage: a bounded piece of one document, the unit that is embedded, searched and
/// cited.
public struct Passage: Sendable, Hashable, Codable {
    /// Id of the document it comes from.
    public var documentID: String
    /// Position among the document's passages (0-based).
    public var ordinal: Int
    /// The passage text, with Markdown markup removed.
    public var text: String
    /// Span in the source file, in Unicode scalars from the start of the file (front
    /// matter included): the markup-free form of `source[start..<end]` is ``text``.
    public var start: Int
    /// End of the span (exclusive).
    public var end: Int

    /// A passage of document `documentID`.
    public init(documentID: String, ordinal: Int, text: String, start: Int, end: Int) {
        self.documentID = documentID
        self.ordinal = ordinal
        self.text = text
        self.start = start
        self.end = end
    }
}

/// Splits articles into passages.
///
/// Paragraph first: whole blocks (paragraphs, list items, table rows, headings) are packed
/// into a passage while they fit in ``maxCharacters``; a heading starts a new passage; a
/// block that does not fit is split at sentence boundaries (Chinese and English
/// punctuation), and a sentence that alone is too long is cut at
/// the last space before the limit, never inside a grapheme cluster. With
/// ``overlapCharacters`` > 0, a passage that continues a split block repeats the previous
/// passage's last sentences up to that many characters.
///
/// Lengths count Unicode scalars (one per character for Chinese and Latin text).
public struct Chunker: Sendable, Hashable {
    /// Upper bound of a passage's length, in Unicode scalars.
    public var maxCharacters: Int
    /// Characters of context repeated across split points.
    public var overlapCharacters: Int

    /// The default chunker: passages of at most 600 characters, no overlap.
    public static let standard = try! Chunker()

    /// - Parameters:
    ///   - maxCharacters: upper bound of a passage's length (at least 16).
    ///   - overlapCharacters: characters of context repeated across split points (less
    ///     than half of `maxCharacters`).
    public init(maxCharacters: Int = 600, overlapCharacters: Int = 0) throws(SiftError) {
        guard maxCharacters >= 16 else { throw .invalidArgument(name: "maxCharacters", reason: "must be at least 16, got \(maxCharacters)") }
        guard overlapCharacters >= 0 && overlapCharacters * 2 < maxCharacters else {
            throw .invalidArgument(name: "overlapCharacters", reason: "must be in 0..<\(maxCharacters / 2), got \(overlapCharacters)")
        }
        self.maxCharacters = maxCharacters
        self.overlapCharacters = overlapCharacters
    }

    /// Passages of a Markdown (or, with `markdown: false`, plain-text) article.
    ///
    /// - Parameters:
    ///   - documentID: the id the passages carry (``Passage/documentID``).
    ///   - source: the whole file's text.
    ///   - bodyStart: where the body starts, in Unicode scalars (after any front matter).
    ///   - markdown: whether `source` is Markdown (markup is removed) or plain text.
    public func passages(documentID: String, source: String, bodyStart: Int = 0, markdown: Bool = true) -> [Passage] {
        let scalars = Array(source.unicodeScalars)
        let plain = MarkdownText(source: scalars, range: min(bodyStart, scalars.count)..<scalars.count, markdown: markdown)
        return passages(documentID: documentID, plain: plain, source: markdown ? scalars : nil, bodyStart: bodyStart)
    }

    struct Unit {
        var range: Range<Int>
        var blockStart: Bool
        var heading: Bool
    }

    func passages(documentID: String, plain: MarkdownText, source: [Unicode.Scalar]? = nil, bodyStart: Int = 0) -> [Passage] {
        let s = plain.scalars
        var result: [Passage] = []
        var current: [Unit] = []

        func length(_ units: [Unit]) -> Int {
            guard let first = units.first, let last = units.last else { return 0 }
            return last.range.upperBound - first.range.lowerBound
        }
        func emit() {
            guard let first = current.first, let last = current.last, current.contains(where: { !$0.heading }) else { return }
            var lower = first.range.lowerBound, upper = last.range.upperBound
            // Markup-only text (`** **`, a lone code fence marker) can leave bare spaces behind.
            while lower < upper && s[lower].properties.isWhitespace { lower += 1 }
            while upper > lower && s[upper - 1].properties.isWhitespace { upper -= 1 }
            guard lower < upper else { return }
            let range = lower..<upper
            var start = plain.offsets[range.lowerBound], end = plain.offsets[range.upperBound - 1] + 1
            if let source { (start, end) = Chunker.widen(start, end, in: source, bodyStart: bodyStart) }
            result.append(Passage(documentID: documentID, ordinal: result.count, text: plain.text(range), start: start, end: end))
        }
        /// Emits the current passage and keeps an overlap tail of it.
        func flush(keepOverlap: Bool) {
            emit()
            var tail: [Unit] = []
            if keepOverlap && overlapCharacters > 0 {
                var i = current.count - 1
                while i > 0 {
                    let candidate = Array(current[i...])
                    if length(candidate) > overlapCharacters || candidate.contains(where: \.heading) { break }
                    tail = candidate
                    i -= 1
                }
            }
            current = tail
        }
        func fits(_ unit: Unit) -> Bool {
            guard let first = current.first else { return unit.range.count <= maxCharacters }
            return unit.range.upperBound - first.range.lowerBound <= maxCharacters
        }
        var hasContent: Bool { current.contains { !$0.heading } }

        for block in plain.blocks {
            if block.kind == .heading {
                if hasContent { flush(keepOverlap: false) }
                for piece in hardSplit(s, block.range) { current.append(Unit(range: piece, blockStart: true, heading: true)) }
                continue
            }
            let blockUnit = Unit(range: block.range, blockStart: true, heading: false)
            if fits(blockUnit) { current.append(blockUnit); continue }
            if hasContent { flush(keepOverlap: false) }
            if fits(blockUnit) { current.append(blockUnit); continue }
            // The block alone does not fit: split it into sentences.
            var first = true
            for sentence in SentenceSplitter.sentences(in: s, range: block.range) {
                for piece in hardSplit(s, sentence) {
                    let unit = Unit(range: piece, blockStart: first, heading: false)
                    first = false
                    if !fits(unit) && hasContent { flush(keepOverlap: true) }
                    if !fits(unit) { current.removeAll() }  // the overlap (or a long heading) leaves no room
                    current.append(unit)
                }
            }
        }
        if !current.isEmpty { emit() }
        return result
    }

    /// Widens a span so that it does not start or end inside inline markup: leading
    /// emphasis, code and link openers are taken in, and so are trailing emphasis and code
    /// markers and a link's `](target)`. The markup-free form of the slice stays the same.
    static func widen(_ start: Int, _ end: Int, in s: [Unicode.Scalar], bodyStart: Int) -> (Int, Int) {
        var a = start, b = end
        let openers: Set<Unicode.Scalar> = ["*", "_", "~", "`", "[", "\\", "!", "<"]
        while a > bodyStart && openers.contains(s[a - 1]) && s[a - 1] != "\n" { a -= 1 }
        let closers: Set<Unicode.Scalar> = ["*", "_", "~", "`"]
        while b < s.count {
            if closers.contains(s[b]) { b += 1; continue }
            if s[b] == "]" && b + 1 < s.count && s[b + 1] == "(" {
                var k = b + 2, depth = 1
                while k < s.count && s[k] != "\n" {
                    if s[k] == "(" { depth += 1 } else if s[k] == ")" { depth -= 1; if depth == 0 { break } }
                    k += 1
                }
                if k < s.count && s[k] == ")" { b = k + 1; continue }
            }
            break
        }
        return (a, b)
    }

    /// Cuts `range` into pieces of at most `maxCharacters`, at the last whitespace before
    /// the limit where there is one, and always at a grapheme-cluster boundary.
    func hardSplit(_ s: [Unicode.Scalar], _ range: Range<Int>) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var start = range.lowerBound
        while range.upperBound - start > maxCharacters {
            var cut = start + maxCharacters
            var space = cut
            while space > start + maxCharacters / 2 && !s[space - 1].properties.isWhitespace { space -= 1 }
            if space > start + maxCharacters / 2 { cut = space }
            while cut > start + 1 && !Chunker.isGraphemeBoundary(s, cut) { cut -= 1 }
            var end = cut
            while end > start && s[end - 1].properties.isWhitespace { end -= 1 }
            if end > start { pieces.append(start..<end) }
            start = cut
            while start < range.upperBound && s[start].properties.isWhitespace { start += 1 }
        }
        if start < range.upperBound { pieces.append(start..<range.upperBound) }
        return pieces
    }

    /// Whether a grapheme cluster may end between `s[i-1]` and `s[i]`, by Swift's own
    /// grapheme-breaking rules (Unicode extended grapheme clusters), judged on a window of
    /// scalars around `i`.
    static func isGraphemeBoundary(_ s: [Unicode.Scalar], _ i: Int) -> Bool {
        guard i > 0 && i < s.count else { return true }
        var lo = max(0, i - 32)
        let hi = min(s.count, i + 32)
        // Start the window outside any run of regional indicators, whose pairing depends on
        // where the run starts.
        while lo > 0 && (0x1F1E6...0x1F1FF).contains(s[lo].value) { lo -= 1 }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: s[lo..<hi])
        let window = String(view)
        var offset = 0
        for character in window {
            if offset == i - lo { return true }
            if offset > i - lo { return false }
            offset += character.unicodeScalars.count
        }
        return offset == i - lo
    }
}
