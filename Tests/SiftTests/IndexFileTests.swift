import Foundation
@_spi(Benchmarks) import Sift
import Testing

/// The layout facts of the index file (format version 1) that the tests rely on, read from
/// the header the way its documentation describes it: magic (8 bytes), version (u32),
/// section count (u32), model fingerprint (u64), dimension (u32), reserved (u32), row count
/// (i64), document count (i64), then per section kind (u32), reserved (u32), offset (i64),
/// length (i64), checksum (u64); the header is 4096 bytes with its checksum in the last 8.
struct IndexLayout {
    static let headerSize = 4096
    static let sectionNames: [UInt32: String] = [1: "matrix", 2: "rows", 3: "texts", 4: "documents", 5: "statistics", 6: "model", 7: "meta", 8: "features", 11: "termPairs"]
    var sections: [(name: String, range: Range<Int>)] = []

    init(_ bytes: [UInt8]) {
        func u32(_ o: Int) -> UInt32 { bytes[o..<o + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        func i64(_ o: Int) -> Int { Int(bytes[o..<o + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) }
        let count = Int(u32(12))
        for i in 0..<count {
            let e = 48 + 32 * i
            let kind = u32(e)
            sections.append((Self.sectionNames[kind] ?? "kind \(kind)", i64(e + 8)..<(i64(e + 8) + i64(e + 16))))
        }
    }

    func section(_ name: String) -> Range<Int> { sections.first { $0.name == name }!.range }

    /// Whether `offset` is padding between sections (covered by no checksum).
    func isPadding(_ offset: Int) -> Bool {
        offset >= Self.headerSize && !sections.contains { $0.range.contains(offset) }
    }
}

private func readBytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

/// Search results compared by what a user sees.
private func summary(_ hits: [SearchHit]) -> [String] {
    hits.map { "\($0.rank) \($0.passageID) \($0.document.id) \($0.passage.ordinal) \($0.passage.start)..<\($0.passage.end) \($0.score.bitPattern) \($0.passage.text.hashValue)" }
}

private let queries = ["什么是sft?", "What is RLHF?", "LoRA 低秩", "vector search", "reward hacking", "监督微调的数据量",
                       "running", "检索增强生成", "tokenization of Chinese text", "KL penalty"]

@Suite("Index files")
struct IndexFileTests {
    /// A small index (small model) written to `dir/small.siftindex`.
    static func writeSmallIndex(in dir: URL, model: EmbeddingModel = smallModel()) throws -> (URL, SiftIndex) {
        let index = try SiftIndex(model: model, documents: sampleDocuments(), threads: 1)
        let url = dir.appendingPathComponent("small.siftindex")
        try index.write(to: url)
        return (url, index)
    }

    @Test("save → open round trip of the bundled corpus gives the same search results")
    func roundTripCorpus() throws {
        let index = try Shared.corpusIndex.get()
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("corpus.siftindex")
            try index.write(to: url)
            for verification in [IndexVerification.full, .skipMatrix] {
                let opened = try SiftIndex.open(url, verification: verification)
                #expect(opened.isMappedForTest)
                #expect(opened.model == index.model)
                #expect(opened.documents == index.documents)
                #expect(opened.passageCount == index.passageCount)
                #expect(opened.passageIDCount == index.passageIDCount)
                #expect(opened.statistics == index.statistics)
                for doc in index.documents {
                    #expect(opened.passages(ofDocument: doc.id) == index.passages(ofDocument: doc.id))
                    #expect(opened.document(id: doc.id) == doc)
                }
                for q in queries {
                    #expect(summary(opened.search(q, k: 10)) == summary(index.search(q, k: 10)), "query \(q)")
                }
                #expect(opened.search(batch: queries, k: 5).map(summary) == index.search(batch: queries, k: 5).map(summary))
            }
            try SiftIndex.verify(fileAt: url)
            // No temporary file is left behind.
            let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            #expect(names == ["corpus.siftindex"])
        }
    }

    @Test("Round trip keeps the corpus fingerprint, tombstones and updates")
    func roundTripWithTombstones() throws {
        try withTemporaryDirectory { dir in
            var index = try SiftIndex(model: smallModel(), documents: sampleDocuments(), threads: 1)
            index.corpusFingerprint = "fingerprint ✓ 指纹"
            let removedOnce = index.remove(documentID: "en/swimming.md")
            let removedTwice = index.remove(documentID: "en/swimming.md")
            #expect(removedOnce && !removedTwice)
            let url = dir.appendingPathComponent("t.siftindex")
            try index.write(to: url)
            let opened = try SiftIndex.open(url, expectedModel: smallModel())
            #expect(opened.corpusFingerprint == "fingerprint ✓ 指纹")
            #expect(opened.tombstoneCount == index.tombstoneCount && opened.tombstoneCount > 0)
            #expect(opened.passageCount == index.passageCount)
            #expect(opened.document(id: "en/swimming.md") == nil)
            #expect(opened.documents.map(\.id) == index.documents.map(\.id))
            for q in ["swimming pool", "running", "监督微调"] {
                #expect(summary(opened.search(q)) == summary(index.search(q)))
                #expect(!opened.search(q, k: 50).contains { $0.document.id == "en/swimming.md" })
            }
            // An opened (memory-mapped) index can still be updated, then saved again.
            var updated = opened
            updated.add(try CorpusLoader().article(text: "# Swimming\n\nSwimming again in the pool.", id: "en/swimming.md"))
            #expect(updated.search("swimming pool").first?.document.id == "en/swimming.md")
            #expect(opened.document(id: "en/swimming.md") == nil, "the opened snapshot is unchanged")
            try updated.write(to: url)
            let reopened = try SiftIndex.open(url, expectedModel: smallModel())
            #expect(summary(reopened.search("swimming pool")) == summary(updated.search("swimming pool")))
        }
    }

    @Test("A missing file throws fileUnreadable naming the path")
    func missingFile() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("nope.siftindex")
            let error = siftError { _ = try SiftIndex.open(url) }
            guard case .fileUnreadable(let path, _) = error else {
                Issue.record("expected fileUnreadable, got \(String(describing: error))"); return
            }
            #expect(path == url.path)
            #expect(error!.description.contains(url.path))
        }
    }

