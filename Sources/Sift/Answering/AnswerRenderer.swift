import Foundation
import Mustache

/// Output formats of an answer.
public enum AnswerFormat: String, Sendable, CaseIterable {
    /// Plain text for a terminal.
    case text
    /// Markdown (headings, lists, links).
    case markdown
    /// The JSON object documented in README (stable keys).
    case json
}

/// Renders answers through Mustache templates: one set for Chinese and one for English,
/// chosen by the question's language, or a user template.
///
/// Templates see: `question`, `answered`, `lead`, `points` and `senses` (statements: `text`
/// as quoted, `display` — a table row as "header：value · …" —, `marks` such as `[1]`,
/// `citations` (`number`), `otherLanguage` and `sourceLanguage` when the source is in another
/// language than the question), `hasPoints`, `hasSenses`, `references` (`number`, `title`,
/// `source`, `url`, `excerpt`, `passage`, `score`, `start`, `end`), `hasReferences`, `related`
/// (`question`, `date`), `hasRelated`, `ambiguousTerm`, and `zh`/`en` flags. Text templates
/// start with the pragma `{{% CONTENT_TYPE: TEXT}}` so nothing is HTML-escaped.
public struct AnswerRenderer: Sendable {
    let template: MustacheTemplate?

    /// The built-in templates.
    public init() { template = nil }

    /// A user template (Mustache source).
    public init(templateSource: String, path: String = "template") throws(SiftError) {
        do { template = try MustacheTemplate(string: templateSource) } catch {
            throw .invalidTemplate(path: path, reason: "Mustache syntax error: \(error)")
        }
    }

    /// A user template file.
    public init(templateFile url: URL) throws(SiftError) {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw .invalidTemplate(path: url.path, reason: FileManager.default.fileExists(atPath: url.path)
                                   ? "not readable as UTF-8 text" : "no such file")
        }
        try self.init(templateSource: text, path: url.path)
    }

    /// `answer` rendered as `format` (a user template applies to text and Markdown; JSON is
    /// always the built-in encoding).
    public func render(_ answer: Answer, as format: AnswerFormat) -> String {
        if format == .json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: (try? encoder.encode(answer)) ?? Data(), as: UTF8.self)
        }
        let context = AnswerRenderer.context(answer, format: format)
        if let template { return template.render(context) }
        let builtIn = answer.language == "zh"
            ? (format == .markdown ? DefaultTemplates.compiled.markdownZH : DefaultTemplates.compiled.textZH)
            : (format == .markdown ? DefaultTemplates.compiled.markdownEN : DefaultTemplates.compiled.textEN)
        return builtIn.render(context)
    }

    static func context(_ a: Answer, format: AnswerFormat) -> [String: Any] {
        let excerptLength = 160
        let zh = a.language == "zh"
        func statement(_ s: Answer.Statement) -> [String: Any] {
            var d: [String: Any] = ["text": s.text.replacingOccurrences(of: "\n", with: " "), "display": display(s, zh: zh),
                                    "marks": s.citations.map { "[\($0)]" }.joined(), "citations": s.citations.map { ["number": $0] }]
            if s.language != a.language {
                d["otherLanguage"] = true
                d["sourceLanguage"] = languageName(s.language, zh: zh)
            }
            return d
        }
        var context: [String: Any] = [
            "question": a.question,
            "answered": a.answered,
            "zh": zh,
            "en": !zh,
            "points": a.points.map(statement),
            "hasPoints": !a.points.isEmpty,
            "senses": a.senses.map(statement),
            "hasSenses": !a.senses.isEmpty,
            "references": a.references.map { r -> [String: Any] in
                let flat = r.passage.replacingOccurrences(of: "\n", with: " ")
                let excerpt = flat.count > excerptLength ? String(flat.prefix(excerptLength)) + "…" : flat
                var ref: [String: Any] = ["number": r.number, "title": r.title, "source": r.source, "excerpt": excerpt,
                                          "passage": r.passage, "score": String(format: "%.2f", r.score), "start": r.start, "end": r.end]
                if let url = r.url { ref["url"] = url }
                return ref
            },
            "hasReferences": !a.references.isEmpty,
            "related": a.related.map { ["question": $0.question, "date": $0.date] },
            "hasRelated": !a.related.isEmpty,
        ]
        // Absent values are left out: Mustache treats a present key as true.
        if let lead = a.lead { context["lead"] = statement(lead) }
        if let term = a.ambiguousTerm { context["ambiguousTerm"] = term }
        return context
    }
}

