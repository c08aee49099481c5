// swift-tools-version: 6.1
// Performance benchmarks for Sift (ordo-one/package-benchmark).
//
// A separate package so that the root `swift build` / `swift test` never compile the
// benchmark stack. Run everything from this folder:
//   swift package benchmark                    # run all suites, print tables
//   bash guard.sh                              # CI guard: thresholds check (see README.md)
import PackageDescription

let package = Package(
    name: "SiftBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        // `name:` pins the identity, so it does not depend on the checkout folder's name.
        .package(name: "Sift", path: ".."),
        // The MallocInterposer trait is mandatory on Linux + Swift 6.3: without it the default
        // traits pull in ordo-one/swift-runtime-interposer, which is not mirrored here.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Shared helpers: corpus loading, synthetic data, common configuration.
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "Sift", package: "Sift"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Sources/BenchSupport"
        ),
        suite("Embedding"),
        suite("IndexBuild"),
        suite("Search"),
        suite("Load"),
    ]
)

/// One benchmark executable; the plugin requires its sources under `Benchmarks/<Name>/`.
func suite(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            "BenchSupport",
            .product(name: "Sift", package: "Sift"),
            .product(name: "Benchmark", package: "benchmark"),
        ],
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}
