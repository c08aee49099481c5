/// The one language rule of the library (documents without a `language` in their front
/// matter, questions, question-bank entries): Chinese (CJK) or not.
enum LanguageDetector {
    /// `"zh"` when at least a fifth of the letters are CJK, else `"en"`.
    static func detect(_ text: String) -> String {
        var cjk = 0, letters = 0
        for scalar in text.unicodeScalars.prefix(4000) {
            let v = scalar.value
            if ScriptClass.isCJK(v) { cjk += 1; letters += 1 }
            else if scalar.properties.isAlphabetic { letters += 1 }
        }
        return letters > 0 && cjk * 5 >= letters ? "zh" : "en"
    }
}
