import FakeOpenRouter
import Foundation
import Manifest
import ManifestDiagnostics
import Media
import Testing
import TestSupport

@Suite struct ImagesPathTests {
    @Test func theSameManifestThroughBothPathsWritesEquivalentFiles() throws {
        var results: [String: [String: (Int, Int)]] = [:]
        var requestCounts: [String: Int] = [:]
        for api in ["chat", "images"] {
            let server = try startFake()
            defer { server.stop() }
            let folder = TempFolder()
            defer { folder.remove() }
            let summary = try runAgainst(server, manifest: """
                {"name": "both", "defaults": {"image": {"api": "\(api)", "model": "openrouter/google/gemini-2.5-flash-image"}},
                 "tasks": [{"id": "fox", "prompt": "a fox", "aspectRatio": "16:9", "count": 3},
                           {"id": "owl", "prompt": "an owl", "aspectRatio": ["1:1", "9:16"]}]}
                """, in: folder)
            #expect(summary.done == (api == "chat" ? 5 : 3), "\(summary.failures.map { "\($0.result)" })")
            var sizes: [String: (Int, Int)] = [:]
            for file in folder.files(under: "out/both") { sizes[file] = pngSize(folder.path + "/out/both/" + file) }
            results[api] = sizes
            requestCounts[api] = server.requests().count
            if api == "images" {
                #expect(server.requests().allSatisfy { $0.path == "/images" })
                let fox = try #require(server.requests().compactMap { $0.json() }.first { $0["prompt"] as? String == "a fox" })
                #expect(fox["n"] as? Int == 3)
            }
        }
        let chat = try #require(results["chat"])
        let images = try #require(results["images"])
        #expect(chat.keys.sorted() == ["fox-1.png", "fox-2.png", "fox-3.png", "owl-1x1.png", "owl-9x16.png"])
        #expect(images.keys.sorted() == chat.keys.sorted())
        for (name, size) in chat {
            #expect(images[name]?.0 == size.0 && images[name]?.1 == size.1, "\(name)")
        }
        #expect(chat["fox-1.png"]! == (1344, 768))
        #expect(requestCounts["chat"] == 5)
        #expect(requestCounts["images"] == 3)
    }

