import FakeOpenRouter
import Foundation
import HTTP
import Media
import OpenRouter
import Support
import Tasks
import Testing
import TestSupport

/// Issue 14, requests that fit each model: modalities, image hints, endpoint details.
@Suite struct ModelRequestTests {
    func task(_ model: String, modalities: [String] = ["image", "text"]) -> ImageTask {
        ImageTask(
            id: "t", manifestName: "m", origin: TaskOrigin(file: "m.json", line: 1), output: OutputTarget(folder: "/nonexistent", baseName: "t"),
            prompt: "a fox", model: ModelRef(model)!, aspectRatio: nil, resolution: nil, imageConfig: nil, provider: nil,
            fallbackModels: nil, inputImages: [], variant: 1, modalities: modalities)
    }

    @Test func theModalities404IsRetriedOnceWithImageOnlyAndRememberedForTheRun() throws {
        let server = try startFake()
        defer { server.stop() }
        let client = OpenRouterClient(endpoint: OpenRouterEndpoint(baseURL: server.baseURL, apiKey: "k"))
        let connection = try HTTPConnection()
        // The offline rule would not know this model writes images only: the answer teaches it.
        let first = try client.generateImages(task("black-forest-labs/flux.2-pro"), references: [], placement: ImagePlacement(), on: connection, into: ByteArray())
        #expect(first.images.count == 1)
        let second = try client.generateImages(task("black-forest-labs/flux.2-pro"), references: [], placement: ImagePlacement(), on: connection, into: ByteArray())
        #expect(second.images.count == 1)
        let sent = server.requests().compactMap { $0.json()?["modalities"] as? [String] }
        #expect(sent == [["image", "text"], ["image"], ["image"]])
        #expect(client.modalities.isImageOnly("black-forest-labs/flux.2-pro"))
        // A model that writes text keeps both, and any other 404 is not retried.
        _ = try client.generateImages(task("google/gemini-2.5-flash-image"), references: [], placement: ImagePlacement(), on: connection, into: ByteArray())
        #expect(server.requests().last?.json()?["modalities"] as? [String] == ["image", "text"])
        #expect(server.requests().allSatisfy { $0.header("x-openrouter-cache") == "false" })
    }

    @Test func hintsAreSentWhereTheCatalogSaysAndRefusedWithTheFixElsewhere() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        // The seeded cache is the fake's catalog: flux.2-flex takes hints only on /images, Grok Imagine nowhere.
        folder.write("m.json", """
            {"name": "hints", "tasks": [
              {"id": "flex", "prompt": "p", "model": "black-forest-labs/flux.2-flex", "aspectRatio": "16:9"},
              {"id": "grok", "prompt": "p", "model": "x-ai/grok-imagine-image", "resolution": "2K"},
              {"id": "auto", "prompt": "p", "model": "openrouter/auto", "aspectRatio": "16:9"},
              {"id": "think", "api": "images", "prompt": "p", "model": "openai/gpt-image-2", "reasoning": "high"},
              {"id": "effort", "prompt": "p", "model": "google/gemini-2.5-flash-image", "reasoning": "xhigh"}
            ]}
            """)
        let refused = try runCLI(["validate", "m.json"], in: folder.path)
        #expect(refused.status == 65)
        #expect(refused.stderr.contains(#"tasks[0].aspectRatio = "16:9": black-forest-labs/flux.2-flex takes aspect ratio and resolution only on the /images endpoint; set "api": "auto""#))
        #expect(refused.stderr.contains("tasks[1].resolution = \"2K\": x-ai/grok-imagine-image takes no aspect ratio or resolution"))
        #expect(refused.stderr.contains("tasks[2].aspectRatio = \"16:9\": openrouter/auto picks a model per prompt"))
        #expect(refused.stderr.contains("tasks[3].reasoning = \"high\": reasoning applies to the chat path only"))
        #expect(!refused.stderr.contains("tasks[4]"))

