import Foundation
@_spi(Benchmarks) import Sift
import Testing

private func norm(_ v: [Float]) -> Double {
    v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
}

/// FNV-1a over the (index, bit pattern) pairs of a vector's non-zero components: pins a
/// whole vector bit for bit.
private func digest(_ v: [Float]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ x: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) {
            h ^= UInt64((x >> UInt32(shift)) & 0xFF)
            h &*= 0x100_0000_01b3
        }
    }
    for (i, x) in v.enumerated() where x != 0 {
        mix(UInt32(i))
        mix(x.bitPattern)
    }
    return h
}

struct GoldenVector: Sendable, CustomTestStringConvertible {
    var label: String
    var text: String
    var nonZero: Int
    /// (index, Float bit pattern) pairs.
    var entries: [(Int, UInt32)]
    var digest: UInt64
    var testDescription: String { label }
}

@Suite("Embedder")
struct EmbedderTests {
    static let texts = [
        "监督微调是大模型训练的关键步骤。",
        "Supervised fine-tuning teaches a model to follow instructions.",
        "SFT 即监督微调（Supervised Fine-Tuning）",
        "LoRA adds low-rank adapters; QLoRA quantises the base model to 4 bits.",
        "检索增强生成（RAG）",
        "xy",
        "日本語のテキストと한국어 텍스트",
        "Ünïcödé wörds and naïve café",
    ]

    @Test("The default embedder has the default model and its dimension")
    func defaults() throws {
        let e = try Embedder()
        #expect(e.model == .default)
        #expect(EmbeddingModel.default == .hashedNgramV2)
        #expect(e.dimension == 1024)
        #expect(e.model.identifier == "hashed-ngram-v2")
        #expect(e.model.matrixPrecision == .bfloat16)
        #expect(e.model.dimension * e.model.matrixPrecision.bytesPerElement == 2048, "the flat matrix costs 2 KiB per passage")
        #expect(e.embed("anything").count == 1024)
    }

    @Test("Same text, same vector, across Embedder instances", arguments: texts)
    func deterministic(text: String) throws {
        let a = try Embedder().embed(text)
        let b = try Embedder(model: .hashedNgramV2).embed(text)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(a.map(\.bitPattern) == (try Embedder()).embed(text).map(\.bitPattern))
    }

    @Test("Batch embedding equals one-by-one embedding", arguments: [1, 2, 0])
    func batchEmbedding(threads: Int) throws {
        let e = try Embedder()
        let texts = Self.texts + ["", "the", "。"]
        let batch = e.embed(batch: texts, threads: threads)
        #expect(batch.count == texts.count)
        for (text, v) in zip(texts, batch) {
            #expect(v.map(\.bitPattern) == e.embed(text).map(\.bitPattern), "'\(text)'")
        }
        #expect(e.embed(batch: [], threads: threads).isEmpty)
    }

    @Test("Embedding into a reused matrix equals one-by-one embedding", arguments: [1, 2, 0])
    func batchIntoMatrix(threads: Int) throws {
        let e = try Embedder()
        let d = e.dimension
        let texts = Self.texts + ["", "the", "。"]
        var matrix: [Float] = [1, 2, 3]  // old contents are replaced, whatever their size
        for batch in [texts, Array(texts.prefix(2)), [], texts.reversed()] {
            e.embed(batch: batch, into: &matrix, threads: threads)
            #expect(matrix.count == batch.count * d)
            for (i, text) in batch.enumerated() {
                #expect(matrix[(i * d)..<((i + 1) * d)].map(\.bitPattern) == e.embed(text).map(\.bitPattern), "'\(text)'")
            }
        }
    }

    @Test("Vectors have unit L2 norm", arguments: texts)
    func unitNorm(text: String) throws {
        let v = try Embedder().embed(text)
        #expect(abs(norm(v) - 1) < 1e-5, "norm is \(norm(v))")
        #expect(v.allSatisfy { $0.isFinite })
    }

