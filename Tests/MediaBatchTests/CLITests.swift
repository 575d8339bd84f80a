import FakeOpenRouter
import Foundation
import Testing
@testable import MediaBatch

@Suite struct CLITests {
    @Test func runWritesFilesAndExitsZero() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("jobs/a.json", #"{"name": "a", "tasks": [{"id": "one", "prompt": "p", "model": "google/gemini-2.5-flash-image", "count": 2}]}"#)
        folder.write("jobs/b.json", #"{"name": "b", "tasks": [{"id": "two", "prompt": "q", "model": "openrouter/auto"}]}"#)
        let result = try runCLI(["run", "jobs", "--output-root", "out", "--base-url", server.baseURL],
                                environment: ["OPENROUTER_API_KEY": "k"], in: folder.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(folder.files(under: "out") == ["a/one-1.png", "a/one-2.png", "b/two.png"])
        #expect(result.stderr.contains("3 done, 0 failed"))

        let quiet = try runCLI(["run", "jobs/a.json", "--output-root", "out2", "--base-url", server.baseURL, "--quiet"],
                               environment: ["OPENROUTER_API_KEY": "k"], in: folder.path)
        #expect(quiet.status == 0)
        #expect(quiet.stderr.isEmpty)
        #expect(quiet.stdout.isEmpty)
    }

    @Test func aBadManifestExits65AndSendsNothing() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("bad.json", """
            {"tasks": [
              {"id": "a", "prompt": "p", "model": "google/gemini-2.5-flash-image", "aspectRatio": "5:5"},
              {"id": "b", "prompt": "p", "model": "google/gemini-2.5-flash-image", "count": "two"}
            ]}
            """)
        let result = try runCLI(["run", "bad.json", "--base-url", server.baseURL], environment: ["OPENROUTER_API_KEY": "k"], in: folder.path)
        #expect(result.status == 65)
        #expect(result.stderr.contains("bad.json:2: tasks[0].aspectRatio = \"5:5\""))
        #expect(result.stderr.contains("bad.json:3: tasks[1].count = \"two\""))
        #expect(result.stderr.contains("2 problems found"))
        #expect(server.requests().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/output"))
    }

    @Test func aMissingKeyIsOneLineBeforeAnyWork() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("a.json", #"{"tasks": [{"id": "one", "prompt": "p", "model": "google/gemini-2.5-flash-image"}]}"#)
        let result = try runCLI(["run", "a.json", "--base-url", "http://127.0.0.1:9/api/v1"], in: folder.path)
        #expect(result.status == 78)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("OPENROUTER_API_KEY"))
    }

    @Test func aRejectedKeyStopsTheRunWithExit69() throws {
        let server = try startFake { $0.acceptedKeys = ["right"] }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("a.json", #"{"tasks": [{"id": "one", "prompt": "p", "model": "google/gemini-2.5-flash-image", "count": 20}]}"#)
        let result = try runCLI(["run", "a.json", "--base-url", server.baseURL, "--concurrency", "2"],
                                environment: ["OPENROUTER_API_KEY": "wrong"], in: folder.path)
        #expect(result.status == 69)
        #expect(result.stderr.contains("401"))
        #expect(server.requests().count <= 2)
        #expect(folder.files(under: "output").isEmpty)
    }

    @Test func planPrintsTasksAndSendsNothing() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("p.json", #"{"name": "p", "tasks": [{"id": "x", "prompt": "p", "model": "google/gemini-2.5-flash-image", "aspectRatio": ["1:1", "4:3"]}]}"#)
        let result = try runCLI(["plan", "p.json"], in: folder.path)
        #expect(result.status == 0)
        #expect(result.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) } == ["x-1x1", "x-4x3"])
        #expect(result.stderr.contains("2 tasks, 2 requests"))
    }
}
