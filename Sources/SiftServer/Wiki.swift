import Foundation
import Mustache
@_spi(Internals) import Sift
import Synchronization

/// The Q&A wiki without its transport: answers questions through an ``AnswerEngine``, records
/// them in the ``QuestionHistory`` (optional), and renders the pages. ``WikiServer`` puts it on
/// HTTP; tests and tools may call it directly.
public final class Wiki: Sendable {
    /// Limits of a public page.
    public struct Limits: Sendable {
        /// Longest question accepted, in bytes of UTF-8 (longer ones get a 413 page).
        public var maxQuestionBytes = 1000
        /// Questions per page of the question list.
        public var perPage = 20
        public init() {}
    }

    public let engine: AnswerEngine
    public let history: QuestionHistory?
    public let limits: Limits
    let related: RelatedQuestions?
    /// Answers by question key: a question asked again is not composed again. Cleared by
    /// ``refresh()``, the one way the wiki's corpus changes.
    private let cache = Mutex(AnswerCache())

    struct AnswerCache {
        var answers: [String: Answer] = [:]
        var order: [String] = []
        static let capacity = 4096
        mutating func insert(_ key: String, _ answer: Answer) {
            if answers.updateValue(answer, forKey: key) == nil {
                order.append(key)
                if order.count > AnswerCache.capacity { answers[order.removeFirst()] = nil }
            }
        }
    }

    /// A wiki over `engine`; with a `history`, the bundled question bank is imported into it
    /// (once; each question answered then), and every question asked is recorded.
    public init(engine: AnswerEngine, history: QuestionHistory?, limits: Limits = Limits()) throws {
        self.engine = engine
        self.history = history
        self.limits = limits
        if let history {
            if let bank = engine.questions?.entries { try history.importBank(bank) { engine.ask($0) } }
            related = try RelatedQuestions(entries: history.all(), model: engine.index.model)
        } else {
            related = nil
        }
    }

    /// Answers `question` and records it (when there is a history); the row is nil without one.
    public func ask(_ question: String) throws -> (answer: Answer, entry: HistoryEntry?) {
        let answer = self.answer(question)
        guard let history else { return (answer, nil) }
        let entry = try history.record(question, answer: answer)
        related?.upsert(entry)
        return (answer, entry)
    }

    /// The answer to `question` (composed once per distinct question, then cached).
    public func answer(_ question: String) -> Answer {
        let key = QuestionHistory.key(question)
        if var cached = cache.withLock({ $0.answers[key] }) {
            cached.question = question
            return cached
        }
        let answer = engine.ask(question)
        cache.withLock { $0.insert(key, answer) }
        return answer
    }

    /// Applies changes of the corpus folder to the engine and forgets the cached answers.
    public func refresh() throws -> IndexUpdate {
        let update = try engine.refresh()
        cache.withLock { $0 = AnswerCache() }
        return update
    }

    // MARK: - Pages

    enum Language { case zh, en }

    struct Strings {
        let lang: String, placeholder: String, ask: String, home: String, list: String, detail: String
        let heading: String, recent: String, most: String, noneYet: String, all: String
        let listHeading: String, filterPlaceholder: String, filter: String, count: (Int) -> String, noMatch: String, previous: String, next: String
        let assembled: String, noAnswer: String, nearest: String, references: String, others: String, senses: (String) -> String
        let source: (String) -> String
    }

