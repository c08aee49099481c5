import Foundation

/// How much of an index file is verified when it is opened.
public enum IndexVerification: Sendable {
    /// Every section's checksum, the matrix included (reads the whole file).
    case full
    /// Header and every section except the matrix: opening does not touch the matrix's
    /// pages. Use ``SiftIndex/verify(fileAt:)`` to check the matrix later.
    case skipMatrix
    /// Header and the small sections only; the matrix and the passage texts (the bulk of
    /// the file) are neither read nor verified, so a million-passage index opens in
    /// milliseconds and its pages are loaded, and shared between processes, as searches
    /// touch them. Damage in the unverified sections can then go unnoticed: run
    /// ``SiftIndex/verify(fileAt:)`` (or open with `.full`) to check.
    case lazy
}

struct StoredDocument {
    var document: Document
    var live: Bool
}

extension SiftIndex {
    /// Writes the index to `url` atomically (temporary file, `fsync`, rename): a crash or a
    /// full disk never leaves a damaged file behind, and the previous file stays intact
    /// until the new one is complete.
    public func write(to url: URL) throws(SiftError) {
        typealias F = IndexFileFormat
        var sections: [(F.Section, [UInt8])] = []

        var rowsW = BinaryWriter()
        rowsW.bytes.reserveCapacity(rows.count * F.rowRecordSize)
        for i in 0..<rows.count {
            let r = rows[i]
            rowsW.u32(UInt32(bitPattern: r.document)); rowsW.u32(UInt32(bitPattern: r.ordinal))
            rowsW.i64(r.start); rowsW.i64(r.end)
            rowsW.u32(UInt32(bitPattern: r.profile.tokenLength)); rowsW.u32(UInt32(bitPattern: r.profile.lexicalLength))
            rowsW.f32(r.profile.rescoreNorm); rowsW.u8(matrix.isLive(i) ? 1 : 0); rowsW.u8(0); rowsW.u8(0); rowsW.u8(0)
        }
        sections.append((.rows, rowsW.bytes))

        var textW = BinaryWriter()
        var blob: [UInt8] = []
        textW.u64(0)
        for i in 0..<texts.count { blob.append(contentsOf: texts[i].utf8); textW.u64(UInt64(blob.count)) }
        textW.bytes.append(contentsOf: blob)
        sections.append((.texts, textW.bytes))

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var docW = BinaryWriter()
        for (d, isLive) in zip(documentList, documentLive) {
            docW.u8(isLive ? 1 : 0); docW.u64(d.contentHash)
            for field in [d.id, d.title, d.source, d.url ?? "", d.citation ?? "", d.date ?? "", d.language] { docW.string(field) }
            docW.u8((d.url != nil ? 1 : 0) | (d.citation != nil ? 2 : 0) | (d.date != nil ? 4 : 0))
            docW.u32(UInt32(d.tags.count))
            for t in d.tags { docW.string(t) }
        }
        sections.append((.documents, docW.bytes))

        var statW = BinaryWriter()
        statW.i64(statistics.passageCount); statW.i64(statistics.totalLexicalLength)
        statW.u32(UInt32(statistics.documentFrequency.count))
        statistics.documentFrequency.withUnsafeBytes { statW.bytes.append(contentsOf: $0) }
        sections.append((.statistics, statW.bytes))
        sections.append((.model, Array((try? encoder.encode(model)) ?? Data())))
        sections.append((.meta, Array((try? encoder.encode(["corpusFingerprint": corpusFingerprint])) ?? Data())))
        var termW = BinaryWriter()
        termW.u32(UInt32(terms.pairs.count))
        for p in terms.pairs { termW.string(p.chinese); termW.string(p.english) }
        termW.u32(UInt32(terms.documentPairs.count))
        for d in terms.documentStarts { termW.u32(UInt32(d)) }
        for id in terms.documentPairs { termW.u32(UInt32(id)) }
        sections.append((.termPairs, termW.bytes))

        // Layout: header page, matrix (page-aligned), then the other sections 8-aligned.
        let matrixBytes = matrix.matrixBytes
        let matrixBuffer = UnsafeRawBufferPointer(start: matrix.storage.raw, count: matrixBytes)
        var entries: [F.SectionEntry] = [F.SectionEntry(kind: .matrix, offset: F.headerSize, length: matrixBytes,
                                                        checksum: Checksum.compute(matrixBuffer))]
        var offset = F.headerSize + matrixBytes
        var tail = BinaryWriter()
        for (kind, bytes) in sections {
            let pad = (8 - offset % 8) % 8
            tail.bytes.append(contentsOf: [UInt8](repeating: 0, count: pad))
            offset += pad
            entries.append(F.SectionEntry(kind: kind, offset: offset, length: bytes.count, checksum: Checksum.compute(bytes)))
            tail.bytes.append(contentsOf: bytes)
            offset += bytes.count
        }

        // The bulk sections last, written from their arrays: the first-stage codes
        // (64-aligned, for the scan) and the forward index.
        let zeros = [UInt8](repeating: 0, count: 64)
        let result: Result<Void, SiftError> = Result { () throws(SiftError) in
            try features.withSectionChunks { (featureChunks) throws(SiftError) in
                let written: Result<Void, SiftError> = zeros.withUnsafeBytes { zero in
                    var bulk: [UnsafeRawBufferPointer] = []
                    func place(_ kind: F.Section, _ chunks: [UnsafeRawBufferPointer], alignment: Int) {
                        let pad = (alignment - offset % alignment) % alignment
                        if pad > 0 { bulk.append(UnsafeRawBufferPointer(rebasing: zero[0..<pad])) }
                        offset += pad
                        let length = chunks.reduce(0) { $0 + $1.count }
                        entries.append(F.SectionEntry(kind: kind, offset: offset, length: length, checksum: Checksum.compute(chunks: chunks)))
                        bulk += chunks
                        offset += length
                    }
                    for (kind, section) in [(FirstStage.sign, F.Section.signCodes), (.int8, .int8Codes)] {
                        if let bytes = matrix.codeBytes(kind) { place(section, [bytes], alignment: 64) }
                    }
                    place(.features, featureChunks, alignment: 8)
                    return Result { () throws(SiftError) in
                        try writeFile(url, entries: entries, matrix: matrixBuffer, tail: tail.bytes, bulk: bulk)
                    }
                }
                try written.get()
            }
        }
        try result.get()
    }