    @Test("Every passage of the bundled corpus has a unit vector")
    func unitNormOnCorpus() throws {
        let e = try Embedder()
        let documents = try Shared.corpusLoad.get().documents
        for doc in documents {
            for p in doc.passages {
                let v = e.embed(p.text)
                #expect(abs(norm(v) - 1) < 1e-5, "\(doc.document.id) passage \(p.ordinal): norm \(norm(v))")
            }
        }
    }

    @Test("Text without features gives the all-zero vector",
          arguments: ["", "   ", "\n\t", "。，！？；：", "...!!!???", "—–-", "the of and to", "a b c", "🙂🙂"])
    func zeroVector(text: String) throws {
        let v = try Embedder().embed(text)
        #expect(v.count == 1024)
        #expect(v.allSatisfy { $0 == 0 }, "'\(text)' should have no feature")
    }

    static let golden: [GoldenVector] = [
        GoldenVector(label: "zh", text: "监督微调是大模型训练的关键步骤。", nonZero: 15,
                     entries: [(2, 0xbe84_32a5), (64, 0x3e84_32a5), (72, 0x3e84_32a5), (108, 0xbe84_32a5), (151, 0x3e84_32a5), (228, 0x3e84_32a5)],
                     digest: 0xdd74_2596_431c_95b1),
        GoldenVector(label: "en", text: "Supervised fine-tuning teaches a model to follow instructions.", nonZero: 121,
                     entries: [(1, 0xbd5c_33cc), (9, 0x3e89_a05f), (20, 0x3d5c_33cc), (28, 0xbd5c_33cc), (31, 0xbddc_33cc), (33, 0x3e89_a05f)],
                     digest: 0x494a_998d_2fd7_b3d1),
        GoldenVector(label: "mixed", text: "SFT 即监督微调（Supervised Fine-Tuning）", nonZero: 61,
                     entries: [(1, 0xbd74_c867), (9, 0x3e98_fd40), (31, 0xbd74_c867), (33, 0x3e98_fd40), (46, 0xbd74_c867), (54, 0xbd74_c867)],
                     digest: 0x8e7c_8086_1894_3940),
    ]

