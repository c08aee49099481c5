import Foundation
import Sift
import Testing

/// The English (Snowball "Porter2") stemmer is internal; it is tested through the
/// embedder: with character n-grams switched off, a one-word text's vector is the hashed
/// feature of its stem, so two words have the same vector exactly when they have the same
/// stem (a collision of two different stems is a 1-in-1024 chance, fixed per word pair).
@Suite("English stemmer (through the embedder)")
struct StemmerTests {
    static let wordsOnly: Embedder = {
        try! Embedder(model: variant(.hashedNgramV1, ["denseWeights.charNgram": 0, "rescoreWeights.charNgram": 0]))
    }()

    static func sameStem(_ a: String, _ b: String) -> Bool {
        let va = wordsOnly.embed(a), vb = wordsOnly.embed(b)
        return va.contains { $0 != 0 } && va.map(\.bitPattern) == vb.map(\.bitPattern)
    }

    /// Words with the same Porter2 stem (stem in the comment).
    @Test("Inflections share a stem", arguments: [
        ("running", "run"), ("runs", "run"),  // run
        ("connection", "connect"), ("connected", "connect"), ("connecting", "connections"),  // connect
        ("happiness", "happy"),  // happi
        ("studies", "study"), ("studying", "study"),  // studi
        ("fishing", "fish"), ("fished", "fishes"),  // fish
        ("argued", "argue"),  // argu
        ("generously", "generous"),  // generous
        ("models", "model"), ("modeling", "model"),  // model
        ("tuning", "tune"), ("tuned", "tunes"),  // tune
        ("retrieval", "retrieve"),  // retriev
        ("skies", "sky"),  // exception: sky
        ("skis", "ski"),  // exception: ski
        ("dying", "die"), ("lying", "lie"), ("tying", "tie"),  // special Step 1b cases
        ("gently", "gentle"),  // exception: gentl
        ("Running", "RUN"),  // lower-cased first
    ])
    func sameStemPairs(a: String, b: String) {
        #expect(Self.sameStem(a, b), "'\(a)' and '\(b)' should share a stem")
    }

    @Test("Different stems stay apart", arguments: [
        ("news", "new"),  // news is invariant
        ("evening", "even"),  // evening is invariant
        ("general", "generate"),  // gener-al / gener-at (special R1 prefix)
        ("university", "universal"),
        ("model", "mode"),
        ("retrieval", "generation"),
    ])
    func differentStemPairs(a: String, b: String) {
        #expect(!Self.sameStem(a, b), "'\(a)' and '\(b)' should not share a stem")
    }

    @Test("Stop words are dropped, so they add no feature")
    func stopWords() {
        #expect(Self.wordsOnly.embed("the").allSatisfy { $0 == 0 })
        #expect(Self.wordsOnly.embed("model").contains { $0 != 0 })
        #expect(Self.wordsOnly.embed("the model of the").map(\.bitPattern) == Self.wordsOnly.embed("model").map(\.bitPattern))
    }

    @Test("'running' and 'runs' retrieve the same passage")
    func retrievalThroughStems() throws {
        let index = try SiftIndex(documents: sampleDocuments(), threads: 1)
        for query in ["running", "runs", "run", "RUNS"] {
            let hits = index.search(query, k: 3)
            #expect(hits.first?.document.id == "en/running.md", "query '\(query)' found \(hits.map(\.document.id))")
        }
        for query in ["swimmers", "swimming", "swim"] {
            #expect(index.search(query, k: 3).first?.document.id == "en/swimming.md", "query '\(query)'")
        }
    }
}
