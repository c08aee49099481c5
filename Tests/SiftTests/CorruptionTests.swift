import Foundation
@_spi(Benchmarks) import Sift
import Testing

/// The bytes of an index file and its header's section table, parsed the way the format
/// documents it (`IndexFileFormat` in SiftIndex+File.swift): 4096-byte header with magic
/// `SIFTIDX\0` (0..<8), u32 version (8), u32 section count (12), u64 model fingerprint (16),
/// u32 dimension (24), u32 reserved (28), i64 rows (32), i64 documents (40), then per
/// section u32 kind, u32 reserved, i64 offset, i64 length, u64 checksum (32 bytes each,
/// from byte 48), then the model identifier (u32 length + UTF-8); the header's checksum is
/// in its last 8 bytes.
struct IndexFileBytes {
    static let headerSize = 4096
    static let tableStart = 48
    static let entrySize = 32
    static let kindNames: [UInt32: String] = [1: "matrix", 2: "rows", 3: "texts", 4: "documents", 5: "statistics", 6: "model", 7: "meta", 8: "features", 11: "termPairs"]

    struct Section {
        var kind: UInt32
        var entryOffset: Int
        var range: Range<Int>
        var name: String { IndexFileBytes.kindNames[kind] ?? "kind \(kind)" }
    }

