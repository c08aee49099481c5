/// Translates a query word by word through the ``Lexicon``, so that a Chinese question can
/// find English passages and the reverse: hashed n-grams cannot bridge scripts.
///
/// The corpus's own term pairs (`TermTable`: "知识蒸馏（Knowledge Distillation）" in an article)
/// are tried first, longest first, in both directions.
///
/// - Chinese → English: the Chinese question words are dropped, each CJK run is segmented by
///   longest match against the headwords (at most ``Lexicon/maxHeadword`` characters), and
///   each headword gives its glosses (the first senses; a gloss with a word that occurs
///   nowhere in the corpus is left out). Everything that is not CJK (numbers, Latin names, codes) passes
///   through unchanged.
/// - English → Chinese: the words are matched longest first against the glosses (at most
///   ``Lexicon/maxGlossWords`` words; names and acronyms by their case, other words
///   lower-cased, then other forms: singular, -ing, -ed, -ation → verb); each gloss gives the headwords the corpus
///   uses most (by document frequency, at most two). English stop words are dropped; other
///   unmatched words pass through.
///
/// The translation is a bag of words for retrieval, not a sentence, with its coverage: the
/// share of the query's content (CJK characters outside function characters and question
/// words; English words outside stop words) that found a translation the corpus uses. A
/// query whose topic words have no such translation ("明天北京会下雨吗" over a corpus without
/// Beijing or rain) is left with its generic words, and its translation is worth little.
struct QueryTranslator {
    struct Translation { var text: String; var coverage: Float }

    let lexicon: Lexicon
    /// The corpus's own term pairs, tried before the lexicon.
    var terms = TermTable()
    /// The number of indexed passages in which `text`'s rarest lexical feature occurs (0
    /// when one does not occur at all, or `text` has none).
    let documentFrequency: (String) -> Int

    /// Glosses per Chinese headword.
    static let glossesPerHeadword = 3
    /// Headwords per English gloss.
    static let headwordsPerGloss = 2

    /// Single characters that glue a Chinese sentence together rather than say what it is about.
    static let chineseFunctionCharacters: Set<String> = [
        "的", "了", "是", "在", "和", "与", "及", "或", "被", "把", "对", "从", "向", "为", "以", "于", "也", "都", "就",
        "而", "有", "个", "这", "那", "该", "其", "之", "着", "过", "得", "地", "吗", "呢", "吧", "啊",
    ]
    static let englishStopWords = Set(StopWords.english)

    /// `query` in the other language, or nil when nothing of it is in the lexicon.
    func translate(_ query: String, toEnglish: Bool) -> Translation? {
        toEnglish ? chineseToEnglish(query) : englishToChinese(query)
    }

    func chineseToEnglish(_ query: String) -> Translation? {
        let scalars = Array(QuestionWords.strip(query).unicodeScalars)
        var out: [String] = []
        var translated = false
        var content = 0, covered = 0
        var i = 0
        while i < scalars.count {
            guard ScriptClass.isCJK(scalars[i].value) else {
                var j = i
                while j < scalars.count && !ScriptClass.isCJK(scalars[j].value) { j += 1 }
                out.append(String(String.UnicodeScalarView(scalars[i..<j])))
                i = j
                continue
            }
            var matched = 0
            var runEnd = i
            while runEnd < scalars.count && runEnd - i < max(Lexicon.maxHeadword, terms.longestChinese) && ScriptClass.isCJK(scalars[runEnd].value) {
                runEnd += 1
            }
            // The corpus's own terms first: "知识蒸馏" as its articles gloss it.
            // Longest matches grow a character at a time until no entry starts with the text.
            if !terms.isEmpty {
                var best: [String]? = nil
                var word = String.UnicodeScalarView(scalars[i..<(i + 1)])
                for length in stride(from: 2, through: min(runEnd - i, terms.longestChinese), by: 1) {
                    word.append(scalars[i + length - 1])
                    let prefix = String(word)
                    guard terms.hasChinesePrefix(prefix) else { break }
                    if let english = terms.english(for: prefix) { best = english; matched = length }
                }
                if let best { out += best }
                if matched > 0 {
                    translated = true
                    covered += matched
                    content += matched
                    i += matched
                    continue
                }
            }
            var longest: (length: Int, glosses: [String])? = nil
            var bytes: [UInt8] = []
            for length in 1...min(runEnd - i, Lexicon.maxHeadword) {
                bytes.append(contentsOf: UTF8.encode(scalars[i + length - 1])!)
                let (values, prefixed) = bytes.withUnsafeBufferPointer { lexicon.chineseToEnglish.probe($0) }
                if let values { longest = (length, values) }
                if !prefixed { break }
            }
            if longest?.length ?? 1 == 1, QueryTranslator.chineseFunctionCharacters.contains(String(scalars[i])) {
                matched = -1
            } else if let (length, glosses) = longest {
                matched = length
                var used = false
                for gloss in glosses.prefix(QueryTranslator.glossesPerHeadword) where documentFrequency(gloss) > 0 {
                    out.append(gloss)
                    used = true
                }
                if used { covered += length; translated = true }
            }
            if matched >= 0 { content += max(matched, 1) }
            i += max(matched, 1)
        }
        return translated ? Translation(text: out.joined(separator: " "), coverage: Float(covered) / Float(max(content, 1))) : nil
    }

