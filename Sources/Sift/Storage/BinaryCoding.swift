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
