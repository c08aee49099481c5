/// A question somebody asked, with the day it was asked: an entry of a ``QuestionBank``
/// and an item of "Others are asking" (``Answer/related``).
public struct AskedQuestion: Sendable, Hashable, Codable {
    /// The question as it was asked.
    public var question: String
    /// When it was asked, as `YYYY-MM-DD` (empty when unknown).
    public var date: String

    /// A question asked on `date` (`YYYY-MM-DD`).
    public init(question: String, date: String) {
        self.question = question
        self.date = date
    }
}

/// A composed answer: every text in ``lead`` and ``points`` is copied verbatim from the
/// passage its citation points to.
public struct Answer: Sendable, Hashable, Codable {
    /// A sentence (or two adjacent ones), a list item or a table row quoted from a cited passage.
    public struct Statement: Sendable, Hashable, Codable {
        /// One cell of a table row, with the header of its column when the table has one.
        public struct Cell: Sendable, Hashable, Codable {
            public var header: String?
            public var value: String
        }

        /// The quoted text: an exact substring of each cited reference's ``Reference/passage``
        /// (for a table row, the row as the passage has it, cells separated by ` | `).
        public var text: String
        /// Reference numbers (1-based) of the passages the text is quoted from.
        public var citations: [Int]
        /// For a table row: its cells, each verbatim, with their column headers.
        public var cells: [Cell]?
        /// The language of the source article (`zh`, `en`, …), which may differ from the question's.
        public var language: String

        enum CodingKeys: String, CodingKey { case text, citations, cells, language }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(text, forKey: .text)
            try c.encode(citations, forKey: .citations)
            try c.encodeIfPresent(cells, forKey: .cells)
            try c.encode(language, forKey: .language)
        }
    }

    /// A cited passage.
    public struct Reference: Sendable, Hashable, Codable {
        /// The number citations use (`[1]` is number 1).
        public var number: Int
        /// The article's title.
        public var title: String
        /// Path of the article relative to the corpus folder.
        public var source: String
        /// URL from the article's front matter, if any.
        public var url: String?
        /// The full passage text, as shown to users.
        public var passage: String
        /// Span of the passage in the source file, in Unicode scalars.
        public var start: Int
        /// End of the span (exclusive).
        public var end: Int
        /// The passage's search score (0...1).
        public var score: Float
    }

    /// The question as asked.
    public var question: String
    /// `"zh"` or `"en"`, the question's language (it picks the templates).
    public var language: String
    /// Whether the corpus answers the question.
    public var answered: Bool
    /// The statement that best answers the question (for a definition question, a sentence
    /// that defines the term when the corpus has one); `nil` when the question is declined.
    public var lead: Statement?
    /// Further statements on the question (the main meaning, for an ambiguous term): at most
    /// one more from the lead's passage, then one from each other article; at most
    /// ``AnswerComposer/maxPoints``, and only those on topic.
    public var points: [Statement]
    /// For an ambiguous term (``ambiguousTerm``): one statement per other meaning.
    public var senses: [Statement]
    /// The cited passages, numbered in the order the answer first cites them.
    public var references: [Reference]
    /// Similar questions that others asked.
    public var related: [AskedQuestion]
    /// For a definition question whose term means different things in different
    /// articles: the term (nil otherwise).
    public var ambiguousTerm: String?

    enum CodingKeys: String, CodingKey {
        case question, language, answered, lead, points, senses, references, related
        case ambiguousTerm = "ambiguous_term"
    }

    /// Encodes the JSON shape of `sift ask --format json` (`lead` and `ambiguous_term` are
    /// `null` when absent).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(question, forKey: .question)
        try c.encode(language, forKey: .language)
        try c.encode(answered, forKey: .answered)
        try c.encode(lead, forKey: .lead)  // explicit null when absent
        try c.encode(points, forKey: .points)
        try c.encode(senses, forKey: .senses)
        try c.encode(references, forKey: .references)
        try c.encode(related, forKey: .related)
        try c.encode(ambiguousTerm, forKey: .ambiguousTerm)
    }
}
