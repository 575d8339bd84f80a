// swift-tools-version:6.0
// libFuzzer targets for mediabatch. A package of its own so that the main package never
// contains an `LLVMFuzzerTestOneInput` symbol; built and run by `scripts/fuzz.sh`
// (Linux only: it needs `-sanitize=fuzzer`). Only the public API of the mediabatch library (product MediaBatch) is used,
// because release builds cannot `@testable import`.
import Foundation
import PackageDescription

// The mediabatch package under test: this repository, or the checkout named by
// MEDIABATCH_FUZZ_SOURCE (scripts/fuzz.sh sets it to fuzz a snapshot such as `git archive HEAD`).
let sourcePath = Context.environment["MEDIABATCH_FUZZ_SOURCE"] ?? "../.."
// A path dependency's package identity is its folder's name, lower-cased (`main`,
// `mediabatch`, ... depending on where the repository was cloned).
let packageFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let sourceURL = sourcePath.hasPrefix("/") ? URL(fileURLWithPath: sourcePath) : packageFolder.appendingPathComponent(sourcePath)
let rootIdentity = sourceURL.standardized.lastPathComponent.lowercased()

let targets = ["fuzz-manifest", "fuzz-response", "fuzz-media", "fuzz-splitter", "fuzz-rows"]

let package = Package(
    name: "mediabatch-fuzz",
    products: targets.map { .executable(name: $0, targets: [$0]) },
    dependencies: [
        .package(path: sourcePath),
    ],
    targets: [
        // Calls LLVMFuzzerRunDriver from the entry point SwiftPM gives each executable.
        .target(name: "FuzzMain", path: "Sources/FuzzMain"),
        // Scratch files for the targets that lay out a workspace.
        .target(name: "FuzzFiles", path: "Sources/FuzzFiles"),
    ] + targets.map { name in
        .executableTarget(
            name: name,
            dependencies: ["FuzzMain", "FuzzFiles", .product(name: "MediaBatch", package: rootIdentity)],
            path: "Sources/\(name)",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    },
    swiftLanguageModes: [.v6]
)
