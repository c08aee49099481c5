import Foundation
import Sift
import Testing

private func engine() throws -> AnswerEngine { try Shared.engine.get() }

/// Statements of an answer: the lead, the points, then the other meanings.
private func statements(_ a: Answer) -> [Answer.Statement] { (a.lead.map { [$0] } ?? []) + a.points + a.senses }

/// The contract of the JSON rendering.
let answerKeys: Set<String> = ["question", "language", "answered", "lead", "points", "senses", "references", "related"]
let referenceKeys: Set<String> = ["number", "title", "source", "passage", "start", "end", "score"]

@Suite("Answers on the bundled corpus")
struct AnswerComposerTests {
    static let questions = [
        "什么是sft?", "SFT 是什么", "sft是什么意思", "什么是 RLHF？", "LoRA 和 QLoRA 有什么区别？", "什么是检索增强生成",
        "大模型为什么会产生幻觉？", "BM25 是怎么排序的？", "ComfyUI 的 Flux 模型文件放在哪里？", "STFT 是什么",
        "What is RLHF?", "What is supervised fine-tuning?", "How does LoRA reduce the number of trainable parameters?",
        "What is DPO?", "What is a context window?", "How are LLMs evaluated?", "What does the .sft extension mean in ComfyUI?",
        "What is mixture of experts?",
    ]

    @Test("Faithfulness: every statement is copied from the passage it cites", arguments: questions)
    func faithfulness(question: String) throws {
        let a = try engine().ask(question)
        #expect(a.question == question)
        #expect(a.answered == (!a.points.isEmpty || a.lead != nil))
        #expect(a.points.count <= 5)
        #expect(a.references.map(\.number) == (0..<a.references.count).map { $0 + 1 }, "references are numbered 1…n")
        for s in statements(a) {
            #expect(!s.citations.isEmpty, "an uncited statement: \(s.text)")
            #expect(!s.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            for c in s.citations {
                guard c >= 1 && c <= a.references.count else {
                    Issue.record("citation [\(c)] points to no reference (\(a.references.count) references)"); continue
                }
                let passage = a.references[c - 1].passage
                #expect(passage.contains(s.text), "'\(s.text)' is not in its cited passage [\(c)]: \(passage)")
            }
        }
        // In an answer, every reference is cited by some statement.
        let cited = Set(statements(a).flatMap(\.citations))
        if a.answered { #expect(cited == Set(a.references.map(\.number)), "references that nothing cites") }
        // Points come from different articles.
        let pointSources = a.points.compactMap { $0.citations.first }.map { a.references[$0 - 1].source }
        #expect(Set(pointSources).count == pointSources.count, "two points from one article: \(pointSources)")
    }

    @Test("Questions the corpus covers are answered, citing the article about them", arguments: [
        ("什么是sft?", "zh/sft-supervised-fine-tuning.md"),
        ("什么是 RLHF？", "zh/rlhf.md"),
        ("什么是检索增强生成", "zh/rag-retrieval-augmented-generation.md"),
        ("STFT 是什么", "zh/stft-short-time-fourier-transform.md"),
        // The English article, found through the translation, gives the lead (its QLoRA sentence).
        ("LoRA 和 QLoRA 有什么区别？", "zh/lora-qlora.md|en/lora.md"),
        ("大模型为什么会产生幻觉？", "zh/llm-hallucination.md"),
        ("BM25 是怎么排序的？", "zh/bm25-ranking.md"),
        ("ComfyUI 的 Flux 模型文件放在哪里？", "zh/comfyui-flux-model-files.md"),
        ("What is RLHF?", "en/rlhf.md"),
        ("What is DPO?", "en/dpo.md"),
        ("What is mixture of experts?", "en/mixture-of-experts.md"),
        ("How does LoRA reduce the number of trainable parameters?", "en/lora.md"),
        ("How are LLMs evaluated?", "en/llm-evaluation-benchmarks.md"),
        ("What is a context window?", "en/context-window.md"),
    ])
    func coveredQuestions(question: String, article: String) throws {
        let a = try engine().ask(question)
        #expect(a.answered, "'\(question)' is covered by \(article) but not answered; nearest: \(a.references.map(\.source))")
        let cited = Set(statements(a).flatMap(\.citations).map { a.references[$0 - 1].source })
        // "a|b": either article (the same topic in both languages).
        let articles = article.split(separator: "|").map(String.init)
        #expect(articles.contains(where: cited.contains), "'\(question)' does not cite \(article); cited: \(cited.sorted())")
    }

