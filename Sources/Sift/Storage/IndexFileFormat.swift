/// The index file format (version 2), little-endian:
///
/// | bytes | content |
/// |---|---|
/// | 0..<4096 | header: magic `SIFTIDX\0`, format version, model fingerprint, dimension, row and document counts, a table of sections (kind, offset, length, checksum), the model identifier, and the header's own checksum in its last 8 bytes |
/// | page-aligned | matrix: rows × dimension Float32 or bfloat16 (the model's `matrixPrecision`, also in the header: 0 or 1 after the dimension), row-major (memory-mapped on open) |
/// | | rows: per passage: document, ordinal, span, lengths, norm, live flag |
/// | | texts: offsets + UTF-8 passage texts |
/// | | documents: per document its live flag, content hash and length-prefixed UTF-8 fields |
/// | | statistics: counts + hashed document frequencies |
/// | | model: JSON definition |
/// | | meta: JSON (corpus fingerprint) |
/// | 64-aligned | signCodes, int8Codes (optional): the first-stage codes of the rows (see ``FirstStage``), `rows × bytesPerRow` |
/// | | features (version 2): the forward index, each passage's sorted distinct feature hashes and their term frequencies (see `FeatureStore`) |
/// | | termPairs (optional): the Chinese–English term pairs the documents write ("知识蒸馏（Knowledge Distillation）"): the distinct pairs (a count, then each pair's two length-prefixed UTF-8 strings), then the number of ids, each document's offset into them (documents + 1 UInt32) and the pair ids (UInt32); files without it find the pairs again in the texts on open |
///
/// Version 1 files (without the features section) still open; their passages are re-scored
/// from their text. Sections of unknown kinds are skipped, so optional sections can be added
/// without a new version.
enum IndexFileFormat {
    static let magic: [UInt8] = Array("SIFTIDX".utf8) + [0]
    static let version: UInt32 = 2
    static let headerSize = 4096
    static let rowRecordSize = 40

    enum Section: UInt32, CaseIterable {
        case matrix = 1, rows, texts, documents, statistics, model, meta, features, signCodes, int8Codes, termPairs
        var name: String { "\(self)" }
        /// Sections a file of `version` must have.
        static func required(in version: UInt32) -> [Section] {
            version >= 2 ? [.matrix, .rows, .texts, .documents, .statistics, .model, .meta, .features]
                : [.matrix, .rows, .texts, .documents, .statistics, .model, .meta]
        }
    }

    struct SectionEntry { var kind: Section; var offset: Int; var length: Int; var checksum: UInt64 }
}