    @Test("A folder is not an index file")
    func folderIsNotAnIndex() throws {
        try withTemporaryDirectory { dir in
            let error = siftError { _ = try SiftIndex.open(dir) }
            switch error {
            case .fileUnreadable(let path, _), .corruptIndex(let path, _): #expect(path == dir.path)
            default: Issue.record("expected fileUnreadable or corruptIndex, got \(String(describing: error))")
            }
        }
    }

    @Test("A file that is not an index throws corruptIndex (wrong magic)", arguments: [
        "hello", "not an index file at all",
        String(repeating: "# Markdown article\n\nSome text.\n", count: 300),  // longer than the header
        "SIFTID",  // a prefix of the magic, shorter than it
    ])
    func wrongMagic(content: String) throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("x.siftindex")
            try write(content, to: url)
            let error = siftError { _ = try SiftIndex.open(url) }
            guard case .corruptIndex(let path, let reason) = error else {
                Issue.record("expected corruptIndex, got \(String(describing: error))"); return
            }
            #expect(path == url.path)
            if content.utf8.count >= 8 { #expect(reason.contains("magic"), "reason: \(reason)") }
        }
    }

    @Test("An empty file throws corruptIndex")
    func emptyFile() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("empty.siftindex")
            try write(bytes: [], to: url)
            guard case .corruptIndex = siftError({ _ = try SiftIndex.open(url) }) else {
                Issue.record("expected corruptIndex for an empty file"); return
            }
        }
    }

    @Test("Every truncation of an index file throws corruptIndex")
    func truncated() throws {
        try withTemporaryDirectory { dir in
            let (url, _) = try Self.writeSmallIndex(in: dir)
            let bytes = try readBytes(url)
            let layout = IndexLayout(bytes)
            var lengths = Set([0, 1, 7, 8, 9, 100, 4095, 4096, 4097, bytes.count / 2, bytes.count - 8, bytes.count - 1])
            for s in layout.sections { lengths.formUnion([s.range.lowerBound, s.range.lowerBound + 1, s.range.upperBound - 1]) }
            lengths.formUnion(stride(from: 0, to: bytes.count, by: 61))
            let cut = dir.appendingPathComponent("cut.siftindex")
            for n in lengths.sorted() where n < bytes.count {
                try write(bytes: Array(bytes.prefix(n)), to: cut)
                let error = siftError { _ = try SiftIndex.open(cut, expectedModel: smallModel()) }
                guard case .corruptIndex(let path, _) = error else {
                    Issue.record("truncated to \(n) of \(bytes.count) bytes: expected corruptIndex, got \(String(describing: error))")
                    continue
                }
                #expect(path == cut.path)
            }
        }
    }

    @Test("A flipped byte in any part of the file throws corruptIndex", arguments: [
        "magic", "fingerprint", "dimension", "row count", "section table", "model identifier", "header padding",
        "header checksum", "matrix", "rows", "texts", "documents", "statistics", "model", "meta", "termPairs",
    ])
    func flippedByte(part: String) throws {
        try withTemporaryDirectory { dir in
            let (url, _) = try Self.writeSmallIndex(in: dir)
            let original = try readBytes(url)
            let layout = IndexLayout(original)
            let offsets: [Int]
            switch part {
            case "magic": offsets = [0, 3, 7]
            case "fingerprint": offsets = [16, 23]
            case "dimension": offsets = [24]
            case "row count": offsets = [32, 40]
            case "section table": offsets = [48, 56, 64, 72, 48 + 32 * 6 + 20]
            case "model identifier": offsets = [48 + 32 * layout.sections.count, 48 + 32 * layout.sections.count + 5]
            case "header padding": offsets = [3000, 4000]
            case "header checksum": offsets = [4088, 4095]
            default:
                let r = layout.section(part)
                offsets = Array(Set([r.lowerBound, r.lowerBound + r.count / 2, r.upperBound - 1]))
            }
            let damaged = dir.appendingPathComponent("damaged.siftindex")
            for offset in offsets {
                for mask: UInt8 in [0xFF, 0x01, 0x80] {
                    var bytes = original
                    bytes[offset] ^= mask
                    try write(bytes: bytes, to: damaged)
                    let error = siftError { _ = try SiftIndex.open(damaged, expectedModel: smallModel()) }
                    guard case .corruptIndex(let path, _) = error else {
                        Issue.record("\(part): byte \(offset) ^ 0x\(String(mask, radix: 16)): expected corruptIndex, got \(String(describing: error))")
                        continue
                    }
                    #expect(path == damaged.path)
                }
            }
        }
    }

    @Test("No single flipped byte crashes open; every damaged byte outside padding is detected")
    func flipSweep() throws {
        try withTemporaryDirectory { dir in
            let (url, _) = try Self.writeSmallIndex(in: dir)
            let original = try readBytes(url)
            let layout = IndexLayout(original)
            let damaged = dir.appendingPathComponent("damaged.siftindex")
            var undetected: [Int] = []
            for offset in stride(from: 0, to: original.count, by: 13) {
                var bytes = original
                bytes[offset] ^= 0x5A
                try write(bytes: bytes, to: damaged)
                let error = siftError { _ = try SiftIndex.open(damaged, expectedModel: smallModel()) }
                switch error {
                case .corruptIndex?: break
                case .unsupportedIndexVersion? where (8..<12).contains(offset): break
                case nil where layout.isPadding(offset): break
                default: undetected.append(offset); Issue.record("byte \(offset): \(String(describing: error))")
                }
            }
            #expect(undetected.isEmpty)
        }
    }

    @Test("With verification .skipMatrix a damaged matrix opens; verify(fileAt:) finds it")
    func skipMatrixVerification() throws {
        try withTemporaryDirectory { dir in
            let (url, _) = try Self.writeSmallIndex(in: dir)
            var bytes = try readBytes(url)
            let matrix = IndexLayout(bytes).section("matrix")
            bytes[matrix.lowerBound + 5] ^= 0x10
            try write(bytes: bytes, to: url)
            _ = try SiftIndex.open(url, expectedModel: smallModel(), verification: .skipMatrix)
            guard case .corruptIndex = siftError({ _ = try SiftIndex.open(url, expectedModel: smallModel(), verification: .full) }) else {
                Issue.record("a full open should find the damaged matrix"); return
            }
            guard case .corruptIndex = siftError({ try SiftIndex.verify(fileAt: url) }) else {
                Issue.record("verify(fileAt:) should find the damaged matrix"); return
            }
        }
    }

    @Test("A newer format version throws unsupportedIndexVersion")
    func newerVersion() throws {
        try withTemporaryDirectory { dir in
            let (url, _) = try Self.writeSmallIndex(in: dir)
            var bytes = try readBytes(url)
            bytes[8] = 3  // version 3, little-endian
            try write(bytes: bytes, to: url)
            let error = siftError { _ = try SiftIndex.open(url, expectedModel: smallModel()) }
            #expect(error == .unsupportedIndexVersion(path: url.path, found: 3, supported: 2))
        }
    }

    @Test("An index built with another model throws modelMismatch", arguments: ["seed", "version", "dimension", "weights"])
    func modelMismatch(change: String) throws {
        let values: [String: Any] = ["seed": 42, "version": 2, "dimension": 256, "weights": 0.5]
        let other = variant(.hashedNgramV1, [change == "weights" ? "rescoreWeights.cjkBigram" : change: values[change]!])
        try withTemporaryDirectory { dir in
            let index = try SiftIndex(model: other, documents: sampleDocuments(), threads: 1)
            let url = dir.appendingPathComponent("other.siftindex")
            try index.write(to: url)
            let error = siftError { _ = try SiftIndex.open(url) }
            guard case .modelMismatch(let path, let indexModel, let expected) = error else {
                Issue.record("expected modelMismatch, got \(String(describing: error))"); return
            }
            #expect(path == url.path)
            #expect(indexModel == other.identifier)
            #expect(expected == EmbeddingModel.default.identifier)
            // Opening with that model, or with no expectation, works and keeps the model.
            #expect(try SiftIndex.open(url, expectedModel: other).model == other)
            let any = try SiftIndex.open(url, expectedModel: nil)
            #expect(any.model == other)
            #expect(summary(any.search("监督微调")) == summary(index.search("监督微调")))
        }
    }

    @Test("Writing into a missing folder throws writeFailed and leaves nothing behind")
    func writeFailure() throws {
        try withTemporaryDirectory { dir in
            let index = try SiftIndex(model: smallModel(), documents: sampleDocuments(), threads: 1)
            let url = dir.appendingPathComponent("missing/sub/x.siftindex")
            let error = siftError { try index.write(to: url) }
            guard case .writeFailed(let path, _) = error else {
                Issue.record("expected writeFailed, got \(String(describing: error))"); return
            }
            #expect(path == url.path)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        }
    }

    @Test("Overwriting an index replaces it atomically")
    func overwrite() throws {
        try withTemporaryDirectory { dir in
            let (url, first) = try Self.writeSmallIndex(in: dir)
            var second = first
            second.remove(documentID: "en/running.md")
            try second.write(to: url)
            let opened = try SiftIndex.open(url, expectedModel: smallModel())
            #expect(opened.document(id: "en/running.md") == nil)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["small.siftindex"])
        }
    }

    @Test("Error descriptions are one line and name the file")
    func errorDescriptions() {
        let errors: [SiftError] = [
            .corruptIndex(path: "/tmp/a.siftindex", reason: "checksum mismatch in the rows section"),
            .unsupportedIndexVersion(path: "/tmp/a.siftindex", found: 9, supported: 2),
            .modelMismatch(path: "/tmp/a.siftindex", indexModel: "x-v2", expected: "hashed-ngram-v1"),
            .fileUnreadable(path: "/tmp/a.siftindex", reason: "no such file"),
            .writeFailed(path: "/tmp/a.siftindex", reason: "disk full"),
        ]
        for e in errors {
            #expect(e.description.contains("/tmp/a.siftindex"))
            #expect(!e.description.contains("\n"))
        }
    }
}

extension SiftIndex {
    /// Whether the index's matrix is served from the file.
    var isMappedForTest: Bool { flatIndex.isMemoryMapped }
}
