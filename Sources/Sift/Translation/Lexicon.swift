import Foundation

/// Sift's Chinese–English lexicon (`Models/lexicon/`, derived from CC-CEDICT, CC BY-SA 4.0):
/// two memory-mapped tables of sorted `key<TAB>value|value…` lines, Chinese headword →
/// English glosses and English gloss → Chinese headwords. Opening one reads nothing but the
/// line starts; a lookup is a binary search over them.
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

    /// One sorted table of `key<TAB>values` lines.
    struct Table: Sendable {
        let data: Data
        /// Byte offset of each line's start, in file order (= key order).
        let lines: [Int32]

        init(url: URL) throws(SiftError) {
            let data: Data
            do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
                throw .fileUnreadable(path: url.path, reason: "cannot read the lexicon: \(error.localizedDescription)")
            }
            guard !data.isEmpty, data.count < Int(Int32.max) else {
                throw .fileUnreadable(path: url.path, reason: "the lexicon is empty or too large; rebuild it with python3 Models/lexicon/build.py")
            }
            var lines: [Int32] = []
            data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                let bytes = raw.bindMemory(to: UInt8.self)
                var start = 0
                while start < bytes.count {
                    lines.append(Int32(start))
                    guard let nl = memchr(bytes.baseAddress! + start, 0x0A, bytes.count - start) else { break }
                    start = bytes.baseAddress!.distance(to: nl.assumingMemoryBound(to: UInt8.self)) + 1
                }
            }
            self.data = data
            self.lines = lines
        }

        var count: Int { lines.count }

        /// The values of `key` (UTF-8 bytes), nil when it is not in the table.
        func lookup(_ key: UnsafeBufferPointer<UInt8>) -> [String]? {
            data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [String]? in
                let bytes = raw.bindMemory(to: UInt8.self)
                var lo = 0, hi = lines.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    let c = compare(bytes, line: Int(lines[mid]), key)
                    if c == 0 {
                        var p = Int(lines[mid]) + key.count + 1
                        let end = mid + 1 < lines.count ? Int(lines[mid + 1]) - 1 : bytes.count
                        var values: [String] = []
                        var start = p
                        while p <= end {
                            if p == end || bytes[p] == 0x7C {  // "|"
                                if p > start { values.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<p]), as: UTF8.self)) }
                                start = p + 1
                            }
                            p += 1
                        }
                        return values
                    }
                    if c < 0 { lo = mid + 1 } else { hi = mid }
                }
                return nil
            }
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
