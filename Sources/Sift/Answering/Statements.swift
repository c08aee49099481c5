/// The units an answer quotes: the sentences, list items and table rows of a passage,
/// each an exact range of the passage text.
///
/// Passages keep one block per line (``MarkdownText``): headings, paragraphs, list items and
/// table rows (`cell | cell | cell`). A table row is one statement, read with its table's
/// header row (the first row of the run of table lines, or of the previous passage when the
/// table began there); every other line is split into sentences. Lines that are not
/// statements — headings and short labels without end punctuation — are left out.
struct StatementUnit: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case sentence
        /// A whole line ending a sentence (a list item or a one-sentence paragraph).
        case line
        /// A table row: its cells, each with the header of its column when known.
        case tableRow(cells: [Cell])
    }

    struct Cell: Sendable, Hashable {
        var header: String?
        var value: String
    }

    /// Range in the passage text, in Unicode scalars.
    var range: Range<Int>
    var kind: Kind
    /// Position among the passage's statements (0-based).
    var ordinal: Int

    var isTableRow: Bool { if case .tableRow = kind { true } else { false } }
}

/// A text's Unicode scalars with their UTF-8 offsets, so that a range of scalars becomes a
/// `String` by copying its bytes (building it scalar by scalar cost a tenth of an answer).
struct ScalarText {
    let scalars: [Unicode.Scalar]
    private let utf8: [UInt8]
    /// `offsets[i]`: the UTF-8 offset of scalar `i`; `offsets[scalars.count]` is the byte count.
    private let offsets: [Int]

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
        utf8 = Array(text.utf8)
        var offsets = [Int]()
        offsets.reserveCapacity(scalars.count + 1)
        var at = 0
        for s in scalars {
            offsets.append(at)
            at += UTF8.width(s)
        }
        offsets.append(at)
        self.offsets = offsets
    }

    /// The scalars `range` as a string.
    func string(_ range: Range<Int>) -> String {
        utf8.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[offsets[range.lowerBound]..<offsets[range.upperBound]]), as: UTF8.self) }
    }
}

enum Statements {
    static let cellSeparator = " | "

    /// The statements of `text`. `previousTableHeader` is the header row of a table that the
    /// passage before this one ended in (so that a continued table's rows keep their headers).
    static func units(in text: String, previousTableHeader: [String]? = nil) -> [StatementUnit] {
        units(in: ScalarText(text), previousTableHeader: previousTableHeader)
    }

    static func units(in text: ScalarText, previousTableHeader: [String]? = nil) -> [StatementUnit] {
        let scalars = text.scalars
        var units: [StatementUnit] = []
        var lineStart = 0
        var header: [String]? = nil
        var inTable = false
        var firstLine = true
        while lineStart <= scalars.count {
            var lineEnd = lineStart
            while lineEnd < scalars.count && scalars[lineEnd] != "\n" { lineEnd += 1 }
            if isTableRow(scalars[lineStart..<lineEnd]) {
                let line = text.string(lineStart..<lineEnd)
                let cells = line.components(separatedBy: cellSeparator).map { $0.trimmingCharacters(in: .whitespaces) }
                if !inTable {
                    // A table's first line is its header, unless the passage opens on the
                    // continuation of the previous passage's table.
                    if firstLine, let previous = previousTableHeader, previous.count == cells.count {
                        header = previous
                        units.append(row(cells, header: header, range: lineStart..<lineEnd, ordinal: units.count))
                    } else {
                        header = cells
                    }
                    inTable = true
                } else {
                    units.append(row(cells, header: header, range: lineStart..<lineEnd, ordinal: units.count))
                }
            } else {
                inTable = false
                header = nil
                let sentences = SentenceSplitter.sentences(in: scalars, range: lineStart..<lineEnd)
                for (k, r) in sentences.enumerated() where isStatement(scalars, r, lineStart: lineStart, lineEnd: lineEnd) {
                    let whole = sentences.count == 1
                    // A sentence that opens on a pronoun ("He is also…", "它的…") is quoted with the
                    // sentence it refers back to: alone it does not say what it is about.
                    let range = k > 0 && opensOnPronoun(scalars, r) ? sentences[k - 1].lowerBound..<r.upperBound : r
                    units.append(StatementUnit(range: range, kind: whole ? .line : .sentence, ordinal: units.count))
                }
            }
            firstLine = false
            if lineEnd >= scalars.count { break }
            lineStart = lineEnd + 1
        }
        return units
    }