    /// Values recorded from hashed-ngram-v1; they must be the same on every machine.
    @Test("Golden vector values of hashed-ngram-v1", arguments: golden)
    func goldenValues(g: GoldenVector) throws {
        let v = try Embedder(model: .hashedNgramV1).embed(g.text)
        #expect(v.filter { $0 != 0 }.count == g.nonZero)
        for (index, bits) in g.entries {
            #expect(v[index].bitPattern == bits,
                    "component \(index): got \(v[index]) (0x\(String(v[index].bitPattern, radix: 16))), want \(Float(bitPattern: bits))")
        }
        #expect(digest(v) == g.digest, "digest of the whole vector: got 0x\(String(digest(v), radix: 16))")
    }

    @Test("NFKC, full-/half-width and case folding give the same vector", arguments: [
        ["ＳＦＴ", "sft", "SFT", "Sft", "ｓｆｔ"],
        ["ＬｏＲＡ ｆｉｎｅ－ｔｕｎｉｎｇ", "LoRA fine-tuning", "lora FINE-TUNING"],
        ["Ａ１ｂ２", "a1b2", "A1B2"],
        ["ｶﾀｶﾅ", "カタカナ"],
        ["ﬁne tuning", "fine tuning"],
        ["①② steps", "12 steps"],
        ["监督微调（ＳＦＴ）", "监督微调(SFT)"],
        ["CAFÉ", "café", "cafe\u{301}"],
    ])
    func folding(variants: [String]) throws {
        let e = try Embedder()
        let first = e.embed(variants[0])
        #expect(first.contains { $0 != 0 })
        for other in variants.dropFirst() {
            #expect(e.embed(other).map(\.bitPattern) == first.map(\.bitPattern), "'\(variants[0])' and '\(other)' differ")
        }
    }

    @Test("Different texts give different vectors")
    func distinct() throws {
        let e = try Embedder()
        let vectors = Self.texts.map { e.embed($0).map(\.bitPattern) }
        #expect(Set(vectors).count == vectors.count)
    }

    @Test("Related texts are more similar than unrelated ones")
    func similarity() throws {
        let e = try Embedder()
        func cos(_ a: String, _ b: String) -> Float { zip(e.embed(a), e.embed(b)).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(cos("supervised fine-tuning of language models", "fine-tuning a language model with supervision")
                > cos("supervised fine-tuning of language models", "braised pork belly recipe"))
        #expect(cos("监督微调大模型", "大模型的监督微调方法") > cos("监督微调大模型", "红烧肉的做法"))
    }

    @Test("Another seed gives other vectors; an invalid model is rejected")
    func modelSettings() throws {
        let other = variant(.hashedNgramV1, ["seed": 12345])
        let text = "Supervised fine-tuning"
        #expect(try Embedder(model: other).embed(text) != Embedder(model: .hashedNgramV1).embed(text))

        var bad = EmbeddingModel.hashedNgramV1
        bad.dimension = 4
        guard case .invalidModel = siftError({ _ = try Embedder(model: bad) }) else {
            Issue.record("dimension 4 should be rejected with invalidModel"); return
        }
        let bad2 = variant(.hashedNgramV1, ["dfBuckets": 1000])
        guard case .invalidModel = siftError({ try bad2.validate() }) else {
            Issue.record("dfBuckets 1000 should be rejected with invalidModel"); return
        }
        let bad3 = variant(.hashedNgramV1, ["bm25Weight": 1.5])
        guard case .invalidModel = siftError({ try bad3.validate() }) else {
            Issue.record("bm25Weight 1.5 should be rejected with invalidModel"); return
        }
    }

    @Test("The model fingerprint is stable and covers every setting")
    func fingerprint() throws {
        let base = EmbeddingModel.hashedNgramV1
        #expect(base.fingerprint == EmbeddingModel.hashedNgramV1.fingerprint)
        let seed = setting(base, "seed") as! UInt64
        let changes: [EmbeddingModel] = [
            variant(base, ["seed": seed + 1]), variant(base, ["version": 2]), variant(base, ["dimension": 256]),
            variant(base, ["tfK1": 1.2]), variant(base, ["denseWeights.charNgram": 0.3]), variant(base, ["stemming": false]),
            variant(base, ["candidates": 100]),
        ]
        for changed in changes {
            #expect(changed.fingerprint != base.fingerprint)
        }
        // Codable round trip keeps the model (and so its fingerprint).
        let data = try JSONEncoder().encode(base)
        let decoded = try JSONDecoder().decode(EmbeddingModel.self, from: data)
        #expect(decoded == base)
        #expect(decoded.fingerprint == base.fingerprint)
    }

    @Test("Every compiled-in model equals its file in Models/", arguments: EmbeddingModel.released)
    func modelFile(model: EmbeddingModel) throws {
        let url = TestPaths.packageRoot.appendingPathComponent("Models/\(model.identifier).json")
        try #require(FileManager.default.fileExists(atPath: url.path), "Models/\(model.identifier).json is missing")
        let loaded = try EmbeddingModel.load(contentsOf: url)
        #expect(loaded == model)
        #expect(loaded.fingerprint == model.fingerprint)
        #expect(loaded.identifier == model.identifier)
    }

    @Test("Settings added after v1 keep v1's definition and fingerprint; v2 differs from v1")
    func laterSettings() throws {
        let v1 = EmbeddingModel.hashedNgramV1
        let json = String(decoding: try JSONEncoder().encode(v1), as: UTF8.self)
        #expect(!json.contains("matrixPrecision") && !json.contains("dropQuestionWords"))
        #expect(v1.matrixPrecision == .float32 && setting(v1, "dropQuestionWords") == nil)
        // Recorded from the version-1 code, before these settings existed.
        #expect(v1.fingerprint == Self.v1Fingerprint, "got 0x\(String(v1.fingerprint, radix: 16))")
        let v2 = EmbeddingModel.hashedNgramV2
        #expect(v2.fingerprint != v1.fingerprint)
        var m = v2; m.matrixPrecision = .float32
        #expect(m.fingerprint != v2.fingerprint)
        #expect(variant(v2, ["dropQuestionWords": false]).fingerprint != v2.fingerprint)
        var odd = v2; odd.dimension = 1023
        guard case .invalidModel = siftError({ try odd.validate() }) else {
            Issue.record("an odd bfloat16 dimension should be rejected"); return
        }
    }

    static let v1Fingerprint: UInt64 = 5_612_616_411_680_404_924

    @Test("Chinese question words are dropped from v2 queries, simplified and traditional")
    func questionWords() throws {
        let index = try Shared.corpusIndex.get()
        #expect(index.model == .hashedNgramV2)
        func ranking(_ index: SiftIndex, _ q: String) -> [String] {
            index.search(q, k: 10).map { "\($0.passageID) \($0.score)" }
        }
        for (question, topic) in [("什么是监督微调？", "监督微调"), ("为什么要做指令微调", "要做指令微调"),
                                  ("什麼是監督微調", "監督微調"), ("哪些模型用了LoRA？", "模型用了LoRA")] {
            let got = ranking(index, question)
            #expect(!got.isEmpty, "\(question) finds nothing")
            #expect(got == ranking(index, topic), "\(question) should search as \(topic)")
        }
        // A question made only of question words keeps them (something must be searched), and
        // so does one whose only Chinese they are: they say the asker wants Chinese sources.
        #expect(!ranking(index, "什么？").isEmpty)
        #expect(ranking(index, "什么是sft?") != ranking(index, "sft"))
        #expect(index.search("什么是sft?", k: 3).contains { $0.document.id.hasPrefix("zh/") })
        // v1 keeps them: the question words change its ranking.
        let v1 = try SiftIndex(model: .hashedNgramV1, documents: Shared.corpusLoad.get().documents, threads: 2)
        #expect(ranking(v1, "什么是监督微调？") != ranking(v1, "监督微调"))
    }

    @Test("v2's BM25 counts a repeated query feature each time; v1 counts it once")
    func bm25QueryTermFrequency() throws {
        let documents = try Shared.corpusLoad.get().documents
        let v2 = try Shared.corpusIndex.get()
        let v1 = try SiftIndex(model: .hashedNgramV1, documents: documents, threads: 2)
        func lexical(_ index: SiftIndex, _ q: String) -> [String] {
            index.search(q, k: 5).map { "\($0.passageID) \($0.lexicalScore)" }
        }
        #expect(lexical(v1, "LoRA LoRA 微调") == lexical(v1, "LoRA 微调"))
        #expect(lexical(v2, "LoRA LoRA 微调") != lexical(v2, "LoRA 微调"))
        #expect(variant(.hashedNgramV2, ["bm25QueryTF": false]).fingerprint != EmbeddingModel.hashedNgramV2.fingerprint)
    }

    @Test("Loading a model file: missing, not JSON, invalid values")
    func modelFileErrors() throws {
        try withTemporaryDirectory { dir in
            let missing = dir.appendingPathComponent("none.json")
            guard case .fileUnreadable = siftError({ _ = try EmbeddingModel.load(contentsOf: missing) }) else {
                Issue.record("a missing model file should throw fileUnreadable"); return
            }
            let garbage = dir.appendingPathComponent("garbage.json")
            try write("not json", to: garbage)
            guard case .invalidModel = siftError({ _ = try EmbeddingModel.load(contentsOf: garbage) }) else {
                Issue.record("a non-JSON model file should throw invalidModel"); return
            }
            let bad = variant(.hashedNgramV1, ["charNgramMin": 0])
            let badURL = dir.appendingPathComponent("bad.json")
            try JSONEncoder().encode(bad).write(to: badURL)
            guard case .invalidModel = siftError({ _ = try EmbeddingModel.load(contentsOf: badURL) }) else {
                Issue.record("an invalid model file should throw invalidModel"); return
            }
        }
    }
}