    private func writeFile(_ url: URL, entries: [IndexFileFormat.SectionEntry], matrix matrixBuffer: UnsafeRawBufferPointer,
                           tail: [UInt8], bulk: [UnsafeRawBufferPointer]) throws(SiftError) {
        typealias F = IndexFileFormat
        var h = BinaryWriter()
        h.bytes.append(contentsOf: F.magic)
        h.u32(F.version); h.u32(UInt32(entries.count)); h.u64(model.fingerprint)
        h.u32(UInt32(matrix.dimension)); h.u32(matrix.precision == .float32 ? 0 : 1); h.i64(rows.count); h.i64(documentList.count)
        for e in entries { h.u32(e.kind.rawValue); h.u32(0); h.i64(e.offset); h.i64(e.length); h.u64(e.checksum) }
        h.string(model.identifier)
        h.bytes.append(contentsOf: [UInt8](repeating: 0, count: F.headerSize - 8 - h.bytes.count))
        h.u64(Checksum.compute(h.bytes))

        let result: Result<Void, SiftError> = h.bytes.withUnsafeBytes { header in
            tail.withUnsafeBytes { rest in
                Result { () throws(SiftError) in try FileIO.writeAtomically([header, matrixBuffer, rest] + bulk, to: url) }
            }
        }
        try result.get()
    }

