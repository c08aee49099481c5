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
}

/// Little-endian binary writer for index files.
struct BinaryWriter {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func string(_ s: String) { let u = Array(s.utf8); u32(UInt32(u.count)); bytes.append(contentsOf: u) }
    mutating func pad(to alignment: Int) { while bytes.count % alignment != 0 { bytes.append(0) } }
}

/// Bounds-checked little-endian reader over a byte range; every read past the end throws.
struct BinaryReader {
    let base: UnsafeRawPointer
    let count: Int
    var offset = 0
    let path: String
    let section: String

    init(_ buffer: UnsafeRawBufferPointer, path: String, section: String) {
        base = buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        count = buffer.count
        self.path = path
        self.section = section
    }

    func fail(_ why: String) -> SiftError { .corruptIndex(path: path, reason: "\(section) section: \(why)") }

    mutating func need(_ n: Int) throws(SiftError) {
        guard n >= 0, offset <= count - n else { throw fail("ends early (needs \(n) more bytes at offset \(offset) of \(count))") }
    }
    mutating func u8() throws(SiftError) -> UInt8 { try need(1); defer { offset += 1 }; return base.load(fromByteOffset: offset, as: UInt8.self) }
    mutating func u32() throws(SiftError) -> UInt32 {
        try need(4); defer { offset += 4 }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    mutating func u64() throws(SiftError) -> UInt64 {
        try need(8); defer { offset += 8 }
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    mutating func i64() throws(SiftError) -> Int { Int(Int64(bitPattern: try u64())) }
    mutating func f32() throws(SiftError) -> Float { Float(bitPattern: try u32()) }
    mutating func string(max: Int = 1 << 26) throws(SiftError) -> String {
        let n = Int(try u32())
        guard n <= max else { throw fail("string length \(n) is implausible") }
        try need(n)
        let buffer = UnsafeRawBufferPointer(start: base + offset, count: n)
        offset += n
        guard let s = String(validating: buffer, as: UTF8.self) else { throw fail("invalid UTF-8 text") }
        return s
    }
}
