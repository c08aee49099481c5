// swift-tools-version: 6.1
// A small consumer of the Sift library, built and run by CI (.ci/run): it uses Sift the way
// README's "Library" section says, from outside the package.
//
//   cd Examples && swift run -c release SiftExample [CORPUS_DIR]
import PackageDescription

let package = Package(
    name: "SiftExample",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Sift", path: ".."),
    ],
    targets: [
        .executableTarget(name: "SiftExample", dependencies: [.product(name: "Sift", package: "Sift")]),
    ]
)
