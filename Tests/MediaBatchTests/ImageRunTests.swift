import FakeOpenRouter
import Foundation
import Media
import OpenRouter
import Support
import Tasks
import Testing
import TestSupport

@Suite struct ImageRunTests {
    @Test func geminiFluxAndAutoRequestsAreShapedExactlyAndFilesAreValidPNGs() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let summary = try runAgainst(server, manifest: """
            {"name": "shapes", "tasks": [
              {"id": "gem", "prompt": "a fox", "model": "openrouter/google/gemini-3.1-flash-image-preview",
               "aspectRatio": "16:9", "resolution": "2K", "provider": {"order": ["google-vertex"]}},
              {"id": "flux", "prompt": "a fox", "model": "openrouter/black-forest-labs/flux.2-pro", "aspectRatio": "16:9",
               "imageConfig": {"style": "photo"}},
              {"id": "auto", "prompt": "a fox", "model": "openrouter/auto", "models": ["google/gemini-2.5-flash-image"]}
            ]}
            """, in: folder)
        #expect(summary.done == 3)
        #expect(summary.failed == 0)
        #expect(pngSize(folder.path + "/out/shapes/gem.png")! == (2688, 1536))
        #expect(pngSize(folder.path + "/out/shapes/flux.png")! == (1344, 768))
        #expect(pngSize(folder.path + "/out/shapes/auto.png")! == (1024, 1024))
        #expect(summary.cost > 0)

        let requests = server.requests().filter { $0.path == "/chat/completions" }
        #expect(requests.count == 3)
        func body(_ model: String) -> [String: Any]? { requests.compactMap { $0.json() }.first { $0["model"] as? String == model } }

        let gemini = try #require(body("google/gemini-3.1-flash-image-preview"))
        #expect(Set(gemini.keys) == ["model", "messages", "modalities", "image_config", "provider"])
        #expect(gemini["modalities"] as? [String] == ["image", "text"])
        #expect(gemini["image_config"] as? [String: String] == ["aspect_ratio": "16:9", "image_size": "2K"])
        #expect((gemini["provider"] as? [String: [String]])?["order"] == ["google-vertex"])
        let messages = try #require(gemini["messages"] as? [[String: Any]])
        #expect(messages.count == 1)
        #expect(messages[0]["role"] as? String == "user")
        #expect(messages[0]["content"] as? String == "a fox")

        let flux = try #require(body("black-forest-labs/flux.2-pro"))
        #expect(Set(flux.keys) == ["model", "messages", "modalities", "image_config"])
        #expect(flux["modalities"] as? [String] == ["image"])
        #expect(flux["image_config"] as? [String: String] == ["aspect_ratio": "16:9", "style": "photo"])

        let auto = try #require(body("openrouter/auto"))
        #expect(Set(auto.keys) == ["model", "messages", "modalities", "models"])
        #expect(auto["modalities"] as? [String] == ["image", "text"])
        #expect(auto["models"] as? [String] == ["google/gemini-2.5-flash-image"])