    @Test("References point at real spans of real articles", arguments: ["什么是sft?", "What is RLHF?", "BM25 是怎么排序的？"])
    func referenceSpans(question: String) throws {
        let a = try engine().ask(question)
        for r in a.references {
            let url = TestPaths.corpus.appendingPathComponent(r.source)
            let source = try String(contentsOf: url, encoding: .utf8)
            #expect(r.start >= 0 && r.start < r.end && r.end <= source.unicodeScalars.count)
            let extracted = markupFreeText(of: source.scalarSlice(r.start, r.end))
            #expect(extracted.withoutWhitespace == r.passage.withoutWhitespace, "[\(r.number)] \(r.source) \(r.start)..<\(r.end)")
            #expect(r.score > 0 && r.score <= 1)
            #expect(!r.title.isEmpty)
        }
    }

    @Test("The answer's language is the question's", arguments: [
        ("什么是sft?", "zh"), ("SFT 是什么", "zh"), ("红烧肉怎么做?", "zh"), ("LoRA 的原理", "zh"),
        ("What is RLHF?", "en"), ("what is sft", "en"), ("How do I cook braised pork?", "en"), ("SFT?", "en"),
    ])
    func language(question: String, language: String) throws {
        #expect(try engine().ask(question).language == language)
    }

    @Test("什么是sft? is answered: the lead defines 监督微调, from several sources")
    func sft() throws {
        let a = try engine().ask("什么是sft?")
        #expect(a.answered)
        #expect(a.language == "zh")
        let lead = try #require(a.lead, "a definition question should have a lead")
        #expect(lead.text.contains("监督微调"), "lead: \(lead.text)")
        #expect(lead.text.contains("SFT"))
        let leadSource = a.references[lead.citations[0] - 1].source
        #expect(leadSource.hasPrefix("zh/"), "the lead should come from a Chinese article, got \(leadSource)")
        let citedSources = Set(statements(a).flatMap(\.citations).map { a.references[$0 - 1].source })
        #expect(citedSources.count >= 2, "cited sources: \(citedSources)")
        #expect(a.points.count >= 1, "the English definition of SFT is a bullet")
    }

    @Test("A bare term is a definition question", arguments: [("rlhf", "human feedback"), ("Sft", "supervised fine-tuning")])
    func bareTerm(question: String, definition: String) throws {
        let a = try engine().ask(question)
        let lead = try #require(a.lead, "'\(question)' should be answered")
        #expect(lead.text.lowercased().contains(definition), "lead: \(lead.text)")
    }

    @Test("A term no article is about is defined by the articles that define it, not split into senses")
    func termWithoutArticle() throws {
        let a = try engine().ask("What is reward hacking?")
        let lead = try #require(a.lead)
        #expect(lead.text.hasPrefix("Reward hacking is"), "lead: \(lead.text)")
        #expect(a.senses.isEmpty, "the RLHF and reward-model articles define the same thing: \(a.senses.map(\.text))")
        #expect(a.ambiguousTerm == nil)
        #expect(a.points.contains { $0.text.contains("reward hacking") }, "the Chinese definition is a bullet")
    }

    @Test("A Chinese definition question answered from English leads with the English definition")
    func crossLanguageDefinition() throws {
        // No Chinese article is about 知识蒸馏; the English one's title is the term's translation.
        let a = try engine().ask("知识蒸馏是什么")
        let lead = try #require(a.lead)
        #expect(lead.language == "en")
        #expect(lead.text.hasPrefix("Knowledge distillation is"), "lead: \(lead.text)")
    }

    @Test("A noun that ends a question and names the kind of answer is not its topic",
          arguments: [("RAG 的原理", "rag-retrieval-augmented-generation"), ("知识蒸馏里的温度参数有什么作用", "knowledge-distillation")])
    func intentNouns(question: String, article: String) throws {
        // "RAG 的原理" once led with LoRA's "LoRA 的原理" section (原理 outweighed RAG), and the
        // question about the temperature was declined.
        let a = try engine().ask(question)
        let lead = try #require(a.lead)
        let source = a.references[lead.citations[0] - 1].source
        #expect(source.contains(article), "'\(question)': lead from \(source): \(lead.text)")
    }

