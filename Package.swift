// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mediabatch",
    // Linux only: the code calls Glibc, /proc and O_TMPFILE/O_DIRECT directly.
    products: [
        .library(
            name: "MediaBatch",
            targets: [
                "Runner", "Reports", "Journal", "Manifest", "ManifestDiagnostics", "Narration", "OpenRouter", "Tasks", "HTTP", "JSON",
                "Files", "Media", "Loudness", "Support", "ImageScaling",
            ]),
        .executable(name: "mediabatch", targets: ["mediabatch"]),
        .executable(name: "fake-openrouter", targets: ["fake-openrouter"]),
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
        // The gallery's thumbnails, and oversized reference images shrunk (opt-in).
        // Loaded on first use (dlopen), not linked: see Sources/CVips/include/CVips.h.
        .target(name: "CVips"),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // Narration loudness: decoding mp3 (libmpg123) and measuring EBU R128 (libebur128).
        .systemLibrary(
            name: "CMpg123", pkgConfig: "libmpg123",
            providers: [.apt(["libmpg123-dev"])]),
        .systemLibrary(
            name: "CEbur128", pkgConfig: "libebur128",
            providers: [.apt(["libebur128-dev"])]),
        // The fake server's audible test tones (LAME), never the client's.
        .systemLibrary(name: "CLame", providers: [.apt(["libmp3lame-dev"])]),

        // mediabatch's library, one target per layer so that the compiler refuses a wrong
        // arrow (docs/architecture.md draws them). Leaves first.
        .target(name: "Support", dependencies: ["CCrypto"]),
        .target(name: "JSON", dependencies: ["CJansson", "Support"]),
        .target(name: "Files", dependencies: ["CFileFlags", "Support"]),
        .target(name: "HTTP", dependencies: ["CCurl", "Support"]),
        .target(name: "Media", dependencies: ["Support"]),
        // Measuring narrations' loudness (EBU R128 over decoded audio) and bringing them to a
        // target without re-encoding.
        .target(name: "Loudness", dependencies: ["Media", "Support", "CMpg123", "CEbur128"]),
        // The task model: what manifests expand into and the client sends.
        .target(name: "Tasks", dependencies: ["JSON", "Support"]),
        // Problems in manifests, located by file, line and field.
        .target(name: "ManifestDiagnostics", dependencies: ["JSON"]),
        // Text made for speaking: narration chunks.
        .target(name: "Narration", dependencies: ["Support"]),
        // Manifests: format, validation with locations, expansion into tasks.
        .target(name: "Manifest", dependencies: ["ManifestDiagnostics", "Narration", "Tasks", "JSON", "Files", "Media", "Support"]),
        // Every exchange with OpenRouter: request shapes, decoding, typed failures.
        .target(name: "OpenRouter", dependencies: ["Tasks", "HTTP", "JSON", "Media", "Support"]),
        // The journal of each output folder, its resume snapshot, the run lock, shards.
        .target(name: "Journal", dependencies: ["Tasks", "JSON", "Files", "Support"]),
        // libvips' images: oversized reference images shrunk to fit OpenRouter's limits (for tasks
        // that opt in), the gallery's thumbnails.
        .target(name: "ImageScaling", dependencies: ["CVips"]),
        // What a run did: its summary, report.json and the gallery.
        .target(name: "Reports", dependencies: ["Journal", "Tasks", "JSON", "Files", "Support", "ImageScaling"]),
        // Planning and scheduling a run, atomic outputs, settings.
        .target(
            name: "Runner",
            dependencies: [
                "Manifest", "ManifestDiagnostics", "Narration", "OpenRouter", "Journal", "Reports", "ImageScaling", "Tasks", "HTTP", "JSON", "Files",
                "Media", "Loudness", "Support", "CJansson",
            ]),
        // The thin command-line front end.
        .executableTarget(
            name: "mediabatch",
            dependencies: [
                "Runner", "Manifest", "ManifestDiagnostics", "Narration", "OpenRouter", "Journal", "Reports", "Tasks", "HTTP", "JSON",
                "Files", "Support",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // A local server that answers like OpenRouter, for tests, the demo and benchmarks.
        .target(
            name: "FakeOpenRouter",
            dependencies: [
                "CZlib", "CLame",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "fake-openrouter",
            dependencies: ["FakeOpenRouter"]),

        // Helpers both test targets share: the fake started in-process, temp folders, child
        // processes (the CLI and media tools), an independent PNG parser, seeded randomness.
        // It depends on the fake only, never on mediabatch's library, so the fake's own tests
        // do not link the client they stand in for; helpers that need the library stay in
        // MediaBatchTests.
        .target(
            name: "TestSupport",
            dependencies: ["FakeOpenRouter"],
            path: "Tests/TestSupport"),
        .testTarget(
            name: "MediaBatchTests",
            dependencies: [
                "Runner", "Reports", "Journal", "Manifest", "ManifestDiagnostics", "Narration", "OpenRouter", "Tasks", "HTTP", "JSON",
                "Files", "Media", "Loudness", "Support", "ImageScaling", "FakeOpenRouter", "TestSupport",
                // For the terminal front end's own pieces (the progress reporter).
                "mediabatch",
                // LAME, to encode mp3 with error protection (CRCs) for the gain tests.
                "CLame",
            ]),
        .testTarget(
            name: "FakeOpenRouterTests",
            dependencies: ["FakeOpenRouter", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
