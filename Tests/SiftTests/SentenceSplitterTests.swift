@_spi(Internals) import Sift
import Testing

@Suite("SentenceSplitter")
struct SentenceSplitterTests {
    @Test("Chinese terminators end sentences", arguments: [
        ("第一句。第二句！第三句？第四句；第五句…", ["第一句。", "第二句！", "第三句？", "第四句；", "第五句…"]),
        ("他想了想……然后走了。", ["他想了想……", "然后走了。"]),
        ("真的吗？！当然。", ["真的吗？！", "当然。"]),
        ("句子一。 句子二。", ["句子一。", "句子二。"]),
        ("没有结尾标点", ["没有结尾标点"]),
        ("逗号，不会，分句。", ["逗号，不会，分句。"]),
        ("冒号：也不会分句。", ["冒号：也不会分句。"]),
    ])
    func chinese(text: String, expected: [String]) {
        #expect(SentenceSplitter.split(text) == expected)
    }

    @Test("English sentence ends", arguments: [
        ("One. Two! Three? Four.", ["One.", "Two!", "Three?", "Four."]),
        ("Wait... what? Yes.", ["Wait...", "what?", "Yes."]),
        ("Really?! Yes.", ["Really?!", "Yes."]),
        ("He said \"stop.\" Then he left.", ["He said \"stop.\"", "Then he left."]),
        ("(A parenthetical sentence.) Next one.", ["(A parenthetical sentence.)", "Next one."]),
        ("No final period", ["No final period"]),
        ("Trailing space.   ", ["Trailing space."]),
    ])
    func english(text: String, expected: [String]) {
        #expect(SentenceSplitter.split(text) == expected)
    }

    @Test("Periods that do not end a sentence", arguments: [
        ("Pi is about 3.14 in most uses. Next.", ["Pi is about 3.14 in most uses.", "Next."]),
        ("Version 1.2.3 was released. Then 2.0 came.", ["Version 1.2.3 was released.", "Then 2.0 came."]),
        ("Use tools, e.g. hammers and saws. Done.", ["Use tools, e.g. hammers and saws.", "Done."]),
        ("That is, i.e. the same thing. Done.", ["That is, i.e. the same thing.", "Done."]),
        ("J. Smith wrote it. Then he left.", ["J. Smith wrote it.", "Then he left."]),
        ("The paper by Christiano et al. was cited. Next.", ["The paper by Christiano et al. was cited.", "Next."]),
        ("See Fig. 3 for details. Next.", ["See Fig. 3 for details.", "Next."]),
        ("Dr. Who arrived. Mr. Smith left.", ["Dr. Who arrived.", "Mr. Smith left."]),
        ("Apples vs. oranges is a classic. Next.", ["Apples vs. oranges is a classic.", "Next."]),
        ("Visit example.com today. Next.", ["Visit example.com today.", "Next."]),
    ])
    func nonTerminalPeriods(text: String, expected: [String]) {
        #expect(SentenceSplitter.split(text) == expected)
    }

    @Test("Mixed Chinese and English", arguments: [
        ("SFT 即监督微调。It is simple. 好的！", ["SFT 即监督微调。", "It is simple.", "好的！"]),
        ("This is English.这是中文。", ["This is English.", "这是中文。"]),
        ("模型（LLM）很大。The model has 7.5 billion parameters. 对吧？", ["模型（LLM）很大。", "The model has 7.5 billion parameters.", "对吧？"]),
        ("使用 e.g. 缩写时不分句。下一句。", ["使用 e.g. 缩写时不分句。", "下一句。"]),
    ])
    func mixed(text: String, expected: [String]) {
        #expect(SentenceSplitter.split(text) == expected)
    }

    @Test("Closing quotes and brackets stay with their sentence", arguments: [
        ("他说：“好。”", ["他说：“好。”"]),
        ("他说：“好。” Then he left.", ["他说：“好。”", "Then he left."]),
        ("「完成了。」\n下一步。", ["「完成了。」", "下一步。"]),
        ("（这是括号里的话。）后面的话。", ["（这是括号里的话。）", "后面的话。"]),
    ])
    func closers(text: String, expected: [String]) {
        #expect(SentenceSplitter.split(text) == expected)
    }

    @Test("A line break always ends a sentence")
    func lineBreaks() {
        #expect(SentenceSplitter.split("first line\nsecond line") == ["first line", "second line"])
        #expect(SentenceSplitter.split("第一行\n第二行") == ["第一行", "第二行"])
        #expect(SentenceSplitter.split("a.\n\nb.") == ["a.", "b."])
    }

    @Test("Empty and whitespace-only text has no sentence", arguments: ["", " ", "\n", " \n\t "])
    func empty(text: String) {
        #expect(SentenceSplitter.split(text).isEmpty)
    }

    @Test("Splitting loses no non-space character", arguments: [
        "SFT 即监督微调（Supervised Fine-Tuning），是在预训练大语言模型的基础上继续训练的方法。It uses e.g. 1.3 万条 prompts! 真的？是的…",
        "Mr. J. R. R. Tolkien wrote 3.5 books... or not? \"Yes.\" (Maybe.)",
        "。。。！！？？；；……",
    ])
    func lossless(text: String) {
        let sentences = SentenceSplitter.split(text)
        #expect(sentences.joined().withoutWhitespace == text.withoutWhitespace)
        for s in sentences {
            #expect(!s.isEmpty)
            #expect(s == s.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
