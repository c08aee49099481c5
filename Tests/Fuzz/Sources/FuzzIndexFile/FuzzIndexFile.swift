// Fuzz target: the index file loader, `SiftIndex.open`, and what an opened index does.
//
// The input is written to a temporary file and opened (the loader only reads files: it
// memory-maps them). When bit 0 of header byte 28 (a reserved field the loader ignores) is
// set and the input looks like an index, the harness first repairs the checksums (every
// section's per the section table, the model fingerprint, then the header's), so that
// mutations get past the checksums into the parser's own checks — these inputs are forged
// files rather than damaged ones. Bit 0 of header byte 29 (reserved too) opens with
// `.lazy` verification (matrix, rows and texts unchecked) instead of `.full`, so that
// damage there reaches the lazy readers. An opened index is searched, asked, changed (a
// document removed, one added), compacted, written and opened again.
import Foundation
import FuzzSupport
import Sift

let temporaryFolder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
let inputURL = URL(fileURLWithPath: "\(temporaryFolder)/sift-fuzz-\(getpid()).siftindex")
let resavedURL = URL(fileURLWithPath: "\(temporaryFolder)/sift-fuzz-\(getpid())-resaved.siftindex")
/// Removes the temporary files when libFuzzer exits (not after a crash).
let cleanup: Void = { atexit { unlink(inputURL.path); unlink(resavedURL.path) } }()
let extraDocument = try! CorpusLoader().article(text: "# Extra\n\nAn extra article about 监督微调 and retrieval.", id: "extra.md")

/// The index file checksum (a copy of the library's internal `Checksum`).
func checksum(_ b: ArraySlice<UInt8>) -> UInt64 {
    let p1: UInt64 = 0x9E37_79B1_85EB_CA87, p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F, p3: UInt64 = 0x1656_67B1_9E37_79F9
    let base = b.startIndex, n = b.count
    func word(_ i: Int) -> UInt64 { var v: UInt64 = 0; for j in 0..<8 { v |= UInt64(b[base + i + j]) << (8 * UInt64(j)) }; return v }
    func round(_ acc: UInt64, _ input: UInt64) -> UInt64 { var a = acc &+ input &* p2; a = (a << 31) | (a >> 33); return a &* p1 }
    var v1 = p1 &+ p2, v2 = p2, v3: UInt64 = 0, v4 = 0 &- p1
    var i = 0
    while i + 32 <= n { v1 = round(v1, word(i)); v2 = round(v2, word(i + 8)); v3 = round(v3, word(i + 16)); v4 = round(v4, word(i + 24)); i += 32 }
    var h = ((v1 << 1) | (v1 >> 63)) &+ ((v2 << 7) | (v2 >> 57)) &+ ((v3 << 12) | (v3 >> 52)) &+ ((v4 << 18) | (v4 >> 46))
    h = h &+ UInt64(n)
    while i < n { h ^= UInt64(b[base + i]) &* p3; h = ((h << 11) | (h >> 53)) &* p1; i += 1 }
    h ^= h >> 33; h &*= p2; h ^= h >> 29; h &*= p3; h ^= h >> 32
    return h
}

func u32(_ b: [UInt8], _ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[o + $1]) << (8 * UInt32($1)) } }
func i64(_ b: [UInt8], _ o: Int) -> Int { Int(Int64(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) })) }
func setU64(_ b: inout [UInt8], _ o: Int, _ v: UInt64) { for i in 0..<8 { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }

/// Repairs the checksums and the model fingerprint of a would-be index file.
func repair(_ b: inout [UInt8]) {
    guard b.count >= 4096, b.starts(with: Array("SIFTIDX".utf8) + [0]) else { return }
    let count = min(Int(u32(b, 12)), 64)
    for i in 0..<count {
        let e = 48 + 32 * i
        let kind = u32(b, e), offset = i64(b, e + 8), length = i64(b, e + 16)
        guard offset >= 4096, length >= 0, offset <= b.count, length <= b.count - offset else { continue }
        if kind == 6, let model = try? JSONDecoder().decode(EmbeddingModel.self, from: Data(b[offset..<(offset + length)])) {
            setU64(&b, 16, model.fingerprint)
        }
        setU64(&b, e + 24, checksum(b[offset..<(offset + length)]))
    }
    setU64(&b, 4088, checksum(b[0..<4088]))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIndexFile(_ pointer: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = pointer else { return 0 }
    _ = cleanup
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if bytes.count > 28, bytes[28] & 1 == 1 { repair(&bytes) }
    let verification: IndexVerification = bytes.count > 29 && bytes[29] & 1 == 1 ? .lazy : .full
    guard (try? Data(bytes).write(to: inputURL)) != nil else { return 0 }
    do throws(SiftError) {
        let index = try SiftIndex.open(inputURL, expectedModel: nil, verification: verification)
        for q in ["监督微调 sft", "the retrieval of passages", "RLHF"] { _ = index.search(q, k: 5) }
        _ = index.search(batch: ["检索", "reward"], k: 3, threads: 1)
        _ = index.candidates(for: "监督微调")
        let documents = index.documents
        for d in documents.prefix(3) { _ = index.passages(ofDocument: d.id) }
        for id in 0..<min(index.passageIDCount, 8) { _ = index.passage(id: id) }
        _ = AnswerEngine(index: index).ask("什么是sft?")
        var changed = index
        if let first = documents.first { changed.remove(documentID: first.id) }
        changed.add(extraDocument)
        let compact = changed.compacted()
        _ = compact.search("retrieval", k: 3)
        if (try? compact.write(to: resavedURL)) != nil { _ = try? SiftIndex.open(resavedURL, expectedModel: nil) }
    } catch {
        // A typed error is the expected outcome for most inputs; it must name the file.
        precondition(error.description.contains(inputURL.path), "error does not name the file: \(error)")
    }
    return 0
}

/// The entry point SwiftPM links as `main` in debug builds: runs libFuzzer's driver.
@_cdecl("FuzzIndexFile_main")
public func fuzzIndexFileMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzIndexFile)
}
