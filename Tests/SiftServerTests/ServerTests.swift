import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import HummingbirdTesting
import Sift
import SiftServer
import Testing

enum Fixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let corpus = root.appendingPathComponent("Corpus")

    /// One engine over the bundled corpus for every test (no cache file).
    static let engine: Result<AnswerEngine, SiftError> = Result { () throws(SiftError) in
        var options = AnswerEngine.Options()
        options.cache = .none
        return try AnswerEngine(corpus: corpus, options: options)
    }

    /// A fresh history file in a fresh folder.
    static func historyFile() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sift-history-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("history.sqlite").path
    }

    static func wiki(history: Bool = true) throws -> Wiki {
        try Wiki(engine: engine.get(), history: history ? QuestionHistory(path: historyFile()) : nil)
    }
}

private func text(_ response: TestResponse) -> String { String(buffer: response.body) }

@Suite("sift serve: routes")
struct RouteTests {
    @Test("Home, list and detail pages are HTML in the question's language")
    func pages() async throws {
        let wiki = try Fixture.wiki()
        let app = Application(router: WikiServer.router(wiki))
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(text(r).contains("<form class=\"ask\" action=\"/ask\""))
            }
            // A new question is answered, stored and redirected to its stable page.
            let q = "什么是sft?".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            var location = ""
            try await client.execute(uri: "/ask?q=\(q)", method: .get) { r in
                #expect(r.status == .seeOther)
                location = r.headers[.location] ?? ""
                #expect(location.hasPrefix("/questions/"))
            }
            try await client.execute(uri: location, method: .get) { r in
                #expect(r.status == .ok)
                let page = text(r)
                #expect(page.contains("<h1>什么是sft?</h1>"))
                #expect(page.contains("监督微调"))
                #expect(page.contains("href=\"#ref-1\"") && page.contains("id=\"ref-1\""), "a working [1] anchor")
                #expect(page.contains("参考资料") && page.contains("其他人还在问"))
                #expect(page.contains("<mark>"), "the question's terms are highlighted in the excerpts")
                #expect(page.range(of: #"\d{4}-\d{2}-\d{2}"#, options: .regularExpression) != nil, "related questions carry dates")
                #expect(page.contains("本回答由 Sift 从所引来源中原文摘录拼合而成"))
            }
            // Asked again: the same page, the count goes up.
            try await client.execute(uri: "/ask?q=\(q)", method: .get) { r in #expect(r.headers[.location] == location) }
            try await client.execute(uri: "/api" + location, method: .get) { r in
                let obj = try JSONSerialization.jsonObject(with: Data(text(r).utf8)) as? [String: Any]
                #expect(obj?["count"] as? Int == 2)
                #expect(obj?["question"] as? String == "什么是sft?")
            }
            try await client.execute(uri: "/questions", method: .get) { r in
                #expect(r.status == .ok)
                #expect(text(r).contains("什么是sft?"))
            }
            try await client.execute(uri: "/ask?q=What%20is%20RLHF%3F", method: .get) { r in
                let loc = r.headers[.location] ?? "/"
                try await client.execute(uri: loc, method: .get) { r in
                    #expect(text(r).contains("References") && text(r).contains("Others are asking"))
                    #expect(text(r).contains("<html lang=\"en\">"))
                }
            }
        }
    }

    @Test("/api/ask returns exactly the sift ask --format json object")
    func apiAsk() async throws {
        let wiki = try Fixture.wiki()
        let app = Application(router: WikiServer.router(wiki))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/ask?q=What%20is%20DPO%3F", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
                let expected = await (try Fixture.engine.get()).ask("What is DPO?").rendered(as: .json)
                #expect(text(r) == expected)
            }
            try await client.execute(uri: "/api/ask", method: .get) { r in #expect(r.status == .badRequest) }
            try await client.execute(uri: "/healthz", method: .get) { r in #expect(text(r) == "ok\n") }
        }
    }

    @Test("Hostile questions are shown as text, never as markup", arguments: [
        "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "'; DROP TABLE question; --", "什么是<b>sft</b>?",
    ])
    func escaping(question: String) async throws {
        let wiki = try Fixture.wiki()
        let app = Application(router: WikiServer.router(wiki))
        let q = question.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        try await app.test(.router) { client in
            try await client.execute(uri: "/ask?q=\(q)", method: .get) { r in
                #expect(r.status == .seeOther)
                try await client.execute(uri: r.headers[.location] ?? "/", method: .get) { r in
                    let page = text(r)
                    #expect(!page.contains("<script>alert"), "\(question)")
                    #expect(!page.contains("<img src=x"))
                    #expect(!page.contains("<b>sft</b>"))
                    #expect(page.contains("&lt;") || page.contains("&#39;"))
                }
            }
            try await client.execute(uri: "/questions?q=\(q)", method: .get) { r in
                #expect(r.status == .ok)
                #expect(!text(r).contains("<script>alert"))
            }
            try await client.execute(uri: "/api/ask?q=\(q)", method: .get) { r in
                let obj = try JSONSerialization.jsonObject(with: Data(text(r).utf8)) as? [String: Any]
                #expect(obj?["question"] as? String == question)
            }
        }
        #expect(try wiki.history?.entry(question: question) != nil, "the table survived and holds the question")
    }

    @Test("Limits and errors: long questions 413, unknown pages 404, bad pages 400")
    func limits() async throws {
        let wiki = try Fixture.wiki()
        let app = Application(router: WikiServer.router(wiki))
        try await app.test(.router) { client in
            let long = String(repeating: "问", count: 400).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            try await client.execute(uri: "/ask?q=\(long)", method: .get) { r in
                #expect(r.status == .contentTooLarge)
                #expect(text(r).contains("1000"))
            }
            try await client.execute(uri: "/api/ask?q=\(long)", method: .get) { r in #expect(r.status == .contentTooLarge) }
            try await client.execute(uri: "/questions/999999", method: .get) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/questions/abc", method: .get) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/api/questions/999999", method: .get) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/nope", method: .get) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/questions?page=0", method: .get) { r in #expect(r.status == .badRequest) }
            try await client.execute(uri: "/ask", method: .get) { r in #expect(r.status == .badRequest) }
            let huge = String(repeating: "a", count: 10_000)
            try await client.execute(uri: "/ask?q=\(huge)", method: .get) { r in #expect(r.status == .uriTooLong) }
        }
    }

    @Test("The question list is paginated, newest first, and searchable with Sift's own search")
    func pagination() async throws {
        let wiki = try Fixture.wiki()
        let bank = try wiki.history?.count() ?? 0
        #expect(bank >= 40, "the bundled bank is imported")
        for i in 0..<25 { _ = try wiki.ask("What is question number \(i) about LoRA rank?") }
        let app = Application(router: WikiServer.router(wiki))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/questions?page=1", method: .get) { r in
                let obj = try JSONSerialization.jsonObject(with: Data(text(r).utf8)) as? [String: Any]
                #expect(obj?["total"] as? Int == bank + 25)
                let qs = obj?["questions"] as? [[String: Any]] ?? []
                #expect(qs.count == 20)
                #expect(qs.first?["question"] as? String == "What is question number 24 about LoRA rank?")
            }
            try await client.execute(uri: "/api/questions?page=2", method: .get) { r in
                let qs = (try JSONSerialization.jsonObject(with: Data(text(r).utf8)) as? [String: Any])?["questions"] as? [[String: Any]]
                #expect(qs?.first?["question"] as? String == "What is question number 4 about LoRA rank?")
            }
            try await client.execute(uri: "/questions?page=2", method: .get) { r in
                #expect(text(r).contains("href=\"/questions?page=1\"") && text(r).contains("href=\"/questions?page=3\""))
            }
            try await client.execute(uri: "/api/questions?q=RLHF", method: .get) { r in
                let qs = (try JSONSerialization.jsonObject(with: Data(text(r).utf8)) as? [String: Any])?["questions"] as? [[String: Any]] ?? []
                #expect(!qs.isEmpty)
                #expect(qs.prefix(3).allSatisfy { ($0["question"] as? String ?? "").lowercased().contains("rlhf") }, "\(qs.prefix(3))")
            }
        }
    }

    @Test("Without a history the wiki still answers; Others are asking comes from the bundled bank")
    func noHistory() async throws {
        let wiki = try Fixture.wiki(history: false)
        let app = Application(router: WikiServer.router(wiki))
        try await app.test(.router) { client in
            try await client.execute(uri: "/ask?q=DPO%20%E6%98%AF%E4%BB%80%E4%B9%88", method: .get) { r in
                #expect(r.status == .ok)
                #expect(text(r).contains("其他人还在问"))
            }
            try await client.execute(uri: "/questions/1", method: .get) { r in #expect(r.status == .notFound) }
        }
    }

    @Test("A real HTTP port on 127.0.0.1")
    func livePort() async throws {
        let wiki = try Fixture.wiki()
        let app = Application(router: WikiServer.router(wiki), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await client.execute(uri: "/ask?q=BM25", method: .get) { r in #expect(r.status == .seeOther) }
            try await client.execute(uri: "/healthz", method: .get) { r in #expect(r.status == .ok) }
        }
    }
}
