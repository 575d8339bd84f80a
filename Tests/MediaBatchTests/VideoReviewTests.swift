import FakeOpenRouter
import Foundation
import Testing
import TestSupport

/// The video defects a review of issue 18 found, each through the real binary against the fake.
@Suite("Video review findings (real binary against the fake)")
struct VideoReviewTests {
    @Test("One clip's submitting, submitted and done records are one task: status says 1 done, the gallery and journal.index list it once")
    func oneClipCountsOnce() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.3 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "one", "type": "video", "prompt": "A single clip for the count"}"#]))
        let run = try runVideoBatch(server, in: folder)
        #expect(run.status == 0, "\(run.stderr)")

        let status = try runCLI(["status", "out/m"], environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(status.status == 0, "\(status.stderr)")
        let said = status.stdout + status.stderr
        #expect(said.contains("1 done,"), "\(said)")
        #expect(!said.contains("3 done"), "\(said)")
        let json = try runCLI(["status", "out/m", "--json"], environment: freshCacheEnvironment(folder), in: folder.path)
        let tasks = (((try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) as? [String: Any]).flatMap { object -> [Any]? in
            ((object["folders"] as? [[String: Any]])?.first?["tasks"] as? [Any]) ?? (object["tasks"] as? [Any])
        })
        #expect(tasks?.count == 1, "\(json.stdout)")

        let gallery = try String(contentsOfFile: folder.path + "/out/m/index.html", encoding: .utf8)
        #expect(gallery.contains("spent $0.8000"), "the gallery counts the clip's cost once")
        #expect(gallery.components(separatedBy: "<video").count - 1 == 1, "one card for one clip")

        let index = try String(contentsOfFile: folder.path + "/out/m/.mediabatch/journal.index", encoding: .utf8)
        #expect(index.split(separator: "\n").count == 2, "header and one line: \(index)")
    }

    @Test("\"@{sku}\" and \"frames/{sku}.png\" in firstFrame, lastFrame and references are rendered per variant and per row")
    func frameTemplatesPerVariant() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.3 }
        defer { server.stop(); folder.remove() }
        // Two distinct frame files, one per sku.
        let frameA = SampleImages.incompressiblePNG(bytes: 2000, seed: 1)
        let frameB = SampleImages.incompressiblePNG(bytes: 2000, seed: 2)
        folder.write("frames/A1.png", bytes: frameA)
        folder.write("frames/B2.png", bytes: frameB)
        folder.write("m.json", """
            {"name": "m",
             "defaults": {"image": {"model": "openrouter/google/gemini-2.5-flash-image"},
                          "video": {\(shortClipDefaults)}},
             "vars": {"sku": ["A1", "B2"]},
             "tasks": [
               {"id": "{sku}", "prompt": "Photo of {sku}"},
               {"id": "{sku}-clip", "type": "video", "firstFrame": "@{sku}", "lastFrame": "frames/{sku}.png", "prompt": "The {sku} rotates"}
             ]}
            """)
        let validate = try runCLI(["validate", "m.json"], environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
        let run = try runVideoBatch(server, in: folder)
        #expect(run.status == 0, "\(run.stderr)")
        let submits = videoSubmits(server)
        try #require(submits.count == 2)
        let byPrompt = Dictionary(uniqueKeysWithValues: submits.map { (($0.json()?["prompt"] as? String) ?? "", $0) })
        for (sku, frame) in [("A1", frameA), ("B2", frameB)] {
            let still = try #require(FileManager.default.contents(atPath: folder.path + "/out/m/\(sku).png").map { [UInt8]($0) })
            #expect(byPrompt["The \(sku) rotates"]?.referenceImages == [still, frame], "\(sku)'s clip starts from its own still and ends on its own frame file")
        }
        #expect(folder.files(under: "out/m").filter { $0.hasSuffix(".mp4") } == ["A1-clip.mp4", "B2-clip.mp4"])

        // Rows: one clip per catalog row, references rendered from the row.
        folder.write("rows.json", """
            {"name": "r",
             "defaults": {"video": {\(shortClipDefaults)}},
             "rows": [{"sku": "A1"}, {"sku": "B2"}],
             "tasks": [{"id": "{sku}-ref", "type": "video", "references": ["frames/{sku}.png"], "prompt": "Product {sku}"}]}
            """)
        server.reset()
        let rows = try runCLI(["run", "rows.json", "--output-root", "out", "--base-url", server.baseURL] + fastVideoPolls, environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(rows.status == 0, "\(rows.stderr)")
        let rowSubmits = videoSubmits(server)
        let rowsByPrompt = Dictionary(uniqueKeysWithValues: rowSubmits.map { (($0.json()?["prompt"] as? String) ?? "", $0) })
        #expect(rowsByPrompt["Product A1"]?.referenceImages == [frameA])
        #expect(rowsByPrompt["Product B2"]?.referenceImages == [frameB])
    }

    @Test("A video task edited while its job is pending: the old job is still collected into superseded/, counted once, never resubmitted, and plan says so")
    func editedTaskKeepsItsPaidJob() throws {
        // Jobs of 6 s: the old one must still run through the second run and `status`, even
        // on a slow machine (a sanitizer's runtime).
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 6 }
        defer { server.stop(); folder.remove() }
        let journal = folder.path + "/out/m/.mediabatch/journal.jsonl"
        folder.write("m.json", videoManifest([#"{"id": "clip", "type": "video", "prompt": "The tide slowly turns"}"#]))
        let first = try runVideoBatch(server, in: folder, ["--no-wait"])
        #expect(first.status == 75, "\(first.stderr)")
        let oldJob = try #require(JournalLines(path: journal).records("submitted").first?["job"] as? String)

        // A typo fixed in the prompt: a new version of the task, with the old job still running.
        folder.write("m.json", videoManifest([#"{"id": "clip", "type": "video", "prompt": "The tide slowly turns, a gull lands"}"#]))
        let plan = try runCLI(["plan", "m.json", "--output-root", "out"], environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stderr.contains("earlier version's video job \(oldJob) is still open"), "\(plan.stderr)")
        #expect(plan.stderr.contains("superseded/clip.\(oldJob).mp4"), "\(plan.stderr)")

        let secondStarted = monotonicNow()
        let second = try runVideoBatch(server, in: folder, ["--no-wait"])
        #expect(second.status == 75, "both jobs still running: \(second.stderr)")
        #expect(server.stats().videoSubmissions == 2, "the new version is submitted once")
        #expect((second.stdout + second.stderr).contains("earlier version's video job \(oldJob) is still running"), "\(second.stdout)\(second.stderr)")

        let open = try runCLI(["status", "m.json", "--output-root", "out", "--all"], environment: freshCacheEnvironment(folder), in: folder.path)
        #expect((open.stdout + open.stderr).contains("an earlier version's video job \(oldJob) submitted"), "\(open.stdout)\(open.stderr)")

        // Both jobs done (the new one was submitted during the second run, the old before).
        Thread.sleep(forTimeInterval: max(0, 6.4 - (monotonicNow() - secondStarted)))
        let third = try runVideoBatch(server, in: folder)
        #expect(third.status == 0, "\(third.stderr)")
        let stats = server.stats()
        #expect(stats.videoSubmissions == 2)
        #expect(stats.duplicateVideoSubmissions == 0)
        #expect(stats.videoDownloads == 2, "the old job was downloaded too")
        #expect(server.requests().contains { $0.path.hasPrefix("/videos/\(oldJob)") && $0.path.hasSuffix("/content") })
        #expect(folder.files(under: "out/m") == ["clip.mp4", "superseded/clip.\(oldJob).mp4"])
        let duration = try MediaToolHarness.probeDuration(
            URL(fileURLWithPath: folder.path + "/out/m/superseded/clip.\(oldJob).mp4"), in: URL(fileURLWithPath: folder.path))
        #expect(abs(duration - 4) < 0.01)
        #expect((third.stdout + third.stderr).contains("collected into superseded/clip.\(oldJob).mp4"), "\(third.stdout)\(third.stderr)")
        // The report's per-model table counts the old job beside the new one: the model's
        // spend is the run's, both jobs' estimates beside it.
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/m/.mediabatch/report.json"))) as? [String: Any])
        let totalSpent = try #require((report["totals"] as? [String: Any])?["cost"] as? Double)
        let models = try #require(report["models"] as? [String: [String: Any]])
        #expect(models.count == 1, "\(models)")
        let spend = try #require(models.values.first)
        #expect(abs((spend["spent"] as? Double ?? 0) - totalSpent) < 1e-6 && abs(totalSpent - 1.6) < 1e-6, "\(report)")
        #expect(abs((spend["estimated"] as? Double ?? 0) - 1.6) < 1e-6, "\(spend)")

        // Every cent the fake billed is in the journal, the old job's once.
        let records = JournalLines(path: journal).records
        let superseded = records.filter { $0["event"] as? String == "superseded" }
        #expect(superseded.count == 1)
        #expect(superseded.first?["job"] as? String == oldJob)
        let journaled = records.reduce(0.0) { $0 + (($1["cost"] as? Double) ?? 0) }
        #expect(abs(journaled - stats.billedCost) < 1e-9, "journal \(journaled) vs billed \(stats.billedCost)")
        #expect(abs(journaled - 1.6) < 1e-9)

        // Nothing is open any more: status shows no running job, a rerun sends nothing.
        let status = try runCLI(["status", "out/m"], environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(!(status.stdout + status.stderr).contains("running"), "\(status.stdout)\(status.stderr)")
        #expect((status.stdout + status.stderr).contains("1 done,"), "\(status.stdout)\(status.stderr)")
        let sent = server.stats().requests
        let fourth = try runVideoBatch(server, in: folder)
        #expect(fourth.status == 0, "\(fourth.stderr)")
        #expect(server.stats().requests == sent)
    }

    @Test("Two manifests write one folder: a run of one leaves the other's open job alone, and the other's run polls it, never submits it again")
    func anotherManifestsOpenJobIsNotSuperseded() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 1 }
        defer { server.stop(); folder.remove() }
        folder.write("a.json", videoManifest([#"{"id": "dawn", "type": "video", "prompt": "Dawn over the harbour"}"#]))
        folder.write("b.json", videoManifest([#"{"id": "dusk", "type": "video", "prompt": "Dusk over the harbour"}"#]))
        let both = try runCLI(runArguments(server, ["--no-wait"] + fastVideoPolls).map { $0 == "m.json" ? "a.json" : $0 } + ["b.json"],
                              environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(both.status == 75, "\(both.stderr)")
        #expect(server.stats().videoSubmissions == 2)

        Thread.sleep(forTimeInterval: 1.2)
        let onlyA = try runCLI(runArguments(server, fastVideoPolls).map { $0 == "m.json" ? "a.json" : $0 }, environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(onlyA.status == 0, "\(onlyA.stderr)")
        #expect(folder.files(under: "out/m").filter { $0.hasSuffix(".mp4") } == ["dawn.mp4"], "b's job was taken as superseded: \(folder.files(under: "out/m"))")

        let onlyB = try runCLI(runArguments(server, fastVideoPolls).map { $0 == "m.json" ? "b.json" : $0 }, environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(onlyB.status == 0, "\(onlyB.stderr)")
        #expect(server.stats().videoSubmissions == 2, "b's clip was bought again")
        #expect(folder.files(under: "out/m").filter { $0.hasSuffix(".mp4") } == ["dawn.mp4", "dusk.mp4"])
    }

    @Test("A video task removed from the manifest while its job is pending: the run still waits for the job and collects it into superseded/")
    func removedTaskKeepsItsPaidJob() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.5 }
        defer { server.stop(); folder.remove() }
        let journal = folder.path + "/out/m/.mediabatch/journal.jsonl"
        folder.write("m.json", videoManifest([#"{"id": "gone", "type": "video", "prompt": "A clip the user drops"}"#]))
        let first = try runVideoBatch(server, in: folder, ["--no-wait"])
        #expect(first.status == 75, "\(first.stderr)")
        let oldJob = try #require(JournalLines(path: journal).records("submitted").first?["job"] as? String)

        folder.write("m.json", videoManifest([#"{"id": "still", "type": "image", "prompt": "A still instead", "model": "openrouter/google/gemini-2.5-flash-image"}"#]))
        let second = try runVideoBatch(server, in: folder)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(server.stats().videoSubmissions == 1)
        #expect(folder.files(under: "out/m") == ["still.png", "superseded/gone.\(oldJob).mp4"])
        let report = try #require(
            (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/m/.mediabatch/report.json")))) as? [String: Any])
        let cost = try #require((report["totals"] as? [String: Any])?["cost"] as? Double)
        let records = JournalLines(path: journal).records
        let journaled = records.reduce(0.0) { $0 + (($1["cost"] as? Double) ?? 0) }
        #expect(abs(journaled - server.stats().billedCost) < 1e-9, "journal \(journaled) vs billed \(server.stats().billedCost)")
        #expect(cost > 0.8 - 1e-9, "the run's spend includes the old job's $0.80: \(cost)")
    }

    @Test("Stopped at the budget with jobs still running: the message names the cap and the money committed to them, not \"$0.0000 spent\"")
    func budgetStopSaysWhatIsCommitted() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 30 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest((1...4).map { #"{"id": "c\#($0)", "type": "video", "prompt": "Scene \#($0) of a harbour"}"# }))
        // $0.80 a clip: a $2.00 cap admits two.
        let capped = try runVideoBatch(server, in: folder, ["--max-cost", "2", "--no-wait", "--concurrency", "4"])
        #expect(capped.status == 75, "\(capped.stderr)")
        #expect(server.stats().videoSubmissions == 2)
        #expect(capped.stderr.contains("stopped at the --max-cost budget ($0.0000 spent, $1.6000 committed to 2 video jobs still running)"), "\(capped.stderr)")

        let total = try runVideoBatch(server, in: folder, ["--max-total-cost", "2", "--no-wait"])
        #expect(total.status == 75, "\(total.stderr)")
        #expect(server.stats().videoSubmissions == 2, "nothing more fits the total budget")
        #expect(total.stderr.contains("--max-total-cost budget"), "\(total.stderr)")
    }

    @Test("plan --all through a pipe: a size-only video task has as many columns as the others (9), and a last frame is listed")
    func planColumnsForVideo() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("start.png", bytes: SampleImages.incompressiblePNG(bytes: 2000, seed: 3))
        folder.write("end.png", bytes: SampleImages.incompressiblePNG(bytes: 2000, seed: 4))
        folder.write("m.json", """
            {"name": "m", "tasks": [
              {"id": "sized", "type": "video", "model": "google/veo-3.1", "duration": 4, "size": "1280x720", "prompt": "A sized clip"},
              {"id": "shaped", "type": "video", "model": "google/veo-3.1", "duration": 4, "aspectRatio": "16:9", "resolution": "720p", "prompt": "A shaped clip"},
              {"id": "framed", "type": "video", "model": "google/veo-3.1", "duration": 4, "firstFrame": "start.png", "lastFrame": "end.png", "prompt": "Framed"},
              {"id": "still", "model": "google/gemini-2.5-flash-image", "prompt": "A still"},
              {"id": "voice", "type": "tts", "text": "A line to say."}
            ]}
            """)
        let plan = try runCLI(["plan", "m.json", "--output-root", "out", "--all"], environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(plan.status == 0, "\(plan.stderr)")
        // Every kind of task has the same columns through a pipe (images, speech, video).
        let rows = plan.stdout.split(separator: "\n").filter { ["sized", "shaped", "framed", "still", "voice"].contains($0.split(separator: "\t").first.map(String.init) ?? "") }
        #expect(rows.count == 5, "\(plan.stdout)")
        #expect(Set(rows.map { $0.split(separator: "\t", omittingEmptySubsequences: false).count }) == [9], "\(rows)")
        #expect(rows.first { $0.hasPrefix("sized\t") }?.split(separator: "\t", omittingEmptySubsequences: false)[4] == "1280x720")
        let framed = try #require(rows.first { $0.hasPrefix("framed\t") })
        #expect(framed.contains("start.png") && framed.contains("end.png"), "\(framed)")
    }

    @Test("A clip's sidecar names its first frame relative to the output folder (no absolute path); the gallery's poster still finds it")
    func sidecarFramePathIsRelative() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.2 }
        defer { server.stop(); folder.remove() }
        folder.write("frames/still.png", bytes: SampleImages.incompressiblePNG(bytes: 2000, seed: 5))
        folder.write("m.json", videoManifest([#"{"id": "alive", "type": "video", "firstFrame": "frames/still.png"}"#]))
        let result = try runVideoBatch(server, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let sidecar = try #require(
            (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/m/alive.mp4.json")))) as? [String: Any])
        #expect(sidecar["firstFramePath"] as? String == "../../frames/still.png", "\(sidecar)")
        let page = try String(contentsOfFile: folder.path + "/out/m/index.html", encoding: .utf8)
        #expect(page.contains(#"poster="../../frames/still.png""#), "\(page)")
    }

    @Test("--no-wait leaves a job it just submitted pending at once, without waiting for a first poll")
    func noWaitDoesNotWaitForAFirstPoll() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 30 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "quick", "type": "video", "prompt": "A run that does not wait"}"#]))
        // The default schedule polls first after 3 s: a run that waited for it would poll once.
        let first = try runCLI(runArguments(server, ["--no-wait"]), environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(first.status == 75, "\(first.stderr)")
        #expect(server.stats().videoSubmissions == 1)
        #expect(server.requests().filter { $0.method == "GET" && $0.path.hasPrefix("/videos/job") }.isEmpty, "not polled")
        #expect(first.stderr.contains("jobs pending: 1 video job"), "\(first.stderr)")
    }

    @Test("A frame naming a video task says it makes a video; one naming an entry that makes several tasks suggests @id-1")
    func clearerReferenceErrors() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", """
            {"name": "m", "defaults": {"video": {"model": "google/veo-3.1", "duration": 4}},
             "tasks": [{"id": "v1", "type": "video", "prompt": "x"},
                       {"id": "v2", "type": "video", "prompt": "y", "firstFrame": "@v1"},
                       {"id": "shot", "prompt": "z", "count": 2, "model": "openrouter/google/gemini-2.5-flash-image"},
                       {"id": "v3", "type": "video", "prompt": "y", "firstFrame": "@shot"}]}
            """)
        let result = try runCLI(["validate", "m.json"], environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("tasks[1].firstFrame = \"@v1\": task v1 makes a video, not an image"), "\(result.stderr)")
        #expect(result.stderr.contains("tasks[3].firstFrame") && result.stderr.contains("name one, as @shot-1"), "\(result.stderr)")
    }

    @Test("A first frame over 20 MB is refused without advising downscaleInputs, which video tasks do not take")
    func oversizedFrameAdviceFitsVideo() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("big.png", bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0, count: 21_000_000))
        folder.write("m.json", videoManifest([#"{"id": "clip", "type": "video", "prompt": "x", "firstFrame": "big.png"}"#]))
        let result = try runCLI(["validate", "m.json"], environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("tasks[0].firstFrame") && result.stderr.contains("at most 20 MB (OpenRouter's limit); make it smaller"), "\(result.stderr)")
        #expect(!result.stderr.contains("downscaleInputs"), "\(result.stderr)")
    }

    @Test("results.csv: a task whose new version is done while its earlier version's job still runs is listed done")
    func resultsListTheNewVersion() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.2 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "clip", "type": "video", "prompt": "A slow first version #fake:video-seconds=60"}"#]))
        let first = try runVideoBatch(server, in: folder, ["--no-wait"])
        #expect(first.status == 75, "\(first.stderr)")
        Thread.sleep(forTimeInterval: 1.1)  // the new version's records come a second later
        folder.write("m.json", videoManifest([#"{"id": "clip", "type": "video", "prompt": "A quick second version"}"#]))
        let second = try runVideoBatch(server, in: folder, ["--video-timeout", "1.5", "--results", "results.csv"])
        #expect(second.status == 75, "the earlier version's job still runs: \(second.stderr)")
        #expect(folder.files(under: "out/m") == ["clip.mp4"])
        let csv = try String(contentsOfFile: folder.path + "/results.csv", encoding: .utf8)
        let row = try #require(csv.split(whereSeparator: \.isNewline).first { $0.hasPrefix("clip,") }, "\(csv)")
        #expect(row.contains(",done,"), "\(csv)")
    }

    @Test("A video task missing its prompt in a JSON manifest is reported with the line of its entry")
    func missingPromptHasALine() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", videoManifest([
            #"{"id": "fine", "type": "video", "prompt": "x"}"#,
            #"{"id": "bare", "type": "video"}"#,
        ]))
        let result = try runCLI(["validate", "m.json"], environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("m.json:3: tasks[1].prompt"), "\(result.stderr)")
    }
}
