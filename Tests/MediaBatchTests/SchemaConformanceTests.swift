import FakeOpenRouter
import Foundation
import OpenRouter
import Testing
import TestSupport

/// Every request body mediabatch sends is checked against OpenRouter's published OpenAPI
/// schema (`../shared/reference/openrouter-openapi.yaml`, or its copy in `Tests/Fixtures`) by an independent validator
/// (Python's jsonschema), for each endpoint and each optional parameter.
@Suite struct SchemaConformanceTests {
    /// The team's shared copy of the reference when this checkout sits beside it, else the
    /// copy committed in `Tests/Fixtures` (a clean clone anywhere still runs these tests).
    static var specPath: String {
        var repo = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { repo.deleteLastPathComponent() }
        let shared = repo.deletingLastPathComponent().appendingPathComponent("shared/reference/openrouter-openapi.yaml").path
        if FileManager.default.fileExists(atPath: shared) { return shared }
        return repo.appendingPathComponent("Tests/Fixtures/openrouter-openapi.yaml").path
    }

    /// The first `python3` on the test's PATH (the one the bootstrap script gave jsonschema).
    static var python: String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/python3"
    }

    func check(_ bodies: [[UInt8]], schema: String, in folder: TempFolder) throws {
        let spec = Self.specPath
        try #require(FileManager.default.fileExists(atPath: spec), "the OpenAPI reference is missing at \(spec)")
        let files = bodies.enumerated().map { index, body in folder.write("body-\(schema)-\(index).json", bytes: body) }
        var repo = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { repo.deleteLastPathComponent() }
        let result = try runTool(Self.python, [repo.appendingPathComponent("scripts/openapi-check.py").path, spec, schema] + files)
        #expect(result.status == 0, "\(schema): \(result.stdout) \(result.stderr)")
    }

    @Test func everyEndpointsBodiesMatchThePublishedSchema() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 3, count: 16)
        _ = folder.write("ref.png", bytes: png)
        let summary = try runAgainst(server, manifest: """
            {"tasks": [
              {"id": "chat-plain", "prompt": "p", "model": "openrouter/auto"},
              {"id": "chat-gemini", "prompt": "p", "model": "google/gemini-3-pro-image-preview", "aspectRatio": "16:9", "resolution": "2K",
               "reasoning": "high", "provider": {"order": ["google-vertex"], "allow_fallbacks": false}, "models": ["google/gemini-2.5-flash-image"]},
              {"id": "chat-edit", "prompt": "p", "model": "black-forest-labs/flux.2-pro", "inputImages": "ref.png", "imageConfig": {"aspect_ratio": "3:2"}},
              {"id": "img-full", "api": "images", "prompt": "p", "model": "openai/gpt-5-image", "count": 2, "aspectRatio": "3:2",
               "resolution": "1K", "seed": 7, "quality": "high", "outputFormat": "webp", "background": "opaque", "inputImages": "ref.png",
               "provider": {"order": ["openai"]}},
              {"id": "img-size", "api": "images", "prompt": "p", "model": "bytedance-seed/seedream-4.5", "size": "2048x2048"},
              {"id": "say", "type": "tts", "text": "Hello there.", "speed": 1.25, "provider": {"options": {"openai": {"instructions": "calm"}}},
               "model": "openai/gpt-4o-mini-tts-2025-12-15", "voice": "nova"},
              {"id": "say-pcm", "type": "tts", "text": "Hello.", "format": "pcm"}
            ]}
            """, in: folder)
        #expect(summary.failed == 0, "\(summary.failures.map { "\($0.taskID): \($0.result)" })")
        let requests = server.requests()
        let byPath = Dictionary(grouping: requests, by: \.path)
        #expect(byPath["/chat/completions"]?.count == 3)
        #expect(byPath["/images"]?.count == 2)
        #expect(byPath["/audio/speech"]?.count == 2)
        try check(byPath["/chat/completions"]!.map(\.body), schema: "ChatRequest", in: folder)
        try check(byPath["/images"]!.map(\.body), schema: "ImageGenerationRequest", in: folder)
        try check(byPath["/audio/speech"]!.map(\.body), schema: "SpeechRequest", in: folder)
    }

    @Test func theCheckerItselfRejectsAWrongBody() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let spec = Self.specPath
        let wrong = folder.write("wrong.json", #"{"model": "a/b", "prompt": "p", "input_references": ["data:image/png;base64,AA=="], "n": "two"}"#)
        var repo = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { repo.deleteLastPathComponent() }
        let result = try runTool(Self.python, [repo.appendingPathComponent("scripts/openapi-check.py").path, spec, "ImageGenerationRequest", wrong])
        #expect(result.status == 1)
        #expect(result.stdout.contains("input_references/0"))
        #expect(result.stdout.contains("n"))
    }
}