    static func strings(_ l: Language) -> Strings {
        switch l {
        case .zh:
            return Strings(lang: "zh-CN", placeholder: "输入你的问题，例如：什么是sft?", ask: "提问", home: "首页", list: "问题列表", detail: "问题详情",
                           heading: "Sift 问答", recent: "最近的问题", most: "问得最多", noneYet: "还没有问题。", all: "全部问题 →",
                           listHeading: "问题列表", filterPlaceholder: "在问题中搜索", filter: "搜索", count: { "共 \($0) 个问题" },
                           noMatch: "没有匹配的问题。", previous: "上一页", next: "下一页",
                           assembled: "本回答由 Sift 从所引来源中原文摘录拼合而成，未经改写，请核对原文。",
                           noAnswer: "语料中没有能回答这个问题的内容。", nearest: "最接近的主题：", references: "参考资料", others: "其他人还在问",
                           senses: { "“\($0)”也可能指：" }, source: { "来源为\($0)" })
        case .en:
            return Strings(lang: "en", placeholder: "Ask a question, e.g. What is RLHF?", ask: "Ask", home: "Home", list: "Question list",
                           detail: "Question detail", heading: "Sift Q&A", recent: "Recent questions", most: "Most asked",
                           noneYet: "No questions yet.", all: "All questions →", listHeading: "Question list",
                           filterPlaceholder: "Search the questions", filter: "Search", count: { "\($0) questions" },
                           noMatch: "No question matches.", previous: "Previous", next: "Next",
                           assembled: "Assembled by Sift from verbatim excerpts of the cited sources, not rewritten; please check them.",
                           noAnswer: "The corpus has nothing that answers this question.", nearest: "Nearest topics:",
                           references: "References", others: "Others are asking", senses: { "\"\($0)\" can also mean:" },
                           source: { "source in \($0)" })
        }
    }

    func page(_ body: String, title: String, language l: Language, query: String = "", crumbs: [(String, String?)]) -> String {
        let s = Wiki.strings(l)
        return Templates.shared.layout.render([
            "lang": s.lang, "title": title, "body": body, "query": query, "placeholder": s.placeholder, "askLabel": s.ask,
            "maxQuestion": limits.maxQuestionBytes,
            "crumbs": crumbs.map { c -> [String: Any] in c.1.map { ["label": c.0, "href": $0] } ?? ["label": c.0] },
        ])
    }

    /// The home page: a question box, the most recent and the most asked questions.
    public func homePage(language: String = "zh") throws -> String {
        let l: Language = language == "en" ? .en : .zh
        let s = Wiki.strings(l)
        let recent = try history?.recent(10) ?? []
        let most = try history?.mostAsked(10) ?? []
        let body = Templates.shared.home.render([
            "heading": s.heading, "recentHeading": s.recent, "mostHeading": s.most, "noneYet": s.noneYet, "allLink": s.all,
            "recent": recent.map(Wiki.row), "hasRecent": !recent.isEmpty, "most": most.map(Wiki.row), "hasMost": !most.isEmpty,
        ])
        return page(body, title: s.heading, language: l, crumbs: [(s.home, nil)])
    }

    /// A page of the question list, newest first, or the questions matching `filter`.
    public func listPage(page number: Int, filter: String, language: String = "zh") throws -> String {
        let l: Language = language == "en" ? .en : .zh
        let s = Wiki.strings(l)
        let (entries, total) = try listEntries(page: number, filter: filter)
        let pages = max(1, (total + limits.perPage - 1) / limits.perPage)
        func link(_ p: Int) -> String {
            var c = URLComponents()
            c.path = "/questions"
            c.queryItems = [URLQueryItem(name: "page", value: String(p))] + (filter.isEmpty ? [] : [URLQueryItem(name: "q", value: filter)])
            return c.string ?? "/questions"
        }
        var context: [String: Any] = [
            "heading": s.listHeading, "filter": filter, "filterPlaceholder": s.filterPlaceholder, "filterLabel": s.filter,
            "maxQuestion": limits.maxQuestionBytes, "countLine": s.count(total), "entries": entries.map(Wiki.row),
            "hasEntries": !entries.isEmpty, "noMatch": s.noMatch, "previousLabel": s.previous, "nextLabel": s.next,
        ]
        if number > 1 { context["previous"] = link(number - 1) }
        if number < pages { context["next"] = link(number + 1) }
        let body = Templates.shared.list.render(context)
        return page(body, title: s.listHeading, language: l, crumbs: [(s.home, "/"), (s.list, nil)])
    }

