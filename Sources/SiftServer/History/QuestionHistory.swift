import Foundation
import GRDB
@_spi(Internals) import Sift

/// One distinct question (by its normalised text) with when and how often it was asked and
/// the first sentence of its answer.
public struct HistoryEntry: Sendable, Hashable, Codable {
    /// Stable id: the question's page is `/questions/{id}`.
    public var id: Int64
    /// The question as first asked.
    public var question: String
    /// `"zh"` or `"en"`.
    public var language: String
    /// First and last time it was asked (seconds since 1970, UTC); for a question of the
    /// bundled bank that nobody asked here yet, the bank's date.
    public var firstAsked: Date
    public var lastAsked: Date
    /// How many times it was asked through this history (0: only in the bundled bank).
    public var count: Int
    /// Whether the corpus answered it.
    public var answered: Bool
    /// The answer's first statement (empty when not answered).
    public var summary: String

    /// `lastAsked` as `YYYY-MM-DD` (UTC).
    public var day: String { HistoryEntry.dayFormatter.string(from: lastAsked) }

    static let dayFormatter: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        return f
    }()

    enum CodingKeys: String, CodingKey {
        case id, question, language, count, answered, summary
        case firstAsked = "first_asked", lastAsked = "last_asked"
    }
}

/// Errors of the question history, naming the file and what to do.
public struct HistoryError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The question history: a SQLite file (WAL mode, schema migrations) with one row per
/// distinct question. Safe to use from many tasks and from several processes at once (SQLite's
/// locking; every write is one short transaction).
public final class QuestionHistory: Sendable {
    let pool: DatabasePool
    /// The file.
    public let path: String

