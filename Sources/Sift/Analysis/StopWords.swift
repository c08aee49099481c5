/// English stop words dropped from word features (the list of NLTK/bm25s, lower-case).
/// Character n-grams of these words are not produced either.
enum StopWords {
    static let english: [String] = [
        "a", "about", "above", "after", "again", "against", "ain", "all", "am", "an", "and", "any", "are",
        "aren", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
        "by", "can", "couldn", "d", "did", "didn", "do", "does", "doesn", "doing", "don", "down", "during",
        "each", "few", "for", "from", "further", "had", "hadn", "has", "hasn", "have", "haven", "having",
        "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is",
        "isn", "it", "its", "itself", "just", "ll", "m", "ma", "me", "mightn", "more", "most", "mustn", "my",
        "myself", "needn", "no", "nor", "not", "now", "o", "of", "off", "on", "once", "only", "or", "other",
        "our", "ours", "ourselves", "out", "over", "own", "re", "s", "same", "shan", "she", "should",
        "shouldn", "so", "some", "such", "t", "than", "that", "the", "their", "theirs", "them", "themselves",
        "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up",
        "ve", "very", "was", "wasn", "we", "were", "weren", "what", "when", "where", "which", "while", "who",
        "whom", "why", "will", "with", "won", "wouldn", "y", "you", "your", "yours", "yourself", "yourselves",
    ]
}

/// Chinese question words (simplified and traditional). They say what kind of answer is
/// wanted, not what it is about, like the English question words that are stop words above;
/// a model with `dropQuestionWords` removes them from queries.
enum QuestionWords {
    /// Longest first where one contains another ("为什么" before "什么").
    static let chinese: [String] = [
        "请问", "为什么", "为何", "什么是", "是什么", "什么样", "什么", "怎么样", "怎么", "怎样", "如何",
        "哪一个", "哪一", "哪些", "哪个", "哪里", "哪儿", "何种", "何时", "多少", "谁",
        "是否", "是不是", "有没有", "能不能", "一下", "意思", "吗", "呢", "啊",
        "請問", "為什麼", "為何", "什麼是", "是什麼", "什麼樣", "什麼", "怎麼樣", "怎麼", "怎樣",
        "哪一個", "哪個", "哪裡", "哪兒", "何種", "何時", "誰", "有沒有", "嗎",
    ]

    static let chineseUTF8: [[UInt8]] = chinese.map { Array($0.utf8) }

    /// Nouns that, ending a question, name the kind of answer wanted rather than its topic:
    /// "RAG 的原理", "温度参数有什么作用". Only at the end, where they cannot be part of a term
    /// ("副作用是什么" keeps its 作用). Words of comparison (区别, 不同) stay: the sentence that
    /// answers "X 和 Y 有什么区别" tends to say 区别 or 不同 too.
    static let intentNouns: [String] = [
        "优缺点", "優缺點", "原理", "作用", "影响", "影響", "优点", "優點", "缺点", "缺點", "优势", "優勢", "特点", "特點", "用途",
    ]

    static let intentNounsUTF8: [[UInt8]] = intentNouns.map { Array($0.utf8) }

    /// Space, `?`, `!`, `.`, tab and newline: what may follow the last word of a question.
    static let trailing: Set<UInt8> = [0x20, 0x3F, 0x21, 0x2E, 0x09, 0x0A]

    /// Removes an intent noun that ends `bytes` (after trailing spaces and punctuation) when
    /// a CJK character, letter or digit stays before it.
    static func dropTrailingIntentNoun(_ bytes: inout [UInt8]) -> Bool {
        var end = bytes.count
        while end > 0, trailing.contains(bytes[end - 1]) { end -= 1 }
        // Full-width ？ ！ 。 (EF BC 9F, EF BC 81, E3 80 82).
        while end >= 3, (bytes[end - 3], bytes[end - 2], bytes[end - 1]) == (0xEF, 0xBC, 0x9F)
            || (bytes[end - 3], bytes[end - 2], bytes[end - 1]) == (0xEF, 0xBC, 0x81)
            || (bytes[end - 3], bytes[end - 2], bytes[end - 1]) == (0xE3, 0x80, 0x82) {
            end -= 3
            while end > 0, trailing.contains(bytes[end - 1]) { end -= 1 }
        }
        for w in intentNounsUTF8 where end >= w.count && bytes[(end - w.count)..<end].elementsEqual(w) {
            let rest = String(decoding: bytes[..<(end - w.count)], as: UTF8.self)
            guard rest.unicodeScalars.contains(where: { ScriptClass.isCJK($0.value) || $0.properties.isAlphabetic || $0.properties.numericType != nil })
            else { return false }
            bytes.replaceSubrange((end - w.count)..<end, with: [0x20])
            return true
        }
        return false
    }

    /// `text` with every Chinese question word, and an intent noun ending it, replaced by a
    /// space (so no CJK pair spans the gap). Text without CJK characters, and text that would
    /// keep no letter, digit or CJK character, comes back unchanged.
    static func strip(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { ScriptClass.isCJK($0.value) }) else { return text }
        // Each word in turn, every occurrence replaced, on UTF-8 bytes (a whole character's
        // bytes cannot match in the middle of another's; Foundation's search cost more than
        // the rest of preparing a query).
        var bytes = Array(text.utf8)
        var changed = false
        for w in chineseUTF8 {
            var i = 0
            var out: [UInt8] = []
            var found = false
            while i < bytes.count {
                if bytes[i] == w[0], i + w.count <= bytes.count, bytes[i..<(i + w.count)].elementsEqual(w) {
                    if !found { out.reserveCapacity(bytes.count); out.append(contentsOf: bytes[..<i]); found = true }
                    out.append(0x20)
                    i += w.count
                } else {
                    if found { out.append(bytes[i]) }
                    i += 1
                }
            }
            if found { bytes = out; changed = true }
        }
        if dropTrailingIntentNoun(&bytes) { changed = true }
        guard changed else { return text }
        let s = String(decoding: bytes, as: UTF8.self)
        return s.unicodeScalars.contains { ScriptClass.isCJK($0.value) || $0.properties.isAlphabetic || $0.properties.numericType != nil } ? s : text
    }

    /// The query a model with `dropQuestionWords` searches for: `text` without its Chinese
    /// question words, unless that leaves no CJK character. In "什么是sft?" the question words
    /// are the only Chinese in the question and the only sign that the asker wants Chinese
    /// sources, so they stay.
    static func stripForSearch(_ text: String) -> String {
        let stripped = strip(text)
        return stripped.unicodeScalars.contains(where: { ScriptClass.isCJK($0.value) }) ? stripped : text
    }
}
