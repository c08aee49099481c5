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
        guard hasParenthesis(text) else { return [] }
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

    /// Whether `text` has "(" or "（" (UTF-8 EF BC 88): most passages have neither.
    static func hasParenthesis(_ text: String) -> Bool {
        var previous: (UInt8, UInt8) = (0, 0)
        for b in text.utf8 {
            if b == 0x28 || (b == 0x88 && previous == (0xEF, 0xBC)) { return true }
            previous = (previous.1, b)
        }
        return false
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

/// The term pairs of an index: each distinct pair once, each document's pairs as ids into
/// them (one flat array with offsets per document slot), and how many live documents give each
/// pair, so that removing a document removes exactly its pairs. Opening an index reads the
/// distinct pairs and two integer arrays, however many documents repeat them.
struct TermTable: Sendable {
    /// Each distinct pair, in the order first seen.
    private(set) var pairs: [TermPair] = []
    private var ids: [TermPair: Int32] = [:]
    /// Live documents giving each pair.
    private var counts: [Int32] = []
    /// Pair ids by Chinese term, and by English term lower-cased.
    private var byChinese: [String: [Int32]] = [:]
    private var byEnglish: [String: [Int32]] = [:]
    /// Document slot `d`'s pairs: `documentPairs[documentStarts[d]..<documentStarts[d + 1]]`.
    private(set) var documentStarts: [Int32] = [0]
    private(set) var documentPairs: [Int32] = []
    /// Longest Chinese term, in characters; longest English term, in words.
    private(set) var longestChinese = 0
    /// Every prefix (2 characters or more) of a Chinese term: a longest match stops growing
    /// at the first prefix no term has.
    private var chinesePrefixes: Set<String> = []
    private(set) var longestEnglish = 0

    var isEmpty: Bool { pairs.isEmpty }
    var documentCount: Int { documentStarts.count - 1 }

    init() {}

    /// A table of `pairs` with each document's ids; the documents whose `live` flag is false
    /// count for nothing.
    init(pairs: [TermPair], documentStarts: [Int32], documentPairs: [Int32], live: [Bool]) {
        for p in pairs { _ = intern(p) }
        self.documentStarts = documentStarts
        self.documentPairs = documentPairs
        for d in 0..<documentCount where live[d] {
            for i in Int(documentStarts[d])..<Int(documentStarts[d + 1]) { counts[Int(documentPairs[i])] += 1 }
        }
    }

    private mutating func intern(_ p: TermPair) -> Int32 {
        if let id = ids[p] { return id }
        let id = Int32(pairs.count)
        pairs.append(p)
        ids[p] = id
        counts.append(0)
        byChinese[p.chinese, default: []].append(id)
        byEnglish[p.english.lowercased(), default: []].append(id)
        longestChinese = max(longestChinese, p.chinese.unicodeScalars.count)
        var prefix = String.UnicodeScalarView()
        for (i, c) in p.chinese.unicodeScalars.enumerated() {
            prefix.append(c)
            if i >= 1 { chinesePrefixes.insert(String(prefix)) }
        }
        longestEnglish = max(longestEnglish, p.english.split(separator: " ").count)
        return id
    }

    /// Appends the next document slot with its pairs.
    mutating func appendDocument(_ found: [TermPair]) {
        var seen = Set<Int32>()
        for p in found {
            let id = intern(p)
            if seen.insert(id).inserted { documentPairs.append(id); counts[Int(id)] += 1 }
        }
        documentStarts.append(Int32(documentPairs.count))
    }

    /// The pairs of document slot `slot` no longer count (the document was removed).
    mutating func removeDocument(slot: Int) {
        guard slot < documentCount else { return }
        for i in Int(documentStarts[slot])..<Int(documentStarts[slot + 1]) { counts[Int(documentPairs[i])] -= 1 }
    }

    /// The pairs of document slot `slot`.
    func pairs(ofDocument slot: Int) -> [TermPair] {
        (Int(documentStarts[slot])..<Int(documentStarts[slot + 1])).map { pairs[Int(documentPairs[$0])] }
    }

    private func best(_ candidates: [Int32]?, limit: Int, _ side: (TermPair) -> String) -> [String]? {
        guard let candidates else { return nil }
        let live = candidates.filter { counts[Int($0)] > 0 }
        guard !live.isEmpty else { return nil }
        // Ties by the term itself, not by id: ids depend on the order documents came in.
        return live.map { (counts[Int($0)], side(pairs[Int($0)])) }
            .sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
            .prefix(limit).map(\.1)
    }

    /// The English terms of `term`, most documents first (at most `limit`).
    /// Whether some Chinese term starts with `prefix` (2 characters or more) or is it.
    func hasChinesePrefix(_ prefix: String) -> Bool { chinesePrefixes.contains(prefix) }

    func english(for term: String, limit: Int = 2) -> [String]? { best(byChinese[term], limit: limit, \.english) }

    /// The Chinese terms of `term` (any case), most documents first.
    func chinese(for term: String, limit: Int = 2) -> [String]? { best(byEnglish[term.lowercased()], limit: limit, \.chinese) }
}