    @Test("Question words that are a query's only Chinese do not pick the statement")
    func questionWordsAreNotContent() throws {
        // "是什么" stays in the query (it says Chinese is wanted), but a sentence quoting
        // "…是什么？" does not answer "few-shot prompting 是什么".
        let a = try engine().ask("few-shot prompting 是什么")
        let lead = try #require(a.lead)
        #expect(a.references[lead.citations[0] - 1].source.hasSuffix("prompt-engineering.md"), "lead: \(lead.text)")
        #expect(lead.text.lowercased().contains("few-shot"), "lead: \(lead.text)")
    }

    @Test("The lead's passage adds its next statement only when it is about as likely, never the lead again")
    func secondStatementOfLeadPassage() throws {
        let questions = Shared.goldenQuestions()
        #expect(questions.count >= 50)
        for question in questions {
            let a = try engine().ask(question)
            guard let lead = a.lead else { continue }
            let sameReference = a.points.filter { $0.citations == lead.citations }
            #expect(sameReference.count <= 1, "'\(question)': \(sameReference.count) bullets from the lead's passage")
            for p in sameReference {
                #expect(!lead.text.contains(p.text) && !p.text.contains(lead.text), "'\(question)' repeats the lead: \(p.text)")
            }
        }
    }

    @Test("红烧肉怎么做? is not answered", arguments: ["红烧肉怎么做?", "How do I cook braised pork belly?", "明天北京的天气怎么样？"])
    func unanswerable(question: String) throws {
        let a = try engine().ask(question)
        #expect(!a.answered)
        #expect(a.lead == nil)
        #expect(a.points.isEmpty)
        #expect(a.references.count <= 3, "only the nearest topics are listed")
    }

    @Test("What is RLHF? is answered in English")
    func rlhf() throws {
        let a = try engine().ask("What is RLHF?")
        #expect(a.answered)
        #expect(a.language == "en")
        let lead = try #require(a.lead)
        #expect(lead.text.contains("RLHF") || lead.text.lowercased().contains("reinforcement learning from human feedback"))
        #expect(!lead.text.containsCJK, "the lead should be English: \(lead.text)")
        #expect(a.references[lead.citations[0] - 1].source.hasPrefix("en/"))
        let text = a.rendered(as: .text)
        #expect(text.hasPrefix("Q: What is RLHF?"))
        #expect(text.contains("References"))
    }

