import FakeOpenRouter
import Foundation
import Testing
import TestSupport

/// What the real service may do to a video job that the fake plays as options: jobs ending
/// cancelled or expired, download faults, polls answered 401 or 404, an absolute
/// `polling_url`, a QuickTime answer, per-resolution prices, a gateway 5xx after the job was
/// made, and `count` variants sharing one body. Each through the real binary against the fake.
@Suite("Video faults the reference allows (real binary against the fake)")
struct VideoFaultTests {
    private static func journal(_ folder: TempFolder) -> JournalLines {
        JournalLines(path: folder.path + "/out/m/.mediabatch/journal.jsonl")
    }

    private static func report(_ folder: TempFolder) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/m/.mediabatch/report.json"))
        return try #require((try JSONSerialization.jsonObject(with: data)) as? [String: Any])
    }

    private static func reportedCost(_ folder: TempFolder) throws -> Double? {
        (try report(folder)["totals"] as? [String: Any])?["cost"] as? Double
    }

    @Test("A job that ends cancelled or expired fails with the server's reason, no file, never resubmitted in the run", arguments: ["cancel", "expire"])
    func cancelledOrExpired(_ ending: String) throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.2 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "gone", "type": "video", "prompt": "A lighthouse at dusk #fake:video-\#(ending)"}"#]))
        let result = try runVideoBatch(server, in: folder)
        #expect(result.status == 1, "\(result.stderr)")
        let word = ending == "cancel" ? "cancelled" : "expired"
        let failed = try #require(Self.journal(folder).records("failed").first)
        let message = failed["message"] as? String ?? ""
        #expect(message.contains("job-") && message.contains(" \(word): "), "\(failed)")
        #expect(message.contains("fake: video-\(ending)"), "the server's reason is kept: \(failed)")
        #expect(server.stats().videoSubmissions == 1)
        #expect(server.stats().videoDownloads == 0)
        #expect(folder.files(under: "out/m").isEmpty)
        #expect(tempLeftovers(folder, under: "out").isEmpty)
        #expect((try Self.reportedCost(folder) ?? 0) == 0, "not billed, nothing counted")
    }

    @Test("An expired job that was billed all the same: its cost is counted in the journal and the report")
    func expiredButBilled() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.2 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "late", "type": "video", "prompt": "Rain on a tin roof #fake:video-expire #fake:video-billed"}"#]))
        let result = try runVideoBatch(server, in: folder)
        #expect(result.status == 1, "\(result.stderr)")
        let billed = server.stats().billedCost
        #expect(abs(billed - 0.8) < 1e-9, "4 s at $0.20: \(billed)")
        let failed = try #require(Self.journal(folder).records("failed").first)
        #expect(abs((failed["cost"] as? Double ?? 0) - billed) < 1e-9, "\(failed)")
        #expect(abs((try Self.reportedCost(folder) ?? 0) - billed) < 1e-9)
        #expect(server.stats().videoSubmissions == 1)
    }

    @Test("A download that fails (500, 502, cut short) is downloaded again later: one job, one file, nothing partial", arguments: ["500", "502", "truncate"])
    func downloadFaultRetried(_ fault: String) throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.2 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "reel", "type": "video", "prompt": "Film reel #fake:content-fault=\#(fault) #fake:content-faults=2"}"#]))
        let result = try runVideoBatch(server, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let stats = server.stats()
        #expect(stats.videoSubmissions == 1, "the paid job is never bought again")
        #expect(stats.videoContentFaults == 2)
        #expect(stats.videoDownloads == 1)
        #expect(folder.files(under: "out/m") == ["reel.mp4"])
        let file = try #require(FileManager.default.contents(atPath: folder.path + "/out/m/reel.mp4"))
        #expect(String(decoding: file[4..<8], as: UTF8.self) == "ftyp", "the whole clip, from its first box")
        #expect(tempLeftovers(folder, under: "out").isEmpty)
    }

    @Test("A download that keeps failing leaves the job journaled and pending (75), no file and no partial file; no resubmission")
    func downloadFaultForGood() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.2 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "reel", "type": "video", "prompt": "Film reel #fake:content-fault=truncate"}"#]))
        let result = try runVideoBatch(server, in: folder)
        #expect(result.status == 75, "\(result.stderr)")
        #expect(server.stats().videoSubmissions == 1)
        #expect(server.stats().videoContentFaults >= 2)
        #expect(folder.files(under: "out/m").isEmpty)
        #expect(tempLeftovers(folder, under: "out").isEmpty)
        #expect(Self.journal(folder).records("failed").isEmpty)
        #expect(Self.journal(folder).records("submitted").count == 1)
    }

    @Test("A poll answered 401 stops the run like any 401 (69): no job, the refused one or another still open, is polled after it; every job stays journaled and a run with a good key collects them")
    func pollUnauthorized() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.2 }
        defer { server.stop(); folder.remove() }
        // The other jobs render for a while: they are still open when the key is refused.
        folder.write("m.json", videoManifest([
            #"{"id": "key", "type": "video", "prompt": "A locked door #fake:poll-faults=1 #fake:poll-status=401"}"#,
            #"{"id": "hall", "type": "video", "prompt": "A long hall #fake:video-seconds=3"}"#,
            #"{"id": "stair", "type": "video", "prompt": "A winding stair #fake:video-seconds=3"}"#,
        ]))
        let first = try runVideoBatch(server, in: folder)
        #expect(first.status == 69, "\(first.stderr)")
        #expect((first.stdout + first.stderr).contains("401"), "\(first.stderr)")
        let journal = Self.journal(folder)
        #expect(journal.records("failed").isEmpty, "no job is failed: each is paid and still open")
        #expect(journal.records("done").isEmpty, "\(journal.records)")
        var jobs: [String: String] = [:]
        for record in journal.records("submitted") {
            if let task = record["task"] as? String, let job = record["job"] as? String { jobs[task] = job }
        }
        #expect(jobs.keys.sorted() == ["hall", "key", "stair"], "every job journaled: \(jobs)")
        #expect(Set(jobs.values).count == 3)

        // The poller polls one job at a time: the refused poll is the key job's first, and
        // nothing is polled after it.
        let polls = server.requests().filter { $0.method == "GET" && $0.path.hasPrefix("/videos/job-") && !$0.path.hasSuffix("/content") }
        let keyJob = try #require(jobs["key"])
        let refused = try #require(polls.firstIndex { $0.path == "/videos/" + keyJob }, "\(polls.map(\.path))")
        #expect(polls.count == refused + 1, "polled after the 401: \(polls[(refused + 1)...].map(\.path))")
        #expect(server.stats().videoPolls == polls.count)

        let second = try runVideoBatch(server, in: folder)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(server.stats().videoSubmissions == 3, "no job is bought again")
        #expect(folder.files(under: "out/m") == ["hall.mp4", "key.mp4", "stair.mp4"])
    }

    @Test("A poll answered 404 is polled again a few times (the job may not be visible yet); still 404, the task fails naming the job, unsubmitted again")
    func pollNotFound() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.2 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([
            #"{"id": "brief", "type": "video", "prompt": "A door ajar #fake:poll-faults=2 #fake:poll-status=404"}"#,
            #"{"id": "lost", "type": "video", "prompt": "An empty room #fake:poll-faults=1000 #fake:poll-status=404"}"#,
        ]))
        // Bounded: a client that polled a gone job forever would wait out the timeout (75).
        let result = try runVideoBatch(server, in: folder, ["--video-timeout", "15"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(server.stats().videoSubmissions == 2)
        #expect(folder.files(under: "out/m") == ["brief.mp4"])
        let failed = Self.journal(folder).records("failed")
        try #require(failed.count == 1)
        let message = failed[0]["message"] as? String ?? ""
        #expect(message.contains("unknown to OpenRouter") && message.contains("job-"), "\(failed[0])")
    }

    @Test("An absolute polling_url on the API's origin is followed; one on another origin is not (the key stays home): the job is polled at /videos/{id}")
    func absolutePollingURL() throws {
        for form in ["absolute", "foreign"] {
            let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.2 }
            defer { server.stop(); folder.remove() }
            folder.write("m.json", videoManifest([#"{"id": "far", "type": "video", "prompt": "A distant shore #fake:polling-url=\#(form)"}"#]))
            let result = try runVideoBatch(server, in: folder)
            #expect(result.status == 0, "\(form): \(result.stderr)")
            let polls = server.requests().filter { $0.method == "GET" && $0.path.hasPrefix("/videos/job-") && !$0.path.hasSuffix("/content") }
            #expect(!polls.isEmpty)
            if form == "absolute" {
                #expect(polls.allSatisfy { ($0.query ?? "").contains("via=polling_url") }, "\(polls.map { $0.query ?? "" })")
            } else {
                // The foreign URL is not followed: the job is polled at /videos/{id}, nothing added.
                #expect(polls.allSatisfy { $0.query == nil || $0.query == "" }, "\(polls.map { $0.query ?? "" })")
            }
            #expect(folder.files(under: "out/m") == ["far.mp4"])
        }
    }

    @Test("A QuickTime answer is written as .mov, its sidecar and the report say .mov, and a rerun finds it done")
    func quickTimeAnswer() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.2 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "mov", "type": "video", "prompt": "Old film grain #fake:quicktime"}"#]))
        let result = try runVideoBatch(server, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(folder.files(under: "out/m") == ["mov.mov"])
        let sidecarData = try #require(FileManager.default.contents(atPath: folder.path + "/out/m/mov.mov.json"))
        let sidecar = try #require((try JSONSerialization.jsonObject(with: sidecarData)) as? [String: Any])
        #expect((sidecar["file"] as? [String: Any])?["format"] as? String == "mov", "\(sidecar)")
        let tasks = try #require(try Self.report(folder)["tasks"] as? [[String: Any]])
        let paths = tasks.flatMap { ($0["files"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String } }
        #expect(paths.contains("mov.mov") && !paths.contains { $0.hasSuffix(".mp4") }, "\(paths)")
        let done = try #require(Self.journal(folder).records("done").first)
        #expect("\(done)".contains("mov.mov"), "\(done)")

        let again = try runVideoBatch(server, in: folder)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(server.stats().videoSubmissions == 1)
        #expect(server.stats().videoDownloads == 1)
    }

    @Test("Billing and the estimate use the resolution's price: Seedance 1080p is $0.25/s, 480p $0.05/s")
    func perResolutionPrice() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.2 }
        defer { server.stop(); folder.remove() }
        let defaults = #""model": "bytedance/seedance-2.0", "duration": 4, "aspectRatio": "16:9", "generateAudio": false"#
        folder.write("m.json", videoManifest([
            #"{"id": "small", "type": "video", "prompt": "A narrow lane", "resolution": "480p"}"#,
            #"{"id": "big", "type": "video", "prompt": "A wide valley", "resolution": "1080p"}"#,
        ], defaults: defaults))
        // The estimate: $0.20 for the 480p clip, $1.00 for the 1080p one. A cap of $0.90 admits
        // the 480p clip and stops before the 1080p one (at 720p's price, $0.40 each, both would go).
        let capped = try runVideoBatch(server, in: folder, ["--max-cost", "0.9", "--concurrency", "1"])
        #expect(capped.status == 75, "\(capped.stderr)")
        let sent = videoSubmits(server).compactMap { $0.json()?["resolution"] as? String }
        #expect(sent == ["480p"], "\(sent)")
        #expect(abs(server.stats().billedCost - 0.2) < 1e-9, "\(server.stats().billedCost)")
        #expect(abs((try Self.reportedCost(folder) ?? 0) - 0.2) < 1e-9)

        let rest = try runVideoBatch(server, in: folder)
        #expect(rest.status == 0, "\(rest.stderr)")
        #expect(abs(server.stats().billedCost - 1.2) < 1e-9, "\(server.stats().billedCost)")
        // A size is priced as its shorter side: 1920x1080 at 1080p's $0.25/s, $1.00; a cap of
        // $0.90 lets nothing go (at 720p's price, $0.40, it would go; unpriced, it would stop
        // with the price unknown).
        folder.write("s.json", """
            {"name": "s", "defaults": {"video": {"model": "bytedance/seedance-2.0", "duration": 4, "generateAudio": false}},
             "tasks": [{"id": "wide", "type": "video", "prompt": "A wide sky", "size": "1920x1080"}]}
            """)
        let sized = try runCLI(
            ["run", "s.json", "--output-root", "out", "--base-url", server.baseURL, "--max-cost", "0.9"] + fastVideoPolls,
            environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(sized.status == 75, "\(sized.stderr)")
        #expect(!sized.stderr.lowercased().contains("unknown"), "the size's price is known: \(sized.stderr)")
        #expect(videoSubmits(server).count == 2, "nothing more was submitted")

        let done = Self.journal(folder).records("done")
        let costs = Dictionary(done.compactMap { record in (record["task"] as? String).map { ($0, record["cost"] as? Double ?? -1) } }) { $1 }
        #expect(abs((costs["big"] ?? 0) - 1.0) < 1e-9, "\(costs)")
        #expect(abs((costs["small"] ?? 0) - 0.2) < 1e-9, "\(costs)")
    }

    @Test("A gateway 5xx (502, 503, 504, 524) to a submit may come after the job was made: uncertain, not resubmitted", arguments: [502, 503, 504, 524])
    func gatewayErrorAfterSubmit(_ status: Int) throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.2 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "edge", "type": "video", "prompt": "A cliff edge #fake:job-then-status=\#(status)"}"#]))
        let result = try runVideoBatch(server, in: folder)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(videoSubmits(server).count == 1, "the job exists and is billed: not bought again")
        #expect(server.stats().videoJobsAnsweredWithError == 1)
        let journal = Self.journal(folder)
        #expect(journal.records("uncertain").count == 1)
        #expect(journal.records("unsubmitted").isEmpty)
        let again = try runVideoBatch(server, in: folder)
        #expect(again.status == 1, "\(again.stderr)")
        #expect(videoSubmits(server).count == 1, "a rerun leaves an uncertain submit alone")
    }

    @Test("A submit answered 500 (OpenRouter's own error, before any job) is still retried")
    func serverErrorRetried() throws {
        let (server, folder) = try startFakeAndFolder {
            $0.videoJobSeconds = 0.2
            $0.faults.retryAfterSeconds = 0.1
        }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "retry", "type": "video", "prompt": "A mill wheel #fake:fault=500 #fake:fault-attempts=1"}"#]))
        let result = try runVideoBatch(server, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(videoSubmits(server).count == 2)
        #expect(server.stats().videoSubmissions == 1)
        #expect(Self.journal(folder).records("uncertain").isEmpty)
    }

    @Test("count 2: two identical bodies are two jobs the user asked for, not a duplicate; a rerun buys neither again")
    func countVariantsAreNotDuplicates() throws {
        let (server, folder) = try startFakeAndFolder {
            $0.videoJobSeconds = 0.2
            $0.videoJobsPerBody = 2
        }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "twin", "type": "video", "prompt": "Two takes of a wave", "count": 2}"#]))
        let result = try runVideoBatch(server, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(folder.files(under: "out/m") == ["twin-1.mp4", "twin-2.mp4"])
        let again = try runVideoBatch(server, in: folder)
        #expect(again.status == 0, "\(again.stderr)")
        let stats = server.stats()
        #expect(stats.videoSubmissions == 2)
        #expect(stats.duplicateVideoSubmissions == 0, "\(stats.videoSubmissionsByBody)")
        #expect(stats.videoSubmissionsByBody.values.sorted() == [2], "one body, two jobs: \(stats.videoSubmissionsByBody)")
        let submitted = Self.journal(folder).records("submitted")
        #expect(Set(submitted.compactMap { $0["job"] as? String }).count == 2)
        #expect(Set(submitted.compactMap { $0["task"] as? String }) == ["twin-1", "twin-2"])

        // A third job of the same body is one too many: the counter does flag it.
        folder.write("m.json", videoManifest([#"{"id": "twin", "type": "video", "prompt": "Two takes of a wave", "count": 3}"#]))
        let more = try runVideoBatch(server, in: folder)
        #expect(more.status == 0, "\(more.stderr)")
        #expect(server.stats().duplicateVideoSubmissions == 1, "the counter still catches a body bought more often than allowed")
    }
}