extension AnswerRenderer {
    /// A statement as shown: a table row as "header：value · header：value", other text as quoted
    /// (on one line). The CLI's templates, the wiki's pages and its question history show it so.
    @_spi(Internals)
    public static func display(_ s: Answer.Statement, zh: Bool) -> String {
        guard let cells = s.cells else { return s.text.replacingOccurrences(of: "\n", with: " ") }
        return Statements.shown(cells.map { ($0.header, $0.value) }, colon: zh ? "：" : ": ")
    }

    /// The name of language `code` in Chinese (`zh`) or English.
    @_spi(Internals)
    public static func languageName(_ code: String, zh: Bool) -> String {
        switch (code, zh) {
        case ("zh", true): "中文"
        case ("en", true): "英文"
        case ("zh", false): "Chinese"
        case ("en", false): "English"
        default: code
        }
    }
}

extension Answer {
    /// The answer rendered with the built-in templates for its language.
    public func rendered(as format: AnswerFormat = .text) -> String {
        AnswerRenderer().render(self, as: format)
    }
}

/// The built-in answer templates (compiled once, in ``compiled``).
enum DefaultTemplates {
    struct Compiled: Sendable {
        let textZH: MustacheTemplate, textEN: MustacheTemplate, markdownZH: MustacheTemplate, markdownEN: MustacheTemplate
    }

    static let compiled = Compiled(textZH: try! MustacheTemplate(string: textZH), textEN: try! MustacheTemplate(string: textEN),
                                   markdownZH: try! MustacheTemplate(string: markdownZH), markdownEN: try! MustacheTemplate(string: markdownEN))

    static let textZH = """
    {{% CONTENT_TYPE: TEXT}}
    问：{{question}}

    {{#answered}}
    {{#lead}}
    {{display}} {{marks}}{{#otherLanguage}}（来源为{{sourceLanguage}}）{{/otherLanguage}}
    {{/lead}}
    {{#points}}
      • {{display}} {{marks}}{{#otherLanguage}}（来源为{{sourceLanguage}}）{{/otherLanguage}}
    {{/points}}
    {{#hasSenses}}

    “{{ambiguousTerm}}”也可能指：
    {{#senses}}
      • {{display}} {{marks}}{{#otherLanguage}}（来源为{{sourceLanguage}}）{{/otherLanguage}}
    {{/senses}}
    {{/hasSenses}}

    本回答由 Sift 从所引来源中原文摘录拼合而成，未经改写，请核对原文。
    {{/answered}}
    {{^answered}}
    语料中没有能回答这个问题的内容。
    {{#hasReferences}}
    最接近的主题：
    {{#references}}
      [{{number}}] {{title}}（{{source}}）
    {{/references}}
    {{/hasReferences}}
    {{/answered}}
    {{#answered}}

    参考资料
    {{#references}}
    [{{number}}] {{title}} — {{source}}{{#url}} <{{.}}>{{/url}}
        {{excerpt}}
    {{/references}}
    {{/answered}}
    {{#hasRelated}}

    其他人还在问
    {{#related}}
      • {{question}}（{{date}}）
    {{/related}}
    {{/hasRelated}}
    """

