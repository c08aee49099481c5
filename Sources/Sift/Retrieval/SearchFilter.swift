import Foundation

/// Which documents a search may return, by their metadata. Every condition that is set
/// must hold; an empty filter lets everything through.
///
/// Filters apply inside the first-stage scan (like tombstones), before the top-k is taken,
/// so a narrow filter still returns `k` results when `k` documents match; it never
/// post-filters a fixed candidate list.
///
/// ```swift
/// let filter = SearchFilter(languages: ["zh"], tags: ["rlhf"], since: "2024-01-01")
/// let hits = index.search("奖励模型", k: 5, filter: filter)
/// ```
public struct SearchFilter: Sendable, Hashable, Codable {
    /// Document languages (`"zh"`, `"en"`, …); empty: any language.
    public var languages: Set<String>
    /// A document matches when it has at least one of these tags (case-insensitive); empty: any.
    public var tags: Set<String>
    /// A document matches when its ``Document/source`` starts with one of these; empty: any.
    public var sourcePrefixes: [String]
    /// Earliest document date, `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (inclusive). Documents
    /// without a date do not match a filter with a date bound.
    public var since: String?
    /// Latest document date (inclusive), in the same forms as ``since``.
    public var until: String?

    /// A filter; with no arguments, one that lets every document through.
    public init(languages: Set<String> = [], tags: Set<String> = [], sourcePrefixes: [String] = [],
                since: String? = nil, until: String? = nil) {
        self.languages = languages
        self.tags = tags
        self.sourcePrefixes = sourcePrefixes
        self.since = since
        self.until = until
    }

    /// Whether the filter lets every document through.
    public var isEmpty: Bool {
        languages.isEmpty && tags.isEmpty && sourcePrefixes.isEmpty && since == nil && until == nil
    }

    /// Checks the date bounds.
    /// - Throws: ``SiftError/invalidArgument(name:reason:)`` naming `since` or `until`.
    public func validate() throws(SiftError) {
        for (name, value) in [("since", since), ("until", until)] {
            if let v = value, SearchFilter.normalizedDate(v) == nil {
                throw .invalidArgument(name: name, reason: "expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got '\(v)'")
            }
        }
    }

    /// Whether `document` passes the filter.
    public func matches(_ document: Document) -> Bool {
        if !languages.isEmpty && !languages.contains(document.language) { return false }
        if !tags.isEmpty {
            let wanted = Set(tags.map { $0.lowercased() })
            guard document.tags.contains(where: { wanted.contains($0.lowercased()) }) else { return false }
        }
        if !sourcePrefixes.isEmpty && !sourcePrefixes.contains(where: { document.source.hasPrefix($0) }) { return false }
        if since != nil || until != nil {
            guard let date = document.date.flatMap(SearchFilter.normalizedDate) else { return false }
            if let s = since.flatMap(SearchFilter.normalizedDate), date < s { return false }
            if let u = until.flatMap(SearchFilter.normalizedDate), date > u { return false }
        }
        return true
    }

    /// `YYYY-MM-DD` for `YYYY`, `YYYY-MM`, `YYYY-MM-DD` (also with `/` or `.`), missing parts
    /// as 01; nil for anything else.
    static func normalizedDate(_ text: String) -> String? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." })
        guard (1...3).contains(parts.count), parts.allSatisfy({ $0.allSatisfy(\.isASCII) }),
              let year = Int(parts[0]), parts[0].count == 4 else { return nil }
        let month = parts.count > 1 ? Int(parts[1]) : 1
        let day = parts.count > 2 ? Int(parts[2].prefix(2)) : 1
        guard let m = month, let d = day, (1...12).contains(m), (1...31).contains(d) else { return nil }
        return String(format: "%04d-%02d-%02d", year, m, d)
    }
}