    /// The entries of a page of the list: the history (newest first) or, with a filter, the
    /// questions Sift's own search finds for it.
    public func listEntries(page number: Int, filter: String) throws -> (entries: [HistoryEntry], total: Int) {
        guard let history else { return ([], 0) }
        if filter.isEmpty { return try history.page(number, perPage: limits.perPage) }
        let found = related?.search(filter, limit: 200) ?? []
        let start = (max(1, number) - 1) * limits.perPage
        return (Array(found.dropFirst(start).prefix(limits.perPage)), found.count)
    }

    /// The question detail page of `answer` (and its history row, when stored).
    public func detailPage(_ answer: Answer, entry: HistoryEntry?) -> String {
        let l: Language = answer.language == "en" ? .en : .zh
        let s = Wiki.strings(l)
        let terms = HTML.terms(of: answer.question)
        func statement(_ st: Answer.Statement) -> [String: Any] {
            var d: [String: Any] = ["display": AnswerRenderer.display(st, zh: l == .zh), "citations": st.citations.map { ["number": $0] }]
            if st.language != answer.language {
                d["otherLanguage"] = true
                d["sourceNote"] = s.source(AnswerRenderer.languageName(st.language, zh: l == .zh))
            }
            return d
        }
        var context: [String: Any] = [
            "question": answer.question, "answered": answer.answered, "assembledNote": s.assembled, "noAnswer": s.noAnswer,
            "nearestHeading": s.nearest, "referencesHeading": s.references, "othersHeading": s.others, "noneYet": s.noneYet,
            "points": answer.points.map(statement), "hasPoints": !answer.points.isEmpty,
            "senses": answer.senses.map(statement), "hasSenses": !answer.senses.isEmpty,
            "sensesHeading": s.senses(answer.ambiguousTerm ?? ""),
            "references": answer.references.map { r -> [String: Any] in
                let flat = r.passage.replacingOccurrences(of: "\n", with: " ")
                let excerpt = flat.count > 240 ? String(flat.prefix(240)) + "…" : flat
                var d: [String: Any] = ["number": r.number, "title": r.title, "source": r.source, "start": r.start, "end": r.end,
                                        "excerptHTML": HTML.highlight(excerpt, terms: terms)]
                if let url = HTML.safeURL(r.url) { d["url"] = url }
                return d
            },
            "hasReferences": !answer.references.isEmpty,
        ]
        if let lead = answer.lead { context["lead"] = statement(lead) }
        let others: [[String: Any]]
        if let related {
            others = related.related(to: answer.question).map(Wiki.row)
        } else {
            others = answer.related.map { q in
                ["question": q.question, "day": q.date,
                 "encoded": q.question.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(.init(charactersIn: "&+=?#"))) ?? ""]
            }
        }
        context["related"] = others
        context["hasRelated"] = !others.isEmpty
        let body = Templates.shared.detail.render(context)
        return page(body, title: answer.question, language: l, query: answer.question,
                    crumbs: [(s.home, "/"), (s.list, "/questions"), (s.detail, nil)])
    }

    /// An error page (404, 413, …) in `language`.
    public func errorPage(status: Int, message: String, language: String = "zh") -> String {
        let l: Language = language == "en" ? .en : .zh
        let s = Wiki.strings(l)
        let body = Templates.shared.error.render(["status": status, "message": message, "homeLink": s.home])
        return page(body, title: String(status), language: l, crumbs: [(s.home, "/")])
    }

    static func row(_ e: HistoryEntry) -> [String: Any] {
        var d: [String: Any] = ["id": e.id, "question": e.question, "day": e.day]
        if e.count > 0 { d["count"] = e.count }
        if !e.summary.isEmpty { d["summary"] = e.summary }
        return d
    }
}