    /// The header row of the table `text` ends in, if its last line is a table row.
    static func trailingTableHeader(of text: String) -> [String]? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let last = lines.last, isTableRow(last) else { return nil }
        var i = lines.count - 1
        while i > 0 && isTableRow(lines[i - 1]) { i -= 1 }
        return lines[i].components(separatedBy: cellSeparator).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static let pronouns: Set<String> = ["he", "she", "it", "they", "this", "these", "those", "his", "her", "its", "their", "such"]
    static let chinesePronouns: [String] = ["他们", "她们", "它们", "他", "她", "它", "该", "此", "其"]

    /// Whether a sentence begins with a pronoun that refers back (English: a whole word; Chinese: 他/她/它/该/此/其…).
    static func opensOnPronoun(_ s: [Unicode.Scalar], _ r: Range<Int>) -> Bool {
        let head = String(String.UnicodeScalarView(s[r.lowerBound..<min(r.upperBound, r.lowerBound + 12)]))
        if let w = head.split(whereSeparator: { !$0.isLetter }).first, head.first?.isLetter == true, w.allSatisfy(\.isASCII) {
            return pronouns.contains(w.lowercased())
        }
        return chinesePronouns.contains { head.hasPrefix($0) }
    }

    static func isTableRow(_ line: String) -> Bool {
        ByteSearch.contains(line, cellSeparator)  // byte search: Foundation's canonical search cost more than the rest
    }

    /// Whether a line (as scalars) has the cell separator " | ".
    static func isTableRow(_ line: ArraySlice<Unicode.Scalar>) -> Bool {
        var i = line.startIndex
        while i + 2 < line.endIndex {
            if line[i + 1] == "|" && line[i] == " " && line[i + 2] == " " { return true }
            i += 1
        }
        return false
    }

    /// A table row as shown: "header：value · header：value" (a cell without a header as its
    /// value alone), with `colon` after each header.
    static func shown(_ cells: [(header: String?, value: String)], colon: String) -> String {
        cells.map { c in c.header.map { "\($0)\(colon)\(c.value)" } ?? c.value }.joined(separator: " · ")
    }

    private static func row(_ cells: [String], header: [String]?, range: Range<Int>, ordinal: Int) -> StatementUnit {
        let named = cells.enumerated().map { i, v in
            StatementUnit.Cell(header: header.flatMap { i < $0.count && !$0[i].isEmpty ? $0[i] : nil }, value: v)
        }
        return StatementUnit(range: range, kind: .tableRow(cells: named), ordinal: ordinal)
    }

    /// Sentences, not headings or labels: a whole line without end punctuation is a heading
    /// or a label unless it is long; very short pieces are not statements.
    private static func isStatement(_ s: [Unicode.Scalar], _ r: Range<Int>, lineStart: Int, lineEnd: Int) -> Bool {
        guard r.count >= 6 else { return false }
        let last = s[r.upperBound - 1].value
        func isEnd(_ v: UInt32) -> Bool { SentenceSplitter.isCJKTerminator(v) || v == 0x2E || v == 0x21 || v == 0x3F }
        let ends = isEnd(last) || (SentenceSplitter.isCloser(last) && r.count > 1 && isEnd(s[r.upperBound - 2].value))
        let wholeLine = r.lowerBound <= lineStart + 1 && r.upperBound >= lineEnd - 1
        if !ends && (wholeLine || r.count < 40) && r.count < 80 { return false }
        return true
    }
}
