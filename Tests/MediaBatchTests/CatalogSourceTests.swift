import FakeOpenRouter
import Foundation
import Tasks
import Testing
import TestSupport

/// Issue 14, the catalog is the source of truth: `validate`, `plan` and `run` fetch the model
/// lists when the cache is missing or stale, use the cache offline, and say when checks were weaker.
@Suite struct CatalogSourceTests {
    let misspelled = #"{"tasks": [{"id": "a", "prompt": "p", "model": "google/gemini-2.5-flash-imag"}]}"#

    @Test func aMissingCacheIsFetchedAndAMisspelledModelIsAnError() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", misspelled)
        let environment = ["OPENROUTER_API_KEY": "k", "XDG_CACHE_HOME": folder.path + "/cache"]
        let result = try runCLI(["validate", "m.json", "--base-url", server.baseURL], environment: environment, in: folder.path)
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("has no such model (did you mean google/gemini-2.5-flash-image?)"))
        #expect(server.requests().map(\.path).sorted() == ["/images/models", "/models", "/videos/models"])
        #expect(FileManager.default.fileExists(atPath: folder.path + "/cache/mediabatch/models.json"))

        // The fresh cache serves the next run without asking again.
        let again = try runCLI(["plan", "m.json", "--base-url", server.baseURL], environment: environment, in: folder.path)
        #expect(again.status == 65)
        #expect(server.requests().count == 3)
    }

    @Test func aStaleCacheIsFetchedAgainAndServesWhenOffline() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", misspelled)
        let stale = FakeModelLists.cacheDocument(fetched: Int(Date().timeIntervalSince1970) - 3 * 86400)
        folder.write("cache/mediabatch/models.json", stale)
        let environment = ["OPENROUTER_API_KEY": "k", "XDG_CACHE_HOME": folder.path + "/cache"]

        // Offline (nothing listens on port 9): the stale lists still check, and the user is told their age.
        let offline = try runCLI(["validate", "m.json", "--base-url", "http://127.0.0.1:9"], environment: environment, in: folder.path)
        #expect(offline.status == 65)
        #expect(offline.stderr.contains("cannot fetch OpenRouter's model lists"))
        #expect(offline.stderr.contains("cached ones from 3 d ago"))

        let online = try runCLI(["validate", "m.json", "--base-url", server.baseURL], environment: environment, in: folder.path)
        #expect(online.status == 65)
        #expect(server.requests().map(\.path).sorted() == ["/images/models", "/models", "/videos/models"])
        let cached = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/cache/mediabatch/models.json"))) as? [String: Any])
        #expect((cached["fetched"] as? Int ?? 0) > Int(Date().timeIntervalSince1970) - 600)
    }

    @Test func withNoListsAtAllTheWeakerChecksAreSaidPlainly() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", misspelled)
        let environment = ["OPENROUTER_API_KEY": "k", "XDG_CACHE_HOME": folder.path + "/empty"]
        let result = try runCLI(["validate", "m.json", "--base-url", "http://127.0.0.1:9"], environment: environment, in: folder.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("checks were weaker"))
        #expect(result.stderr.contains("model names"))
        let offline = try runCLI(["plan", "m.json", "--offline", "--summary"], environment: environment, in: folder.path)
        #expect(offline.status == 0)
        #expect(offline.stderr.contains("--offline, and no cached model lists: checks were weaker"))
    }

    /// Offline, the built-in table stands in, and knows today's slugs.
    @Test func theOfflineTableKnowsTodaysSlugs() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let tasks = imageTasks(try plan("""
            {"tasks": [
              {"id": "release", "prompt": "p", "model": "google/gemini-3.1-flash-image", "aspectRatio": "1:4", "resolution": "0.5K"},
              {"id": "gpt", "prompt": "p", "model": "openai/gpt-image-2"},
              {"id": "gem", "prompt": "p", "model": "openai/gpt-5.4-image-2"}
            ]}
            """, in: folder))
        #expect(tasks.map(\.modalities) == [["image", "text"], ["image"], ["image", "text"]])
    }
}
