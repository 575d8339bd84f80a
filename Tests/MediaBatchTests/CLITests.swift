import FakeOpenRouter
import Foundation
import Testing
import TestSupport

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
        #expect(result.stdout.split(separator: "\n").prefix(2).map { String($0.split(separator: "\t")[0]) } == ["x-1x1", "x-4x3"])
        #expect(result.stdout.contains("2 tasks: 2 to run, 0 already done; 2 requests"))
    }
}

@Suite struct ProgressOutputTests {
    @Test func aTerminalGetsOneLiveLineAndAPipeGetsPlainLines() throws {
        let server = try startFake { $0.latency = 0.02 }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", ##"{"name": "p", "tasks": [{"id": "t", "prompt": "p", "model": "google/gemini-2.5-flash-image", "count": 6}, {"id": "bad", "prompt": "#fake:status=400", "model": "google/gemini-2.5-flash-image"}]}"##)
        let arguments = ["run", "m.json", "--base-url", server.baseURL, "--output-root", "piped"]
        let piped = try runCLI(arguments, environment: ["OPENROUTER_API_KEY": "k"], in: folder.path)
        #expect(piped.status == 1)
        #expect(!piped.stderr.contains("\u{1B}"))
        #expect(!piped.stderr.contains("\r"))
        #expect(piped.stderr.split(separator: "\n").filter { $0.hasPrefix("done ") }.count == 6)
        #expect(piped.stderr.contains("FAILED bad"))

        // Under a pseudo-terminal (util-linux `script`), the same run redraws one line in place.
        let command = ([mediabatchExecutable()] + arguments.dropLast() + ["tty"]).joined(separator: " ")
        let tty = try runTool("/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"],
                              environment: ["OPENROUTER_API_KEY": "k", "TERM": "xterm"], in: folder.path)
        #expect(tty.status == 1)
        let screen = tty.stdout
        #expect(screen.contains("\r\u{1B}[K"))
        #expect(screen.contains("6 done"))
        #expect(screen.contains("in flight"))
        #expect(screen.contains("FAILED bad"))
        #expect(!screen.contains("done t-1 →"))  // no per-task lines on a terminal
    }

    @Test func jsonPrintsTheReportOnStdoutOnly() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", #"{"name": "j", "tasks": [{"id": "a", "prompt": "p", "model": "google/gemini-2.5-flash-image"}]}"#)
        let result = try runCLI(["run", "m.json", "--base-url", server.baseURL, "--json", "--quiet"], environment: ["OPENROUTER_API_KEY": "k"], in: folder.path)
        #expect(result.status == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let totals = try #require(report["totals"] as? [String: Any])
        #expect(totals["done"] as? Int == 1)
        #expect(totals["files"] as? Int == 2)  // the image and its sidecar
        let onDisk = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/output/j/.mediabatch/report.json"))) as? [String: Any])
        #expect((onDisk["tasks"] as? [[String: Any]])?.first?["id"] as? String == "a")
    }
}

@Suite struct StatusTests {
    @Test func statusListsFailuresAndCanAskForTheCreditLeft() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", ##"{"name": "s", "tasks": [{"id": "ok", "prompt": "p", "model": "google/gemini-2.5-flash-image"}, {"id": "bad", "prompt": "#fake:status=400", "model": "google/gemini-2.5-flash-image"}]}"##)
        _ = try runCLI(["run", "m.json", "--base-url", server.baseURL, "--quiet"], environment: ["OPENROUTER_API_KEY": "k"], in: folder.path)
        let status = try runCLI(["status", "output/s", "--credits", "--base-url", server.baseURL], environment: ["OPENROUTER_API_KEY": "k"], in: folder.path)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("failed\tbad\tpermanent\tHTTP 400"))
        #expect(!status.stdout.contains("\tok\t"))
        #expect(status.stderr.contains("1 done, 1 failed, 0 refused, 0 unfinished, spent $0.0390"), "\(status.stderr)")
        #expect(status.stderr.contains("credit left on the key: $"))
        #expect(server.requests().last?.path == "/key")
    }
}

@Suite struct InterruptTests {
    @Test func aSecondInterruptAbortsTransfersAtOnceAndLeavesNothingPartial() throws {
        // No answer comes within the test, and the grace outlasts every wait below: only the
        // second SIGINT can end the run in time.
        let server = try startFake { $0.latency = 3600 }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", distinctTasksManifest(count: 6, model: "google/gemini-2.5-flash-image", resolution: nil))
        let cli = try BackgroundCLI(["run", "m.json", "--base-url", server.baseURL, "--concurrency", "3", "--grace", "600", "--output-root", "out"],
                                    environment: ["OPENROUTER_API_KEY": "k"], in: folder.path, logName: "interrupt")
        defer { cli.killAndReap() }
        try #require(waitFor(timeout: hangDeadline) { server.stats().inFlight == 3 }, "\(cli.stderr)")
        cli.signal(SIGINT)
        usleep(300_000)
        #expect(!cli.wait(timeout: 0.5))  // the first only stops scheduling: requests in flight may finish (grace 600 s)
        cli.signal(SIGINT)
        // Aborted, not waiting for answers due in an hour or for the grace to run out.
        #expect(cli.wait(timeout: hangDeadline), "the second SIGINT did not end the run")
        #expect(cli.status == 130)
        #expect(folder.files(under: "out").isEmpty)
        #expect(tempLeftovers(folder, under: "out").isEmpty)
        #expect(server.requests().count == 3)
    }
}
