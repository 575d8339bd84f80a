// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mediabatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mediabatch", targets: ["mediabatch"]),
        .executable(name: "fake-openrouter", targets: ["fake-openrouter"]),
        .library(name: "MediaBatch", targets: ["MediaBatch"]),
        .library(name: "FakeOpenRouter", targets: ["FakeOpenRouter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.70.0"),
    ],
    targets: [
        // C libraries, wrapped with the smallest shims Swift needs (variadic calls, macros).
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CJansson", pkgConfig: "jansson",
            providers: [.apt(["libjansson-dev"])]),
        .systemLibrary(
            name: "CCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CFileFlags"),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),

        // All of mediabatch's logic.
        .target(
            name: "MediaBatch",
            dependencies: ["CCurl", "CJansson", "CCrypto", "CFileFlags"]),
        // The thin command-line front end.
        .executableTarget(
            name: "mediabatch",
            dependencies: [
                "MediaBatch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // A local server that answers like OpenRouter, for tests, the demo and benchmarks.
        .target(
            name: "FakeOpenRouter",
            dependencies: [
                "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "fake-openrouter",
            dependencies: ["FakeOpenRouter"]),

        .testTarget(
            name: "MediaBatchTests",
            dependencies: ["MediaBatch", "FakeOpenRouter"]),
        .testTarget(
            name: "FakeOpenRouterTests",
            dependencies: ["FakeOpenRouter"]),
    ],
    swiftLanguageModes: [.v6]
)
