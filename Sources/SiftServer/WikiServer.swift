import Foundation
import Hummingbird
import Sift

/// `sift serve`: the ``Wiki`` on HTTP (Hummingbird 2). Pages: `/` (home), `/questions`
/// (list, `?page=&q=`), `/questions/{id}` (a stored question), `/ask?q=` (answers, stores and
/// redirects to the stable page). JSON: `/api/ask?q=` (exactly `sift ask --format json`),
/// `/api/questions?page=&q=`, `/api/questions/{id}`, `/healthz`.
public enum WikiServer {
    /// Where and how the server listens.
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public init() {}
    }

    /// The router of every route, for tests (`app.test(.router)`) and for ``application``.
    public static func router(_ wiki: Wiki) -> Router<BasicRequestContext> {
        let router = Router()
        // Answering is CPU-bound: as many at once as there are cores; the rest wait their turn
        // in arrival order (without this, some connections starve for 100+ ms under load).
        let gate = Gate(limit: max(2, ProcessInfo.processInfo.activeProcessorCount))
        router.add(middleware: LimitMiddleware(gate: gate))

        router.get("/") { request, _ in
            html(try wiki.homePage(language: language(of: request)))
        }
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/questions") { request, _ in
            let page = request.uri.queryParameters.get("page", as: Int.self) ?? 1
            let filter = request.uri.queryParameters.get("q") ?? ""
            guard page >= 1 && page <= 1_000_000 else { return errorPage(wiki, 400, "page must be 1 or more", request) }
            guard filter.utf8.count <= wiki.limits.maxQuestionBytes else { return tooLong(wiki, request) }
            return html(try wiki.listPage(page: page, filter: filter, language: language(of: request)))
        }
        router.get("/questions/:id") { request, context in
            guard let id = context.parameters.get("id", as: Int64.self), let history = wiki.history,
                  let entry = try history.entry(id: id) else {
                return errorPage(wiki, 404, "no such question", request)
            }
            return html(wiki.detailPage(wiki.answer(entry.question), entry: entry))
        }
        router.get("/ask") { request, _ in
            guard let q = question(request) else { return errorPage(wiki, 400, "ask with ?q=your question", request) }
            guard q.utf8.count <= wiki.limits.maxQuestionBytes else { return tooLong(wiki, request) }
            let (answer, entry) = try wiki.ask(q)
            if let entry { return Response(status: .seeOther, headers: [.location: "/questions/\(entry.id)"]) }
            return html(wiki.detailPage(answer, entry: nil))
        }
        router.get("/api/ask") { request, _ in
            guard let q = question(request) else { return jsonError(400, "missing parameter q") }
            guard q.utf8.count <= wiki.limits.maxQuestionBytes else {
                return jsonError(413, "question longer than \(wiki.limits.maxQuestionBytes) bytes")
            }
            return json(try wiki.ask(q).answer.rendered(as: .json))
        }
        router.get("/api/questions") { request, _ in
            let page = request.uri.queryParameters.get("page", as: Int.self) ?? 1
            let filter = request.uri.queryParameters.get("q") ?? ""
            guard page >= 1 && page <= 1_000_000 else { return jsonError(400, "page must be 1 or more") }
            let (entries, total) = try wiki.listEntries(page: page, filter: filter)
            return try encode(QuestionPage(page: page, per_page: wiki.limits.perPage, total: total, questions: entries))
        }
        router.get("/api/questions/:id") { _, context in
            guard let id = context.parameters.get("id", as: Int64.self), let entry = try wiki.history?.entry(id: id) else {
                return jsonError(404, "no such question")
            }
            return try encode(entry)
        }
        return router
    }

    /// The application on `configuration`'s address.
    public static func application(_ wiki: Wiki, configuration: Configuration = Configuration()) -> some ApplicationProtocol {
        Application(router: router(wiki), configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                                                serverName: "sift"))
    }

    struct QuestionPage: Codable {
        var page: Int
        var per_page: Int
        var total: Int
        var questions: [HistoryEntry]
    }

    static func question(_ request: Request) -> String? {
        guard let q = request.uri.queryParameters.get("q")?.trimmingCharacters(in: .whitespacesAndNewlines), !q.isEmpty else { return nil }
        return q
    }

    static func language(of request: Request) -> String {
        (request.headers[.acceptLanguage] ?? "").lowercased().hasPrefix("en") ? "en" : "zh"
    }

    static func html(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                           .init("Content-Security-Policy")!: "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func jsonError(_ status: Int, _ message: String) -> Response {
        let body = (try? String(decoding: JSONEncoder().encode(["error": message]), as: UTF8.self)) ?? "{}"
        return json(body, status: HTTPResponse.Status(code: status))
    }

    static func encode<T: Encodable>(_ value: T) throws -> Response {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return json(String(decoding: try e.encode(value), as: UTF8.self))
    }

    static func errorPage(_ wiki: Wiki, _ status: Int, _ message: String, _ request: Request) -> Response {
        html(wiki.errorPage(status: status, message: message, language: language(of: request)), status: HTTPResponse.Status(code: status))
    }

    static func tooLong(_ wiki: Wiki, _ request: Request) -> Response {
        errorPage(wiki, 413, "the question is longer than \(wiki.limits.maxQuestionBytes) bytes", request)
    }
}

/// Bounds how many requests run at once: the rest wait for a slot (answering is CPU-bound).
actor Gate {
    let limit: Int
    var running = 0
    var waiting: [CheckedContinuation<Void, Never>] = []
    init(limit: Int) { self.limit = limit }

    func enter() async {
        if running < limit { running += 1; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty { running -= 1 } else { waiting.removeFirst().resume() }
    }
}

struct LimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let gate: Gate
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Hostile requests: long URIs are refused before any work.
        guard request.uri.string.utf8.count <= 8192 else {
            return Response(status: .uriTooLong, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "URI too long\n")))
        }
        await gate.enter()
        do {
            let response = try await next(request, context)
            await gate.leave()
            return response
        } catch {
            await gate.leave()
            throw error
        }
    }
}
