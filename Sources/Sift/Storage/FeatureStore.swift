import Foundation

/// The forward index of an index: for every passage, its distinct features (64-bit hashes,
/// sorted ascending) with their term frequencies. Re-scoring a candidate reads these
/// instead of analysing the passage's text again, and removing a passage reads them to
/// take it out of the document frequencies.
///
/// A passage may have no entry (``features(of:_:)`` returns nil): passages of index files
/// written before the forward index existed (format 1), and passages with a feature that
/// occurs 65,535 times or more (the counts are 16-bit). Those are re-scored from their
/// text, with the same result.
///
/// In memory the entries are three arrays; in a memory-mapped index file they are read in
/// place (see `IndexFileFormat`), and the first change copies them to memory.
struct FeatureStore: Sendable {
    /// Offsets with this bit set mark a passage without an entry.
    static let absent: UInt64 = 1 << 63
    /// The largest term frequency an entry holds.
    static let maxTF = Int32(UInt16.max - 1)

    /// The section of a mapped file: `count`, `total`, then `count + 1` offsets (UInt64),
    /// `total` hashes (UInt64) and `total` term frequencies (UInt16), little-endian.
    final class Mapped: @unchecked Sendable {
        let owner: AnyObject
        let offsets: UnsafePointer<UInt64>
        let hashes: UnsafePointer<UInt64>
        let tfs: UnsafePointer<UInt16>
        let count: Int
        let total: Int

        /// Nil when the section's sizes do not add up.
        init?(owner: AnyObject, section: UnsafeRawBufferPointer) {
            guard section.count >= 16, let base = section.baseAddress, Int(bitPattern: base) % 8 == 0 else { return nil }
            let count = Int(UInt64(littleEndian: base.load(as: UInt64.self)) & 0xFFFF_FFFF_FFFF)
            let total = Int(UInt64(littleEndian: base.load(fromByteOffset: 8, as: UInt64.self)) & 0xFFFF_FFFF_FFFF)
            let needed = 16 + (count + 1) * 8 + total * 10
            guard count < 1 << 40, total < 1 << 44, section.count == (needed + 7) / 8 * 8 else { return nil }
            self.owner = owner
            self.count = count
            self.total = total
            offsets = (base + 16).assumingMemoryBound(to: UInt64.self)
            hashes = (base + 16 + (count + 1) * 8).assumingMemoryBound(to: UInt64.self)
            tfs = (base + 16 + (count + 1) * 8 + total * 8).assumingMemoryBound(to: UInt16.self)
        }

        /// Entry range of passage `i`, nil when it has none (or the offsets are damaged).
        func range(_ i: Int) -> Range<Int>? {
            let a = UInt64(littleEndian: offsets[i]) & ~FeatureStore.absent
            let b = UInt64(littleEndian: offsets[i + 1])
            guard b & FeatureStore.absent == 0, a <= b, b <= UInt64(total) else { return nil }
            return Int(a)..<Int(b)
        }
    }

    private var offsets: [UInt64] = [0]
    private var hashes: [UInt64] = []
    private var tfs: [UInt16] = []
    private var mapped: Mapped?

    init() {}
    init(mapped: Mapped) { self.mapped = mapped }

    /// An empty store for an index file that has no forward index: every passage absent.
    init(absentFor count: Int) {
        offsets = [0] + [UInt64](repeating: FeatureStore.absent, count: count)
    }

    var count: Int { mapped?.count ?? offsets.count - 1 }

    /// Entries in all (of every passage, removed ones included).
    var totalEntries: Int { mapped?.total ?? hashes.count }

    /// How many entries passage `i` has (0 without an entry).
    @inline(__always) func entryCount(of i: Int) -> Int {
        if let m = mapped { return m.range(i)?.count ?? 0 }
        let end = offsets[i + 1]
        return end & FeatureStore.absent != 0 ? 0 : Int(end) - Int(offsets[i] & ~FeatureStore.absent)
    }

    /// Calls `body` with passage `i`'s sorted hashes and their term frequencies; nil when the
    /// passage has no entry.
    func features<R>(of i: Int, _ body: (UnsafeBufferPointer<UInt64>, UnsafeBufferPointer<UInt16>) -> R) -> R? {
        if let m = mapped {
            guard let r = m.range(i) else { return nil }
            return body(UnsafeBufferPointer(start: m.hashes + r.lowerBound, count: r.count),
                        UnsafeBufferPointer(start: m.tfs + r.lowerBound, count: r.count))
        }
        let end = offsets[i + 1]
        guard end & FeatureStore.absent == 0 else { return nil }
        let start = Int(offsets[i] & ~FeatureStore.absent)
        let n = Int(end) - start
        return hashes.withUnsafeBufferPointer { h in
            tfs.withUnsafeBufferPointer { t in
                body(UnsafeBufferPointer(rebasing: h[start..<(start + n)]), UnsafeBufferPointer(rebasing: t[start..<(start + n)]))
            }
        }
    }

    /// Appends a passage's entry (`hashes` sorted ascending, distinct), or an absent entry.
    mutating func append(hashes newHashes: [UInt64]?, tfs newTFs: [UInt16]) {
        materialize()
        let start = UInt64(hashes.count)
        guard let newHashes else {
            offsets.append(start | FeatureStore.absent)
            return
        }
        precondition(newHashes.count == newTFs.count)
        hashes.append(contentsOf: newHashes)
        tfs.append(contentsOf: newTFs)
        offsets.append(UInt64(hashes.count))
    }

    /// Reserves room for `passages` more passages of about `entries` entries in all.
    mutating func reserve(passages: Int, entries: Int) {
        materialize()
        offsets.reserveCapacity(offsets.count + passages)
        hashes.reserveCapacity(hashes.count + entries)
        tfs.reserveCapacity(tfs.count + entries)
    }

    private mutating func materialize() {
        guard let m = mapped else { return }
        var o = [UInt64](repeating: 0, count: m.count + 1)
        var h: [UInt64] = []
        var t: [UInt16] = []
        h.reserveCapacity(m.total)
        t.reserveCapacity(m.total)
        for i in 0..<m.count {
            if let r = m.range(i) {
                for j in r { h.append(UInt64(littleEndian: m.hashes[j])); t.append(UInt16(littleEndian: m.tfs[j])) }
                o[i + 1] = UInt64(h.count)
            } else {
                o[i + 1] = UInt64(h.count) | FeatureStore.absent
            }
        }
        offsets = o
        hashes = h
        tfs = t
        mapped = nil
    }

    /// The section bytes as chunks to write: a 16-byte head plus the three arrays, padded to 8.
    func withSectionChunks<R>(_ body: ([UnsafeRawBufferPointer]) throws(SiftError) -> R) throws(SiftError) -> R {
        var copy = self
        copy.materialize()
        var head = BinaryWriter()
        head.u64(UInt64(copy.offsets.count - 1))
        head.u64(UInt64(copy.hashes.count))
        let padding = [UInt8](repeating: 0, count: (8 - (copy.tfs.count * 2) % 8) % 8)
        let result: Result<R, SiftError> = head.bytes.withUnsafeBytes { h in
            copy.offsets.withUnsafeBytes { o in
                copy.hashes.withUnsafeBytes { hs in
                    copy.tfs.withUnsafeBytes { t in
                        padding.withUnsafeBytes { p in
                            Result { () throws(SiftError) in try body([h, o, hs, t, p]) }
                        }
                    }
                }
            }
        }
        return try result.get()
    }
}