    /// Opens an index file written by ``write(to:)``. The matrix is memory-mapped, not read.
    ///
    /// - Parameters:
    ///   - url: the index file.
    ///   - expectedModel: when given, an index built with any other model is rejected
    ///     (``SiftError/modelMismatch(path:indexModel:expected:)``).
    ///   - verification: which checksums to verify now.
    /// - Throws: ``SiftError/corruptIndex(path:reason:)`` for a truncated, damaged or
    ///   foreign file, ``SiftError/unsupportedIndexVersion(path:found:supported:)`` for a
    ///   file of a newer format.
    public static func open(_ url: URL, expectedModel: EmbeddingModel? = .default,
                            verification: IndexVerification = .full) throws(SiftError) -> SiftIndex {
        typealias F = IndexFileFormat
        let path = url.path
        let mapping = try FileIO.Mapping(path: path)
        let file = mapping.bytes
        func corrupt(_ why: String) -> SiftError { .corruptIndex(path: path, reason: why) }
        guard file.count >= F.headerSize else {
            if file.count >= 8 && !file.prefix(8).elementsEqual(F.magic) { throw corrupt("not a Sift index (wrong magic number)") }
            throw corrupt("truncated: \(file.count) bytes, shorter than the \(F.headerSize)-byte header")
        }
        guard file.prefix(8).elementsEqual(F.magic) else { throw corrupt("not a Sift index (wrong magic number)") }
        var r = BinaryReader(UnsafeRawBufferPointer(rebasing: file[0..<F.headerSize]), path: path, section: "header")
        r.offset = 8
        let version = try r.u32()
        guard version <= F.version else { throw .unsupportedIndexVersion(path: path, found: version, supported: F.version) }
        let stored = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: F.headerSize - 8, as: UInt64.self))
        guard Checksum.compute(UnsafeRawBufferPointer(rebasing: file[0..<(F.headerSize - 8)])) == stored else {
            throw corrupt("header checksum mismatch")
        }
        guard version >= 1 else { throw corrupt("unknown format version \(version)") }
        let sectionCount = Int(try r.u32())
        let fingerprint = try r.u64()
        let dimension = Int(try r.u32())
        let precisionCode = try r.u32()
        let rowCount = try r.i64()
        let documentCount = try r.i64()
        guard (1...64).contains(sectionCount), dimension > 0, rowCount >= 0, documentCount >= 0 else {
            throw corrupt("implausible header values")
        }
        var entries: [F.Section: F.SectionEntry] = [:]
        for _ in 0..<sectionCount {
            let kindRaw = try r.u32(); _ = try r.u32()
            let off = try r.i64(), len = try r.i64(), sum = try r.u64()
            guard let kind = F.Section(rawValue: kindRaw) else { continue }
            guard off >= F.headerSize, len >= 0, off <= file.count, len <= file.count - off else {
                throw corrupt("truncated: the \(kind.name) section (bytes \(off)..<\(off &+ len)) extends past the end of the \(file.count)-byte file")
            }
            entries[kind] = F.SectionEntry(kind: kind, offset: off, length: len, checksum: sum)
        }
        let indexModelID = try r.string(max: 256)
        for kind in F.Section.required(in: version) where entries[kind] == nil { throw corrupt("the \(kind.name) section is missing") }
        func bytes(_ kind: F.Section) -> UnsafeRawBufferPointer {
            let e = entries[kind]!
            return UnsafeRawBufferPointer(rebasing: file[e.offset..<(e.offset + e.length)])
        }
        for kind in F.Section.allCases where entries[kind] != nil {
            switch (kind, verification) {
            case (.matrix, .skipMatrix), (.matrix, .lazy), (.texts, .lazy), (.rows, .lazy), (.features, .lazy),
                 (.signCodes, .skipMatrix), (.signCodes, .lazy), (.int8Codes, .skipMatrix), (.int8Codes, .lazy): continue
            default: break
            }
            guard Checksum.compute(bytes(kind)) == entries[kind]!.checksum else {
                throw corrupt("checksum mismatch in the \(kind.name) section")
            }
        }
        // Model.
        let model: EmbeddingModel
        do { model = try JSONDecoder().decode(EmbeddingModel.self, from: Data(bytes(.model))) } catch {
            throw corrupt("model section is not a model definition")
        }
        if let expected = expectedModel, expected.fingerprint != fingerprint || expected.identifier != indexModelID {
            throw .modelMismatch(path: path, indexModel: indexModelID, expected: expected.identifier)
        }
        guard model.fingerprint == fingerprint, model.dimension == dimension,
              precisionCode == (model.matrixPrecision == .float32 ? 0 : 1) else {
            throw corrupt("the model section does not match the header")
        }
        let bytesPerElement = model.matrixPrecision.bytesPerElement
        do { try model.validate() } catch { throw corrupt("model section: \(error)") }
        // Matrix.
        let matrixEntry = entries[.matrix]!
        let (rowsTimesDim, overflow) = rowCount.multipliedReportingOverflow(by: dimension)
        guard !overflow, !rowsTimesDim.multipliedReportingOverflow(by: bytesPerElement).overflow,
              matrixEntry.length == rowsTimesDim * bytesPerElement, matrixEntry.offset % 64 == 0 else {
            throw corrupt("matrix section has the wrong size for \(rowCount) rows × \(dimension)")
        }
        // Rows (one tight pass: also the live flags and each document's range of ids).
        guard bytes(.rows).count == rowCount * F.rowRecordSize else { throw corrupt("rows section has the wrong size") }
        // Every document record takes at least 38 bytes: a larger count is forged or damaged.
        guard documentCount <= bytes(.documents).count / 38 + 1 else {
            throw corrupt("header says \(documentCount) documents, more than the documents section can hold")
        }
        var live = [Bool](repeating: false, count: rowCount)
        var documentRows = [Range<Int>](repeating: 0..<0, count: documentCount)
        var liveLexicalLength = 0
        var lastDocument = -1
        let rowBase = bytes(.rows).baseAddress ?? UnsafeRawPointer(bitPattern: 8)!
        for i in 0..<rowCount {
            let p = rowBase + i * F.rowRecordSize
            let d = Int(Int32(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))))
            let isLive = p.load(fromByteOffset: 36, as: UInt8.self)
            guard d >= 0 && d < documentCount, isLive <= 1 else { throw corrupt("rows section has an invalid record (passage \(i))") }
            // A document's passages are consecutive.
            if d != lastDocument || documentRows[d].isEmpty { documentRows[d] = i..<i }
            documentRows[d] = documentRows[d].lowerBound..<(i + 1)
            lastDocument = d
            live[i] = isLive == 1
            if isLive == 1 {
                liveLexicalLength &+= Int(Int32(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 28, as: UInt32.self))))
            }
        }
        let rows = RowStore(mapped: RowStore.Mapped(owner: mapping, section: bytes(.rows), count: rowCount, documentCount: documentCount))
        for d in 0..<documentCount where !documentRows[d].isEmpty && !live[documentRows[d].lowerBound] {
            documentRows[d] = documentRows[d].lowerBound..<documentRows[d].lowerBound
        }
        // Texts: read lazily from the mapping.
        guard bytes(.texts).count >= (rowCount + 1) * 8 else { throw corrupt("texts section is too short") }
        let texts = TextStore(mapped: TextStore.Mapped(owner: mapping, section: bytes(.texts), count: rowCount))
        if verification != .lazy {
            let textBytes = bytes(.texts)
            var previous = 0
            for i in 0...rowCount {
                let o = Int(Int64(littleEndian: textBytes.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
                guard o >= previous, o <= textBytes.count - (rowCount + 1) * 8 else { throw corrupt("texts section has invalid offsets") }
                previous = o
            }
        }
        // Documents.
        var storedDocs: [StoredDocument] = []
        storedDocs.reserveCapacity(documentCount)
        var dr = BinaryReader(bytes(.documents), path: path, section: "documents")
        for _ in 0..<documentCount {
            let isLive = try dr.u8(), hash = try dr.u64()
            var f: [String] = []
            for _ in 0..<7 { f.append(try dr.string(max: 1 << 20)) }
            let present = try dr.u8()
            let tagCount = Int(try dr.u32())
            guard isLive <= 1, tagCount <= 4096 else { throw corrupt("documents section has an invalid record") }
            var tags: [String] = []
            for _ in 0..<tagCount { tags.append(try dr.string(max: 1 << 16)) }
            storedDocs.append(StoredDocument(
                document: Document(id: f[0], title: f[1], source: f[2], url: present & 1 != 0 ? f[3] : nil,
                                   citation: present & 2 != 0 ? f[4] : nil, date: present & 4 != 0 ? f[5] : nil,
                                   language: f[6], tags: tags, contentHash: hash),
                live: isLive == 1))
        }
        guard dr.offset == bytes(.documents).count else { throw corrupt("documents section has trailing bytes") }
        guard storedDocs.count == documentCount else { throw corrupt("documents section has \(storedDocs.count) documents, header says \(documentCount)") }
        // Statistics.
        var sr = BinaryReader(bytes(.statistics), path: path, section: "statistics")
        let passageCount = try sr.i64(), totalLength = try sr.i64()
        let buckets = Int(try sr.u32())
        guard buckets == model.dfBuckets, bytes(.statistics).count == sr.offset + buckets * 4 else {
            throw corrupt("statistics section has the wrong size")
        }
        var df = [UInt32](repeating: 0, count: buckets)
        df.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes(.statistics)[sr.offset...])) }
        guard passageCount == live.lazy.filter({ $0 }).count, totalLength == liveLexicalLength else {
            throw corrupt("statistics do not match the passages")
        }
        // Meta.
        let meta = (try? JSONDecoder().decode([String: String].self, from: Data(bytes(.meta)))) ?? [:]

        let matrixBase = mapping.base + matrixEntry.offset
        switch model.matrixPrecision {
        case .float32: matrixBase.bindMemory(to: Float.self, capacity: max(rowsTimesDim, 1))
        case .bfloat16: matrixBase.bindMemory(to: UInt16.self, capacity: max(rowsTimesDim, 1))
        }
        let storage = MatrixStorage(mappedBy: mapping, raw: matrixBase, dimension: dimension, precision: model.matrixPrecision)
        let flat = FlatIndex(dimension: dimension, count: rowCount, storage: storage, live: live)
        // First-stage codes, when the index has them.
        var flatWithCodes = flat
        for (kind, section) in [(FirstStage.sign, F.Section.signCodes), (.int8, .int8Codes)] where entries[section] != nil {
            let e = entries[section]!
            guard e.length == rowCount * kind.bytesPerRow(dimension: dimension), e.offset % 64 == 0 else {
                throw corrupt("the \(section.name) section has the wrong size for \(rowCount) rows")
            }
            flatWithCodes.attachCodes(kind, mappedBy: mapping, raw: mapping.base + e.offset)
        }
        // Forward index (format 2); without it, every passage is re-scored from its text.
        var features = FeatureStore(absentFor: rowCount)
        if entries[.features] != nil {
            guard let m = FeatureStore.Mapped(owner: mapping, section: bytes(.features)), m.count == rowCount else {
                throw corrupt("features section has the wrong size for \(rowCount) passages")
            }
            features = FeatureStore(mapped: m)
        }
        // Term pairs (optional section; without it they are found again in the texts).
        var terms: TermTable? = nil
        if entries[.termPairs] != nil {
            var tr = BinaryReader(bytes(.termPairs), path: path, section: "termPairs")
            let pairCount = Int(try tr.u32())
            guard pairCount <= bytes(.termPairs).count / 8 else { throw corrupt("termPairs section has an implausible pair count (\(pairCount))") }
            var pairs: [TermPair] = []
            pairs.reserveCapacity(pairCount)
            for _ in 0..<pairCount { pairs.append(TermPair(chinese: try tr.string(max: 1 << 12), english: try tr.string(max: 1 << 12))) }
            let idCount = Int(try tr.u32())
            guard (documentCount + 1 + idCount) * 4 == bytes(.termPairs).count - tr.offset else {
                throw corrupt("termPairs section has the wrong size for \(documentCount) documents")
            }
            var starts = [Int32](repeating: 0, count: documentCount + 1)
            for d in starts.indices { starts[d] = Int32(bitPattern: try tr.u32()) }
            var ids = [Int32](repeating: 0, count: idCount)
            for i in ids.indices { ids[i] = Int32(bitPattern: try tr.u32()) }
            guard starts[0] == 0, starts[documentCount] == Int32(idCount), zip(starts, starts.dropFirst()).allSatisfy({ $0 <= $1 }),
                  ids.allSatisfy({ $0 >= 0 && Int($0) < pairCount }) else {
                throw corrupt("termPairs section has invalid document offsets or pair ids")
            }
            terms = TermTable(pairs: pairs, documentStarts: starts, documentPairs: ids, live: storedDocs.map(\.live))
        }
        return try SiftIndex(model: model, documents: storedDocs.map(\.document), documentLive: storedDocs.map(\.live),
                             rows: rows, documentRows: documentRows, texts: texts, features: features, matrix: flatWithCodes,
                             statistics: CorpusStatistics(passageCount: passageCount, totalLexicalLength: totalLength, documentFrequency: df),
                             corpusFingerprint: meta["corpusFingerprint"] ?? "", terms: terms)
    }

    /// Verifies every checksum of the index file at `url`, the matrix included.
    public static func verify(fileAt url: URL) throws(SiftError) {
        _ = try open(url, expectedModel: nil, verification: .full)
    }
}
