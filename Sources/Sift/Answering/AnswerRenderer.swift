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
/// Templates see: `question`, `answered`, `lead` (`text`, `marks`), `points` (`text`,
/// `marks`), `references` (`number`, `title`, `source`, `url`, `excerpt`, `passage`,
/// `score`), `related` (`question`, `date`), `hasRelated`, `ambiguousTerm`,
/// `senses` (titles), and `zh`/`en` flags. Text templates start with the pragma
/// `{{% CONTENT_TYPE: TEXT}}` so nothing is HTML-escaped.
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
        let source = answer.language == "zh"
            ? (format == .markdown ? DefaultTemplates.markdownZH : DefaultTemplates.textZH)
            : (format == .markdown ? DefaultTemplates.markdownEN : DefaultTemplates.textEN)
        return (try? MustacheTemplate(string: source))?.render(context) ?? ""
    }

    static func context(_ a: Answer, format: AnswerFormat) -> [String: Any] {
        func marks(_ c: [Int]) -> String { c.map { "[\($0)]" }.joined() }
        let excerptLength = 160
        var context: [String: Any] = [
            "question": a.question,
            "answered": a.answered,
            "zh": a.language == "zh",
            "en": a.language != "zh",
            "points": a.points.map { ["text": $0.text.replacingOccurrences(of: "\n", with: " "), "marks": marks($0.citations)] },
            "hasPoints": !a.points.isEmpty,
            "references": a.references.map { r -> [String: Any] in
                let flat = r.passage.replacingOccurrences(of: "\n", with: " ")
                let excerpt = flat.count > excerptLength ? String(flat.prefix(excerptLength)) + "…" : flat
                var ref: [String: Any] = ["number": r.number, "title": r.title, "source": r.source, "excerpt": excerpt,
                                          "passage": r.passage, "score": String(format: "%.2f", r.score)]
                if let url = r.url { ref["url"] = url }
                return ref
            },
            "hasReferences": !a.references.isEmpty,
            "related": a.related.map { ["question": $0.question, "date": $0.date] },
            "hasRelated": !a.related.isEmpty,
        ]
        // Absent values are left out: Mustache treats a present key as true.
        if let lead = a.lead { context["lead"] = ["text": lead.text, "marks": marks(lead.citations)] }
        if let term = a.ambiguousTerm { context["ambiguousTerm"] = term }
        return context
    }
}

extension Answer {
    /// The answer rendered with the built-in templates for its language.
    public func rendered(as format: AnswerFormat = .text) -> String {
        AnswerRenderer().render(self, as: format)
    }
}

/// The built-in answer templates.
enum DefaultTemplates {
    static let textZH = """
    {{% CONTENT_TYPE: TEXT}}
    问：{{question}}

    {{#answered}}
    {{#lead}}
    {{text}} {{marks}}
    {{/lead}}
    {{#ambiguousTerm}}
    注意：“{{.}}”在这些来源中不止一种含义，下面分别列出。
    {{/ambiguousTerm}}
    {{^lead}}
    以下是语料中与问题最相关的内容：
    {{/lead}}
    {{#points}}
      • {{text}} {{marks}}
    {{/points}}

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
    {{text}} {{marks}}
    {{/lead}}
    {{#ambiguousTerm}}
    Note: "{{.}}" means different things in these sources; each meaning is listed below.
    {{/ambiguousTerm}}
    {{^lead}}
    Here is what the sources say:
    {{/lead}}
    {{#points}}
      • {{text}} {{marks}}
    {{/points}}

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
    {{text}} {{marks}}
    {{/lead}}
    {{#ambiguousTerm}}
    > 注意：“{{.}}”在这些来源中不止一种含义，下面分别列出。
    {{/ambiguousTerm}}

    {{#points}}
    - {{text}} {{marks}}
    {{/points}}

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
    {{text}} {{marks}}
    {{/lead}}
    {{#ambiguousTerm}}
    > Note: "{{.}}" means different things in these sources; each meaning is listed below.
    {{/ambiguousTerm}}

    {{#points}}
    - {{text}} {{marks}}
    {{/points}}

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