        for request in requests {
            #expect(request.header("authorization") == "Bearer test-key")
            #expect(request.header("content-type") == "application/json")
            #expect(request.header("http-referer") == nil)
            #expect(request.header("x-openrouter-title") == nil)
            #expect(request.header("x-openrouter-categories") == nil)
            #expect(request.method == "POST")
        }
    }

    @Test func attributionHeadersOnlyForTheRealOpenRouter() {
        let official = OpenRouterEndpoint(baseURL: "https://openrouter.ai/api/v1/", apiKey: "k").headers(category: "image-gen")
        #expect(official.contains { $0.name == "HTTP-Referer" })
        #expect(official.contains { $0.name == "X-OpenRouter-Title" && $0.value == "mediabatch" })
        #expect(official.contains { $0.name == "X-OpenRouter-Categories" && $0.value == "image-gen" })
        for other in ["http://127.0.0.1:8080/api/v1", "https://proxy.example/api/v1", "https://openrouter.ai/api/v2"] {
            let headers = OpenRouterEndpoint(baseURL: other, apiKey: "k").headers(category: "image-gen")
            #expect(!headers.contains { $0.name.hasPrefix("X-OpenRouter") || $0.name == "HTTP-Referer" })
        }
    }

    @Test func inFlightRequestsNeverExceedTheBoundAndConnectionsAreReused() throws {
        let server = try startFake { $0.latency = 0.05 }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let summary = try runAgainst(server, manifest: """
            {"tasks": [{"id": "t", "prompt": "p", "model": "google/gemini-2.5-flash-image", "count": 24}]}
            """, in: folder, concurrency: 3)
        #expect(summary.done == 24)
        let stats = server.stats()
        #expect(stats.maxInFlight == 3)
        #expect(stats.connectionsAccepted <= 3)
        #expect(folder.files(under: "out/m").count == 24)
    }

    @Test func severalImagesPerResponseAreAllSaved() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let summary = try runAgainst(server, manifest: """
            {"tasks": [{"id": "multi", "prompt": "three please #fake:images=3", "model": "google/gemini-2.5-flash-image"}]}
            """, in: folder)
        #expect(summary.done == 1)
        #expect(folder.files(under: "out/m") == ["multi-1.png", "multi-2.png", "multi-3.png"])
        #expect(summary.files.count == 6)  // three images, three sidecars
        #expect(summary.files.map(\.size).allSatisfy { $0 > 100 })
        for file in summary.files {
            #expect(file.sha256 == SHA256.hex([UInt8](FileManager.default.contents(atPath: file.path)!)))
        }
    }

    @Test func bothSlashEscapingStylesDecode() throws {
        for escape in [true, false] {
            let server = try startFake { $0.escapeSlashes = escape }
            defer { server.stop() }
            let folder = TempFolder()
            defer { folder.remove() }
            let summary = try runAgainst(server, manifest: """
                {"tasks": [{"id": "x", "prompt": "p", "model": "google/gemini-2.5-flash-image", "aspectRatio": "9:16"}]}
                """, in: folder)
            #expect(summary.done == 1)
            #expect(pngSize(folder.path + "/out/m/x.png")! == (768, 1344))
        }
    }

    @Test func aResponseWithoutImagesFailsAndWritesNothing() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let summary = try runAgainst(server, manifest: """
            {"tasks": [{"id": "refused", "prompt": "#fake:no-image", "model": "google/gemini-2.5-flash-image"},
                       {"id": "fine", "prompt": "ok", "model": "google/gemini-2.5-flash-image"}]}
            """, in: folder)
        #expect(summary.done == 1)
        #expect(summary.failed == 1)
        let failure = try #require(summary.failures.first)
        #expect(failure.taskID == "refused")
        guard case .failed(let reason) = failure.result else { Issue.record("not a failure"); return }
        // IMAGE_SAFETY is a soft refusal: tried once more, then recorded as refused.
        #expect(reason.kind == .refused)
        #expect(failure.attempts == 2)
        #expect(server.requests().filter { $0.path == "/chat/completions" && prompt(of: $0) == "#fake:no-image" }.count == 2)
        #expect(reason.details["native_finish_reason"] == "IMAGE_SAFETY")
        #expect(reason.details["text"]?.isEmpty == false)
        #expect(folder.files(under: "out/m") == ["fine.png"])
    }

    @Test func errorBodiesBecomeTaskErrorsWithCodeAndMessage() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let summary = try runAgainst(server, manifest: """
            {"tasks": [{"id": "bad", "prompt": "p", "model": "black-forest-labs/flux.2-pro", "imageConfig": {"aspect_ratio": "7:3"}},
                       {"id": "wrong", "prompt": "q #fake:mime-mismatch", "model": "google/gemini-2.5-flash-image"}]}
            """, in: folder)
        #expect(summary.failed == 2)
        let reasons = Dictionary(uniqueKeysWithValues: summary.failures.compactMap { outcome -> (String, TaskFailure)? in
            if case .failed(let failure) = outcome.result { return (outcome.taskID, failure) } else { return nil }
        })
        #expect(reasons["bad"]?.status == 400)
        #expect(reasons["bad"]?.kind == .permanent)
        #expect(reasons["bad"]?.message.isEmpty == false)
        #expect(reasons["wrong"]?.message.contains("claims image/jpeg") == true)
        #expect(folder.files(under: "out").isEmpty)
        #expect(server.requests().count == 2)
    }

    @Test func referenceImagesTravelAsDataURLs() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 40)
        _ = folder.write("ref.png", bytes: png)
        let summary = try runAgainst(server, manifest: """
            {"tasks": [{"id": "edit", "prompt": "make it blue", "model": "google/gemini-2.5-flash-image", "inputImages": "ref.png"}]}
            """, in: folder)
        #expect(summary.done == 1)
        let body = try #require(server.requests().first?.json())
        let content = try #require((body["messages"] as? [[String: Any]])?.first?["content"] as? [[String: Any]])
        #expect(content.count == 2)
        #expect(content[0]["type"] as? String == "text")
        #expect(content[0]["text"] as? String == "make it blue")
        #expect(content[1]["type"] as? String == "image_url")
        let url = try #require((content[1]["image_url"] as? [String: String])?["url"])
        #expect(url == "data:image/png;base64," + String(decoding: Base64.encode(png), as: UTF8.self))
    }
}