    var bytes: [UInt8]
    var sections: [Section] = []

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        guard bytes.count >= Self.tableStart else { return }
        let count = min(Int(u32(at: 12)), 64, (bytes.count - Self.tableStart) / Self.entrySize)
        for i in 0..<count {
            let e = Self.tableStart + Self.entrySize * i
            let offset = Int(i64(at: e + 8)), length = Int(i64(at: e + 16))
            let (end, overflow) = offset.addingReportingOverflow(length)
            sections.append(Section(kind: u32(at: e), entryOffset: e, range: overflow || end < offset ? offset..<offset : offset..<end))
        }
    }

    func u32(at o: Int) -> UInt32 { bytes[o..<o + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
    func u64(at o: Int) -> UInt64 { bytes[o..<o + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
    func i64(at o: Int) -> Int64 { Int64(bitPattern: u64(at: o)) }
    mutating func setU32(_ v: UInt32, at o: Int) { for i in 0..<4 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }
    mutating func setU64(_ v: UInt64, at o: Int) { for i in 0..<8 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }

    func section(_ name: String) -> Section { sections.first { $0.name == name }! }

    /// Where the header's fixed fields and table end and the model identifier starts.
    var modelIdentifierRange: Range<Int> {
        let start = Self.tableStart + Self.entrySize * sections.count
        return start..<(start + 4 + Int(u32(at: start)))
    }

    /// Bytes between sections (alignment padding) and after the last one: covered by no checksum.
    func isUncovered(_ offset: Int) -> Bool {
        offset >= Self.headerSize && !sections.contains { $0.range.contains(offset) }
    }

    /// Every byte offset covered by no checksum.
    var uncoveredOffsets: [Int] { (Self.headerSize..<bytes.count).filter(isUncovered) }

    /// Recomputes the header checksum (after an edit of the header).
    mutating func fixHeaderChecksum() {
        let sum = TestChecksum.compute(bytes[0..<(Self.headerSize - 8)])
        setU64(sum, at: Self.headerSize - 8)
    }

    /// Recomputes the checksum of every section whose range is inside the file, then the header's.
    mutating func fixAllChecksums() {
        for s in sections where s.range.lowerBound >= 0 && s.range.upperBound <= bytes.count && s.range.lowerBound <= s.range.upperBound {
            setU64(TestChecksum.compute(bytes[s.range]), at: s.entryOffset + 24)
        }
        fixHeaderChecksum()
    }
}

/// The index file checksum (a copy of the library's internal `Checksum`: xxHash64-style,
/// four multiply–rotate lanes, then an avalanche), so that tests can build damaged files
/// whose checksums still match. A test checks that it agrees with the library's.
enum TestChecksum {
    static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let p3: UInt64 = 0x1656_67B1_9E37_79F9

    static func compute(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        let b = Array(bytes)
        let n = b.count
        func word(_ i: Int) -> UInt64 { var v: UInt64 = 0; for j in 0..<8 { v |= UInt64(b[i + j]) << (8 * UInt64(j)) }; return v }
        func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
            var a = acc &+ input &* p2
            a = (a << 31) | (a >> 33)
            return a &* p1
        }
        var v1 = p1 &+ p2, v2 = p2, v3: UInt64 = 0, v4 = 0 &- p1
        var i = 0
        while i + 32 <= n {
            v1 = round(v1, word(i)); v2 = round(v2, word(i + 8)); v3 = round(v3, word(i + 16)); v4 = round(v4, word(i + 24))
            i += 32
        }
        var h = ((v1 << 1) | (v1 >> 63)) &+ ((v2 << 7) | (v2 >> 57)) &+ ((v3 << 12) | (v3 >> 52)) &+ ((v4 << 18) | (v4 >> 46))
        h = h &+ UInt64(n)
        while i < n {
            h ^= UInt64(b[i]) &* p3
            h = ((h << 11) | (h >> 53)) &* p1
            i += 1
        }
        h ^= h >> 33; h &*= p2; h ^= h >> 29; h &*= p3; h ^= h >> 32
        return h
    }
}

/// A saved index and what it answers, to compare damaged copies against.
struct CorruptionFixture {
    var model: EmbeddingModel
    var index: SiftIndex
    var file: IndexFileBytes
    static let queries = ["什么是sft?", "What is RLHF?", "监督微调", "swimming pool", "检索增强生成", "reward model", "LoRA 低秩"]

    /// An index with Chinese, English and mixed documents, tombstones and a corpus
    /// fingerprint, written to `dir`.
    static func make(in dir: URL, model: EmbeddingModel = smallModel()) throws -> CorruptionFixture {
        var rng = SeededGenerator(seed: 0xC0DE)
        var docs = try sampleDocuments()
        for (i, kind) in [TextKind.zh, .en, .mixed, .zh, .en, .mixed].enumerated() {
            docs.append(try ArticleFactory.document(id: "gen/\(i).md", kind: kind, sentences: 12, using: &rng))
        }
        var index = try SiftIndex(model: model, documents: docs, threads: 2)
        index.remove(documentID: "en/swimming.md")
        index.add(try ArticleFactory.document(id: "gen/2.md", kind: .mixed, sentences: 6, using: &rng))
        index.corpusFingerprint = "corruption fixture ✓"
        let url = dir.appendingPathComponent("pristine.siftindex")
        try index.write(to: url)
        return CorruptionFixture(model: model, index: index, file: IndexFileBytes([UInt8](try Data(contentsOf: url))))
    }

    /// What differs between `other` and the fixture's index (nil when they are the same).
    func difference(_ other: SiftIndex) -> String? {
        if other.model != model { return "model" }
        if other.documents != index.documents { return "documents" }
        if other.statistics != index.statistics { return "statistics" }
        if other.passageIDCount != index.passageIDCount || other.passageCount != index.passageCount { return "passage counts" }
        if other.corpusFingerprint != index.corpusFingerprint { return "corpus fingerprint" }
        for id in 0..<index.passageIDCount where other.passage(id: id) != index.passage(id: id) { return "passage \(id)" }
        for row in 0..<index.passageIDCount where index.flatIndex.isLive(row) {
            if other.flatIndex.vector(at: row) != index.flatIndex.vector(at: row) { return "vector \(row)" }
        }
        for q in Self.queries where other.search(q, k: 10) != index.search(q, k: 10) { return "search '\(q)'" }
        return nil
    }
}

/// Tally of damaged files tried, by outcome.
struct DamageTally: CustomStringConvertible {
    var tried = 0
    var rejected: [String: Int] = [:]
    var openedIdentical = 0
    var description: String {
        "\(tried) tried: " + rejected.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            + ", \(openedIdentical) opened with identical contents (uncovered padding/trailing bytes)"
    }
}

@Suite("Index file corruption")
struct CorruptionTests {
    enum Expectation {
        /// corruptIndex only.
        case corrupt
        /// corruptIndex, or unsupportedIndexVersion(found) for a damaged version field.
        case corruptOrVersion
        /// Any typed rejection, or an open whose contents are identical to the original.
        case rejectedOrIdentical
    }

    /// Writes `bytes` to `url`, opens it (full verification) and checks the outcome.
    static func attempt(_ bytes: [UInt8], at url: URL, fixture: CorruptionFixture, expect: Expectation, what: String,
                        tally: inout DamageTally, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try Data(bytes).write(to: url)
        tally.tried += 1
        let opened: SiftIndex
        do throws(SiftError) {
            opened = try SiftIndex.open(url, expectedModel: fixture.model, verification: .full)
        } catch {
            let name: String
            switch error {
            case .corruptIndex: name = "corruptIndex"
            case .unsupportedIndexVersion: name = "unsupportedIndexVersion"
            case .modelMismatch: name = "modelMismatch"
            default: name = "other"
            }
            tally.rejected[name, default: 0] += 1
            #expect(error.description.contains(url.path), "\(what): the message names the file: \(error)", sourceLocation: sourceLocation)
            #expect(!error.description.contains("\n"), "\(what): one line", sourceLocation: sourceLocation)
            switch (expect, error) {
            case (.corrupt, .corruptIndex), (.corruptOrVersion, .corruptIndex), (.corruptOrVersion, .unsupportedIndexVersion),
                 (.rejectedOrIdentical, .corruptIndex), (.rejectedOrIdentical, .unsupportedIndexVersion), (.rejectedOrIdentical, .modelMismatch):
                break
            default:
                Issue.record("\(what): unexpected error \(error)", sourceLocation: sourceLocation)
            }
            return
        }
        // Opened: only acceptable when nothing a checksum covers was damaged, and then the
        // contents must be exactly the original's.
        if let d = fixture.difference(opened) {
            Issue.record("\(what): opened with WRONG data (\(d))", sourceLocation: sourceLocation)
        } else if case .rejectedOrIdentical = expect {
            tally.openedIdentical += 1
        } else {
            Issue.record("\(what): damage was not detected (the contents are identical, but a checksum should have caught it)",
                         sourceLocation: sourceLocation)
        }
    }

    @Test("The test copy of the checksum agrees with the library's")
    func checksumCopy() throws {
        try withTemporaryDirectory { dir in
            let fixture = try CorruptionFixture.make(in: dir)
            let file = fixture.file
            #expect(TestChecksum.compute(file.bytes[0..<(IndexFileBytes.headerSize - 8)]) == file.u64(at: IndexFileBytes.headerSize - 8))
            for s in file.sections { #expect(TestChecksum.compute(file.bytes[s.range]) == file.u64(at: s.entryOffset + 24), "\(s.name)") }
            #expect(file.sections.map(\.name) == ["matrix", "rows", "texts", "documents", "statistics", "model", "meta", "termPairs", "features"])
        }
    }

    @Test("Truncation at every section boundary, ±1, and at 50 random lengths → corruptIndex")
    func truncations() throws {
        try withTemporaryDirectory { dir in
            let fixture = try CorruptionFixture.make(in: dir)
            let bytes = fixture.file.bytes
            var lengths: Set<Int> = [0, 1, 7, 8, 9, 12, 16, 47, 48, 49, 4087, 4088, 4089, 4095, 4096, 4097, bytes.count - 1]
            for s in fixture.file.sections {
                for b in [s.range.lowerBound, s.range.upperBound] { lengths.formUnion([b - 1, b, b + 1]) }
            }
            var rng = SeededGenerator(seed: 0x7A11)
            var random = 0
            while random < 50 {
                if lengths.insert(Int.random(in: 0..<bytes.count, using: &rng)).inserted { random += 1 }
            }
            var tally = DamageTally()
            let url = dir.appendingPathComponent("truncated.siftindex")
            for n in lengths.sorted() where n >= 0 && n < bytes.count {
                try Self.attempt(Array(bytes.prefix(n)), at: url, fixture: fixture, expect: .corrupt,
                                 what: "truncated to \(n) of \(bytes.count) bytes", tally: &tally)
            }
            // Bytes appended after the last section are covered by no checksum.
            for extra in [1, 7, 4096] {
                try Self.attempt(bytes + [UInt8](repeating: 0xAB, count: extra), at: url, fixture: fixture, expect: .rejectedOrIdentical,
                                 what: "\(extra) bytes appended", tally: &tally)
            }
            #expect(tally.rejected["corruptIndex"] == tally.tried - tally.openedIdentical)
            hardeningReport("corruption/truncate: \(tally)")
        }
    }

    /// About 560 offsets: every byte of the header's fixed fields and table, a sample of the
    /// model identifier, the header padding and checksum, at least 24 per section (its
    /// first and last bytes included), every uncovered padding byte, and random ones.
    static func flipOffsets(_ file: IndexFileBytes, using rng: inout SeededGenerator) -> [Int] {
        var offsets = Set(0..<(IndexFileBytes.tableStart + IndexFileBytes.entrySize * file.sections.count))
        let id = file.modelIdentifierRange
        offsets.formUnion([id.lowerBound, id.lowerBound + 3, id.lowerBound + 4, id.upperBound - 1, id.upperBound, 3000, 4087, 4088, 4095])
        for s in file.sections where !s.range.isEmpty {
            offsets.formUnion([s.range.lowerBound, s.range.upperBound - 1])
            for _ in 0..<22 { offsets.insert(Int.random(in: s.range, using: &rng)) }
        }
        offsets.formUnion(file.uncoveredOffsets)
        while offsets.count < 560 { offsets.insert(Int.random(in: 0..<file.bytes.count, using: &rng)) }
        return offsets.sorted()
    }

    @Test("One flipped byte anywhere → corruptIndex (or unsupportedIndexVersion); flips in uncovered padding change nothing")
    func flips() throws {
        try withTemporaryDirectory { dir in
            let fixture = try CorruptionFixture.make(in: dir)
            var rng = SeededGenerator(seed: 0xF11B)
            let offsets = Self.flipOffsets(fixture.file, using: &rng)
            var tally = DamageTally()
            let url = dir.appendingPathComponent("flipped.siftindex")
            for offset in offsets {
                var bytes = fixture.file.bytes
                let mask = UInt8.random(in: 1...255, using: &rng)
                bytes[offset] ^= mask
                let expect: Expectation = fixture.file.isUncovered(offset) ? .rejectedOrIdentical : (8..<12).contains(offset) ? .corruptOrVersion : .corrupt
                try Self.attempt(bytes, at: url, fixture: fixture, expect: expect,
                                 what: "byte \(offset) ^ 0x\(String(mask, radix: 16)) (\(Self.part(of: offset, in: fixture.file)))", tally: &tally)
            }
            #expect(tally.tried >= 300)
            hardeningReport("corruption/flip (\(fixture.file.bytes.count)-byte file, \(fixture.file.uncoveredOffsets.count) uncovered bytes): \(tally)")
        }
    }

    static func part(of offset: Int, in file: IndexFileBytes) -> String {
        if offset < IndexFileBytes.headerSize { return "header" }
        return file.sections.first { $0.range.contains(offset) }?.name ?? "padding"
    }

    @Test("A damaged default-model file (512-wide matrix, 4 MiB statistics) is rejected too")
    func defaultModelFile() throws {
        try withTemporaryDirectory { dir in
            let fixture = try CorruptionFixture.make(in: dir, model: .default)
            let bytes = fixture.file.bytes
            var tally = DamageTally()
            let url = dir.appendingPathComponent("default.siftindex")
            for s in fixture.file.sections {
                for n in [s.range.lowerBound + 1, s.range.upperBound - 1] where n < bytes.count {
                    try Self.attempt(Array(bytes.prefix(n)), at: url, fixture: fixture, expect: .corrupt, what: "default model: truncated to \(n)", tally: &tally)
                }
                var damaged = bytes
                let offset = s.range.lowerBound + s.range.count / 3
                damaged[offset] ^= 0x20
                try Self.attempt(damaged, at: url, fixture: fixture, expect: .corrupt, what: "default model: \(s.name) byte \(offset)", tally: &tally)
            }
            hardeningReport("corruption/default-model: \(tally)")
        }
    }

    @Test("Wrong magic → corruptIndex naming the file")
    func wrongMagic() throws {
        try withTemporaryDirectory { dir in
            let fixture = try CorruptionFixture.make(in: dir)
            let url = dir.appendingPathComponent("magic.siftindex")
            var tally = DamageTally()
            for i in 0..<8 {
                for replacement: UInt8 in [0x00, 0x20, 0xFF] where replacement != fixture.file.bytes[i] {
                    var bytes = fixture.file.bytes
                    bytes[i] = replacement
                    try Self.attempt(bytes, at: url, fixture: fixture, expect: .corrupt, what: "magic byte \(i) = \(replacement)", tally: &tally)
                    if case .corruptIndex(_, let reason)? = siftError({ _ = try SiftIndex.open(url) }) { #expect(reason.contains("magic")) }
                }
            }
            // Other kinds of files, short and long.
            let foreign: [[UInt8]] = [
                Array("PK\u{3}\u{4}".utf8) + [UInt8](repeating: 0, count: 5000),  // zip
                [0x7F] + Array("ELF".utf8) + [UInt8](repeating: 1, count: 5000),
                Array(String(repeating: "# Markdown\n\ntext\n", count: 400).utf8),
                Array("SIFTIDX".utf8),  // a prefix of the magic
                Array("SIFTIDX\u{1}".utf8) + [UInt8](repeating: 0, count: 4096),
            ]
            for (i, bytes) in foreign.enumerated() {
                try Self.attempt(bytes, at: url, fixture: fixture, expect: .corrupt, what: "foreign file \(i)", tally: &tally)
            }
            hardeningReport("corruption/magic: \(tally)")
        }
    }

    @Test("A newer format version → unsupportedIndexVersion naming the file", arguments: [UInt32(3), 4, 0x100, 0xFFFF_FFFF])
    func newerVersion(version: UInt32) throws {
        try withTemporaryDirectory { dir in
            let fixture = try CorruptionFixture.make(in: dir)
            var file = fixture.file
            file.setU32(version, at: 8)
            let url = dir.appendingPathComponent("newer.siftindex")
            for fix in [false, true] {
                if fix { file.fixHeaderChecksum() }
                try Data(file.bytes).write(to: url)
                let error = siftError { _ = try SiftIndex.open(url, expectedModel: fixture.model) }
                #expect(error == .unsupportedIndexVersion(path: url.path, found: version, supported: 2), "checksum fixed: \(fix)")
                #expect(error?.description.contains(url.path) == true)
            }
            // Version 0 (older than any release) with a valid header checksum is corrupt, not "newer".
            file.setU32(0, at: 8)
            file.fixHeaderChecksum()
            try Data(file.bytes).write(to: url)
            guard case .corruptIndex(let path, _)? = siftError({ _ = try SiftIndex.open(url, expectedModel: fixture.model) }) else {
                Issue.record("version 0 should be corruptIndex"); return
            }
            #expect(path == url.path)
        }
    }

    @Test("An index of another model → modelMismatch naming the file", arguments: ["seed", "version", "name", "dimension", "candidates"])
    func anotherModel(change: String) throws {
        let values: [String: Any] = ["seed": 0xBAD5EED, "version": 2, "name": "another-model", "dimension": 128, "candidates": 17]
        let other = variant(smallModel(), [change: values[change]!])
        try withTemporaryDirectory { dir in
            let fixture = try CorruptionFixture.make(in: dir, model: other)
            let url = dir.appendingPathComponent("pristine.siftindex")
            for expected in [smallModel(), EmbeddingModel.default] {
                let error = siftError { _ = try SiftIndex.open(url, expectedModel: expected) }
                #expect(error == .modelMismatch(path: url.path, indexModel: other.identifier, expected: expected.identifier))
                #expect(error?.description.contains(url.path) == true)
            }
            // With its own model, or none, it opens with its contents.
            #expect(fixture.difference(try SiftIndex.open(url, expectedModel: other)) == nil)
            #expect(fixture.difference(try SiftIndex.open(url, expectedModel: nil)) == nil)
            hardeningReport("corruption/model-mismatch (\(change)): rejected against 2 other models")
        }
    }

    /// Header fields rewritten with plausible and implausible values, with the header
    /// checksum recomputed so that the parser's own checks are what stands between the
    /// file and the index; and section contents damaged with their checksums recomputed.
    /// Such files are forged, not merely damaged: the contract is no crash, and a typed error
    /// naming the file or an index that searches, updates, compacts and saves without crashing.
    @Test("Forged files with valid checksums never crash the loader or the opened index")
    func forged() throws {
        try withTemporaryDirectory { dir in
            let fixture = try CorruptionFixture.make(in: dir)
            let url = dir.appendingPathComponent("forged.siftindex")
            var cases: [(String, IndexFileBytes)] = []
            let base = fixture.file
            let int64Values: [Int64] = [0, -1, 7, 64, Int64(Int32.max), Int64.max, Int64.min]
            // (The header's row and document counts are forged in a child process, by
            // forgedHeaderCounts: an allocation failure there would abort this one.)
            for v: UInt32 in [0, 1, 6, 8, 64, 65, 0xFFFF_FFFF] {
                var f = base; f.setU32(v, at: 12); f.fixHeaderChecksum(); cases.append(("section count = \(v)", f))
                var g = base; g.setU32(v, at: 24); g.fixHeaderChecksum(); cases.append(("dimension = \(v)", g))
                var h = base; h.setU32(v, at: 28); h.fixHeaderChecksum(); cases.append(("reserved = \(v)", h))
            }
            for s in base.sections {
                for v: UInt32 in [0, 8, 99] {
                    var f = base; f.setU32(v, at: s.entryOffset); f.fixHeaderChecksum(); cases.append(("\(s.name) kind = \(v)", f))
                }
                for v in int64Values + [Int64(s.range.lowerBound + 8), Int64(s.range.lowerBound - 8)] {
                    var f = base; f.setU64(UInt64(bitPattern: v), at: s.entryOffset + 8); f.fixHeaderChecksum()
                    cases.append(("\(s.name) offset = \(v)", f))
                    var g = base; g.setU64(UInt64(bitPattern: v), at: s.entryOffset + 16); g.fixHeaderChecksum()
                    cases.append(("\(s.name) length = \(v)", g))
                    var h = g; h.sections = IndexFileBytes(h.bytes).sections; h.fixAllChecksums()
                    cases.append(("\(s.name) length = \(v), all checksums fixed", h))
                }
                // Swap this section's entry with the next one's kind.
                var f = base
                f.setU32(s.kind == 7 ? 1 : s.kind + 1, at: s.entryOffset); f.fixHeaderChecksum()
                cases.append(("\(s.name) entry relabelled", f))
            }
            // Section contents damaged with valid checksums: every 4-byte field of the first
            // rows, the text offsets, the statistics counts, and random bytes of the JSON sections.
            var rng = SeededGenerator(seed: 0xF04)
            let rows = base.section("rows").range, texts = base.section("texts").range, stats = base.section("statistics").range
            for (label, offsets) in [("rows", Array(stride(from: rows.lowerBound, to: min(rows.upperBound, rows.lowerBound + 40), by: 4))),
                                     ("texts", Array(stride(from: texts.lowerBound, to: min(texts.upperBound, texts.lowerBound + 64), by: 8))),
                                     ("statistics", [stats.lowerBound, stats.lowerBound + 8, stats.lowerBound + 16, stats.lowerBound + 20])] {
                for o in offsets {
                    for v: UInt32 in [0, 0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000] {
                        var f = base; f.setU32(v, at: o); f.fixAllChecksums(); cases.append(("\(label) byte \(o) = \(v)", f))
                    }
                    var f = base; f.setU64(UInt64.max >> 1, at: o); f.fixAllChecksums(); cases.append(("\(label) byte \(o) = Int64.max", f))
                }
            }
            for name in ["documents", "model", "meta", "texts"] {
                let r = base.section(name).range
                for _ in 0..<12 {
                    var f = base
                    f.bytes[Int.random(in: r, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                    f.fixAllChecksums()
                    cases.append(("\(name) random byte, checksums fixed", f))
                }
            }

            var rejected = 0, opened = 0
            var crashlessFindings: [String] = []
            var resaveFailures: [String] = []
            for (what, file) in cases {
                try Data(file.bytes).write(to: url)
                let index: SiftIndex
                do throws(SiftError) {
                    index = try SiftIndex.open(url, expectedModel: fixture.model, verification: .full)
                } catch {
                    rejected += 1
                    #expect(error.description.contains(url.path), "\(what): \(error)")
                    continue
                }
                opened += 1
                if fixture.difference(index) != nil { crashlessFindings.append(what) }
                // Exercise the opened index: none of this may crash.
                for q in CorruptionFixture.queries { _ = index.search(q, k: 10) }
                _ = index.search(batch: CorruptionFixture.queries, k: 5, threads: 2)
                var updated = index
                // (Remove before add: before the fix of F3, adding to an index whose forged
                // total length was near Int.max trapped; forgedStatisticsCLI covers that in a
                // child process.)
                updated.remove(documentID: "zh/sft.md")
                updated.add(try CorpusLoader().article(text: "# New\n\nA new document about 监督微调 and retrieval.", id: "new.md"))
                _ = updated.search("监督微调", k: 5)
                let compact = updated.compacted()
                _ = compact.search("retrieval", k: 5)
                if opened % 4 == 1 { _ = AnswerEngine(index: compact).ask("什么是sft?") }
                let resaved = dir.appendingPathComponent("resaved.siftindex")
                try compact.write(to: resaved)
                if let error = siftError({ _ = try SiftIndex.open(resaved, expectedModel: fixture.model) }) {
                    resaveFailures.append("\(what): \(error)")
                }
            }
            hardeningReport("corruption/forged (valid checksums): \(cases.count) tried: \(rejected) rejected with a typed error, \(opened) opened "
                            + "(\(crashlessFindings.count) with contents that differ from the original, as forged: \(crashlessFindings.prefix(8))); "
                            + "\(resaveFailures.count) wrote a file that does not open again")
            // The library must be able to read back what it wrote (failed before the fix of F3).
            #expect(resaveFailures.isEmpty, "saved files that do not open again: \(resaveFailures)")
        }
    }

    /// `.lazy` verification leaves the matrix, rows and texts unverified (documented: damage
    /// there can go unnoticed until `verify(fileAt:)`). Such damage must still never crash
    /// anything an opened index does, and `verify(fileAt:)` must find it.
    @Test("With .lazy verification, damage in the unverified sections never crashes; verify(fileAt:) finds it")
    func lazyFlips() throws {
        try withTemporaryDirectory { dir in
            let fixture = try CorruptionFixture.make(in: dir)
            let file = fixture.file
            var rng = SeededGenerator(seed: 0x1A27)
            var offsets: [Int] = []
            for name in ["matrix", "rows", "texts"] {
                let r = file.section(name).range
                offsets += [r.lowerBound, r.upperBound - 1] + (0..<22).map { _ in Int.random(in: r, using: &rng) }
            }
            for s in file.sections where !["matrix", "rows", "texts"].contains(s.name) { offsets.append(Int.random(in: s.range, using: &rng)) }
            let url = dir.appendingPathComponent("lazy.siftindex")
            let resaved = dir.appendingPathComponent("lazy-resaved.siftindex")
            var rejectedAtOpen = 0, unnoticedAtOpen = 0, foundByVerify = 0, sameContents = 0
            for offset in offsets {
                var bytes = file.bytes
                let mask = UInt8.random(in: 1...255, using: &rng)
                bytes[offset] ^= mask
                try Data(bytes).write(to: url)
                let what = "byte \(offset) ^ 0x\(String(mask, radix: 16)) (\(Self.part(of: offset, in: file)))"
                let index: SiftIndex
                do throws(SiftError) {
                    index = try SiftIndex.open(url, expectedModel: fixture.model, verification: .lazy)
                } catch {
                    rejectedAtOpen += 1
                    #expect(error.description.contains(url.path), "\(what): \(error)")
                    continue
                }
                unnoticedAtOpen += 1
                if fixture.difference(index) == nil { sameContents += 1 }
                // Everything an opened index does must work (possibly on wrong data).
                for q in CorruptionFixture.queries { _ = index.search(q, k: 10) }
                _ = index.search(batch: CorruptionFixture.queries, k: 5, threads: 2)
                for d in index.documents { _ = index.passages(ofDocument: d.id) }
                _ = AnswerEngine(index: index).ask("What is RLHF?")
                var updated = index
                updated.remove(documentID: "zh/sft.md")
                updated.add(try CorpusLoader().article(text: "# New\n\nA new document about retrieval.", id: "new.md"))
                _ = updated.compacted().search("retrieval", k: 3)
                try? updated.write(to: resaved)
                // verify(fileAt:) checks every checksum.
                if file.isUncovered(offset) { continue }
                if case .corruptIndex(let path, _)? = siftError({ try SiftIndex.verify(fileAt: url) }) {
                    foundByVerify += 1
                    #expect(path == url.path)
                } else {
                    Issue.record("\(what): verify(fileAt:) did not find the damage")
                }
            }
            hardeningReport("corruption/lazy: \(offsets.count) flips opened with .lazy: \(rejectedAtOpen) rejected at open, \(unnoticedAtOpen) opened "
                            + "(\(sameContents) with identical contents), no crash; verify(fileAt:) found \(foundByVerify) of the damaged ones")
        }
    }

    /// The header's row and document counts, forged with a valid header checksum, opened by
    /// `sift search --index` in a child process (an allocation failure aborts the process
    /// that opens the file): it must exit 1 naming the file, never die of a signal.
    ///
    /// Regression test of bug F4, fixed in 017a929 (found by this suite and by the FuzzIndexFile fuzzer; new with the lazily
    /// mapped rows of 66a61c4): `SiftIndex.open` allocates
    /// `[Range<Int>](repeating:count: documentCount)` (SiftIndex+File.swift:213) before
    /// checking the header's document count against the documents section, so a header
    /// claiming 2^31 documents aborts with "failed to allocate 34359738384 bytes", and one
    /// claiming 2^63−1 dies of SIGSEGV. Fix: before allocating,
    /// require `documentCount <= bytes(.documents).count / 42` (the smallest document record:
    /// 1 + 8 + 7 × 4 + 1 + 4 bytes), or read the documents section first.
    @Test("Forged header row and document counts: exit 1 naming the file, never a crash")
    func forgedHeaderCounts() throws {
        try withTemporaryDirectory { dir in
            let fixture = try CorruptionFixture.make(in: dir, model: .default)
            let base = fixture.file
            let url = dir.appendingPathComponent("forged-counts.siftindex")
            var crashes: [String] = []
            var tried = 0
            for (name, offset) in [("rows", 32), ("documents", 40)] {
                let values: [Int64] = [0, -1, 7, Int64(Int32.max), 1 << 40, Int64.max, Int64.min, base.i64(at: offset) - 1, base.i64(at: offset) + 1]
                for v in values {
                    var f = base
                    f.setU64(UInt64(bitPattern: v), at: offset)
                    f.fixHeaderChecksum()
                    try Data(f.bytes).write(to: url)
                    let r = try CLI.run(["search", "监督微调", "--index", url.path, "--format", "json"])
                    tried += 1
                    if r.status == 1 {
                        #expect(r.stderr.contains(url.path), "\(name) = \(v): \(r.stderr)")
                    } else {
                        crashes.append("\(name) = \(v): exit \(r.status) \(r.stderr.split(separator: "\n").first { $0.contains("Fatal error") || $0.contains("error:") } ?? "")")
                    }
                }
            }
            hardeningReport("corruption/forged header counts (child processes): \(tried) tried, \(crashes.count) not rejected cleanly: \(crashes)")
            #expect(crashes.isEmpty, "\(crashes)")
        }
    }

    /// Regression test of bug F3, fixed in 017a929 (found by this suite). `SiftIndex.open` checked that the statistics'
    /// passage count matches the live rows (SiftIndex+File.swift:273), but not that
    /// `totalLexicalLength` is the sum of the live rows' lexical lengths. A file whose
    /// statistics say otherwise (with valid checksums) opens; with a total near Int.max the
    /// next `add` traps (arithmetic overflow, CorpusStatistics.swift:44), and with a total
    /// that is too small `remove` drives it negative, so that the index then writes a file
    /// that `open` rejects ("statistics do not match the passages").
    /// Fix: in `open`, sum `lexicalLength` over the live rows (the rows pass reads every
    /// record already; reject negative lengths) and require `totalLength == sum`.
    @Test("A file whose statistics disagree with its rows (valid checksums) is rejected as corrupt")
    func forgedStatistics() throws {
        try withTemporaryDirectory { dir in
            let fixture = try CorruptionFixture.make(in: dir)
            let url = dir.appendingPathComponent("forged.siftindex")
            let stats = fixture.file.section("statistics").range
            let stored = Int64(bitPattern: fixture.file.u64(at: stats.lowerBound + 8))  // what the rows add up to
            let values: [Int64] = [Int64.max, Int64.max - 10, 0, stored + 1]
            for value in values {
                var f = fixture.file
                f.setU64(UInt64(bitPattern: value), at: stats.lowerBound + 8)  // totalLexicalLength
                f.fixAllChecksums()
                try Data(f.bytes).write(to: url)
                let error = siftError { _ = try SiftIndex.open(url, expectedModel: fixture.model) }
                guard case .corruptIndex(let path, _)? = error else {
                    let got = error.map { "\($0)" } ?? "a successful open"
                    Issue.record("total lexical length \(value) (rows say \(stored)): expected corruptIndex, got \(got)")
                    continue
                }
                #expect(path == url.path)
            }
        }
    }

    /// The same bug through the CLI: `sift index` updating such an index must warn and
    /// rebuild (exit 0), not crash (before the fix: killed by SIGILL, arithmetic overflow).
    @Test("sift index over an index with forged statistics does not crash")
    func forgedStatisticsCLI() throws {
        try withTemporaryDirectory { dir in
            let corpus = dir.appendingPathComponent("corpus")
            try write("# Tides\n\nTides are the rise and fall of sea levels caused by the Moon.\n", to: corpus.appendingPathComponent("tides.md"))
            let output = dir.appendingPathComponent("corpus.siftindex")
            let first = try CLI.run(["index", "--corpus", corpus.path, "--output", output.path])
            try #require(first.status == 0, "stderr: \(first.stderr)")
            var f = IndexFileBytes([UInt8](try Data(contentsOf: output)))
            f.setU64(UInt64(Int64.max), at: f.section("statistics").range.lowerBound + 8)
            f.fixAllChecksums()
            try Data(f.bytes).write(to: output)
            try write("# Volcanoes\n\nVolcanoes erupt magma.\n", to: corpus.appendingPathComponent("volcanoes.md"))
            let second = try CLI.run(["index", "--corpus", corpus.path, "--output", output.path])
            #expect(second.status == 0, "sift index exited \(second.status) (a signal number when it crashed); stderr: \(second.stderr.suffix(600))")
        }
    }
}
