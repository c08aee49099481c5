import ArgumentParser
import Foundation
import Sift

@main
struct SiftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sift",
        abstract: "Answers questions from a corpus of reference articles, with citations.",
        discussion: """
        Run from a folder that has a Corpus/ subfolder (such as the repository root) and ask:
          sift ask "什么是sft?"
        The index is built on first use and cached in .sift-cache/ beside the corpus.
        """,
        version: "0.1.0",
        subcommands: [Ask.self, Search.self, Index.self, Serve.self, Eval.self, Bench.self],
        defaultSubcommand: nil
    )
}

/// Prints one clear line and exits 1 for runtime errors.
func runOrExit(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as SiftError {
        FileHandle.standardError.write(Data("error: \(error.description)\(cliHint(error))\n".utf8))
        throw ExitCode(1)
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(error.localizedDescription)\n".utf8))
        throw ExitCode(1)
    }
}

func warn(_ message: String) {
    FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}

func progressLine(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}

func printJSON<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self))
}

/// The lines of `text` (LF, CRLF or CR endings).
func lines(of text: String) -> [Substring] {
    text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
}

/// What to type, for the errors whose fix is a command or a flag.
func cliHint(_ error: SiftError) -> String {
    switch error {
    case .corpusNotFound: " (--corpus DIR)"
    case .corruptIndex, .unsupportedIndexVersion, .modelMismatch: " ('sift index --rebuild', or --output FILE for a saved index)"
    default: ""
    }
}
