// swift-tools-version: 6.1
// libFuzzer targets for Sift (a package of its own, so that the root package stays free of
// unsafe flags). Build and run with ./run.sh; see Tests/Hardening/README.md.
import PackageDescription

// Each target exports `LLVMFuzzerTestOneInput` with @_cdecl and a `<Module>_main` that runs
// libFuzzer's driver (SwiftPM aliases a debug executable's `main` to `<Module>_main`).
let fuzzSettings: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

func fuzzTarget(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: "Sift", package: "Sift"), "FuzzSupport"],
        path: "Sources/\(name)",
        swiftSettings: fuzzSettings
    )
}

let package = Package(
    name: "SiftFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [
        // The package under test, two levels up.
        .package(name: "Sift", path: "../.."),
    ],
    targets: [
        .target(name: "FuzzSupport", path: "Sources/FuzzSupport"),
        fuzzTarget("FuzzIndexFile"),
        fuzzTarget("FuzzMarkdown"),
        fuzzTarget("FuzzChunker"),
        fuzzTarget("FuzzEmbedder"),
    ]
)
