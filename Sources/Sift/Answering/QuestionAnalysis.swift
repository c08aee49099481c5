/// What the composer needs to know about a question: its language and, for a
/// definition question ("什么是X", "X是什么", "what is X", "define X"), the term X.
struct QuestionAnalysis: Sendable, Hashable {
    /// `"zh"` or `"en"`.
    var language: String
    /// The term asked about, for definition questions.
    var definitionTerm: String?
    /// The kind of answer asked for, from the question words.
    var answerType: AnswerType

    init(_ question: String) {
        let trimmed = QuestionAnalysis.trimmed(question)
        language = LanguageDetector.detect(question)
        definitionTerm = QuestionAnalysis.term(in: trimmed)
        searchText = QuestionWords.strip(question)
        answerType = definitionTerm != nil ? .definition : AnswerType.of(question)
    }

    /// The question without Chinese question words (什么, 为什么, 怎么, 如何, 哪些, 吗, 呢, …),
    /// which say what kind of answer is wanted but not what it is about. English question
    /// words are stop words already.
    var searchText: String

    /// `question` without surrounding white space and punctuation.
    static func trimmed(_ question: String) -> String {
        question.trimmingCharacters(in: .whitespacesAndNewlines.union(.init(charactersIn: "?？!！。.，,；;:：~～")))
    }

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
        // A bare term ("rlhf", "LoRA", "蒸馏") asks what it is, as a search box's user means it.
        return isBareTerm(q) ? q : nil
    }

    /// One Latin token (letters, digits, `.`, `_`, `+`, `-`; 2–30 characters, starting with a
    /// letter), or up to six CJK characters that hold no question word.
    static func isBareTerm(_ q: String) -> Bool {
        let scalars = q.unicodeScalars
        guard let first = scalars.first else { return false }
        if first.isASCII && first.properties.isAlphabetic {
            return (2...30).contains(scalars.count)
                && scalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "._+-".unicodeScalars.contains($0)) }
        }
        return (2...6).contains(scalars.count) && scalars.allSatisfy { ScriptClass.isCJK($0.value) } && QuestionWords.strip(q) == q
    }
}

/// The kind of answer a question asks for, read from its question words (Chinese and English).
enum AnswerType: Int, Sendable, CaseIterable {
    case other, number, date, person, place, reason, method, definition

    /// Question words of each type, longest first within a language where one contains another.
    static let cues: [(AnswerType, [String])] = [
        (.date, ["哪一年", "哪年", "何年", "何时", "何時", "什么时候", "什麼時候", "哪一天", "哪天", "几月", "幾月", "几号", "哪个月", "哪個月",
                 "哪个年代", "哪個年代", "哪个朝代", "哪個朝代", "哪一世纪", "when", "what year", "which year", "what date", "what century",
                 "what decade", "what time", "how long ago"]),
        (.number, ["多少", "几个", "幾個", "几次", "幾次", "几种", "幾種", "多大", "多长", "多長", "多高", "多远", "多遠", "多久", "多重", "几", "幾",
                   "how many", "how much", "how long", "how far", "how old", "how big", "how large", "how tall", "how high",
                   "what percentage", "what percent", "what number", "what amount", "what size"]),
        (.person, ["哪位", "谁", "誰", "什么人", "什麼人", "who", "whom", "whose"]),
        (.place, ["哪里", "哪裡", "哪儿", "哪兒", "在哪", "什么地方", "什麼地方", "哪个国家", "哪個國家", "哪个城市", "哪個城市", "哪个地区", "哪個地區",
                  "哪个文件夹", "哪个目录", "放在", "位于", "位於", "where", "what country", "which country", "what city", "which city",
                  "what state", "which state", "what region", "which region", "what folder", "which folder", "what directory"]),
        (.reason, ["为什么", "為什麼", "为何", "為何", "何故", "原因", "why", "what caused", "what causes", "for what reason"]),
        (.method, ["怎么", "怎麼", "怎样", "怎樣", "如何", "how do", "how does", "how did", "how can", "how to", "how is", "how are", "in what way"]),
    ]

    /// The cues in UTF-8, each with whether it is English (matched as whole words).
    static let cueBytes: [(AnswerType, [(bytes: [UInt8], word: Bool)])] = cues.map { type, words in
        (type, words.map { (Array($0.utf8), $0.first?.isASCII == true) })
    }

    static func of(_ question: String) -> AnswerType {
        var q = question.lowercased()
        return q.withUTF8 { t in
            for (type, words) in cueBytes {
                for (cue, word) in words {
                    let found = cue.withUnsafeBufferPointer { c -> Bool in
                        var from = 0
                        while let at = ByteSearch.firstOffset(of: c, in: t, from: from) {
                            // English cues are whole words.
                            if !word || !(ByteSearch.isLetter(in: t, at: at, before: true) || ByteSearch.isLetter(in: t, at: at + c.count, before: false)) {
                                return true
                            }
                            from = at + 1
                        }
                        return false
                    }
                    if found { return type }
                }
            }
            return .other
        }
    }
}