    @Test("JSON rendering has the contract's keys", arguments: ["什么是sft?", "What is RLHF?", "红烧肉怎么做?"])
    func jsonContract(question: String) throws {
        let a = try engine().ask(question)
        let json = AnswerRenderer().render(a, as: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(answerKeys.isSubset(of: Set(object.keys)), "keys: \(object.keys.sorted())")
        #expect(object["question"] as? String == question)
        #expect(object["language"] as? String == a.language)
        #expect(object["answered"] as? Bool == a.answered)
        if a.lead == nil {
            #expect(object["lead"] is NSNull, "an absent lead is an explicit null")
        } else {
            let lead = try #require(object["lead"] as? [String: Any])
            #expect(lead["text"] as? String == a.lead?.text)
            #expect((lead["citations"] as? [Int]) == a.lead?.citations)
        }
        let points = try #require(object["points"] as? [[String: Any]])
        #expect(points.count == a.points.count)
        for p in points {
            #expect(p["text"] is String)
            #expect(p["citations"] is [Int])
        }
        let references = try #require(object["references"] as? [[String: Any]])
        #expect(references.count == a.references.count)
        for r in references {
            #expect(referenceKeys.isSubset(of: Set(r.keys)), "reference keys: \(r.keys.sorted())")
            #expect(r["number"] is Int && r["start"] is Int && r["end"] is Int)
            #expect(r["title"] is String && r["source"] is String && r["passage"] is String)
            #expect(r["score"] is NSNumber)
        }
        #expect(object["related"] is [Any])
        // The Codable form decodes back to the same answer.
        #expect(try JSONDecoder().decode(Answer.self, from: Data(json.utf8)) == a)
    }

    @Test("Text and Markdown renderings use the question's language")
    func renderings() throws {
        let zh = try engine().ask("什么是sft?")
        let zhText = zh.rendered(as: .text)
        #expect(zhText.hasPrefix("问：什么是sft?"))
        #expect(zhText.contains("参考资料"))
        #expect(zh.rendered(as: .markdown).hasPrefix("## 什么是sft?"))
        let no = try engine().ask("红烧肉怎么做?")
        #expect(no.rendered(as: .text).contains("语料中没有能回答这个问题的内容"))
        let en = try engine().ask("How do I cook braised pork belly?")
        #expect(en.rendered(as: .text).contains("The corpus has no answer to this question."))
        // Every statement's text appears in the rendering, with its citation marks.
        for s in statements(zh) {
            let flat = s.text.replacingOccurrences(of: "\n", with: " ")
            #expect(zhText.contains(flat + " " + s.citations.map { "[\($0)]" }.joined()))
        }
    }

    @Test("A user template renders the answer")
    func userTemplate() throws {
        let renderer = try AnswerRenderer(templateSource: "{{% CONTENT_TYPE: TEXT}}{{question}}|{{#answered}}yes{{/answered}}{{#references}}[{{number}}]{{/references}}")
        let a = try engine().ask("What is RLHF?")
        let out = renderer.render(a, as: .text)
        #expect(out.hasPrefix("What is RLHF?|yes[1]"))
        guard case .invalidTemplate = siftError({ _ = try AnswerRenderer(templateSource: "{{#open}} never closed") }) else {
            Issue.record("an unclosed section should throw invalidTemplate"); return
        }
        guard case .invalidTemplate = siftError({ _ = try AnswerRenderer(templateFile: URL(fileURLWithPath: "/nonexistent/t.mustache")) }) else {
            Issue.record("a missing template file should throw invalidTemplate"); return
        }
    }

    @Test("Related questions come from the question bank, never the question itself")
    func related() throws {
        let a = try engine().ask("sft是什么意思")
        #expect(!a.related.isEmpty)
        #expect(a.related.count <= 5)
        #expect(!a.related.contains { $0.question == "sft是什么意思" })
        #expect(a.related.allSatisfy { !$0.date.isEmpty })
    }

    @Test("Composer settings are validated", arguments: [
        (0, Float(0.25)), (1001, Float(0.25)), (8, Float(-0.1)), (8, Float(1.5)), (8, Float.nan),
    ])
    func composerValidation(topK: Int, minScore: Float) {
        guard case .invalidArgument = siftError({ _ = try AnswerComposer(topK: topK, minScore: minScore) }) else {
            Issue.record("AnswerComposer(topK: \(topK), minScore: \(minScore)) should throw invalidArgument"); return
        }
    }

    @Test("maxPoints bounds the number of points; minScore 1 answers nothing")
    func composerSettings() throws {
        let e = try engine()
        let one = try AnswerComposer(maxPoints: 1)
        #expect(one.answer("What is RLHF?", index: e.index).points.count <= 1)
        let strict = try AnswerComposer(minScore: 1)
        let a = strict.answer("What is RLHF?", index: e.index)
        #expect(!a.answered && a.lead == nil && a.points.isEmpty)
    }

    @Test("Questions with odd input are handled", arguments: [
        "?", "？？？", "   ", "the of and", String(repeating: "监督微调", count: 2000), "🙂", "SFT\u{0}x",
    ])
    func oddQuestions(question: String) throws {
        let a = try engine().ask(question)
        for s in statements(a) {
            for c in s.citations { #expect(a.references[c - 1].passage.contains(s.text)) }
        }
        _ = a.rendered(as: .text)
        _ = a.rendered(as: .json)
    }

    @Test("Question analysis finds the term of definition questions", arguments: [
        ("什么是sft?", "sft"), ("SFT 是什么", "SFT"), ("sft是什么意思", "sft"), ("请问什么是 RLHF？", "RLHF"),
        ("What is RLHF?", "RLHF"), ("what is a context window", "context window"), ("Define LoRA", "LoRA"),
        ("What does RAG stand for?", "RAG"),
    ])
    func definitionTerm(question: String, term: String) throws {
        // A definition question leads with a sentence that names the term.
        let lead = try #require(try engine().ask(question).lead)
        #expect(lead.text.lowercased().contains(term.lowercased()))
    }

    @Test("Other questions lead with the statement that answers them, never repeated as a bullet", arguments: [
        ("LoRA 和 QLoRA 有什么区别？", "QLoRA"), ("How does LoRA reduce the number of trainable parameters?", "trainable parameters"),
        ("BM25 的 k1 参数有什么用?", "k1"),
    ])
    func otherQuestionsLead(question: String, word: String) throws {
        let a = try engine().ask(question)
        let lead = try #require(a.lead, "'\(question)' has no lead")
        #expect(lead.text.contains(word), "lead of '\(question)': \(lead.text)")
        #expect(!a.points.contains { $0.text == lead.text })
    }

    @Test("A question the corpus does not cover has no lead, no points and no senses")
    func uncoveredQuestion() throws {
        let a = try engine().ask("红烧肉怎么做?")
        #expect(a.lead == nil && a.points.isEmpty && a.senses.isEmpty && !a.answered)
    }

    @Test("Other meanings of an ambiguous term are apart from the answer, one per meaning, each naming the term")
    func senses() throws {
        let a = try engine().ask("什么是sft?")
        #expect(a.ambiguousTerm?.lowercased() == "sft")
        let sources = a.senses.map { a.references[$0.citations[0] - 1].source }
        #expect(Set(sources).count == sources.count)
        #expect(sources.contains("zh/comfyui-flux-model-files.md"), "the .sft file extension: \(sources)")
        // The main meaning is not repeated among the others, in either language.
        #expect(!sources.contains { $0.contains("supervised-fine-tuning") }, "\(sources)")
        for s in a.senses { #expect(s.text.lowercased().contains("sft"), "\(s.text)") }
        // Senses come after the answer: none of the answer's points is from an other-meaning article.
        let answerSources = ([a.lead!] + a.points).map { a.references[$0.citations[0] - 1].source }
        #expect(Set(answerSources).isDisjoint(with: sources))
        // An unambiguous term has none.
        #expect(try engine().ask("What is DPO?").senses.isEmpty)
    }
}

@Suite("AnswerEngine")
struct AnswerEngineTests {
    @Test("An engine over a corpus folder answers, and follows added and removed documents")
    func engineUpdates() throws {
        try withTemporaryDirectory { dir in
            let corpus = dir.appendingPathComponent("corpus")
            try write("# Photosynthesis\n\nPhotosynthesis is the process by which plants turn light into chemical energy.\n",
                      to: corpus.appendingPathComponent("photosynthesis.md"))
            try write("# Tides\n\nTides are the rise and fall of sea levels caused by the Moon's gravity.\n",
                      to: corpus.appendingPathComponent("tides.md"))
            let engine = try AnswerEngine(corpus: corpus)
            #expect(engine.questions == nil)
            let a = engine.ask("What is photosynthesis?")
            #expect(a.answered)
            #expect(a.lead?.text.hasPrefix("Photosynthesis is the process") == true)
            #expect(engine.search("tides moon").first?.document.id == "tides.md")

            let snapshot = engine.index
            engine.add([try CorpusLoader().article(text: "# Volcanoes\n\nVolcanoes are openings in the crust where magma erupts.", id: "volcanoes.md")])
            #expect(engine.search("magma erupts").first?.document.id == "volcanoes.md")
            #expect(snapshot.document(id: "volcanoes.md") == nil, "a snapshot does not change")
            #expect(engine.remove(documentID: "tides.md"))
            #expect(!engine.remove(documentID: "tides.md"))
            #expect(!engine.search("tides moon gravity", k: 10).contains { $0.document.id == "tides.md" })
            #expect(!engine.ask("What are tides?").references.contains { $0.source == "tides.md" })
        }
    }

    @Test("Concurrent questions while documents change")
    func concurrency() async throws {
        let engine = AnswerEngine(index: try SiftIndex(documents: sampleDocuments(), threads: 1))
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                group.addTask {
                    for _ in 0..<5 {
                        let a = engine.ask(i % 2 == 0 ? "什么是监督微调？" : "What is RLHF?")
                        for s in statements(a) {
                            for c in s.citations { #expect(a.references[c - 1].passage.contains(s.text)) }
                        }
                    }
                }
            }
            group.addTask {
                for n in 0..<5 {
                    engine.add([try! CorpusLoader().article(text: "# Extra \(n)\n\nExtra article number \(n) about gardening.", id: "extra\(n).md")])
                    if n % 2 == 1 { engine.remove(documentID: "extra\(n - 1).md") }
                }
            }
        }
        #expect(engine.index.document(id: "extra4.md") != nil)
        #expect(engine.index.document(id: "extra0.md") == nil)
    }
}
