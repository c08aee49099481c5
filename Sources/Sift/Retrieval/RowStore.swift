import Foundation

/// The per-passage records of an index: an array in memory, or 40-byte records read
/// lazily from a memory-mapped index file. The first change to a mapped store copies it.
struct RowStore: Sendable {
    final class Mapped: @unchecked Sendable {
        let owner: AnyObject
        let base: UnsafeRawPointer
        let count: Int
        let documentCount: Int

        init(owner: AnyObject, section: UnsafeRawBufferPointer, count: Int, documentCount: Int) {
            self.owner = owner
            base = section.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!
            self.count = count
            self.documentCount = documentCount
        }

        func row(_ i: Int) -> SiftIndex.Row {
            let p = base + i * IndexFileFormat.rowRecordSize
            var doc = Int32(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
            // A damaged record never points outside the document table.
            if doc < 0 || Int(doc) >= documentCount { doc = 0 }
            let norm = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 32, as: UInt32.self)))
            return SiftIndex.Row(
                document: doc,
                ordinal: Int32(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))),
                start: Int(Int64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: Int64.self))),
                end: Int(Int64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: Int64.self))),
                profile: PassageProfile(
                    tokenLength: Int32(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt32.self))),
                    lexicalLength: Int32(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 28, as: UInt32.self))),
                    rescoreNorm: norm.isFinite ? norm : 0))
        }
    }

    private var memory: [SiftIndex.Row] = []
    private var mapped: Mapped?

    init() {}
    init(mapped: Mapped) { self.mapped = mapped }

    var count: Int { mapped?.count ?? memory.count }

    subscript(i: Int) -> SiftIndex.Row { mapped?.row(i) ?? memory[i] }

    mutating func append(_ row: SiftIndex.Row) {
        if let m = mapped {
            memory = (0..<m.count).map { m.row($0) }
            mapped = nil
        }
        memory.append(row)
    }
}