    static let textEN = """
    {{% CONTENT_TYPE: TEXT}}
    Q: {{question}}

    {{#answered}}
    {{#lead}}
    {{display}} {{marks}}{{#otherLanguage}} (source in {{sourceLanguage}}){{/otherLanguage}}
    {{/lead}}
    {{#points}}
      • {{display}} {{marks}}{{#otherLanguage}} (source in {{sourceLanguage}}){{/otherLanguage}}
    {{/points}}
    {{#hasSenses}}

    "{{ambiguousTerm}}" can also mean:
    {{#senses}}
      • {{display}} {{marks}}{{#otherLanguage}} (source in {{sourceLanguage}}){{/otherLanguage}}
    {{/senses}}
    {{/hasSenses}}

    Assembled by Sift from verbatim excerpts of the cited sources, not rewritten; please check them.
    {{/answered}}
    {{^answered}}
    The corpus has no answer to this question.
    {{#hasReferences}}
    Nearest topics:
    {{#references}}
      [{{number}}] {{title}} ({{source}})
    {{/references}}
    {{/hasReferences}}
    {{/answered}}
    {{#answered}}

    References
    {{#references}}
    [{{number}}] {{title}} — {{source}}{{#url}} <{{.}}>{{/url}}
        {{excerpt}}
    {{/references}}
    {{/answered}}
    {{#hasRelated}}

    Others are asking
    {{#related}}
      • {{question}} ({{date}})
    {{/related}}
    {{/hasRelated}}
    """

    static let markdownZH = """
    {{% CONTENT_TYPE: TEXT}}
    ## {{question}}

    {{#answered}}
    {{#lead}}
    {{display}} {{marks}}{{#otherLanguage}}（来源为{{sourceLanguage}}）{{/otherLanguage}}
    {{/lead}}

    {{#points}}
    - {{display}} {{marks}}{{#otherLanguage}}（来源为{{sourceLanguage}}）{{/otherLanguage}}
    {{/points}}
    {{#hasSenses}}

    **“{{ambiguousTerm}}”也可能指：**

    {{#senses}}
    - {{display}} {{marks}}{{#otherLanguage}}（来源为{{sourceLanguage}}）{{/otherLanguage}}
    {{/senses}}
    {{/hasSenses}}

    *本回答由 Sift 从所引来源中原文摘录拼合而成，未经改写，请核对原文。*
    {{/answered}}
    {{^answered}}
    语料中没有能回答这个问题的内容。
    {{#hasReferences}}

    最接近的主题：
    {{#references}}
    - [{{number}}] {{title}}（`{{source}}`）
    {{/references}}
    {{/hasReferences}}
    {{/answered}}
    {{#answered}}

    ### 参考资料
    {{#references}}
    {{number}}. **{{title}}** — `{{source}}`{{#url}} ([链接]({{.}})){{/url}}
       > {{excerpt}}
    {{/references}}
    {{/answered}}
    {{#hasRelated}}

    ### 其他人还在问
    {{#related}}
    - {{question}}（{{date}}）
    {{/related}}
    {{/hasRelated}}
    """

    static let markdownEN = """
    {{% CONTENT_TYPE: TEXT}}
    ## {{question}}

    {{#answered}}
    {{#lead}}
    {{display}} {{marks}}{{#otherLanguage}} (source in {{sourceLanguage}}){{/otherLanguage}}
    {{/lead}}

    {{#points}}
    - {{display}} {{marks}}{{#otherLanguage}} (source in {{sourceLanguage}}){{/otherLanguage}}
    {{/points}}
    {{#hasSenses}}

    **"{{ambiguousTerm}}" can also mean:**

    {{#senses}}
    - {{display}} {{marks}}{{#otherLanguage}} (source in {{sourceLanguage}}){{/otherLanguage}}
    {{/senses}}
    {{/hasSenses}}

    *Assembled by Sift from verbatim excerpts of the cited sources, not rewritten; please check them.*
    {{/answered}}
    {{^answered}}
    The corpus has no answer to this question.
    {{#hasReferences}}

    Nearest topics:
    {{#references}}
    - [{{number}}] {{title}} (`{{source}}`)
    {{/references}}
    {{/hasReferences}}
    {{/answered}}
    {{#answered}}

    ### References
    {{#references}}
    {{number}}. **{{title}}** — `{{source}}`{{#url}} ([link]({{.}})){{/url}}
       > {{excerpt}}
    {{/references}}
    {{/answered}}
    {{#hasRelated}}

    ### Others are asking
    {{#related}}
    - {{question}} ({{date}})
    {{/related}}
    {{/hasRelated}}
    """
}
