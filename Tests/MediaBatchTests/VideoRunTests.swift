import FakeOpenRouter
import Foundation
import Testing
import TestSupport

/// Video tasks end to end: the real binary against the fake's asynchronous video API.
@Suite("Video runs (real binary against the fake)")
struct VideoRunTests {
    private func videoRequests(_ server: FakeOpenRouterServer) -> [RecordedRequest] {
        server.requests().filter { $0.path.hasPrefix("/videos") && $0.path != "/videos/models" }
    }

    @Test("kill -9 once the job id is journaled; the rerun polls it: zero duplicate submissions, the video arrives")
    func killNineThenResume() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 3 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "clip", "type": "video", "prompt": "A lighthouse at dusk"}"#]))
        let journal = folder.path + "/out/m/.mediabatch/journal.jsonl"

        let cli = try BackgroundCLI(runArguments(server, fastVideoPolls), environment: freshCacheEnvironment(folder), in: folder.path, logName: "video-kill")
        defer { cli.killAndReap() }
        let journaled = waitFor(timeout: hangDeadline) { !JournalLines(path: journal).records("submitted").isEmpty || !cli.isRunning }
        #expect(journaled)
        cli.signal(SIGKILL)
        #expect(cli.wait(timeout: hangDeadline))
        #expect(cli.killedBySignal, "the run ended before the kill: \(cli.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/out/m/clip.mp4"))
        #expect(server.stats().videoSubmissions == 1)
        let planned = try runCLI(["plan", "m.json", "--output-root", "out", "--all"], environment: freshCacheEnvironment(folder), in: folder.path)
        #expect((planned.stdout + planned.stderr).contains("1 video job running"), "\(planned.stdout)\(planned.stderr)")

        let rerun = try runVideoBatch(server, in: folder)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let stats = server.stats()
        #expect(stats.videoSubmissions == 1, "the rerun polled the journaled job instead of submitting again")
        #expect(stats.duplicateVideoSubmissions == 0)
        let file = URL(fileURLWithPath: folder.path + "/out/m/clip.mp4")
        let duration = try MediaToolHarness.probeDuration(file, in: URL(fileURLWithPath: folder.path))
        #expect(abs(duration - 4) < 0.01)
        let done = try #require(JournalLines(path: journal).records("done").first)
        #expect(done["videoSeconds"] as? Double == 4)
        #expect(done["job"] as? String != nil)
        #expect(abs((done["cost"] as? Double ?? 0) - 0.8) < 1e-9)
        #expect(tempLeftovers(folder, under: "out").isEmpty)
    }

    @Test("--no-wait twice: the first submits and exits 75 (jobs pending), the second collects everything")
    func noWaitTwice() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 1 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([
            #"{"id": "a", "type": "video", "prompt": "A red kite over hills"}"#,
            #"{"id": "b", "type": "video", "prompt": "Rain on a window", "duration": 6}"#,
        ]))
        let first = try runVideoBatch(server, in: folder, ["--no-wait"])
        #expect(first.status == 75, "\(first.stderr)")
        #expect(first.stderr.contains("jobs pending"), "\(first.stderr)")
        #expect(folder.files(under: "out/m").isEmpty)
        #expect(server.stats().videoSubmissions == 2)

        Thread.sleep(forTimeInterval: 1.2)
        let second = try runVideoBatch(server, in: folder, ["--no-wait"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(folder.files(under: "out/m") == ["a.mp4", "b.mp4"])
        let stats = server.stats()
        #expect(stats.videoSubmissions == 2)
        #expect(stats.duplicateVideoSubmissions == 0)
        #expect(stats.videoDownloads == 2)
        let duration = try MediaToolHarness.probeDuration(URL(fileURLWithPath: folder.path + "/out/m/b.mp4"), in: URL(fileURLWithPath: folder.path))
        #expect(abs(duration - 6) < 0.01)
    }

    @Test("A failed job is journaled failed with the server's error text, and leaves no file")
    func failedJob() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.3 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "storm", "type": "video", "prompt": "A storm #fake:video-fail"}"#]))
        let result = try runVideoBatch(server, in: folder)
        #expect(result.status == 1, "\(result.stderr)")
        let failed = try #require(JournalLines(path: folder.path + "/out/m/.mediabatch/journal.jsonl").records("failed").first)
        #expect((failed["message"] as? String)?.contains("fake failure: video-fail") == true, "\(failed)")
        #expect(folder.files(under: "out/m").isEmpty)
        #expect(tempLeftovers(folder, under: "out").isEmpty)
    }

    @Test("Cost: every job's usage.cost is counted; --max-cost counts a submitted job's estimate until its cost is known")
    func budgetAndCost() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.3 }
        defer { server.stop(); folder.remove() }
        let tasks = (1...3).map { #"{"id": "c\#($0)", "type": "video", "prompt": "Scene \#($0) of a quiet harbour"}"# }
        folder.write("m.json", videoManifest(tasks))
        // Each job is 4 s at 0.20 per second: $0.80. A cap of $2.00 admits two; the third would cross it.
        let capped = try runVideoBatch(server, in: folder, ["--max-cost", "2", "--concurrency", "3"])
        #expect(capped.status == 75, "\(capped.stderr)")
        #expect(server.stats().videoSubmissions == 2, "the third job was not submitted: the first two's estimates were counted")
        let report = try #require(
            (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/m/.mediabatch/report.json")))) as? [String: Any])
        let cost = try #require((report["totals"] as? [String: Any])?["cost"] as? Double)
        #expect(abs(cost - server.stats().billedCost) < 1e-9, "report \(cost) vs billed \(server.stats().billedCost)")
        #expect(abs(cost - 1.6) < 1e-9)

        let rest = try runVideoBatch(server, in: folder)
        #expect(rest.status == 0, "\(rest.stderr)")
        #expect(server.stats().videoSubmissions == 3)
        #expect(server.stats().duplicateVideoSubmissions == 0)
        #expect(folder.files(under: "out/m") == ["c1.mp4", "c2.mp4", "c3.mp4"])
    }

    @Test("Bad inputs are rejected before any request: unknown model, duration not offered, frame not supported")
    func badInputsSendNothing() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        // Cache the model lists first, then count from zero.
        let models = try runCLI(["models", "--base-url", server.baseURL], environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(models.status == 0, "\(models.stderr)")
        server.reset()
        folder.write("frame.png", bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 40))
        folder.write("m.json", videoManifest([
            #"{"id": "typo", "type": "video", "prompt": "x", "model": "google/veo-3"}"#,
            #"{"id": "long", "type": "video", "prompt": "x", "duration": 5}"#,
            #"{"id": "frame", "type": "video", "prompt": "x", "model": "alibaba/wan-2.7", "lastFrame": "frame.png"}"#,
            #"{"id": "noprompt", "type": "video"}"#,
        ]))
        let result = try runCLI(runArguments(server), environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("did you mean google/veo-3.1"), "\(result.stderr)")
        #expect(result.stderr.contains("does not offer 5 s"), "\(result.stderr)")
        #expect(result.stderr.contains("does not take a last frame"), "\(result.stderr)")
        #expect(result.stderr.contains("needs a prompt"), "\(result.stderr)")
        #expect(result.stderr.contains("m.json:"), "errors name the file and line: \(result.stderr)")
        #expect(server.requests().isEmpty, "\(server.requests().map(\.path))")
    }

    @Test("An uncertain submit is not resubmitted without --resubmit-uncertain, and is with it")
    func uncertainSubmit() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.3 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "lost", "type": "video", "prompt": "Fog over a bridge #fake:drop-answer"}"#]))
        let first = try runVideoBatch(server, in: folder)
        #expect(first.status == 1, "\(first.stderr)")
        #expect(first.stderr.contains("uncertain"), "\(first.stderr)")
        #expect(server.stats().videoSubmissions == 1)
        #expect(server.stats().droppedVideoSubmitAnswers == 1)
        let journal = JournalLines(path: folder.path + "/out/m/.mediabatch/journal.jsonl")
        #expect(journal.records("uncertain").count == 1)

        let again = try runVideoBatch(server, in: folder)
        #expect(again.status == 1, "\(again.stderr)")
        #expect(server.stats().videoSubmissions == 1, "not submitted again without the flag")

        let status = try runCLI(["status", "out/m"], environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(status.stdout.contains("uncertain") && status.stdout.contains("ago"), "\(status.stdout)")
        let planned = try runCLI(["plan", "m.json", "--output-root", "out", "--all"], environment: freshCacheEnvironment(folder), in: folder.path)
        #expect((planned.stdout + planned.stderr).contains("1 uncertain"), "\(planned.stdout)\(planned.stderr)")

        let resubmitted = try runVideoBatch(server, in: folder, ["--resubmit-uncertain"])
        #expect(resubmitted.status == 0, "\(resubmitted.stderr)")
        #expect(server.stats().videoSubmissions == 2)
        #expect(folder.files(under: "out/m") == ["lost.mp4"])
    }

    @Test("An uncertain submit keeps its estimate under --max-cost: a job may exist and be billed")
    func uncertainSubmitCountsAgainstTheBudget() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.3 }
        defer { server.stop(); folder.remove() }
        // Each 4 s clip is estimated at $0.80; the cap leaves room for one.
        folder.write("m.json", videoManifest([
            #"{"id": "lost", "type": "video", "prompt": "Fog over a bridge #fake:drop-answer"}"#,
            #"{"id": "next", "type": "video", "prompt": "Rain on the river"}"#,
        ]))
        let result = try runVideoBatch(server, in: folder, ["--concurrency", "1", "--max-cost", "1.0"])
        #expect(result.status == 75, "stopped at the budget: \(result.stderr)")
        #expect(server.stats().videoSubmissions == 1, "the second clip was submitted past the cap: \(result.stderr)")
        #expect(server.stats().droppedVideoSubmitAnswers == 1)
    }

    @Test("A finished job whose file place is taken by someone else's file is kept, still open: a later run downloads it, never buys it again")
    func aJobWhosePlaceIsTakenStaysOpen() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.3 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "clip", "type": "video", "prompt": "Gulls over the pier"}"#]))
        let submitted = try runVideoBatch(server, in: folder, ["--no-wait"])
        #expect(submitted.status == 75, "\(submitted.stderr)")
        // Where the clip goes, something mediabatch did not write stands: it is not overwritten.
        try FileManager.default.createDirectory(atPath: folder.path + "/out/m/clip.mp4", withIntermediateDirectories: true)
        Thread.sleep(forTimeInterval: 0.4)
        let blocked = try runVideoBatch(server, in: folder)
        #expect(blocked.stderr.contains("kept clip") || blocked.stdout.contains("kept clip"), "\(blocked.stdout) \(blocked.stderr)")
        try FileManager.default.removeItem(atPath: folder.path + "/out/m/clip.mp4")
        let collected = try runVideoBatch(server, in: folder)
        #expect(collected.status == 0, "\(collected.stderr)")
        #expect(server.stats().videoSubmissions == 1, "the paid job was bought again")
        #expect(folder.files(under: "out/m") == ["clip.mp4"])
    }

    @Test("A poll that fails is polled again, never submitted again")
    func pollFaults() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.2 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "flaky", "type": "video", "prompt": "Wind in tall grass #fake:poll-faults=3"}"#]))
        let result = try runVideoBatch(server, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let stats = server.stats()
        #expect(stats.videoPollFaults == 3)
        #expect(stats.videoSubmissions == 1)
        #expect(folder.files(under: "out/m") == ["flaky.mp4"])
    }

    @Test("Jobs wait on the poller, not on workers: six jobs with two workers are all submitted before the first is collected")
    func pollerHoldsNoWorker() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 1.5 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest((1...6).map { #"{"id": "v\#($0)", "type": "video", "prompt": "Scene \#($0) of falling snow"}"# }))
        let result = try runVideoBatch(server, in: folder, ["--concurrency", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        let requests = videoRequests(server)
        let submits = requests.filter { $0.method == "POST" }
        let firstDownload = try #require(requests.first { $0.path.hasSuffix("/content") })
        #expect(submits.count == 6)
        #expect(submits.allSatisfy { $0.receivedAt < firstDownload.receivedAt }, "a submit waited for a render")
        #expect(server.stats().duplicateVideoSubmissions == 0)
        #expect(folder.files(under: "out/m").count == 6)
    }

    @Test("--video-timeout: a run waits no longer, leaves the job pending (75), and the next run collects it")
    func videoTimeout() throws {
        // The job takes 4 s; the run gives up after 0.5 s of waiting. (The bound leaves room for
        // a slow machine, a sanitizer's runtime: the point is that it did not wait 4 s.)
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 4 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "slow", "type": "video", "prompt": "A glacier calving"}"#]))
        let started = monotonicNow()
        let first = try runVideoBatch(server, in: folder, ["--video-timeout", "0.5"])
        #expect(first.status == 75, "\(first.stderr)")
        #expect(monotonicNow() - started < 3.5, "the run did not wait for the job")
        let status = try runCLI(["status", "out/m"], environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(status.stdout.contains("running") && status.stdout.contains("ago"), "\(status.stdout)")
        let results = (try? String(contentsOfFile: folder.path + "/out/m/.mediabatch/results.csv", encoding: .utf8)) ?? ""
        #expect(results.contains("slow,,pending"), "\(results)")
        Thread.sleep(forTimeInterval: max(0, 4.3 - (monotonicNow() - started)))
        let second = try runVideoBatch(server, in: folder)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(server.stats().videoSubmissions == 1)
        #expect(folder.files(under: "out/m") == ["slow.mp4"])
    }

    @Test("The gallery shows each clip as <video preload=none>, its first frame as the poster")
    func gallery() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.2 }
        defer { server.stop(); folder.remove() }
        folder.write("still.png", bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 40))
        folder.write("m.json", videoManifest([#"{"id": "alive", "type": "video", "firstFrame": "still.png"}"#]))
        let result = try runVideoBatch(server, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let page = try String(contentsOfFile: folder.path + "/out/m/index.html", encoding: .utf8)
        #expect(page.contains(#"preload="none""#) && page.contains(#"src="alive.mp4""#), "\(page)")
        #expect(page.contains(#"poster="../../still.png""#), "\(page)")
        let sent = try #require(videoSubmits(server).first?.json())
        #expect(sent["prompt"] == nil, "no prompt: the frame alone")
    }

    @Test("A submit answered 429 made no job: it is retried, and is not left uncertain")
    func submitRetriedAfterAnError() throws {
        let server = try startFake {
            $0.videoJobSeconds = 0.2
            $0.faults.retryAfterSeconds = 0.2
        }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "busy", "type": "video", "prompt": "A busy street #fake:fault=429 #fake:fault-attempts=1"}"#]))
        let result = try runVideoBatch(server, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(videoSubmits(server).count == 2)
        #expect(server.stats().videoSubmissions == 1, "the 429 made no job")
        let journal = JournalLines(path: folder.path + "/out/m/.mediabatch/journal.jsonl")
        #expect(journal.records("unsubmitted").count == 1)
        #expect(journal.records("uncertain").isEmpty)
        #expect(folder.files(under: "out/m") == ["busy.mp4"])
    }

    @Test("Polls take their turn under --rpm like every request of the run")
    func pollsShareTheRateCap() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.1 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "paced", "type": "video", "prompt": "Tide coming in"}"#]))
        // 30 a minute: one request every 2 s, polls included.
        let result = try runVideoBatch(server, in: folder, ["--rpm", "30"])
        #expect(result.status == 0, "\(result.stderr)")
        let requests = videoRequests(server).filter { !$0.path.hasSuffix("/content") }
        #expect(requests.count >= 2)
        for (earlier, later) in zip(requests, requests.dropFirst()) {
            #expect(later.receivedAt - earlier.receivedAt > 1.8, "\(earlier.path) then \(later.path) too soon")
        }
    }

    @Test("--force does not submit a journaled job again: it polls it")
    func forcePollsJournaledJobs() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.8 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "once", "type": "video", "prompt": "Lanterns on a river"}"#]))
        let first = try runVideoBatch(server, in: folder, ["--no-wait"])
        #expect(first.status == 75, "\(first.stderr)")
        let forced = try runVideoBatch(server, in: folder, ["--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(server.stats().videoSubmissions == 1)
        #expect(folder.files(under: "out/m") == ["once.mp4"])
    }
}
