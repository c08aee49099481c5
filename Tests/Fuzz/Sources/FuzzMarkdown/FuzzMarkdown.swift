// Fuzz target: the article reader — text decoding (BOM, UTF-16, NUL, invalid UTF-8), YAML
// front matter and Markdown — through `CorpusLoader.loadArticle` (raw bytes from a file)
// and `CorpusLoader.article(text:id:)` (the bytes decoded leniently). Checks that the
// passages it returns are well-formed.
import Foundation
import FuzzSupport
import Sift

let temporaryFolder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
let mdURL = URL(fileURLWithPath: "\(temporaryFolder)/sift-fuzz-\(getpid()).md")
let txtURL = URL(fileURLWithPath: "\(temporaryFolder)/sift-fuzz-\(getpid()).txt")
let loader = CorpusLoader(maxFileBytes: 1 << 20)
/// Removes the temporary files when libFuzzer exits (not after a crash).
let cleanup: Void = { atexit { unlink(mdURL.path); unlink(txtURL.path) } }()

func check(_ doc: ChunkedDocument, source: String, id: String) {
    let count = source.unicodeScalars.count
    precondition(doc.document.id == id)
    precondition(doc.document.language == "zh" || doc.document.language == "en" || !doc.document.language.isEmpty)
    for (i, p) in doc.passages.enumerated() {
        precondition(p.ordinal == i, "ordinal \(p.ordinal) at \(i)")
        precondition(p.documentID == id)
        precondition(!p.text.isEmpty, "empty passage \(i)")
        precondition(p.text.unicodeScalars.count <= loader.chunker.maxCharacters, "passage \(i) has \(p.text.unicodeScalars.count) characters")
        precondition(p.start >= 0 && p.start < p.end && p.end <= count, "passage \(i) span \(p.start)..<\(p.end) of \(count)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMarkdown(_ pointer: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = pointer else { return 0 }
    _ = cleanup
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    for url in [mdURL, txtURL] {
        guard (try? bytes.write(to: url)) != nil else { return 0 }
        do throws(SiftError) {
            let doc = try loader.loadArticle(url: url, relativePath: "fuzz/\(url.lastPathComponent)")
            var text = String(decoding: bytes, as: UTF8.self)
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            check(doc, source: text, id: "fuzz/\(url.lastPathComponent)")
        } catch {
            precondition(error.description.contains("fuzz/\(url.lastPathComponent)"), "error does not name the file: \(error)")
        }
    }
    let text = String(decoding: bytes, as: UTF8.self)
    for markdown in [true, false] {
        do throws(SiftError) {
            let doc = try loader.article(text: text, id: "fuzz.md", markdown: markdown)
            check(doc, source: text, id: "fuzz.md")
        } catch {
            precondition(error.description.contains("fuzz.md"), "error does not name the article: \(error)")
        }
    }
    return 0
}

/// The entry point SwiftPM links as `main` in debug builds: runs libFuzzer's driver.
@_cdecl("FuzzMarkdown_main")
public func fuzzMarkdownMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzMarkdown)
}
