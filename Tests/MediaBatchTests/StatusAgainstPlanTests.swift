import FakeOpenRouter
import Foundation
import Journal
import Testing
import TestSupport

/// Issue 16: `status` of an output folder, an output root or manifests; `plan` as a dry run.
@Suite struct StatusAgainstPlanTests {
    static let model = "google/gemini-2.5-flash-image"

    /// A batch run once with three tasks (two done, one failed), then grown by two tasks
    /// that have never started: what an interrupted batch looks like to its journal.
    private func grownBatch(_ server: FakeOpenRouterServer, _ folder: TempFolder) throws {
        folder.write("m.json", ##"{"name": "s", "tasks": [{"id": "ok", "prompt": "p", "model": "google/gemini-2.5-flash-image", "count": 2}, {"id": "bad", "prompt": "#fake:status=400", "model": "google/gemini-2.5-flash-image"}]}"##)
        let first = try runCLI(["run", "m.json", "--base-url", server.baseURL, "-q"], environment: runEnvironment, in: folder.path)
        try #require(first.status == 1, "\(first.stderr)")
        folder.write("m.json", ##"{"name": "s", "tasks": [{"id": "ok", "prompt": "p", "model": "google/gemini-2.5-flash-image", "count": 2}, {"id": "bad", "prompt": "#fake:status=400", "model": "google/gemini-2.5-flash-image"}, {"id": "new", "prompt": "q", "model": "google/gemini-2.5-flash-image", "aspectRatio": ["1:1", "16:9"], "resolution": "1K"}]}"##)
    }

    @Test func statusOfManifestsShowsTheTasksNeverStartedAndWhoRuns() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        try grownBatch(server, folder)

        let byFolder = try runCLI(["status", "output/s"], environment: runEnvironment, in: folder.path)
        #expect(byFolder.status == 0)
        #expect(byFolder.stderr.contains("2 done, 1 failed, 0 refused, 0 unfinished, spent $0.0780"), "\(byFolder.stderr)")

        // A run holds the folder meanwhile: status names it.
        let lock = try RunLock(folder: folder.path + "/output/s", shard: nil)
        let planned = try runCLI(["status", "m.json"], environment: runEnvironment, in: folder.path)
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(planned.stdout.contains("pending\tnew-1x1\tnever started"))
        #expect(planned.stdout.contains("pending\tnew-16x9\tnever started"))
        #expect(planned.stdout.contains("failed\tbad\tpermanent\tHTTP 400"))
        #expect(planned.stderr.contains("2 done, 2 pending, 1 failed, 0 refused, 0 unfinished, spent $0.0780"), "\(planned.stderr)")
        #expect(planned.stderr.contains("running: pid \(getpid())"), "\(planned.stderr)")
        withExtendedLifetime(lock) {}

        let json = try runCLI(["status", "m.json", "--json"], environment: runEnvironment, in: folder.path)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let only = try #require((document["folders"] as? [[String: Any]])?.first)
        #expect(only["pending"] as? Int == 2 && only["done"] as? Int == 2 && only["failed"] as? Int == 1)
        #expect((only["tasks"] as? [[String: Any]])?.map { $0["state"] as? String } == ["done", "done", "failed", "pending", "pending"])

        // An output root: every folder in it.
        folder.write("other.json", #"{"name": "t", "tasks": [{"id": "x", "prompt": "p", "model": "google/gemini-2.5-flash-image"}]}"#)
        _ = try runCLI(["run", "other.json", "--base-url", server.baseURL, "-q"], environment: runEnvironment, in: folder.path)
        let root = try runCLI(["status", "output", "--all"], environment: runEnvironment, in: folder.path)
        #expect(root.status == 0)
        #expect(root.stdout.contains("output/s\tdone\tok-1"), "\(root.stdout)")
        #expect(root.stdout.contains("output/t\tdone\tx"), "\(root.stdout)")
        #expect(root.stderr.contains("3 done, 1 failed"), "\(root.stderr)")

        let missing = try runCLI(["status", "output/nothing-here"], environment: runEnvironment, in: folder.path)
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("output/nothing-here: no such file or folder"))
    }

    @Test func planIsADryRunThatReadsTheJournal() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        try grownBatch(server, folder)
        let sent = server.requests().count

        let plan = try runCLI(["plan", "m.json"], environment: runEnvironment, in: folder.path)
        #expect(plan.status == 0, "\(plan.stderr)")
        let lines = plan.stdout.split(separator: "\n").map(String.init)
        #expect(lines.prefix(3).map { $0.split(separator: "\t").first.map(String.init) } == ["bad", "new-1x1", "new-16x9"])
        #expect(plan.stdout.contains("5 tasks: 3 to run, 2 already done; 3 requests"), "\(plan.stdout)")

        let summary = try runCLI(["plan", "m.json", "--summary"], environment: runEnvironment, in: folder.path)
        #expect(summary.stdout.split(separator: "\n").last?.hasPrefix("5 tasks: 3 to run, 2 already done") == true, "\(summary.stdout)")
        #expect(!summary.stdout.contains("new-1x1"))

        let json = try runCLI(["plan", "m.json", "--json"], environment: runEnvironment, in: folder.path)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(document["toRun"] as? Int == 3 && document["alreadyDone"] as? Int == 2)
        let tasks = try #require(document["tasks"] as? [[String: Any]])
        let new = try #require(tasks.first { $0["id"] as? String == "new-16x9" })
        #expect(new["type"] as? String == "image" && new["aspectRatio"] as? String == "16:9" && new["resolution"] as? String == "1K")
        #expect(new["prompt"] as? String == "q" && new["state"] as? String == "run" && new["model"] as? String == Self.model)
        #expect(tasks.first { $0["id"] as? String == "ok-1" }?["state"] as? String == "done")

        let dryRun = try runCLI(["run", "m.json", "--dry-run", "--base-url", server.baseURL], environment: runEnvironment, in: folder.path)
        #expect(dryRun.status == 0)
        #expect(dryRun.stdout == plan.stdout)
        #expect(server.requests().count == sent, "the dry run sent a request")
    }
}