        folder.write("m.json", """
            {"name": "hints", "tasks": [
              {"id": "flex", "api": "auto", "prompt": "p", "model": "black-forest-labs/flux.2-flex", "aspectRatio": "16:9"},
              {"id": "pro", "prompt": "p", "model": "black-forest-labs/flux.2-pro", "aspectRatio": "16:9", "resolution": "2K"},
              {"id": "gpt", "prompt": "p", "model": "openai/gpt-5.4-image-2", "aspectRatio": "21:9", "resolution": "2K"},
              {"id": "gem", "prompt": "p", "model": "google/gemini-3.1-flash-image", "aspectRatio": "1:4", "resolution": "0.5K"}
            ]}
            """)
        let result = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(server.requests().first { $0.path == "/images" }?.json()?["aspect_ratio"] as? String == "16:9")
        let chat = server.requests().filter { $0.path == "/chat/completions" }.compactMap { $0.json() }
        #expect(chat.count == 3)
        #expect(chat.allSatisfy { $0["image_config"] is [String: String] })
        func size(_ name: String) -> (Int, Int)? { pngSize(folder.path + "/out/hints/\(name).png") }
        #expect(size("flex")! == (1344, 768))
        #expect(size("pro")! == (2688, 1536))
        #expect(size("gpt")! == (3072, 1344))
        #expect(size("gem")! == (256, 1024))
        let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/hints/pro.png.json"))) as? [String: Any])
        let returned = try #require(sidecar["returned"] as? [String: Any])
        #expect(returned["width"] as? Int == 2688 && returned["height"] as? Int == 1536)
        #expect(sidecar["sizeMismatch"] == nil)
        #expect((sidecar["parameters"] as? [String: Any])?["modalities"] as? [String] == ["image"])
    }

    @Test func aPixelSizeThatDiffersFromTheAskIsRecorded() {
        var asked = task("x-ai/grok-imagine-image")
        asked = ImageTask(
            id: "t", manifestName: "m", origin: asked.origin, output: asked.output, prompt: "p", model: asked.model,
            aspectRatio: "16:9", resolution: "2K", imageConfig: nil, provider: nil, fallbackModels: nil, inputImages: [], variant: 1)
        #expect(SizeCheck.mismatch(asked, width: 2688, height: 1536) == nil)
        #expect(SizeCheck.mismatch(asked, width: 1024, height: 1024) == "asked 16:9 2K, got 1024x1024 (aspect ratio and resolution differ)")
        #expect(SizeCheck.mismatch(task("x-ai/grok-imagine-image"), width: 1024, height: 1024) == nil)
    }

    @Test func fewerImagesThanNOnImagesAreAskedForAgainAndTheIdComesFromTheHeader() throws {
        let server = try startFake()
        defer { server.stop() }
        let client = OpenRouterClient(endpoint: OpenRouterEndpoint(baseURL: server.baseURL, apiKey: "k"))
        var asked = task("bytedance-seed/seedream-4.5")
        asked = ImageTask(
            id: "t", manifestName: "m", origin: asked.origin, output: asked.output, prompt: "a fox #fake:images=1", model: asked.model,
            aspectRatio: nil, resolution: nil, imageConfig: nil, provider: nil, fallbackModels: nil, inputImages: [], variant: 1,
            api: .images, imagesPerRequest: 3)
        let result = try client.generateImages(asked, references: [], placement: ImagePlacement(), on: try HTTPConnection(), into: ByteArray())
        #expect(result.images.count == 3)
        let sent = server.requests().filter { $0.path == "/images" }.compactMap { $0.json() }
        #expect(sent.map { $0["n"] as? Int ?? 1 } == [3, 2, 1])
        #expect(sent.allSatisfy { $0["reasoning"] == nil })
        // Every request's generation id is kept, in request order, and each one's cost counted.
        let ids = try #require(result.generationID).split(separator: ",").map(String.init)
        #expect(ids.count == 3)
        #expect(Set(ids).count == 3)
        #expect(ids.allSatisfy { $0.hasPrefix("gen-") })
        #expect(abs((result.cost ?? 0) - 3 * 0.04) < 1e-9)
    }
    /// Through a run: the journal's `done` record and every sidecar carry each request's
    /// generation id, and the record counts what all of them cost (what the fake billed).
    @Test func aRunKeepsEveryTopUpRequestsGenerationAndCost() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("m.json", """
            {"name": "short", "tasks": [{"id": "s", "api": "images", "prompt": "a fox #fake:images=1", "model": "bytedance-seed/seedream-4.5", "count": 3}]}
            """)
        let result = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(server.requests().filter { $0.path == "/images" }.count == 3)
        let done = try #require(JournalLines(path: folder.path + "/out/short/.mediabatch/journal.jsonl").records("done").first)
        let ids = (done["generation"] as? String ?? "").split(separator: ",").map(String.init)
        #expect(ids.count == 3 && Set(ids).count == 3, "\(done)")
        #expect(ids.allSatisfy { $0.hasPrefix("gen-") })
        #expect(abs((done["cost"] as? Double ?? 0) - server.stats().billedCost) < 1e-9)
        #expect(server.stats().billedGenerations == 3)
        for image in ["s-1.png", "s-2.png", "s-3.png"] {
            let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/short/\(image).json"))) as? [String: Any])
            #expect(sidecar["generation"] as? String == ids.joined(separator: ","))
        }
    }
    /// A model that ignored a hint: the mismatch is recorded everywhere a user looks: the
    /// sidecar, the PNG's text chunk (the returned size beside the sent fields), report.json,
    /// the gallery card and the task's `done` line; an image that matches says nothing of it.
    @Test func aSizeMismatchIsRecordedInTheReportGalleryProgressAndPNGText() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("m.json", """
            {"name": "sizes", "tasks": [
              {"id": "wide", "prompt": "a fox #fake:ignore-hints", "model": "google/gemini-2.5-flash-image", "aspectRatio": "16:9"},
              {"id": "fits", "prompt": "a hare", "model": "google/gemini-2.5-flash-image", "aspectRatio": "16:9"}
            ]}
            """)
        let result = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        #expect(result.status == 0, "\(result.stderr)")
        let mismatch = "asked 16:9, got 1024x1024 (aspect ratio differ)"
        let doneLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("done ") }
        #expect(doneLines.contains { $0.hasPrefix("done wide") && $0.hasSuffix("size differs: " + mismatch) }, "\(result.stderr)")
        #expect(doneLines.contains { $0.hasPrefix("done fits") && !$0.contains("size differs") })

        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/sizes/.mediabatch/report.json"))) as? [String: Any])
        let tasks = try #require(report["tasks"] as? [[String: Any]])
        let wide = try #require(tasks.first { $0["id"] as? String == "wide" })
        #expect(wide["sizeMismatch"] as? String == mismatch)
        let returned = try #require((wide["returned"] as? [[String: Any]])?.first)
        #expect(returned["width"] as? Int == 1024 && returned["height"] as? Int == 1024 && returned["format"] as? String == "png")
        #expect(returned["path"] as? String == "wide.png")
        let fits = try #require(tasks.first { $0["id"] as? String == "fits" })
        #expect(fits["sizeMismatch"] == nil)
        #expect((fits["returned"] as? [[String: Any]])?.first?["width"] as? Int == 1344)

        let gallery = try String(contentsOfFile: folder.path + "/out/sizes/index.html", encoding: .utf8)
        #expect(gallery.contains("<div class=\"mismatch\">asked 16:9, got 1024×1024 (aspect ratio differ)</div>"))
        #expect(gallery.components(separatedBy: "class=\"mismatch\"").count == 2)  // the style rule and the one card

        let png = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/sizes/wide.png"))
        #expect(png.range(of: Data("Aspect ratio: 16:9, Generator: mediabatch (OpenRouter /chat/completions), Returned size: 1024x1024  ".utf8)) != nil)
        let fitting = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/sizes/fits.png"))
        #expect(fitting.range(of: Data("Returned size: 1344x768   ".utf8)) != nil)
        let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/sizes/wide.png.json"))) as? [String: Any])
        #expect(sidecar["sizeMismatch"] as? String == mismatch)
    }
}


