import Foundation
import Sift
import Testing

/// Chinese questions finding English passages and the reverse, through the bundled
/// CC-CEDICT lexicon (`Models/lexicon`), tested through the public search and answer API.
@Suite("Cross-language search")
struct CrossLanguageTests {
    static func document(_ id: String, title: String, language: String, _ text: String) -> ChunkedDocument {
        ChunkedDocument(document: Document(id: id, title: title, source: "\(id).md", language: language, contentHash: 0),
                        passages: [Passage(documentID: id, ordinal: 0, text: text, start: 0, end: text.unicodeScalars.count)])
    }

    /// Two English articles and two Chinese ones on other topics.
    static func bilingualIndex() throws -> SiftIndex {
        try SiftIndex(documents: [
            document("en-kd", title: "Knowledge distillation", language: "en",
                     "Knowledge distillation trains a small student model to imitate a large teacher model; the temperature softens the teacher's probabilities."),
            document("en-bm25", title: "BM25", language: "en",
                     "BM25 ranks documents by term frequency saturation and document length normalisation."),
            document("zh-lora", title: "LoRA 低秩适配", language: "zh",
                     "LoRA 冻结预训练权重，只训练两个低秩矩阵，显存占用大大降低。"),
            document("zh-rain", title: "天气预报", language: "zh",
                     "天气预报根据气压、湿度和风向推测明天是否下雨。"),
        ], threads: 1)
    }

    @Test("A Chinese question finds the English article through its translation, marked translated")
    func chineseFindsEnglish() throws {
        let index = try Self.bilingualIndex()
        let hits = index.search("知识蒸馏的温度有什么用", k: 3)
        let first = try #require(hits.first)
        #expect(first.document.id == "en-kd")
        #expect(first.translated)
        // Without translation the English article has nothing in common with the question.
        let plain = index.search("知识蒸馏的温度有什么用", k: 3, settings: SearchSettings(translate: false))
        #expect(!plain.contains { $0.document.id == "en-kd" })
        #expect(plain.allSatisfy { !$0.translated })
    }

    @Test("An English question finds the Chinese article; a passage in the question's language still wins when it answers")
    func englishFindsChinese() throws {
        let index = try Self.bilingualIndex()
        let hits = index.search("weather forecast rain tomorrow", k: 3)
        #expect(hits.first?.document.id == "zh-rain")
        #expect(hits.first?.translated == true)
        // BM25 is answered by its own English article, untranslated, ahead of any translation.
        let own = index.search("BM25 term frequency saturation", k: 3)
        #expect(own.first?.document.id == "en-bm25")
        #expect(own.first?.translated == false)
    }

    @Test("Mixed text: Latin names and numbers pass through the translation unchanged")
    func mixedText() throws {
        let index = try Self.bilingualIndex()
        let hits = index.search("BM25 的文档长度归一化", k: 2)
        #expect(hits.first?.document.id == "en-bm25")
    }

    @Test("Questions in the index's only language are searched exactly as without translation")
    func monolingualUnchanged() throws {
        let index = try SiftIndex(documents: [
            Self.document("a", title: "LoRA", language: "zh", "LoRA 冻结预训练权重，只训练低秩矩阵。"),
            Self.document("b", title: "量化", language: "zh", "量化把权重从 16 位浮点压缩到 4 位整数。"),
        ], threads: 1)
        // Questions in the index's own language (Latin names inside them included).
        for q in ["LoRA 训练哪些参数", "量化是什么", "4 位整数", ""] {
            #expect(index.search(q, k: 2) == index.search(q, k: 2, settings: SearchSettings(translate: false)), "query '\(q)'")
        }
        // An English question is cross-language here: "quantization" reaches 量化 (the
        // lexicon lists it under "quantize").
        let english = index.search("what is quantization", k: 2)
        #expect(english.first?.document.id == "b" && english.first?.translated == true)
        #expect(index.search("what is quantization", k: 2, settings: SearchSettings(translate: false)).isEmpty)
    }

    @Test("A question whose topic words have no translation in the corpus does not borrow the other language's passages")
    func untranslatableTopicStaysWeak() throws {
        let index = try Self.bilingualIndex()
        // 股价 ("stock price") occurs in no English passage: only generic words would be left.
        let hits = index.search("特斯拉今天的股价是多少", k: 3)
        #expect(hits.allSatisfy { $0.score < 0.1 }, "\(hits.map { ($0.document.id, $0.score) })")
    }

