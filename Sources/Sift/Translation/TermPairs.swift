/// A Chinese term and the English the corpus glosses it with, as articles write them:
/// "知识蒸馏（Knowledge Distillation）", "监督微调（Supervised Fine-Tuning，SFT）",
/// "LoRA（Low-Rank Adaptation，低秩适配）".
struct TermPair: Hashable, Sendable {
    var chinese: String
    var english: String
}

/// Finds term pairs in text: a Chinese term followed by English in parentheses, or an
/// English term followed by Chinese (and English) in parentheses.
enum TermPairMiner {
    /// Longest Chinese term kept, in characters; longer runs keep their tail.
    static let maxChinese = 10
    /// Longest English term kept, in words.
    static let maxEnglishWords = 5
    /// Characters that end the part of a CJK run before a term ("即监督微调" → "监督微调").
    static let boundaries: Set<UInt32> = Set("的是即对在和与及把被为了将用以或称叫".unicodeScalars.map(\.value))

    static func pairs(in text: String) -> [TermPair] {
        let s = Array(text.unicodeScalars)
        var out: [TermPair] = []
        var i = 0
        while i < s.count {
            let open = s[i].value
            guard open == 0xFF08 || open == 0x28 else { i += 1; continue }  // （ (
            guard let close = s[(i + 1)...].prefix(80).firstIndex(where: { $0.value == 0xFF09 || $0.value == 0x29 }) else { i += 1; continue }
            let inside = Array(s[(i + 1)..<close])
            var before = i
            while before > 0 && s[before - 1] == " " { before -= 1 }
            let pieces = split(inside)
            let english = pieces.filter(isEnglish).compactMap(englishTerm)
            let chinese = pieces.filter { $0.allSatisfy { ScriptClass.isCJK($0.value) } && (2...maxChinese).contains($0.count) }.map { String(String.UnicodeScalarView($0)) }
            if before > 0 && ScriptClass.isCJK(s[before - 1].value) {
                // 中文术语（English）
                var start = before - 1
                while start > 0 && ScriptClass.isCJK(s[start - 1].value) && !boundaries.contains(s[start - 1].value) && before - start < maxChinese { start -= 1 }
                if before - start >= 2 {
                    let term = String(String.UnicodeScalarView(s[start..<before]))
                    for e in english { out.append(TermPair(chinese: term, english: e)) }
                }
            } else if before > 0, !chinese.isEmpty {
                // English（中文, English）
                var start = before
                while start > 0 && isLatin(s[start - 1]) && before - start < 40 { start -= 1 }
                var terms = english
                if before > start, let e = englishTerm(Array(s[start..<before])) { terms.append(e) }
                for c in chinese { for e in terms { out.append(TermPair(chinese: c, english: e)) } }
            }
            i = close + 1
        }
        return out
    }

    /// The parts of a parenthesis between "，" "," "；" ";" "、" "/".
    static func split(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var parts: [[Unicode.Scalar]] = [[]]
        for c in scalars {
            if [0xFF0C, 0x2C, 0xFF1B, 0x3B, 0x3001, 0x2F].contains(c.value) { parts.append([]) } else { parts[parts.count - 1].append(c) }
        }
        return parts.map { p in
            var p = p[...]
            while p.first == " " { p = p.dropFirst() }
            while p.last == " " { p = p.dropLast() }
            return Array(p)
        }.filter { !$0.isEmpty }
    }

    static func isLatin(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        return (v >= 0x30 && v <= 0x39) || ((v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A) || v == 0x2D || v == 0x27 || v == 0x2E
    }

    static func isEnglish(_ piece: [Unicode.Scalar]) -> Bool {
        piece.allSatisfy { isLatin($0) || $0 == " " } && piece.contains { ($0.value | 0x20) >= 0x61 && ($0.value | 0x20) <= 0x7A }
    }

    /// `piece` as a term: 2 characters or more, at most ``maxEnglishWords`` words.
    static func englishTerm(_ piece: [Unicode.Scalar]) -> String? {
        let text = String(String.UnicodeScalarView(piece))
        let words = text.split(separator: " ")
        guard text.count >= 2, (1...maxEnglishWords).contains(words.count), isEnglish(piece) else { return nil }
        return words.joined(separator: " ")
    }
}

/// The term pairs of an index: each document's, and how many documents give each pairing,
/// so that removing a document removes exactly its pairs.
struct TermTable: Sendable, Equatable {
    /// Chinese term → English terms → documents that pair them.
    private(set) var english: [String: [String: Int]] = [:]
    /// English term, lower-cased → Chinese terms → documents.
    private(set) var chinese: [String: [String: Int]] = [:]
    /// Longest Chinese term, in characters; longest English term, in words.
    private(set) var longestChinese = 0
    private(set) var longestEnglish = 0

    var isEmpty: Bool { english.isEmpty }

    mutating func add(_ pairs: [TermPair]) { update(pairs, by: 1) }
    mutating func remove(_ pairs: [TermPair]) { update(pairs, by: -1) }

    private mutating func update(_ pairs: [TermPair], by delta: Int) {
        for p in Set(pairs) {
            let lower = p.english.lowercased()
            english[p.chinese, default: [:]][p.english, default: 0] += delta
            chinese[lower, default: [:]][p.chinese, default: 0] += delta
            if english[p.chinese]?[p.english] == 0 { english[p.chinese]![p.english] = nil }
            if english[p.chinese]?.isEmpty == true { english[p.chinese] = nil }
            if chinese[lower]?[p.chinese] == 0 { chinese[lower]![p.chinese] = nil }
            if chinese[lower]?.isEmpty == true { chinese[lower] = nil }
            if delta > 0 {
                longestChinese = max(longestChinese, p.chinese.unicodeScalars.count)
                longestEnglish = max(longestEnglish, lower.split(separator: " ").count)
            }
        }
    }

    /// The English terms of `term`, most documents first (at most `limit`).
    func english(for term: String, limit: Int = 2) -> [String]? {
        english[term].map { $0.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit).map(\.key) }
    }

    /// The Chinese terms of `term` (any case), most documents first.
    func chinese(for term: String, limit: Int = 2) -> [String]? {
        chinese[term.lowercased()].map { $0.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit).map(\.key) }
    }
}
