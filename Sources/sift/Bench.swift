import ArgumentParser
import Foundation
import Sift

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark flat-index search on this machine.")
    func run() throws {
        throw ValidationError("not built yet")
    }
}
