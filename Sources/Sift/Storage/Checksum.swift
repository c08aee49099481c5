/// 64-bit checksum of index-file sections: four independent multiply–rotate lanes over
/// 8-byte words (xxHash64-style), then a final avalanche. Detects truncation, flipped
/// bits and swapped blocks; it is not a cryptographic hash.
enum Checksum {
    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let p3: UInt64 = 0x1656_67B1_9E37_79F9

    @inline(__always) private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        var a = acc &+ input &* p2
        a = (a << 31) | (a >> 33)
        return a &* p1
    }

    static func compute(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let n = bytes.count
        var v1 = seed &+ p1 &+ p2, v2 = seed &+ p2, v3 = seed, v4 = seed &- p1
        var i = 0
        if let base = bytes.baseAddress {
            while i + 32 <= n {
                v1 = round(v1, base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                v2 = round(v2, base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
                v3 = round(v3, base.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self))
                v4 = round(v4, base.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self))
                i += 32
            }
        }
        var h = ((v1 << 1) | (v1 >> 63)) &+ ((v2 << 7) | (v2 >> 57)) &+ ((v3 << 12) | (v3 >> 52)) &+ ((v4 << 18) | (v4 >> 46))
        h = h &+ UInt64(n)
        while i < n {
            h ^= UInt64(bytes[i]) &* p3
            h = ((h << 11) | (h >> 53)) &* p1
            i += 1
        }
        h ^= h >> 33; h &*= p2; h ^= h >> 29; h &*= p3; h ^= h >> 32
        return h
    }

    static func compute(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBytes { compute($0) } }

    /// The checksum of the concatenation of `chunks`, without concatenating them.
    static func compute(chunks: [UnsafeRawBufferPointer], seed: UInt64 = 0) -> UInt64 {
        var state = Streaming(seed: seed)
        for c in chunks { state.feed(c) }
        return state.finish()
    }

    /// The same checksum over bytes that arrive in pieces.
    struct Streaming {
        private var v1, v2, v3, v4: UInt64
        private var carry: [UInt8] = []
        private var length = 0

        init(seed: UInt64) { v1 = seed &+ p1 &+ p2; v2 = seed &+ p2; v3 = seed; v4 = seed &- p1 }

        private mutating func block(_ base: UnsafeRawPointer) {
            v1 = round(v1, base.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            v2 = round(v2, base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            v3 = round(v3, base.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            v4 = round(v4, base.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }

        mutating func feed(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            length += bytes.count
            var i = 0
            if !carry.isEmpty {
                while carry.count < 32 && i < bytes.count { carry.append(bytes[i]); i += 1 }
                guard carry.count == 32 else { return }
                carry.withUnsafeBytes { block($0.baseAddress!) }
                carry.removeAll(keepingCapacity: true)
            }
            while i + 32 <= bytes.count { block(base + i); i += 32 }
            while i < bytes.count { carry.append(bytes[i]); i += 1 }
        }

        func finish() -> UInt64 {
            var h = ((v1 << 1) | (v1 >> 63)) &+ ((v2 << 7) | (v2 >> 57)) &+ ((v3 << 12) | (v3 >> 52)) &+ ((v4 << 18) | (v4 >> 46))
            h = h &+ UInt64(length)
            for b in carry {
                h ^= UInt64(b) &* p3
                h = ((h << 11) | (h >> 53)) &* p1
            }
            h ^= h >> 33; h &*= p2; h ^= h >> 29; h &*= p3; h ^= h >> 32
            return h
        }
    }
}
