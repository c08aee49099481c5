/// What the composer needs to know about a question: its language and, for a
/// definition question ("什么是X", "X是什么", "what is X", "define X"), the term X.
struct QuestionAnalysis: Sendable, Hashable {
    /// `"zh"` or `"en"`.
    var language: String
    /// The term asked about, for definition questions.
    var definitionTerm: String?

    init(_ question: String) {
        let trimmed = question.trimmingCharacters(in: .whitespacesAndNewlines.union(.init(charactersIn: "?？!！。.，,；;:：~～")))
        language = LanguageDetector.detect(question)
        definitionTerm = QuestionAnalysis.term(in: trimmed)
        searchText = QuestionWords.strip(question)
    }

    /// The question without Chinese question words (什么, 为什么, 怎么, 如何, 哪些, 吗, 呢, …),
    /// which say what kind of answer is wanted but not what it is about. English question
    /// words are stop words already.
    var searchText: String

    static let zhPrefixes = ["请问什么是", "什么叫做", "什么叫", "什么是", "何为", "何谓", "解释一下", "介绍一下", "请解释", "请介绍", "定义"]
    static let zhSuffixes = ["是什么意思啊", "是什么意思", "是什么东西", "指的是什么", "是什么呢", "是什么", "是啥意思", "是啥", "指什么", "的定义是什么", "的定义", "的含义", "什么意思", "的意思"]
    static let enPrefixes = ["what exactly is ", "what is meant by ", "what is an ", "what is a ", "what is the ", "what is ", "what are ", "what's ",
                             "whats ", "define ", "definition of ", "meaning of ", "explain ", "tell me about "]
    static let enDoes = [("what does ", " mean"), ("what does ", " stand for"), ("what do ", " mean")]

    static func term(in q: String) -> String? {
        let lower = q.lowercased()
        func clean(_ s: Substring) -> String? {
            let t = s.trimmingCharacters(in: .whitespaces.union(.init(charactersIn: "“”\"'‘’「」")))
            return t.isEmpty || t.count > 40 ? nil : t
        }
        for p in zhPrefixes where q.hasPrefix(p) { return clean(q.dropFirst(p.count)) }
        for s in zhSuffixes where q.hasSuffix(s) { return clean(q.dropLast(s.count)) }
        for (p, s) in enDoes where lower.hasPrefix(p) && lower.hasSuffix(s) {
            return clean(q.dropFirst(p.count).dropLast(s.count))
        }
        for p in enPrefixes where lower.hasPrefix(p) { return clean(q.dropFirst(p.count)) }
        return nil
    }
}
