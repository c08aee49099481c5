import Foundation

/// Weighs the features of a candidate statement (``StatementFeatures``) into a score,
/// `Σ wᵢ · (xᵢ − μᵢ) / sᵢ`, whose softmax over a question's candidates is the probability that
/// each is the one that answers it (a conditional logit: the composer picks the best).
///
/// The released model is `Models/answer-ranker-v1.json`, trained by
/// `Benchmarks/quality/train_ranker.py` on the shared split of the SQuAD-style sets
/// (`sift eval --answers --dump-statements`); the library carries the same values compiled
/// in (``AnswerRanker/v1``) and a test keeps the two identical.
struct AnswerRanker: Sendable, Codable, Hashable {
    var name: String
    var version: Int
    var features: [String]
    var mean: [Float]
    var scale: [Float]
    var weights: [Float]
    var bias: Float

    /// The score of a statement with features `x` (a difference of 1 is a factor e in odds).
    func score(_ x: [Float]) -> Float {
        var z = bias
        for i in 0..<min(x.count, weights.count) { z += weights[i] * (x[i] - mean[i]) / scale[i] }
        return z
    }

    /// Loads a ranker definition (the JSON of `Models/answer-ranker-*.json`).
    static func load(_ data: Data) throws(SiftError) -> AnswerRanker {
        let r: AnswerRanker
        do { r = try JSONDecoder().decode(AnswerRanker.self, from: data) } catch {
            throw .invalidModel("not an answer-ranker definition: \(error)")
        }
        guard r.features == StatementFeatures.names, r.mean.count == r.features.count, r.scale.count == r.features.count,
              r.weights.count == r.features.count, r.scale.allSatisfy({ $0 > 0 }) else {
            throw .invalidModel("answer ranker \(r.name)-v\(r.version): its features are not this version's \(StatementFeatures.names)")
        }
        return r
    }

    /// Whether `data` (the JSON of `Models/answer-ranker-v1.json`) is the model compiled into
    /// the library as ``v1`` (to 1e-6: the file rounds to six decimals).
    static func isCompiled(_ data: Data) throws(SiftError) -> Bool {
        let file = try load(data)
        let close = { (a: [Float], b: [Float]) in a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($0)) } }
        return file.name == v1.name && file.version == v1.version && file.features == v1.features && close(file.mean, v1.mean)
            && close(file.scale, v1.scale) && close(file.weights, v1.weights) && abs(file.bias - v1.bias) <= 1e-6
    }
}

extension AnswerComposer {
    /// Whether a ranker model file is the one this library was built with (for tests and tools).
    @_spi(Internals)
    public static func usesRanker(modelFile data: Data) throws(SiftError) -> Bool { try AnswerRanker.isCompiled(data) }
}