@Suite struct MetadataTests {
    @Test func pngsCarryTheirPromptAndEveryFileHasASidecar() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let summary = try runAgainst(server, manifest: """
            {"name": "meta", "tasks": [
              {"id": "fox", "prompt": "A watercolor fox — “snow”", "model": "google/gemini-2.5-flash-image", "aspectRatio": "4:3"},
              {"id": "say", "type": "tts", "text": "Hello."}
            ]}
            """, in: folder)
        #expect(summary.done == 2)
        let png = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/meta/fox.png"))
        #expect(pngSize(folder.path + "/out/meta/fox.png")! == (1184, 864))  // still a valid PNG, CRCs and all
        #expect(png.range(of: Data("iTXtparameters".utf8)) != nil)
        #expect(png.range(of: Data("A watercolor fox — “snow”\nModel: google/gemini-2.5-flash-image, Aspect ratio: 4:3".utf8)) != nil)

        let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/meta/fox.png.json"))) as? [String: Any])
        #expect(sidecar["prompt"] as? String == "A watercolor fox — “snow”")
        #expect(sidecar["model"] as? String == "google/gemini-2.5-flash-image")
        #expect((sidecar["parameters"] as? [String: Any])?["aspectRatio"] as? String == "4:3")
        #expect(sidecar["generation"] as? String != nil)
        #expect((sidecar["cost"] as? Double ?? 0) > 0)
        #expect((sidecar["file"] as? [String: Any])?["sha256"] as? String == SHA256.hex([UInt8](png)))
        let written = summary.files.first { $0.path.hasSuffix("fox.png") }
        #expect(written?.sha256 == SHA256.hex([UInt8](png)))

        let speech = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/meta/say.mp3.json"))) as? [String: Any])
        #expect(speech["text"] as? String == "Hello.")
        #expect(speech["voice"] as? String == "af_alloy")
    }

    @Test func sidecarsCanBeTurnedOff() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        _ = try runAgainst(server, manifest: #"{"tasks": [{"id": "x", "prompt": "p", "model": "google/gemini-2.5-flash-image"}]}"#, in: folder) {
            $0.sidecars = false
        }
        // (The gallery's thumbnail of x.png is the one file under .mediabatch/thumbs/.)
        #expect(folder.allFiles(under: "out/m").filter { !$0.hasPrefix(".mediabatch/thumbs/") }
            == [".mediabatch/journal.index", ".mediabatch/journal.jsonl", ".mediabatch/report.json", ".mediabatch/results.csv", "index.html", "x.png"])
    }
}

@Suite struct GalleryTests {
    @Test func theGalleryShowsEveryFileWithItsPromptAndEveryFailure() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let summary = try runAgainst(server, manifest: """
            {"name": "look", "tasks": [
              {"id": "fox", "prompt": "A <fox> & \\"friends\\"", "model": "google/gemini-2.5-flash-image", "count": 2},
              {"id": "say", "type": "tts", "text": "Narration text here."},
              {"id": "bad", "prompt": "#fake:status=400", "model": "google/gemini-2.5-flash-image"}
            ]}
            """, in: folder)
        #expect(summary.done == 3)
        let html = try String(contentsOfFile: folder.path + "/out/look/index.html", encoding: .utf8)
        // Every image and the mp3 are shown, from files that exist.
        // Images link to their files and show thumbnails; the mp3 plays from its file.
        let links = html.components(separatedBy: "href=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(Set(links) == ["fox-1.png", "fox-2.png"])
        let sources = html.components(separatedBy: "src=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(sources.filter { $0.hasPrefix(".mediabatch/thumbs/") && $0.hasSuffix(".jpg") }.count == 2)
        #expect(sources.contains("say.mp3"))
        for source in sources + links { #expect(FileManager.default.fileExists(atPath: folder.path + "/out/look/" + source)) }
        #expect(html.contains("A &lt;fox&gt; &amp; &quot;friends&quot;"))
        #expect(!html.contains("<fox>"))
        #expect(html.contains("<audio controls"))
        #expect(html.contains("Narration text here."))
        #expect(html.contains("<b>bad</b>"))
        #expect(html.contains("HTTP 400"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("http://") && !html.contains("https://"))
    }
}

@Suite struct GalleryRebuildTests {
    @Test func aRerunThatDoesNothingLeavesTheGalleryAlone() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let manifest = #"{"tasks": [{"id": "x", "prompt": "p", "model": "google/gemini-2.5-flash-image"}]}"#
        _ = try runAgainst(server, manifest: manifest, in: folder)
        let gallery = folder.path + "/out/m/index.html"
        try "marker".write(toFile: gallery, atomically: true, encoding: .utf8)
        let rerun = try runAgainst(server, manifest: manifest, in: folder)
        #expect(rerun.alreadyDone == 1)
        #expect(try String(contentsOfFile: gallery, encoding: .utf8) == "marker")
        try FileManager.default.removeItem(atPath: gallery)
        _ = try runAgainst(server, manifest: manifest, in: folder)
        #expect(try String(contentsOfFile: gallery, encoding: .utf8).contains("x.png"))
    }
}