    @Test("Term pairs the corpus writes translate words no dictionary has, both ways; they follow updates and survive a reopen")
    func termPairs() throws {
        // "zorblax quuxing" and 甲乙检索法 are in no dictionary: only the article's own gloss joins them.
        let zh = Self.document("zh-z", title: "甲乙检索法", language: "zh", "甲乙检索法（Zorblax Quuxing）把候选段落分成两组再打分。")
        let en = Self.document("en-z", title: "Zorblax quuxing", language: "en", "Zorblax quuxing scores candidate passages in two groups.")
        let other = Self.document("en-o", title: "Other", language: "en", "Vector search ranks passages by cosine similarity.")
        var index = try SiftIndex(documents: [zh, other], threads: 1)
        let found = index.search("what is zorblax quuxing", k: 2)
        #expect(found.first?.document.id == "zh-z" && found.first?.translated == true, "\(found.map { ($0.document.id, $0.translated) })")
        index.add(en)
        let reverse = index.search("甲乙检索法是什么", k: 3)
        #expect(reverse.contains { $0.document.id == "en-z" && $0.translated }, "\(reverse.map { ($0.document.id, $0.translated) })")
        // An article that uses the term without the gloss is found through the pair another
        // article wrote, until that article is removed.
        index.add(Self.document("zh-plain", title: "分组打分", language: "zh", "甲乙检索法把候选段落分成两组再打分。"))
        #expect(index.search("zorblax quuxing", k: 3).contains { $0.document.id == "zh-plain" && $0.translated })
        index.remove(documentID: "zh-z")
        #expect(!index.search("zorblax quuxing", k: 3).contains { $0.document.language == "zh" })
        // Written and opened again: the same results, pairs included.
        index.add(zh)
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("pairs.siftindex")
            try index.write(to: url)
            let reopened = try SiftIndex.open(url)
            for q in ["甲乙检索法是什么", "what is zorblax quuxing", "vector search"] {
                #expect(reopened.search(q, k: 3) == index.search(q, k: 3), "query '\(q)'")
            }
        }
    }

    @Test("Batch search equals one search at a time with translation")
    func batchEqualsSingle() throws {
        let index = try Self.bilingualIndex()
        let queries = ["知识蒸馏是什么", "weather forecast rain", "LoRA 显存", "BM25", "", "随便问问 random words"]
        let batch = index.search(batch: queries, k: 3, threads: 2)
        for (q, hits) in zip(queries, batch) {
            let single = index.search(q, k: 3)
            #expect(hits.map(\.passageID) == single.map(\.passageID), "query '\(q)'")
            #expect(zip(hits, single).allSatisfy { abs($0.score - $1.score) < 1e-5 && $0.translated == $1.translated }, "query '\(q)'")
        }
    }

    @Test("Bundled corpus: questions answered from the other language's article, cited, marked as the other language")
    func answersFromTheOtherLanguage() throws {
        let engine = try Shared.engine.get()
        let cases: [(question: String, source: String)] = [
            ("知识蒸馏是什么", "en/knowledge-distillation.md"), ("蒸馏是什么", "en/knowledge-distillation.md"),
            ("蒸馏损失为什么要乘以 T 的平方", "en/knowledge-distillation.md"), ("DistilBERT 比 BERT 小多少", "en/knowledge-distillation.md"),
            ("序列级蒸馏是什么", "en/knowledge-distillation.md"),
            ("What is Gemini?", "zh/gemini-instruction-tuning.md"), ("When was Gemini released?", "zh/gemini-instruction-tuning.md"),
            // Through the term pair the article writes: 数据混合比例（data mixture ratio）.
            ("How did the Gemini team choose the data mixture ratio?", "zh/gemini-instruction-tuning.md"),
        ]
        for (q, source) in cases {
            let answer = engine.ask(q)
            #expect(answer.answered, "'\(q)' declined")
            let lead = try #require(answer.lead, "'\(q)' has no lead")
            #expect(lead.language != answer.language, "'\(q)': lead in \(lead.language), question in \(answer.language)")
            let cited = answer.references[lead.citations[0] - 1]
            #expect(cited.source == source, "'\(q)' cites \(cited.source)")
            #expect(cited.passage.contains(lead.text), "'\(q)': the lead is quoted verbatim from the passage it cites")
        }
        // The rendered answer says that the source is in the other language.
        let text = AnswerRenderer().render(engine.ask("知识蒸馏是什么"), as: .text)
        #expect(text.contains("来源为英文"), "\(text)")
    }
}
