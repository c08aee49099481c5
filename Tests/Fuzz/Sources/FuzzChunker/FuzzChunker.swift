// Fuzz target: `Chunker.passages`. The first 4 bytes choose the settings (maximum length
// 16...781, overlap, body start, Markdown or plain text); the rest is the text (decoded
// leniently). Checks the chunker's documented guarantees.
import Foundation
import FuzzSupport
import Sift

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChunker(_ pointer: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = pointer else { return 0 }
    guard size >= 4 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let maxCharacters = 16 + Int(bytes[0]) * 3
    let overlap = Int(bytes[1]) % ((maxCharacters - 1) / 2)
    let bodyStart = Int(bytes[2])
    let markdown = bytes[3] & 1 == 0
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[4...]), as: UTF8.self)
    let chunker = try! Chunker(maxCharacters: maxCharacters, overlapCharacters: overlap)
    let passages = chunker.passages(documentID: "f", source: text, bodyStart: bodyStart, markdown: markdown)
    let count = text.unicodeScalars.count
    for (i, p) in passages.enumerated() {
        let length = p.text.unicodeScalars.count
        precondition(length <= maxCharacters, "passage \(i): \(length) > \(maxCharacters) characters (overlap \(overlap))")
        precondition(p.ordinal == i && p.documentID == "f", "passage \(i): ordinal \(p.ordinal)")
        precondition(!p.text.isEmpty, "passage \(i) is empty")
        precondition(p.text == p.text.trimmingCharacters(in: .whitespacesAndNewlines),
                     "passage \(i) is not trimmed: \(p.text.debugDescription)")
        precondition(p.start >= 0 && p.start < p.end && p.end <= count, "passage \(i): span \(p.start)..<\(p.end) of \(count)")
        if i > 0 { precondition(p.start >= passages[i - 1].start, "passage \(i) starts before passage \(i - 1)") }
    }
    return 0
}

/// The entry point SwiftPM links as `main` in debug builds: runs libFuzzer's driver.
@_cdecl("FuzzChunker_main")
public func fuzzChunkerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzChunker)
}
