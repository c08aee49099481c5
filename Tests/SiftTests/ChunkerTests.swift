import Foundation
import Sift
import Testing

/// Checks that hold for the passages of any document.
private func checkPassages(_ passages: [Passage], documentID: String, maxCharacters: Int,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    // One issue per document for the length bound, naming the first passage over it.
    let over = passages.filter { $0.text.unicodeScalars.count > maxCharacters }
    let withinLimit = over.isEmpty
    #expect(withinLimit, """
            \(documentID): \(over.count) of \(passages.count) passages are over \(maxCharacters) characters \
            (longest \(over.map { $0.text.unicodeScalars.count }.max() ?? 0)); first: passage \(over.first?.ordinal ?? -1): \(over.first?.text ?? "")
            """, sourceLocation: sourceLocation)
    for (i, p) in passages.enumerated() {
        #expect(p.ordinal == i, "ordinals are 0-based and consecutive", sourceLocation: sourceLocation)
        #expect(p.documentID == documentID, sourceLocation: sourceLocation)
        #expect(!p.text.isEmpty, sourceLocation: sourceLocation)
        #expect(p.text == p.text.trimmingCharacters(in: .whitespacesAndNewlines),
                "passage \(i) has leading/trailing whitespace", sourceLocation: sourceLocation)
        #expect(p.start < p.end, sourceLocation: sourceLocation)
        if i > 0 {
            #expect(p.start >= passages[i - 1].start, "passages are in source order", sourceLocation: sourceLocation)
        }
    }
}

/// The span property: the markup-free extraction of `source[start..<end]` (in Unicode
/// scalars) is the passage text (compared with whitespace removed).
private func checkSpans(_ passages: [Passage], source: String, label: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    let count = source.unicodeScalars.count
    for p in passages {
        guard p.start >= 0, p.end <= count, p.start < p.end else {
            Issue.record("\(label) passage \(p.ordinal): span \(p.start)..<\(p.end) outside 0..<\(count)", sourceLocation: sourceLocation)
            continue
        }
        let slice = source.scalarSlice(p.start, p.end)
        let extracted = markupFreeText(of: slice)
        #expect(extracted.withoutWhitespace == p.text.withoutWhitespace,
                """
                \(label) passage \(p.ordinal) [\(p.start)..<\(p.end)]:
                  passage text: \(p.text)
                  slice extract: \(extracted)
                  source slice: \(slice)
                """, sourceLocation: sourceLocation)
    }
}

/// Scalar offsets of every grapheme-cluster boundary of `text`.
private func graphemeBoundaries(_ text: String) -> Set<Int> {
    var result: Set<Int> = [0]
    var offset = 0
    for character in text {
        offset += character.unicodeScalars.count
        result.insert(offset)
    }
    return result
}

@Suite("Chunker")
struct ChunkerTests {
    // MARK: - Languages

    @Test("Chinese text is split at sentence ends and stays within the limit")
    func chinese() throws {
        let sentences = (1...40).map { "第\($0)句话介绍监督微调的一个方面，内容并不复杂。" }
        let source = sentences.joined()
        let chunker = try Chunker(maxCharacters: 100)
        let passages = chunker.passages(documentID: "zh.md", source: source)
        #expect(passages.count > 1)
        checkPassages(passages, documentID: "zh.md", maxCharacters: 100)
        for p in passages {
            #expect(p.text.hasPrefix("第"), "a passage starts at a sentence start: \(p.text)")
            #expect(p.text.hasSuffix("。"), "a passage ends at a sentence end: \(p.text)")
        }
        #expect(passages.map(\.text).joined() == source, "without overlap nothing is lost or repeated")
        checkSpans(passages, source: source, label: "zh")
    }

    @Test("English text is split at sentence ends and stays within the limit")
    func english() throws {
        let sentences = (1...40).map { "Sentence number \($0) explains one aspect of supervised fine-tuning." }
        let source = sentences.joined(separator: " ")
        let chunker = try Chunker(maxCharacters: 200)
        let passages = chunker.passages(documentID: "en.md", source: source)
        #expect(passages.count > 1)
        checkPassages(passages, documentID: "en.md", maxCharacters: 200)
        for p in passages {
            #expect(p.text.hasPrefix("Sentence number"), "a passage starts at a sentence start: \(p.text)")
            #expect(p.text.hasSuffix("fine-tuning."), "a passage ends at a sentence end: \(p.text)")
        }
        #expect(passages.map(\.text).joined(separator: " ") == source)
        checkSpans(passages, source: source, label: "en")
    }

    @Test("Mixed Chinese and English text")
    func mixed() throws {
        let sentences = (1...30).map { i in
            i % 2 == 0 ? "SFT 即监督微调（Supervised Fine-Tuning），第\(i)句。" : "LoRA adds low-rank adapters, sentence \(i). "
        }
        let source = sentences.joined()
        let chunker = try Chunker(maxCharacters: 120)
        let passages = chunker.passages(documentID: "mixed.md", source: source)
        #expect(passages.count > 1)
        checkPassages(passages, documentID: "mixed.md", maxCharacters: 120)
        for p in passages {
            let last = p.text.unicodeScalars.last!
            #expect(last == "。" || last == ".", "a passage ends at a sentence end: \(p.text)")
        }
        #expect(passages.map(\.text).joined().withoutWhitespace == source.withoutWhitespace)
        checkSpans(passages, source: source, label: "mixed")
    }

    @Test("Short blocks are packed together; a heading starts a new passage")
    func packingAndHeadings() throws {
        let source = """
        # Alpha

        First paragraph about alpha.

        Second paragraph about alpha.

        # Beta

        Only paragraph about beta.
        """
        let passages = try Chunker(maxCharacters: 600).passages(documentID: "d", source: source)
        #expect(passages.map(\.text) == [
            "Alpha\nFirst paragraph about alpha.\nSecond paragraph about alpha.",
            "Beta\nOnly paragraph about beta.",
        ])
        checkSpans(passages, source: source, label: "headings")
    }

    @Test("Soft line breaks join lines with a space in English and with nothing in Chinese")
    func softLineBreaks() throws {
        let en = try Chunker().passages(documentID: "d", source: "one line\nand the next line")
        #expect(en.map(\.text) == ["one line and the next line"])
        let zh = try Chunker().passages(documentID: "d", source: "第一行\n第二行")
        #expect(zh.map(\.text) == ["第一行第二行"])
    }

    // MARK: - Markdown

    @Test("Markdown markup does not reach passage text", arguments: [
        ("# Title\n\nBody text.", "Title\nBody text."),
        ("### Deep heading ###\n\nBody.", "Deep heading\nBody."),
        ("Setext heading\n==============\n\nBody.", "Setext heading\nBody."),
        ("- item one\n- item two\n* item three\n+ item four", "item one\nitem two\nitem three\nitem four"),
        ("1. first\n2. second\n10) tenth", "first\nsecond\ntenth"),
        ("Some **bold**, *em*, _em too_ and ***both*** text.", "Some bold, em, em too and both text."),
        ("A __strong__ word and ~~struck~~ one.", "A strong word and struck one."),
        ("See [the docs](https://example.com/docs) now.", "See the docs now."),
        ("![alt text](images/pic.png) caption", "alt text caption"),
        ("Use `swift build` here.", "Use swift build here."),
        ("```swift\nlet x = 1\n```", "let x = 1"),
        ("~~~\ncode block\n~~~", "code block"),
        ("> quoted text\n> continues here", "quoted text continues here"),
        ("Text with <b>html</b> tags.", "Text with html tags."),
        ("Before\n\n---\n\nAfter", "Before\nAfter"),
        ("Visit <https://example.com> today.", "Visit https://example.com today."),
        ("Escaped \\*stars\\* stay.", "Escaped *stars* stay."),
        ("snake_case_name and 2 * 3 = 6 stay.", "snake_case_name and 2 * 3 = 6 stay."),
        ("这是**加粗**和*强调*的中文。", "这是加粗和强调的中文。"),
        ("参见[官方文档](https://example.com)。", "参见官方文档。"),
    ])
    func markdownMarkup(source: String, expected: String) throws {
        let passages = try Chunker().passages(documentID: "d", source: source)
        #expect(passages.map(\.text).joined(separator: "\n") == expected)
    }

    @Test("Tables: rule lines and outer pipes are dropped, cell text stays")
    func tables() throws {
        let source = """
        | Name | Role |
        | --- | :---: |
        | clip_l | text encoder |
        | ae | VAE |
        """
        let text = try Chunker().passages(documentID: "d", source: source).map(\.text).joined(separator: "\n")
        for cell in ["Name", "Role", "clip_l", "text encoder", "ae", "VAE"] {
            #expect(text.contains(cell), "cell '\(cell)' missing from \(text)")
        }
        #expect(!text.contains("---"))
        #expect(!text.contains(":"))
        for line in text.split(separator: "\n") {
            #expect(!line.hasPrefix("|") && !line.hasSuffix("|"), "outer pipe leaked: \(line)")
        }
    }

    @Test("A Markdown article with every kind of markup: no markup leaks, spans hold")
    func markdownArticle() throws {
        let url = TestPaths.fixture("markdown/everything.md")
        let source = try String(contentsOf: url, encoding: .utf8)
        for max in [40, 80, 600] {
            let passages = try Chunker(maxCharacters: max).passages(documentID: "everything.md", source: source)
            #expect(!passages.isEmpty)
            checkPassages(passages, documentID: "everything.md", maxCharacters: max)
            for p in passages {
                for markup in ["**", "__", "](", "```", "~~~", "~~", "#", "<em>", "</em>", "<br>", "|---", "> "] {
                    #expect(!p.text.contains(markup), "markup '\(markup)' leaked into passage (max \(max)): \(p.text)")
                }
                #expect(!p.text.contains("https://example.com/hidden"), "a link target leaked: \(p.text)")
                #expect(!p.text.contains("`"), "a backtick leaked: \(p.text)")
            }
            checkSpans(passages, source: source, label: "everything.md (max \(max))")
            let all = passages.map(\.text).joined(separator: "\n")
            if max >= 600 { #expect(all.contains("Sift fixture")) }
            for kept in ["bold words", "visible link text", "image alt text", "inline code", "let answer = 42",
                         "table cell one", "table cell two", "quoted wisdom", "中文段落", "加粗", "列表项目"] {
                #expect(all.contains(kept), "'\(kept)' is missing (max \(max))")
            }
        }
    }

    @Test("Plain-text mode keeps Markdown characters literally")
    func plainTextMode() throws {
        let source = "# not a heading\n\n**not bold** and [not](a link)"
        let passages = try Chunker().passages(documentID: "notes.txt", source: source, markdown: false)
        #expect(passages.map(\.text).joined(separator: "\n") == "# not a heading\n**not bold** and [not](a link)")
    }

    @Test("bodyStart skips front matter and spans count from the start of the file")
    func bodyStart() throws {
        let front = "---\ntitle: T\n---\n"
        let source = front + "Body sentence."
        let passages = try Chunker().passages(documentID: "d", source: source, bodyStart: front.unicodeScalars.count)
        #expect(passages.map(\.text) == ["Body sentence."])
        #expect(passages.first?.start == front.unicodeScalars.count)
        #expect(passages.first?.end == source.unicodeScalars.count)
    }

    // MARK: - Limits

    @Test("Every passage of every bundled article is within maxCharacters",
          arguments: [16, 50, 120, 600])
    func boundedLength(maxCharacters: Int) throws {
        let chunker = try Chunker(maxCharacters: maxCharacters)
        let loader = CorpusLoader(chunker: chunker)
        for article in TestPaths.corpusArticles {
            let doc = try loader.loadArticle(url: TestPaths.corpus.appendingPathComponent(article), relativePath: article)
            #expect(!doc.passages.isEmpty, "\(article) has no passage")
            checkPassages(doc.passages, documentID: article, maxCharacters: maxCharacters)
        }
    }

    @Test("Overlap repeats the previous passage's last sentences, up to overlapCharacters")
    func overlap() throws {
        let sentences = (1...30).map { "Fact number \($0) is short." }  // 23–24 characters each
        let source = sentences.joined(separator: " ")
        let chunker = try Chunker(maxCharacters: 120, overlapCharacters: 50)
        let passages = chunker.passages(documentID: "d", source: source)
        #expect(passages.count > 2)
        checkPassages(passages, documentID: "d", maxCharacters: 120)
        checkSpans(passages, source: source, label: "overlap")
        for (a, b) in zip(passages, passages.dropFirst()) {
            #expect(b.start < a.end, "passage \(b.ordinal) should overlap passage \(a.ordinal)")
            // The overlap is a whole number of sentences at the end of `a` that starts `b`.
            let shared = source.scalarSlice(b.start, min(a.end, b.end))
            #expect(a.text.hasSuffix(shared), "overlap '\(shared)' is not the end of the previous passage")
            #expect(b.text.hasPrefix(shared), "overlap '\(shared)' does not start the next passage")
            #expect(shared.unicodeScalars.count <= 50, "overlap '\(shared)' is longer than overlapCharacters")
            #expect(shared.hasPrefix("Fact number") && shared.hasSuffix("short."), "overlap '\(shared)' is not whole sentences")
        }
        // Every sentence is in some passage.
        for s in sentences {
            #expect(passages.contains { $0.text.contains(s) }, "'\(s)' is lost")
        }
    }

    @Test("Without overlap, passages never overlap")
    func noOverlap() throws {
        let source = (1...30).map { "Fact number \($0) is short." }.joined(separator: " ")
        let passages = try Chunker(maxCharacters: 120).passages(documentID: "d", source: source)
        for (a, b) in zip(passages, passages.dropFirst()) {
            #expect(b.start >= a.end)
        }
    }

    @Test("Empty and whitespace-only input give no passage", arguments: ["", " ", "\n\n\n", " \t \n  \n", "\u{3000}\n"])
    func emptyInput(source: String) throws {
        #expect(try Chunker().passages(documentID: "d", source: source).isEmpty)
    }

    @Test("Text without punctuation or spaces is hard-split within the limit", arguments: [
        String(repeating: "a", count: 1000),
        String(repeating: "中文", count: 400),
        String(repeating: "0123456789", count: 77),
    ])
    func hardSplitWithoutPunctuation(source: String) throws {
        let chunker = try Chunker(maxCharacters: 50)
        let passages = chunker.passages(documentID: "d", source: source)
        checkPassages(passages, documentID: "d", maxCharacters: 50)
        #expect(passages.map(\.text).joined() == source, "hard split must not lose or repeat text")
        #expect(passages.count >= source.unicodeScalars.count / 50)
        checkSpans(passages, source: source, label: "hard split")
    }

    @Test("Text without punctuation is cut at spaces, never inside a word")
    func hardSplitAtSpaces() throws {
        let words = (0..<200).map { "word\($0 % 10)" }
        let source = words.joined(separator: " ")
        let passages = try Chunker(maxCharacters: 37).passages(documentID: "d", source: source)
        checkPassages(passages, documentID: "d", maxCharacters: 37)
        for p in passages {
            for w in p.text.split(separator: " ") {
                #expect(w.count == 5 && w.hasPrefix("word"), "a word was cut: '\(w)' in '\(p.text)'")
            }
        }
        #expect(passages.map(\.text).joined(separator: " ") == source)
    }

    @Test("A long sentence is cut but keeps every character (no punctuation inside)")
    func longSentenceInsideParagraph() throws {
        let long = String(repeating: "长句子没有任何标点", count: 30)
        let source = "短句一。" + long + "。短句二。"
        let passages = try Chunker(maxCharacters: 64).passages(documentID: "d", source: source)
        checkPassages(passages, documentID: "d", maxCharacters: 64)
        #expect(passages.map(\.text).joined() == source)
        checkSpans(passages, source: source, label: "long sentence")
    }

    @Test("Hard splits never cut inside a grapheme cluster", arguments: [
        ("family ZWJ emoji", "👨‍👩‍👧‍👦"),
        ("flag", "🇨🇳"),
        ("combining acute", "e\u{301}"),
        ("stacked combining marks", "a\u{300}\u{301}\u{302}"),
        ("skin tone", "👍🏽"),
        ("keycap", "1️⃣"),
        ("tag sequence flag", "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}"),
        ("emoji presentation", "❤️"),
        ("Hangul jamo syllable", "\u{1100}\u{1161}\u{11A8}"),
        ("Hangul jamo LV", "\u{1100}\u{1161}"),
        ("Devanagari conjunct", "क्षि"),
        ("Thai with marks", "กิ่"),
        ("CR LF", "x\r\n"),
    ])
    func graphemes(name: String, cluster: String) throws {
        #expect(cluster.count == 1 || name == "CR LF", "fixture '\(name)' should be one grapheme")
        // Repeat without spaces or punctuation, with an odd prefix so cuts fall everywhere.
        for prefix in ["", "a", "ab", "abc"] {
            let source = prefix + String(repeating: cluster, count: 60)
            for max in [16, 17, 19, 23] {
                let passages = try Chunker(maxCharacters: max).passages(documentID: "d", source: source)
                let boundaries = graphemeBoundaries(source)
                #expect(!passages.isEmpty)
                let cutting = passages.filter { !boundaries.contains($0.start) || !boundaries.contains($0.end) }
                let noCut = cutting.isEmpty
                #expect(noCut, """
                        \(name), prefix '\(prefix)', max \(max): \(cutting.count) of \(passages.count) passages cut a grapheme \
                        cluster, first: passage \(cutting.first?.ordinal ?? -1) [\((cutting.first?.start).map(String.init) ?? "")..<\((cutting.first?.end).map(String.init) ?? "")]
                        """)
                let over = passages.filter { $0.text.unicodeScalars.count > max }
                let withinLimit = over.isEmpty
                #expect(withinLimit, "\(name), prefix '\(prefix)', max \(max): \(over.count) passages over the limit")
                #expect(passages.map(\.text).joined().withoutWhitespace == source.withoutWhitespace,
                        "\(name), max \(max): text lost or repeated")
            }
        }
    }

    // MARK: - Span property on the bundled corpus

    @Test("Span property: each passage's source slice, with markup removed, is its text",
          arguments: TestPaths.corpusArticles)
    func spanProperty(article: String) throws {
        let url = TestPaths.corpus.appendingPathComponent(article)
        let source = try String(contentsOf: url, encoding: .utf8)
        for max in [120, 600] {
            let loader = CorpusLoader(chunker: try Chunker(maxCharacters: max))
            let doc = try loader.article(text: source, id: article)
            #expect(!doc.passages.isEmpty)
            checkSpans(doc.passages, source: source, label: "\(article) (max \(max))")
        }
    }

    @Test("Span property holds with overlap too")
    func spanPropertyWithOverlap() throws {
        let loader = CorpusLoader(chunker: try Chunker(maxCharacters: 200, overlapCharacters: 60))
        for article in TestPaths.corpusArticles {
            let source = try String(contentsOf: TestPaths.corpus.appendingPathComponent(article), encoding: .utf8)
            let doc = try loader.article(text: source, id: article)
            checkPassages(doc.passages, documentID: article, maxCharacters: 200)
            checkSpans(doc.passages, source: source, label: "\(article) (overlap)")
        }
    }

    // MARK: - Settings

    @Test("Invalid settings throw invalidArgument", arguments: [
        (15, 0), (0, 0), (-1, 0), (100, 50), (100, 60), (100, -1),
    ])
    func invalidSettings(maxCharacters: Int, overlap: Int) {
        let error = siftError { _ = try Chunker(maxCharacters: maxCharacters, overlapCharacters: overlap) }
        guard case .invalidArgument = error else {
            Issue.record("expected invalidArgument for (\(maxCharacters), \(overlap)), got \(String(describing: error))")
            return
        }
    }

    @Test("Valid edge settings are accepted")
    func validEdgeSettings() throws {
        let c = try Chunker(maxCharacters: 16, overlapCharacters: 7)
        #expect(c.maxCharacters == 16 && c.overlapCharacters == 7)
        let d = try Chunker()
        #expect(d.maxCharacters == 600 && d.overlapCharacters == 0)
    }

    @Test("Chunking is deterministic")
    func deterministic() throws {
        let source = try String(contentsOf: TestPaths.corpus.appendingPathComponent("zh/rlhf.md"), encoding: .utf8)
        let a = try Chunker(maxCharacters: 150, overlapCharacters: 30).passages(documentID: "x", source: source)
        let b = try Chunker(maxCharacters: 150, overlapCharacters: 30).passages(documentID: "x", source: source)
        #expect(a == b)
    }
}