    @Test func imagesRequestsCarryTheSchemaFieldsAndReferences() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 1, count: 16)
        _ = folder.write("ref.png", bytes: png)
        let summary = try runAgainst(server, manifest: """
            {"tasks": [
              {"id": "edit", "api": "images", "prompt": "make it blue", "model": "openai/gpt-5-image", "inputImages": ["ref.png"],
               "aspectRatio": "3:2", "resolution": "0.5K", "seed": 42, "quality": "high", "outputFormat": "png",
               "background": "transparent", "provider": {"options": {"openai": {"moderation": "low"}}}},
              {"id": "flux", "api": "images", "prompt": "a lake", "model": "black-forest-labs/flux.2-pro", "count": 2}
            ]}
            """, in: folder)
        #expect(summary.done == 3, "\(summary.failures.map { "\($0.result)" })")
        let bodies = server.requests().compactMap { $0.json() }
        let edit = try #require(bodies.first { $0["prompt"] as? String == "make it blue" })
        #expect(Set(edit.keys) == ["model", "prompt", "aspect_ratio", "resolution", "seed", "quality", "output_format", "background", "provider", "input_references"])
        #expect(edit["resolution"] as? String == "512")
        #expect(edit["seed"] as? Int == 42)
        let references = try #require(edit["input_references"] as? [[String: Any]])
        #expect(references.count == 1)
        #expect(references[0]["type"] as? String == "image_url")
        #expect((references[0]["image_url"] as? [String: String])?["url"] == "data:image/png;base64," + String(decoding: Base64.encode(png), as: UTF8.self))
        // Flux makes one image per request: count stays separate requests, with no n.
        let flux = bodies.filter { $0["model"] as? String == "black-forest-labs/flux.2-pro" }
        #expect(flux.count == 2)
        #expect(flux.allSatisfy { $0["n"] == nil })
        #expect(folder.files(under: "out/m") == ["edit.png", "flux-1.png", "flux-2.png"])
        let journal = try String(contentsOfFile: folder.path + "/out/m/.mediabatch/journal.jsonl", encoding: .utf8)
        #expect(journal.contains(#""seed":42"#))
    }

    @Test func reasoningGoesToThinkingModelsNeverToAuto() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        _ = try runAgainst(server, manifest: """
            {"defaults": {"image": {"reasoning": "high"}},
             "tasks": [{"id": "pro", "prompt": "p", "model": "google/gemini-3-pro-image-preview"},
                       {"id": "auto", "prompt": "q", "model": "openrouter/auto"}]}
            """, in: folder)
        let bodies = server.requests().compactMap { $0.json() }
        let pro = try #require(bodies.first { $0["model"] as? String == "google/gemini-3-pro-image-preview" })
        #expect((pro["reasoning"] as? [String: String])?["effort"] == "high")
        let auto = try #require(bodies.first { $0["model"] as? String == "openrouter/auto" })
        #expect(auto["reasoning"] == nil)
        for body in bodies { #expect(body["service_tier"] == nil && body["store"] == nil) }
    }

    @Test func optionsAreCheckedAgainstThePathBeforeAnyRequest() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let error = try #require(throws: ManifestError.self) {
            try plan("""
                {"tasks": [
                  {"id": "a", "prompt": "p", "model": "a/b", "seed": 3},
                  {"id": "b", "api": "images", "prompt": "p", "model": "a/b", "aspectRatio": "7:3", "resolution": "8K"},
                  {"id": "c", "api": "images", "prompt": "p", "model": "a/b", "background": "transparent", "outputFormat": "jpeg"},
                  {"id": "d", "api": "video", "prompt": "p", "model": "a/b", "size": "huge"}
                ]}
                """, in: folder)
        }
        let fields = error.issues.map(\.field)
        #expect(fields.contains("tasks[0].seed"))
        #expect(fields.contains("tasks[1].aspectRatio"))
        #expect(fields.contains("tasks[1].resolution"))
        #expect(fields.contains("tasks[2].background"))
        #expect(fields.contains("tasks[3].api"))
        #expect(fields.contains("tasks[3].size"))
    }
}

@Suite struct ReferenceExpansionTests {
    @Test func aTemplatedReferenceMultipliesTheTaskOverItsVariable() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let red: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1]
        let blue: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 2]
        _ = folder.write("photos/red.png", bytes: red)
        _ = folder.write("photos/blue.png", bytes: blue)
        _ = folder.write("style.png", bytes: red + [9])
        let summary = try runAgainst(server, manifest: """
            {"vars": {"shot": ["red", "blue"]},
             "tasks": [{"id": "edit", "prompt": "make it glossy", "model": "google/gemini-2.5-flash-image",
                        "inputImages": ["photos/{shot}.png", "style.png"]}]}
            """, in: folder)
        #expect(summary.done == 2)
        #expect(folder.files(under: "out/m") == ["edit-blue.png", "edit-red.png"])
        let urls = server.requests().compactMap { $0.json() }.map { body -> [String] in
            let content = (body["messages"] as? [[String: Any]])?.first?["content"] as? [[String: Any]] ?? []
            return content.compactMap { ($0["image_url"] as? [String: String])?["url"] }
        }
        func url(_ bytes: [UInt8]) -> String { "data:image/png;base64," + String(decoding: Base64.encode(bytes), as: UTF8.self) }
        #expect(Set(urls.map { $0.first ?? "" }) == [url(red), url(blue)])
        #expect(urls.allSatisfy { $0.count == 2 && $0[1] == url(red + [9]) })

        let error = try #require(throws: ManifestError.self) {
            try plan(#"{"vars": {"shot": ["red", "green"]}, "tasks": [{"id": "e", "prompt": "p", "model": "a/b", "inputImages": "photos/{shot}.png"}]}"#, in: folder)
        }
        #expect(error.issues.count == 1)
        #expect(error.issues[0].value == "\"photos/green.png\"")
    }
}
