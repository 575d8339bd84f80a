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
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
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
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("m.json", misspelled)
        func stale(for baseURL: String) {
            folder.write("cache/mediabatch/models.json", FakeModelLists.cacheDocument(fetched: Int(Date().timeIntervalSince1970) - 3 * 86400, baseURL: baseURL))
        }
        stale(for: "http://127.0.0.1:9")
        let environment = ["OPENROUTER_API_KEY": "k", "XDG_CACHE_HOME": folder.path + "/cache"]

        // Offline (nothing listens on port 9): the stale lists still check, and the user is told their age.
        let offline = try runCLI(["validate", "m.json", "--base-url", "http://127.0.0.1:9"], environment: environment, in: folder.path)
        #expect(offline.status == 65)
        #expect(offline.stderr.contains("cannot fetch OpenRouter's model lists"))
        #expect(offline.stderr.contains("cached ones from 3 d ago"))

        stale(for: server.baseURL)

        let online = try runCLI(["validate", "m.json", "--base-url", server.baseURL], environment: environment, in: folder.path)
        #expect(online.status == 65)
        #expect(server.requests().map(\.path).sorted() == ["/images/models", "/models", "/videos/models"])
        let cached = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/cache/mediabatch/models.json"))) as? [String: Any])
        #expect((cached["fetched"] as? Int ?? 0) > Int(Date().timeIntervalSince1970) - 600)
    }

    /// Lists cached from one base URL never check requests for another: a mismatch is "no
    /// cache" (fetched from the new one, or weaker checks said plainly when offline).
    @Test func theCacheServesOnlyTheBaseURLItCameFrom() throws {
        let first = try startFake()
        defer { first.stop() }
        let second = try startFake()
        defer { second.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", misspelled)
        let environment = ["OPENROUTER_API_KEY": "k", "XDG_CACHE_HOME": folder.path + "/cache"]
        let cacheFile = folder.path + "/cache/mediabatch/models.json"
        func recordedBaseURL() throws -> String? {
            let cached = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cacheFile))) as? [String: Any]
            return cached?["baseURL"] as? String
        }

        #expect(try runCLI(["validate", "m.json", "--base-url", first.baseURL], environment: environment, in: folder.path).status == 65)
        #expect(first.requests().count == 3)
        #expect(try recordedBaseURL() == first.baseURL)
        // Fresh and from the same base URL: used without asking again.
        #expect(try runCLI(["validate", "m.json", "--base-url", first.baseURL], environment: environment, in: folder.path).status == 65)
        #expect(first.requests().count == 3)

        // Fresh, but from the first fake: the second one is asked for its own lists.
        let other = try runCLI(["validate", "m.json", "--base-url", second.baseURL], environment: environment, in: folder.path)
        #expect(other.status == 65, "\(other.stderr)")
        #expect(other.stderr.contains("the cached model lists are from \(first.baseURL), not \(second.baseURL)"))
        #expect(second.requests().map(\.path).sorted() == ["/images/models", "/models", "/videos/models"])
        #expect(first.requests().count == 3)
        #expect(try recordedBaseURL() == second.baseURL)

        // Offline against the first again: the cache is the second's, so there are no lists,
        // and the weaker checks are said plainly (the misspelled model passes).
        let offline = try runCLI(["validate", "m.json", "--offline", "--base-url", first.baseURL], environment: environment, in: folder.path)
        #expect(offline.status == 0, "\(offline.stderr)")
        #expect(offline.stderr.contains("no model lists cached for \(first.baseURL): checks were weaker"))
        #expect(first.requests().count == 3)

        // A cache from before base URLs were recorded is no cache either.
        var legacy = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cacheFile))) as? [String: Any])
        legacy["baseURL"] = nil
        try JSONSerialization.data(withJSONObject: legacy).write(to: URL(fileURLWithPath: cacheFile))
        #expect(try runCLI(["validate", "m.json", "--base-url", second.baseURL], environment: environment, in: folder.path).status == 65)
        #expect(second.requests().count == 6)
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
        #expect(offline.stderr.contains("--offline, and no model lists cached for https://openrouter.ai/api/v1: checks were weaker"))
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
