#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Substring search on UTF-8 bytes. The texts searched here are NFKC-normalised
/// already, so byte equality is the equality wanted; Foundation's `contains` and `range(of:)`
/// compare canonically and cost more than the rest of the answer's features together.
enum ByteSearch {
    /// Whether `text` contains `part` (an empty `part` is contained everywhere).
    static func contains(_ text: String, _ part: String) -> Bool {
        var text = text, part = part
        return part.withUTF8 { p in text.withUTF8 { t in firstOffset(of: p, in: t, from: 0) != nil } }
    }

    /// The byte offset of the first occurrence of `part` in `text` at or after `from`.
    static func firstOffset(of part: UnsafeBufferPointer<UInt8>, in text: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard !part.isEmpty else { return from }
        guard let t = text.baseAddress, let p = part.baseAddress, from <= text.count - part.count else { return nil }
        // memchr for the first byte, then memcmp (glibc's memmem is not exported to Swift).
        let last = text.count - part.count
        var i = from
        while i <= last {
            guard let hit = memchr(t + i, Int32(p[0]), last - i + 1) else { return nil }
            let at = t.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if memcmp(t + at, p, part.count) == 0 { return at }
            i = at + 1
        }
        return nil
    }

    /// Whether the scalar that ends just before byte `offset` (`before`) or starts at it is a
    /// letter; false at either end of the text.
    static func isLetter(in text: UnsafeBufferPointer<UInt8>, at offset: Int, before: Bool) -> Bool {
        var start = offset
        if before {
            guard offset > 0 else { return false }
            start = offset - 1
            while start > 0 && text[start] & 0xC0 == 0x80 { start -= 1 }
        } else if offset >= text.count {
            return false
        }
        let lead = text[start]
        if lead < 0x80 { return (lead | 0x20) >= 0x61 && (lead | 0x20) <= 0x7A }
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
        let end = min(text.count, start + length)
        let scalar = String(decoding: UnsafeBufferPointer(rebasing: text[start..<end]), as: UTF8.self).unicodeScalars.first
        return scalar?.properties.isAlphabetic ?? false
    }
}
