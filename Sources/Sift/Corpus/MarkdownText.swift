/// Plain text extracted from a Markdown (or plain-text) article, with a map back to the
/// source: `offsets[i]` is the position, in Unicode scalars of the whole source file, of
/// the source scalar that produced `scalars[i]`.
///
/// Markup never reaches the plain text: heading markers, list and quote markers, emphasis,
/// code fences and backticks, link and image syntax (the link text or alt text stays),
/// HTML tags, table rules and thematic breaks are dropped. Blocks (headings, paragraphs,
/// list items, table rows, code) are separated by one `"\n"`; the lines of one paragraph
/// are joined by a space, or by nothing where either side is CJK.
///
/// The extraction is line-local, so extracting a slice `source[offsets[a]...offsets[b]]`
/// gives `scalars[a...b]` again: a passage's span in the file is enough to find it.
struct MarkdownText: Sendable {
    enum BlockKind: Sendable { case heading, paragraph, listItem, quote, table, code }
    struct Block: Sendable {
        var kind: BlockKind
        /// Range in `scalars`.
        var range: Range<Int>
    }

    private(set) var scalars: [Unicode.Scalar] = []
    private(set) var offsets: [Int] = []
    private(set) var blocks: [Block] = []

    /// The plain text.
    var text: String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    func text(_ range: Range<Int>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[range])
        return String(view)
    }

    /// Extracts the text of `source[range]` (the whole source by default).
    init(source: [Unicode.Scalar], range: Range<Int>? = nil, markdown: Bool = true) {
        var parser = Parser(source: source, markdown: markdown)
        parser.run(range ?? 0..<source.count)
        scalars = parser.out
        offsets = parser.map
        blocks = parser.blocks
    }

    private struct Parser {
        let src: [Unicode.Scalar]
        let markdown: Bool
        var out: [Unicode.Scalar] = []
        var map: [Int] = []
        var blocks: [Block] = []
        var open: BlockKind? = nil
        var openStart = 0
        var inFence = false
        var fenceMarker: Unicode.Scalar = "`"

        init(source: [Unicode.Scalar], markdown: Bool) {
            src = source
            self.markdown = markdown
        }

        mutating func run(_ range: Range<Int>) {
            var lineStart = range.lowerBound
            while lineStart < range.upperBound {
                var lineEnd = lineStart
                while lineEnd < range.upperBound && src[lineEnd] != "\n" { lineEnd += 1 }
                var contentEnd = lineEnd
                while contentEnd > lineStart && (src[contentEnd - 1] == "\r" || isSpace(src[contentEnd - 1])) { contentEnd -= 1 }
                line(lineStart, contentEnd, newline: lineEnd)
                lineStart = lineEnd + 1
            }
            close()
        }

        func isSpace(_ c: Unicode.Scalar) -> Bool { c != "\n" && c.properties.isWhitespace }

        mutating func close() {
            if let kind = open, out.count > openStart {
                blocks.append(Block(kind: kind, range: openStart..<out.count))
            } else if open != nil, out.count == openStart, openStart > 0, out.last == "\n" {
                // An opened block produced no text: drop its separator.
                out.removeLast(); map.removeLast()
            }
            open = nil
        }

        mutating func begin(_ kind: BlockKind, at sourceOffset: Int) {
            close()
            if !out.isEmpty {
                out.append("\n")
                map.append(max(sourceOffset - 1, 0))
            }
            open = kind
            openStart = out.count
        }

        mutating func line(_ start: Int, _ end: Int, newline: Int) {
            var s = start
            var indent = 0
            while s < end && isSpace(src[s]) { s += 1; indent += 1 }
            if s == end {  // blank line
                if inFence, open == .code { return }
                close()
                return
            }
            guard markdown else {
                continueParagraph(kind: .paragraph, s, end)
                return
            }
            // Code fences.
            if (src[s] == "`" || src[s] == "~") && end - s >= 3 && src[s + 1] == src[s] && src[s + 2] == src[s] {
                if !inFence { inFence = true; fenceMarker = src[s]; close() }
                else if src[s] == fenceMarker { inFence = false; close() }
                return
            }
            if inFence {
                if open == .code { out.append("\n"); map.append(max(start - 1, 0)) } else { begin(.code, at: start) }
                for i in start..<end { out.append(src[i]); map.append(i) }
                return
            }
            // Thematic breaks, setext underlines and table rules.
            if isRule(s, end) { close(); return }
            // Headings.
            if src[s] == "#" {
                var h = s
                while h < end && src[h] == "#" { h += 1 }
                if h - s <= 6 && (h == end || isSpace(src[h])) {
                    var e = end
                    while e > h && src[e - 1] == "#" { e -= 1 }
                    while e > h && isSpace(src[e - 1]) { e -= 1 }
                    var c = h
                    while c < e && isSpace(src[c]) { c += 1 }
                    begin(.heading, at: s)
                    inline(c, e)
                    close()
                    return
                }
            }
            // Block quotes.
            if src[s] == ">" {
                var c = s + 1
                while c < end && isSpace(src[c]) { c += 1 }
                if c == end { close(); return }
                continueParagraph(kind: .quote, c, end)
                return
            }
            // List items.
            if let content = listItemContent(s, end) {
                begin(.listItem, at: s)
                inline(content, end)
                return
            }
            // Table rows.
            if src[s] == "|" {
                var c = s + 1
                var e = end
                if e > c && src[e - 1] == "|" { e -= 1 }
                while c < e && isSpace(src[c]) { c += 1 }
                while e > c && isSpace(src[e - 1]) { e -= 1 }
                begin(.table, at: s)
                inline(c, e)
                close()
                return
            }
            // A table row whose leading pipe lies outside the extracted range.
            if src[end - 1] == "|" && (s..<end).contains(where: { src[$0] == "|" && $0 > s && isSpace(src[$0 - 1]) }) {
                var e = end - 1
                while e > s && isSpace(src[e - 1]) { e -= 1 }
                begin(.table, at: s)
                inline(s, e)
                close()
                return
            }
            continueParagraph(kind: .paragraph, s, end)
        }

        mutating func continueParagraph(kind: BlockKind, _ s: Int, _ end: Int) {
            if let current = open, current != .heading, current != .table, current != .code, out.count > openStart {
                // Soft line break inside a paragraph / list item / quote.
                let prev = out[out.count - 1]
                let next = src[s]
                if !(isCJKLike(prev) || isCJKLike(next)) {
                    out.append(" "); map.append(max(s - 1, 0))
                }
            } else {
                begin(kind, at: s)
            }
            inline(s, end)
        }

        func isCJKLike(_ c: Unicode.Scalar) -> Bool {
            let v = c.value
            return ScriptClass.isCJK(v) || (v >= 0x3000 && v <= 0x303F) || (v >= 0xFF00 && v <= 0xFFEF)
        }

        func isRule(_ s: Int, _ end: Int) -> Bool {
            let c = src[s]
            guard c == "-" || c == "=" || c == "*" || c == "_" || c == "|" || c == ":" else { return false }
            var marks = 0
            for i in s..<end {
                let x = src[i]
                if x == "-" || x == "=" || x == "*" || x == "_" { marks += 1 }
                else if x == "|" || x == ":" || isSpace(x) { continue }
                else { return false }
            }
            return marks >= 3
        }

        func listItemContent(_ s: Int, _ end: Int) -> Int? {
            let c = src[s]
            if (c == "-" || c == "*" || c == "+") && s + 1 < end && isSpace(src[s + 1]) {
                var i = s + 1
                while i < end && isSpace(src[i]) { i += 1 }
                return i < end ? i : nil
            }
            var i = s
            while i < end && i - s < 9, let v = Optional(src[i].value), v >= 0x30 && v <= 0x39 { i += 1 }
            if i > s && i + 1 < end && (src[i] == "." || src[i] == ")") && isSpace(src[i + 1]) {
                var j = i + 1
                while j < end && isSpace(src[j]) { j += 1 }
                return j < end ? j : nil
            }
            return nil
        }

        func isPunctuationOrSpace(_ c: Unicode.Scalar) -> Bool {
            isSpace(c) || c.properties.generalCategory.isPunctuationLike
        }

        mutating func emit(_ i: Int) { out.append(src[i]); map.append(i) }

        /// Inline markup of `src[s..<e]` (plain text is copied as it is).
        mutating func inline(_ s: Int, _ e: Int) {
            guard markdown else {
                for i in s..<e { emit(i) }
                return
            }
            var i = s
            var inCode = false
            while i < e {
                let c = src[i]
                if c == "`" { inCode.toggle(); i += 1; continue }
                if inCode { emit(i); i += 1; continue }
                switch c {
                case "\\" where i + 1 < e && src[i + 1].properties.generalCategory.isPunctuationLike:
                    emit(i + 1); i += 2; continue
                case "*", "_", "~":
                    var j = i
                    while j < e && src[j] == c { j += 1 }
                    let run = j - i
                    let prev: Unicode.Scalar? = i > s ? src[i - 1] : nil
                    let next: Unicode.Scalar? = j < e ? src[j] : nil
                    // CommonMark flanking: `*` may open/close inside words (also between CJK
                    // characters), `_` only at word edges; `2*3` between ASCII alphanumerics stays.
                    let nextPunct = next.map { $0.properties.generalCategory.isPunctuationLike } ?? false
                    let prevPunct = prev.map { $0.properties.generalCategory.isPunctuationLike } ?? false
                    let leftFlank = next != nil && !isSpace(next!) && (!nextPunct || prev == nil || isSpace(prev!) || prevPunct)
                    let rightFlank = prev != nil && !isSpace(prev!) && (!prevPunct || next == nil || isSpace(next!) || nextPunct)
                    let asciiBetween = prev.map { $0.isASCII && $0.properties.isAlphabetic || ("0"..."9").contains($0) } == true
                        && next.map { $0.isASCII && $0.properties.isAlphabetic || ("0"..."9").contains($0) } == true
                    let marker: Bool
                    if c == "~" { marker = run >= 2 }
                    else if c == "*" { marker = run >= 2 || ((leftFlank || rightFlank) && !asciiBetween) }
                    else { marker = run >= 2 && !asciiBetween || (leftFlank != rightFlank) }
                    if marker {
                        i = j; continue  // emphasis / strikethrough markers
                    }
                    for k in i..<j { emit(k) }
                    i = j; continue
                case "!" where i + 1 < e && src[i + 1] == "[":
                    if let (textRange, after) = link(at: i + 1, e) { inline(textRange.lowerBound, textRange.upperBound); i = after; continue }
                case "[":
                    if let (textRange, after) = link(at: i, e) { inline(textRange.lowerBound, textRange.upperBound); i = after; continue }
                    // The opener of a link whose end lies outside this range (a slice of a
                    // longer text): drop it, as the whole link's markup would be.
                    if !(i + 1..<e).contains(where: { src[$0] == "]" }) { i += 1; continue }
                case "]":
                    // The tail of a link whose text started before this range: drop `](target)`.
                    if i + 1 < e && src[i + 1] == "(", let close = (i + 2..<e).first(where: { src[$0] == ")" }),
                       !(s..<i).contains(where: { src[$0] == "[" }) {
                        i = close + 1; continue
                    }
                case "<":
                    var j = i + 1
                    while j < e && src[j] != ">" && src[j] != "<" { j += 1 }
                    if j < e && src[j] == ">" && j > i + 1 {
                        let first = src[i + 1]
                        let inner = i + 1..<j
                        if hasPrefix(inner, "http://") || hasPrefix(inner, "https://") || hasPrefix(inner, "mailto:") {
                            for k in inner { emit(k) }
                            i = j + 1; continue
                        }
                        if first == "/" || first == "!" || first.properties.isAlphabetic && first.isASCII {
                            i = j + 1; continue  // an HTML tag
                        }
                    }
                default:
                    break
                }
                emit(i)
                i += 1
            }
        }

        func hasPrefix(_ r: Range<Int>, _ p: String) -> Bool {
            var i = r.lowerBound
            for u in p.unicodeScalars {
                guard i < r.upperBound, src[i] == u else { return false }
                i += 1
            }
            return true
        }

        /// `[text](target)` starting at `open`: the text range and the index after `)`.
        func link(at open: Int, _ e: Int) -> (Range<Int>, Int)? {
            var depth = 0
            var j = open
            while j < e {
                if src[j] == "[" { depth += 1 } else if src[j] == "]" { depth -= 1; if depth == 0 { break } }
                j += 1
            }
            guard j < e, j + 1 < e, src[j + 1] == "(" else { return nil }
            var k = j + 2
            var parens = 1
            while k < e {
                if src[k] == "(" { parens += 1 } else if src[k] == ")" { parens -= 1; if parens == 0 { break } }
                k += 1
            }
            guard k < e else { return nil }
            return (open + 1..<j, k + 1)
        }
    }
}

extension Unicode.GeneralCategory {
    var isPunctuationLike: Bool {
        switch self {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            true
        default:
            false
        }
    }
}
