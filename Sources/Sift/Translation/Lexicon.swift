import Foundation

/// Sift's Chinese–English lexicon (`Models/lexicon/`, derived from CC-CEDICT, CC BY-SA 4.0):
/// two memory-mapped tables of sorted `key<TAB>value|value…` lines, Chinese headword →
/// English glosses and English gloss → Chinese headwords. Opening one reads nothing; a
/// lookup is a binary search over the bytes.
struct Lexicon: Sendable {
    /// Chinese headword (simplified) → English glosses, the first sense first.
    let chineseToEnglish: Table
    /// English gloss (lower-case unless written with capitals) → Chinese headwords.
    let englishToChinese: Table

    /// The file names in a lexicon folder.
    static let files = (zh: "zh-en-v1.tsv", en: "en-zh-v1.tsv")
    /// Longest Chinese headword tried, in Unicode scalars.
    static let maxHeadword = 8
    /// Longest English gloss tried, in words.
    static let maxGlossWords = 3

    init(folder: URL) throws(SiftError) {
        chineseToEnglish = try Table(url: folder.appendingPathComponent(Lexicon.files.zh))
        englishToChinese = try Table(url: folder.appendingPathComponent(Lexicon.files.en))
    }

    /// The released lexicon: the folder in `SIFT_LEXICON`, else `Models/lexicon` of the
    /// package Sift was built from, else `Models/lexicon` under the current directory; nil
    /// when none has both files (then no query is translated).
    static let shared: Lexicon? = {
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["SIFT_LEXICON"], !env.isEmpty {
            candidates.append(URL(fileURLWithPath: env))
        }
        // Sources/Sift/Translation/Lexicon.swift → the package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent("Models/lexicon"))
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Models/lexicon"))
        for folder in candidates {
            if let lexicon = try? Lexicon(folder: folder) { return lexicon }
        }
        return nil
    }()

    /// One sorted table of `key<TAB>values` lines, searched in place: a lookup bisects the
    /// bytes, backing up from the middle to the start of its line, so opening one reads nothing.
    struct Table: Sendable {
        let data: Data

        init(url: URL) throws(SiftError) {
            let data: Data
            do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
                throw .fileUnreadable(path: url.path, reason: "cannot read the lexicon: \(error.localizedDescription)")
            }
            guard !data.isEmpty, data.last == 0x0A else {
                throw .fileUnreadable(path: url.path, reason: "the lexicon is empty or truncated; rebuild it with python3 Models/lexicon/build.py")
            }
            self.data = data
        }

        /// The values of `key` (UTF-8 bytes), nil when it is not in the table.
        func lookup(_ key: UnsafeBufferPointer<UInt8>) -> [String]? { probe(key).values }

        /// The values of `key` (nil when it is not in the table), and whether any key starts
        /// with `key` (is it, or is longer): one bisection for the first line not below `key`.
        func probe(_ key: UnsafeBufferPointer<UInt8>) -> (values: [String]?, prefixed: Bool) {
            data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> ([String]?, Bool) in
                let bytes = raw.bindMemory(to: UInt8.self)
                // Invariant: lo and hi are line starts; the lines before lo are below key, those
                // from hi on are not.
                var lo = 0, hi = bytes.count
                while lo < hi {
                    var start = (lo + hi) / 2
                    while start > lo && bytes[start - 1] != 0x0A { start -= 1 }
                    if compare(bytes, line: start, key) < 0 { lo = lineEnd(bytes, from: start) + 1 } else { hi = start }
                }
                guard lo < bytes.count else { return (nil, false) }
                let c = compare(bytes, line: lo, key)
                guard c == 0 else {
                    // The first line not below key starts with it when key is a proper prefix of its key.
                    var i = 0
                    while i < key.count && lo + i < bytes.count && bytes[lo + i] == key[i] { i += 1 }
                    return (nil, i == key.count)
                }
                let end = lineEnd(bytes, from: lo)
                var values: [String] = []
                var p = lo + key.count + 1
                var valueStart = p
                while p <= end {
                    if p == end || bytes[p] == 0x7C {  // "|"
                        if p > valueStart { values.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[valueStart..<p]), as: UTF8.self)) }
                        valueStart = p + 1
                    }
                    p += 1
                }
                return (values, true)
            }
        }

        /// The offset of the newline ending the line that contains `from` (memchr).
        private func lineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
            guard let base = bytes.baseAddress, from < bytes.count,
                  let hit = memchr(base + from, 0x0A, bytes.count - from) else { return bytes.count }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }

        func lookup(_ key: String) -> [String]? {
            var key = key
            return key.withUTF8 { lookup($0) }
        }

        /// Compares the key of the line at `start` with `key`: < 0 when the line's is smaller.
        private func compare(_ bytes: UnsafeBufferPointer<UInt8>, line start: Int, _ key: UnsafeBufferPointer<UInt8>) -> Int {
            var i = 0
            while true {
                let p = start + i
                let lineEnded = p >= bytes.count || bytes[p] == 0x09 || bytes[p] == 0x0A
                if i == key.count { return lineEnded ? 0 : 1 }
                if lineEnded { return -1 }
                if bytes[p] != key[i] { return bytes[p] < key[i] ? -1 : 1 }
                i += 1
            }
        }
    }
}
