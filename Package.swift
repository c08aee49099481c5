// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Sift",
    // Linux is where Sift is built and tested; on macOS, Mutex (Synchronization) needs 15.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Sift", targets: ["Sift"]),
        .library(name: "SiftServer", targets: ["SiftServer"]),
        .executable(name: "sift", targets: ["sift"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        // The web server (`sift serve`) and its question history.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // Documentation only: `swift package generate-documentation --target Sift`.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // MARK: - C interface to the system BLAS (Debian: libblas-dev + libopenblas0-pthread)
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            providers: [.apt(["libblas-dev", "libopenblas0-pthread"])]
        ),
        // Scan kernels with run-time CPU dispatch (AVX2, AVX-512); portable fallbacks included.
        .target(
            name: "SiftKernels",
            path: "Sources/SiftKernels"
        ),
        // MARK: - Public API
        .target(
            name: "Sift",
            dependencies: [
                "CBLAS",
                "SiftKernels",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // MARK: - The Q&A wiki: pages, JSON API and question history (SQLite)
        .target(
            name: "SiftServer",
            dependencies: [
                "Sift",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        .executableTarget(
            name: "sift",
            dependencies: [
                "Sift",
                "SiftServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // MARK: - Tests
        .testTarget(
            name: "SiftTests",
            dependencies: ["Sift", "SiftKernels"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SiftServerTests",
            dependencies: [
                "Sift", "SiftServer",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
