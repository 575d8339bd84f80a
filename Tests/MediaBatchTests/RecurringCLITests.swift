import FakeOpenRouter
import Foundation
import Testing
import TestSupport

/// The command line of recurring runs: `--var`, a manifest on standard input, `--utc`
/// built-ins, `--keep-going` over a jobs folder with a non-manifest JSON file in it.
@Suite struct RecurringCLITests {
    @Test func varSettingsAndAManifestFromStandardInput() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("m.json", #"{"tasks": [{"id": "{subject}-{date}", "prompt": "A {subject}", "model": "google/gemini-2.5-flash-image"}]}"#)
        let script = "exec \"$0\" run - --var subject=cat --var date=2026-01-02 --output-root out --base-url \"$1\" < m.json"
        let result = try runTool("/bin/sh", ["-c", script, mediabatchExecutable(), server.baseURL], environment: ["OPENROUTER_API_KEY": "k"], in: folder.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(folder.files(under: "out") == ["stdin/cat-2026-01-02.png"])
        let bad = try runCLI(["validate", "m.json", "--var", "no-equals-sign"], in: folder.path)
        #expect(bad.status == 64, "\(bad.stderr)")
    }

    @Test func keepGoingRunsTheValidManifestsAndExits65AtTheEnd() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("jobs/a.json", #"{"name": "a", "tasks": [{"id": "one", "prompt": "p", "model": "google/gemini-2.5-flash-image"}]}"#)
        folder.write("jobs/b.json", #"{"name": "b", "tasks": [{"id": "two", "prompt": "q", "model": "google/gemini-2.5-flash-image", "count": 0}]}"#)
        folder.write("jobs/defaults.json", #"{"defaults": {"image": {"model": "google/gemini-2.5-flash-image"}}}"#)
        let strict = try runCLI(["run", "jobs", "--output-root", "out", "--base-url", server.baseURL], environment: ["OPENROUTER_API_KEY": "k"], in: folder.path)
        #expect(strict.status == 65)
        #expect(folder.files(under: "out").isEmpty)
        #expect(strict.stderr.contains("defaults.json: skipped"), "\(strict.stderr)")
        let result = try runCLI(["run", "jobs", "--keep-going", "--output-root", "out", "--base-url", server.baseURL],
                                environment: ["OPENROUTER_API_KEY": "k"], in: folder.path)
        #expect(result.status == 65, "\(result.stderr)")
        #expect(folder.files(under: "out") == ["a/one.png"])
        #expect(result.stderr.contains("b.json:1: tasks[0].count"), "\(result.stderr)")
        #expect(result.stderr.contains("defaults.json: skipped"), "\(result.stderr)")
    }

    @Test func keepGoingLeavesOutTheLaterOfTwoManifestsThatWriteTheSameFile() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("jobs/a.json", #"{"name": "shared", "tasks": [{"id": "one", "prompt": "a fox", "model": "google/gemini-2.5-flash-image"}]}"#)
        folder.write("jobs/c.json", #"{"name": "shared", "tasks": [{"id": "one", "prompt": "an owl", "model": "google/gemini-2.5-flash-image"}, {"id": "two", "prompt": "a hare", "model": "google/gemini-2.5-flash-image"}]}"#)
        let result = try runCLI(["run", "jobs", "--keep-going", "--output-root", "out", "--base-url", server.baseURL],
                                environment: ["OPENROUTER_API_KEY": "k"], in: folder.path)
        #expect(result.status == 65, "\(result.stderr)")
        #expect(folder.files(under: "out/shared").filter { $0.hasSuffix(".png") } == ["one.png"])
        #expect(result.stderr.contains("c.json") && result.stderr.contains("the same file"), "\(result.stderr)")
        // The manifest left out sent nothing: one image, the fox.
        let prompts = server.requests().filter { $0.path == "/chat/completions" }.compactMap { request in
            ((request.json()?["messages"] as? [[String: Any]])?.first?["content"] as? String)
        }
        #expect(prompts.count == 1 && prompts.first?.contains("fox") == true, "\(prompts)")
    }
}