    /// Other forms a lexicon may list `word` under: singular for a plural, the verb for an
    /// -ing / -ed / -ation / -ization form (lower-case ASCII; longest suffix first).
    static func baseForms(of word: String) -> [String] {
        guard word.count > 3 else { return [] }
        let rules: [(String, [String])] = [
            ("ization", ["ize", "ise"]), ("isation", ["ise", "ize"]), ("ation", ["ate", "e", ""]), ("ies", ["y"]), ("ing", ["", "e"]),
            ("ied", ["y"]), ("ed", ["", "e"]), ("es", ["", "e"]), ("s", [""]),
        ]
        var out: [String] = []
        for (suffix, replacements) in rules where word.hasSuffix(suffix) && word.count > suffix.count + 2 {
            let stem = word.dropLast(suffix.count)
            out += replacements.map { stem + $0 }
        }
        return out
    }

    func englishToChinese(_ query: String) -> Translation? {
        // Words: runs of ASCII letters, digits, apostrophes and hyphens; anything else separates them.
        var words: [String] = []
        var current = ""
        for s in query.unicodeScalars {
            let v = s.value
            if (v >= 0x30 && v <= 0x39) || ((v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A) || v == 0x27 || v == 0x2D {
                current.unicodeScalars.append(s)
            } else {
                if !current.isEmpty { words.append(current) }
                current = ""
                if ScriptClass.isCJK(v) { words.append(String(s)) }
            }
        }
        if !current.isEmpty { words.append(current) }
        var out: [String] = []
        var translated = false
        var content = 0, covered = 0
        var i = 0
        while i < words.count {
            var matched = 0
            if !terms.isEmpty {
                for length in stride(from: min(terms.longestEnglish, words.count - i), through: 1, by: -1) {
                    let phrase = words[i..<(i + length)].joined(separator: " ")
                    guard let chinese = terms.chinese(for: phrase) else { continue }
                    out.append(phrase)
                    out += chinese
                    matched = length
                    break
                }
                if matched > 0 {
                    translated = true
                    covered += matched
                    content += matched
                    i += matched
                    continue
                }
            }
            for length in stride(from: min(Lexicon.maxGlossWords, words.count - i), through: 1, by: -1) {
                let phrase = words[i..<(i + length)].joined(separator: " ")
                let lower = phrase.lowercased()
                if length == 1 && QueryTranslator.englishStopWords.contains(lower) { break }
                var keys = [phrase]
                if lower != phrase { keys.append(lower) }
                if length == 1 { keys += QueryTranslator.baseForms(of: lower) }
                // The first form whose headwords the corpus uses (a gloss may exist only for
                // another form: "quantization" is 量子化, "quantize" 量化).
                var found: [String]? = nil
                var used: [(String, Int)] = []
                for key in keys {
                    guard let headwords = lexicon.englishToChinese.lookup(key) else { continue }
                    if found == nil { found = headwords }
                    used = headwords.map { ($0, documentFrequency($0)) }.filter { $0.1 > 0 }
                    if !used.isEmpty { break }
                }
                guard found != nil else { continue }
                matched = length
                // The words themselves too: Chinese text writes many English names and terms as they are.
                if length > 1 || !QueryTranslator.englishStopWords.contains(lower) { out.append(phrase) }
                for (word, _) in used.sorted(by: { $0.1 > $1.1 }).prefix(QueryTranslator.headwordsPerGloss) {
                    out.append(word)
                    translated = true
                }
                content += length
                if !used.isEmpty { covered += length }
                break
            }
            if matched == 0 {
                if !QueryTranslator.englishStopWords.contains(words[i].lowercased()) { out.append(words[i]); content += 1 }
                matched = 1
            }
            i += matched
        }
        return translated ? Translation(text: out.joined(separator: " "), coverage: Float(covered) / Float(max(content, 1))) : nil
    }
}