    /// Opens (creating it if needed) the history at `path` and migrates its schema.
    /// - Throws: ``HistoryError`` naming the file when it cannot be opened or is not a
    ///   Sift history database.
    public init(path: String) throws(HistoryError) {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(10)  // another process writing: wait, do not fail
        config.label = "sift-history"
        // WAL with synchronous=NORMAL: a commit survives a crash or kill of the server (only a
        // power loss can take back the last commits), without an fsync per question.
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try QuestionHistory.migrator.migrate(pool)
        } catch {
            throw HistoryError(description: "cannot open the question history \(path): \(error). Use another history file, or none.")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: questions") { db in
            try db.create(table: "question") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("key", .text).notNull().unique()
                t.column("question", .text).notNull()
                t.column("language", .text).notNull()
                t.column("firstAsked", .double).notNull()
                t.column("lastAsked", .double).notNull()
                t.column("count", .integer).notNull().defaults(to: 0)
                t.column("answered", .boolean).notNull()
                t.column("summary", .text).notNull()
            }
            try db.create(index: "question_lastAsked", on: "question", columns: ["lastAsked"])
            try db.create(index: "question_count", on: "question", columns: ["count"])
        }
        return m
    }

    /// A question's identity: NFKC, case-folded, without whitespace and punctuation.
    public static func key(_ question: String) -> String {
        question.precomposedStringWithCompatibilityMapping.lowercased().filter { !$0.isWhitespace && !$0.isPunctuation && !$0.isSymbol }
    }

    /// Records that `question` was asked at `date` and answered by `answer` (a new row, or the
    /// existing row's count and last time updated); returns the row.
    @discardableResult
    public func record(_ question: String, answer: Answer, at date: Date = Date()) throws(HistoryError) -> HistoryEntry {
        let key = QuestionHistory.key(question)
        let summary = QuestionHistory.summary(of: answer)
        let t = date.timeIntervalSince1970
        do {
            return try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO question (key, question, language, firstAsked, lastAsked, count, answered, summary)
                    VALUES (?, ?, ?, ?, ?, 1, ?, ?)
                    ON CONFLICT(key) DO UPDATE SET count = count + 1, lastAsked = max(lastAsked, excluded.lastAsked),
                        answered = excluded.answered, summary = excluded.summary
                    """, arguments: [key, question, answer.language, t, t, answer.answered, summary])
                return try QuestionHistory.entry(db, sql: "SELECT * FROM question WHERE key = ?", [key])!
            }
        } catch let e as HistoryError {
            throw e
        } catch {
            throw HistoryError(description: "cannot write to the question history \(path): \(error)")
        }
    }

    /// Adds questions of a bank that the history does not have yet (count 0, the bank's date),
    /// answered by `answer`. Returns how many were added.
    @discardableResult
    public func importBank(_ bank: [AskedQuestion], answer: (String) -> Answer) throws(HistoryError) -> Int {
        let known: Set<String>
        do { known = Set(try pool.read { db in try String.fetchAll(db, sql: "SELECT key FROM question") }) } catch {
            throw HistoryError(description: "cannot read the question history \(path): \(error)")
        }
        var rows: [(String, AskedQuestion, Answer, Double)] = []
        var seen = known
        for q in bank where seen.insert(QuestionHistory.key(q.question)).inserted {
            let day = HistoryEntry.dayFormatter.date(from: q.date) ?? Date(timeIntervalSince1970: 0)
            rows.append((QuestionHistory.key(q.question), q, answer(q.question), day.timeIntervalSince1970))
        }
        guard !rows.isEmpty else { return 0 }
        do {
            try pool.write { db in
                for (key, q, a, t) in rows {
                    try db.execute(sql: """
                        INSERT INTO question (key, question, language, firstAsked, lastAsked, count, answered, summary)
                        VALUES (?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT(key) DO NOTHING
                        """, arguments: [key, q.question, a.language, t, t, a.answered, QuestionHistory.summary(of: a)])
                }
            }
        } catch {
            throw HistoryError(description: "cannot write to the question history \(path): \(error)")
        }
        return rows.count
    }

    /// The row with `id`, if any.
    public func entry(id: Int64) throws(HistoryError) -> HistoryEntry? {
        try read { db in try QuestionHistory.entry(db, sql: "SELECT * FROM question WHERE id = ?", [id]) }
    }

    /// The row of `question` (by its key), if any.
    public func entry(question: String) throws(HistoryError) -> HistoryEntry? {
        try read { db in try QuestionHistory.entry(db, sql: "SELECT * FROM question WHERE key = ?", [QuestionHistory.key(question)]) }
    }

    /// Every row, newest first (for the question list and the related-question index).
    public func all() throws(HistoryError) -> [HistoryEntry] {
        try read { db in try QuestionHistory.entries(db, sql: "SELECT * FROM question ORDER BY lastAsked DESC, id DESC", []) }
    }

    /// Page `page` (1-based) of `perPage` rows, newest first, and the number of rows.
    public func page(_ page: Int, perPage: Int) throws(HistoryError) -> (entries: [HistoryEntry], total: Int) {
        try read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM question") ?? 0
            let rows = try QuestionHistory.entries(db, sql: "SELECT * FROM question ORDER BY lastAsked DESC, id DESC LIMIT ? OFFSET ?",
                                                   [perPage, max(0, page - 1) * perPage])
            return (rows, total)
        }
    }

    /// The most asked questions (asked here at least once), most first.
    public func mostAsked(_ limit: Int) throws(HistoryError) -> [HistoryEntry] {
        try read { db in
            try QuestionHistory.entries(db, sql: "SELECT * FROM question WHERE count > 0 ORDER BY count DESC, lastAsked DESC LIMIT ?", [limit])
        }
    }

    /// The most recently asked questions.
    public func recent(_ limit: Int) throws(HistoryError) -> [HistoryEntry] {
        try read { db in try QuestionHistory.entries(db, sql: "SELECT * FROM question ORDER BY lastAsked DESC, id DESC LIMIT ?", [limit]) }
    }

    /// Number of rows.
    public func count() throws(HistoryError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM question") ?? 0 }
    }

    /// The first statement of an answer, as the question list shows it.
    static func summary(of answer: Answer) -> String {
        guard answer.answered, let s = answer.lead ?? answer.points.first else { return "" }
        return AnswerRenderer.display(s, zh: false)
    }

    private func read<T>(_ body: (Database) throws -> T) throws(HistoryError) -> T {
        do { return try pool.read(body) } catch {
            throw HistoryError(description: "cannot read the question history \(path): \(error)")
        }
    }

    static func entry(_ db: Database, sql: String, _ arguments: StatementArguments) throws -> HistoryEntry? {
        try entries(db, sql: sql, arguments).first
    }

    static func entries(_ db: Database, sql: String, _ arguments: StatementArguments) throws -> [HistoryEntry] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map { r in
            HistoryEntry(id: r["id"], question: r["question"], language: r["language"],
                         firstAsked: Date(timeIntervalSince1970: r["firstAsked"]), lastAsked: Date(timeIntervalSince1970: r["lastAsked"]),
                         count: r["count"], answered: r["answered"], summary: r["summary"])
        }
    }
}
