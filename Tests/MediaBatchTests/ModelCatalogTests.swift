import FakeOpenRouter
import Foundation
import Tasks
import Testing
import TestSupport

@Suite struct ModelCatalogTests {
    /// Fetches the lists through the CLI into a private cache folder.
    func cacheModels(_ server: FakeOpenRouterServer, in folder: TempFolder) throws -> [String: String] {
        let environment = ["OPENROUTER_API_KEY": "k", "XDG_CACHE_HOME": folder.path + "/cache"]
        let listed = try runCLI(["models", "--base-url", server.baseURL], environment: environment, in: folder.path)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("google/gemini-2.5-flash-image\timage"))
        #expect(listed.stdout.contains("hexgrad/kokoro-82m\tspeech"))
        #expect(listed.stdout.contains("af_bella"))
        #expect(FileManager.default.fileExists(atPath: folder.path + "/cache/mediabatch/models.json"))
        return environment
    }

    @Test func theCachedListsRejectWhatAModelCannotDoBeforeAnyRequest() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let environment = try cacheModels(server, in: folder)
        let fetched = server.requests().count
        folder.write("m.json", """
            {"tasks": [
              {"id": "a", "prompt": "p", "model": "google/nano-nonexistent"},
              {"id": "b", "prompt": "p", "model": "hexgrad/kokoro-82m"},
              {"id": "c", "api": "images", "prompt": "p", "model": "google/gemini-2.5-flash-image", "resolution": "4K", "quality": "high"},
              {"id": "d", "type": "tts", "text": "hi", "voice": "nova"}
            ]}
            """)
        let result = try runCLI(["run", "m.json", "--base-url", server.baseURL], environment: environment, in: folder.path)
        #expect(result.status == 65)
        #expect(result.stderr.contains("tasks[0].model = \"google/nano-nonexistent\""))
        #expect(result.stderr.contains("tasks[1].model = \"hexgrad/kokoro-82m\": this model does not output images"))
        #expect(result.stderr.contains("tasks[2].resolution = \"4K\""))
        #expect(result.stderr.contains("tasks[2].quality"))
        #expect(result.stderr.contains("tasks[3].voice = \"nova\""))
        #expect(server.requests().count == fetched)

        // Without the cache the same manifest gets only the offline checks: the unknown model passes validation.
        let offline = try runCLI(["validate", "m.json", "--offline"], environment: ["XDG_CACHE_HOME": folder.path + "/empty"], in: folder.path)
        #expect(!offline.stderr.contains("tasks[0].model"))
        #expect(!offline.stderr.contains("tasks[3].voice"))
        #expect(offline.status == 0, "\(offline.stderr)")
    }

    @Test func autoPicksTheImagesPathAndModalitiesComeFromTheList() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let environment = try cacheModels(server, in: folder)
        server.reset()
        folder.write("m.json", """
            {"name": "auto", "tasks": [
              {"id": "seed", "api": "auto", "prompt": "p", "model": "bytedance-seed/seedream-4.5", "count": 2},
              {"id": "router", "api": "auto", "prompt": "q", "model": "openrouter/auto"},
              {"id": "gem", "prompt": "r", "model": "google/gemini-2.5-flash-image"}
            ]}
            """)
        let result = try runCLI(["run", "m.json", "--base-url", server.baseURL], environment: environment, in: folder.path)
        #expect(result.status == 0, "\(result.stderr)")
        let byPath = Dictionary(grouping: server.requests(), by: \.path)
        let images = try #require(byPath["/images"]?.compactMap { $0.json() })
        #expect(images.count == 1)
        #expect(images.first?["n"] as? Int == 2)
        let chat = byPath["/chat/completions"]?.compactMap { $0.json() } ?? []
        #expect(chat.count == 2)  // openrouter/auto is not on /images; gem stays on chat (no api given)
        #expect(chat.allSatisfy { ($0["modalities"] as? [String]) == ["image", "text"] })
        #expect(folder.files(under: "output/auto") == ["gem.png", "router.png", "seed-1.png", "seed-2.png"])
    }

    @Test func planEstimatesCostFromCachedPricesAndNeverSaysZeroForUnknown() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", """
            {"tasks": [{"id": "a", "prompt": "p", "model": "google/gemini-2.5-flash-image", "count": 3},
                       {"id": "b", "prompt": "p", "model": "openrouter/auto"}]}
            """)
        let offline = try runCLI(["plan", "m.json", "--summary", "--offline"], environment: ["XDG_CACHE_HOME": folder.path + "/none"], in: folder.path)
        #expect(offline.status == 0)
        #expect(offline.stdout.contains("estimated cost unknown"))  // totals go to stdout (issue 16)
        #expect(!offline.stdout.contains("$0.0000"))

        let environment = try cacheModels(server, in: folder)
        // The lists are cached for the fake's base URL: a plan for it prices from them offline.
        let priced = try runCLI(["plan", "m.json", "--json", "--offline", "--base-url", server.baseURL], environment: environment, in: folder.path)
        #expect(priced.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(priced.stdout.utf8)) as? [String: Any])
        #expect(document["requests"] as? Int == 4)
        let estimate = try #require(document["estimatedCost"] as? Double)
        #expect(abs(estimate - 3 * 0.039) < 1e-9)
        let tasks = try #require(document["tasks"] as? [[String: Any]])
        #expect(tasks.first { $0["id"] as? String == "b" }?["estimatedCost"] is NSNull)
        #expect(document["unpricedRequests"] as? Int == 1)
    }

    @Test func validateCanRefreshTheListsThroughTheSameConnectionOptions() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", #"{"tasks": [{"id": "a", "prompt": "p", "model": "google/nano-nonexistent"}]}"#)
        let environment = ["OPENROUTER_API_KEY": "k", "XDG_CACHE_HOME": folder.path + "/cache"]
        let plain = try runCLI(["validate", "m.json", "--offline"], environment: environment, in: folder.path)
        #expect(plain.status == 0)  // offline rules only
        let strict = try runCLI(["validate", "m.json", "--refresh-models", "--base-url", server.baseURL], environment: environment, in: folder.path)
        #expect(strict.status == 65)
        #expect(strict.stderr.contains("has no such model"))
        #expect(server.requests().map(\.path).sorted() == ["/images/models", "/models", "/videos/models"])
    }

    /// `plan` and `models` read prices through the same accessors: "-1" (varies) is no price.
    @Test func pricesVaryingOrMissingAreUnknownNotZero() {
        func model(_ pricing: [String: String]) -> ModelCatalog.Model {
            ModelCatalog.Model(id: "a/b", outputModalities: ["image"], voices: [], pricing: pricing)
        }
        #expect(model(["image_output": "0.04"]).pricePerImage == 0.04)
        #expect(model(["image": "0.02"]).pricePerImage == nil)  // `image` prices an INPUT image
        #expect(model(["image_output": "-1"]).pricePerImage == nil)
        #expect(model([:]).pricePerImage == nil)
        #expect(model(["prompt": "0.000015"]).pricePerCharacter == 0.000015)
        #expect(model(["prompt": "-1"]).pricePerCharacter == nil)
    }
}
