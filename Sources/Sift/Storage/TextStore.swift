import Foundation

/// The passage texts of an index: an array in memory, or UTF-8 bytes read lazily from a
/// memory-mapped index file (opening a million-passage index decodes no text; a search
/// decodes only its candidates). The first change to a mapped store copies it to memory.
struct TextStore: Sendable {
    /// Texts inside a mapped file: `count + 1` little-endian UInt64 offsets, then the bytes.
    final class Mapped: @unchecked Sendable {
        let owner: AnyObject
        let offsets: UnsafeRawPointer
        let blob: UnsafeRawPointer
        let blobLength: Int
        let count: Int

        init(owner: AnyObject, section: UnsafeRawBufferPointer, count: Int) {
            self.owner = owner
            self.count = count
            offsets = section.baseAddress!
            blob = section.baseAddress! + (count + 1) * 8
            blobLength = section.count - (count + 1) * 8
        }

        func text(_ i: Int) -> String {
            let a = Int(Int64(littleEndian: offsets.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
            let b = Int(Int64(littleEndian: offsets.loadUnaligned(fromByteOffset: (i + 1) * 8, as: Int64.self)))
            // Damaged offsets read as an empty text rather than outside the file.
            guard a >= 0, a <= b, b <= blobLength else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: blob + a, count: b - a), as: UTF8.self)
        }
    }

    private var memory: [String] = []
    private var mapped: Mapped?

    init() {}
    init(mapped: Mapped) { self.mapped = mapped }

    var count: Int { mapped?.count ?? memory.count }

    subscript(i: Int) -> String { mapped?.text(i) ?? memory[i] }

    mutating func append(_ text: String) {
        materialize()
        memory.append(text)
    }

    private mutating func materialize() {
        guard let m = mapped else { return }
        memory = (0..<m.count).map { m.text($0) }
        mapped = nil
    }
}
