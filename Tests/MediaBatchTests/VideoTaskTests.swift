import FakeOpenRouter
import Files
import Foundation
import HTTP
import Journal
import JSON
import Manifest
import ManifestDiagnostics
import Media
import OpenRouter
import Runner
import Support
import Tasks
import Testing
import TestSupport

/// Video tasks below the CLI: manifest expansion and checks, request shaping, pricing from
/// SKU names, the MP4 box reader, the journal's job records, the client against the fake.
@Suite("Video tasks: manifests, requests, prices, MP4 boxes, journal records")
struct VideoTaskTests {
    private func videoTasks(_ manifest: String, in folder: TempFolder, catalog: ModelCatalog? = nil) throws -> [VideoTask] {
        let file = folder.write("m.json", manifest)
        return try BatchPlan(paths: [file], outputRoot: folder.path + "/out", catalog: catalog).allTasks().compactMap { task in
            if case .video(let video) = task { return video }
            return nil
        }
    }

    private func problems(_ manifest: String, in folder: TempFolder, catalog: ModelCatalog? = nil) -> String {
        let file = folder.write("m.json", manifest)
        do {
            _ = try BatchPlan(paths: [file], outputRoot: folder.path + "/out", catalog: catalog)
            return ""
        } catch {
            return error.description
        }
    }

    /// A server without video generation (404) gives a catalog with no video models, kept for
    /// a day; a video list that failed for now (a 5xx) is left unknown, so the catalog counts
    /// as stale and is asked for again (cached empty, every video would go unpriced for a day).
    @Test("A video model list that failed for now is unknown (asked again); a 404 is none", arguments: [(404, false), (503, true)])
    func videoModelListFailure(status: Int, stale: Bool) throws {
        let server = try startFake { $0.videoModelsStatus = status }
        defer { server.stop() }
        let client = OpenRouterClient(endpoint: OpenRouterEndpoint(baseURL: server.baseURL, apiKey: "k"))
        let catalog = try client.catalog(on: try HTTPConnection())
        #expect(catalog.videos.isEmpty)
        #expect(!catalog.models.isEmpty, "the other lists came")
        #expect((catalog.videosDocument == nil) == stale)
        #expect(catalog.isStale == stale)
    }

    /// The fake's /videos/models as a catalog (what `mediabatch models` caches).
    private func fakeCatalog() throws -> ModelCatalog {
        let server = try startFake()
        defer { server.stop() }
        let client = OpenRouterClient(endpoint: OpenRouterEndpoint(baseURL: server.baseURL, apiKey: "k"))
        return try client.catalog(on: try HTTPConnection())
    }

    @Test("Lists multiply, defaults.video applies, and a frame image makes the prompt optional")
    func expansion() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("still.png", bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 40))
        let tasks = try videoTasks(#"""
            {"name": "m", "defaults": {"video": {"model": "bytedance/seedance-2.0", "resolution": "720p"}},
             "tasks": [
               {"id": "sea", "type": "video", "prompt": ["calm sea", "rough sea"], "duration": [4, 8], "output": "{id}-{duration}"},
               {"id": "still", "type": "video", "firstFrame": "still.png", "generateAudio": false, "seed": 7}
             ]}
            """#, in: folder)
        #expect(tasks.count == 5)
        #expect(Set(tasks.filter { $0.id.hasPrefix("sea") }.map { "\($0.prompt)/\($0.duration ?? 0)" })
            == ["calm sea/4", "calm sea/8", "rough sea/4", "rough sea/8"])
        #expect(tasks.allSatisfy { $0.model.wireID == "bytedance/seedance-2.0" && $0.resolution == "720p" })
        let still = try #require(tasks.first { $0.id == "still" })
        #expect(still.prompt.isEmpty)
        #expect(still.firstFrame == .file(FileIO.realPath(folder.path + "/still.png")!))
        #expect(still.generateAudio == false && still.seed == 7)

        // The body: no prompt when empty, the frame as frame_images, the rest as set.
        let body = try VideoRequest.body(for: still, images: VideoInputReader.images(for: still))
        let object = try #require((try JSONSerialization.jsonObject(with: Data(body))) as? [String: Any])
        #expect(object["prompt"] == nil)
        #expect(object["resolution"] as? String == "720p")
        #expect(object["generate_audio"] as? Bool == false)
        let frames = try #require(object["frame_images"] as? [[String: Any]])
        #expect(frames.count == 1 && frames[0]["frame_type"] as? String == "first_frame")
        #expect(((frames[0]["image_url"] as? [String: Any])?["url"] as? String)?.hasPrefix("data:image/png;base64,") == true)
    }

    @Test("Checks against the video model list: unknown model with a suggestion, durations, sets, frames, audio, size")
    func catalogChecks() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let catalog = try fakeCatalog()
        #expect(catalog.videos["google/veo-3.1"]?.durations == [4, 6, 8])
        folder.write("f.png", bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 40))
        let text = problems(#"""
            {"name": "m", "tasks": [
              {"id": "a", "type": "video", "prompt": "x", "model": "google/veo-3.l"},
              {"id": "b", "type": "video", "prompt": "x", "model": "google/veo-3.1", "duration": 5, "resolution": "480p"},
              {"id": "c", "type": "video", "prompt": "x", "model": "alibaba/wan-2.7", "lastFrame": "f.png", "generateAudio": true},
              {"id": "d", "type": "video", "prompt": "x", "model": "bytedance/seedance-2.0", "size": "1280x720", "aspectRatio": "16:9"},
              {"id": "e", "type": "video", "model": "google/veo-3.1"}
            ]}
            """#, in: folder, catalog: catalog)
        #expect(text.contains("did you mean google/veo-3.1?"), "\(text)")
        #expect(text.contains("tasks[1].duration") && text.contains("does not offer 5 s"), "\(text)")
        #expect(text.contains("does not offer resolution 480p"), "\(text)")
        #expect(text.contains("tasks[2].lastFrame") && text.contains("does not take a last frame"), "\(text)")
        #expect(text.contains("does not generate audio"), "\(text)")
        #expect(text.contains("size replaces resolution and aspectRatio"), "\(text)")
        #expect(text.contains("tasks[4]") && text.contains("needs a prompt"), "\(text)")
        #expect(text.contains("m.json:2:"), "errors name file and line: \(text)")

        // Offline, the built-in durations still apply.
        let offline = problems(#"{"name": "m", "tasks": [{"type": "video", "prompt": "x", "model": "alibaba/wan-2.7", "duration": 12}]}"#, in: folder)
        #expect(offline.contains("does not offer 12 s"), "\(offline)")
    }

    @Test("Price per second from SKU names: duration, resolution and audio; unknown otherwise")
    func pricing() throws {
        let veo = VideoModelInfo(id: "v", durations: [4, 8], pricingSKUs: ["duration_seconds": "0.2", "duration_seconds_with_audio": "0.4"])
        #expect(veo.pricePerSecond(resolution: nil, audio: false) == 0.2)
        #expect(veo.pricePerSecond(resolution: "1080p", audio: true) == 0.4)
        let seedance = VideoModelInfo(id: "s", durations: [4], pricingSKUs: ["per-video-second-720p": "0.1", "per-video-second-1080p": "0.25"])
        #expect(seedance.pricePerSecond(resolution: "1080p", audio: false) == 0.25)
        #expect(seedance.pricePerSecond(resolution: nil, audio: false) == nil, "two prices, no resolution to choose")
        let mixed = VideoModelInfo(id: "m", durations: [4], pricingSKUs: ["duration_seconds_with_audio_720p": "0.5", "duration_seconds_720p": "0.3"])
        #expect(mixed.pricePerSecond(resolution: "720p", audio: true) == 0.5)
        #expect(mixed.pricePerSecond(resolution: "720p", audio: false) == 0.3)
        let opaque = VideoModelInfo(id: "o", durations: [5], pricingSKUs: ["generate": "0.5"])
        #expect(opaque.pricePerSecond(resolution: "720p", audio: false) == nil)

        let folder = TempFolder()
        defer { folder.remove() }
        let catalog = try fakeCatalog()
        let tasks = try videoTasks(#"""
            {"name": "m", "tasks": [
              {"id": "a", "type": "video", "prompt": "x", "model": "google/veo-3.1", "duration": 6, "generateAudio": false},
              {"id": "b", "type": "video", "prompt": "x", "model": "google/veo-3.1", "duration": 6},
              {"id": "c", "type": "video", "prompt": "x", "model": "kwaivgi/kling-3.0", "duration": 5}
            ]}
            """#, in: folder, catalog: catalog)
        let byID = Dictionary(uniqueKeysWithValues: tasks.map { ($0.id, CostEstimate.video($0, catalog: catalog)) })
        let a = try #require(byID["a"] ?? nil)
        let b = try #require(byID["b"] ?? nil)
        #expect(abs(a - 1.2) < 1e-9)
        #expect(abs(b - 2.4) < 1e-9, "veo makes audio unless told not to")
        #expect((byID["c"] ?? nil) == nil, "a SKU named 'generate' says nothing per second")
    }

    @Test("MP4 boxes: ftyp required, duration from mvhd (versions 0 and 1), read box by box")
    func mp4Boxes() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let made = try runTool(try MediaToolHarness.locate("ffmpeg"), [
            "-v", "error", "-f", "lavfi", "-i", "color=c=blue:s=32x32:d=3", "-c:v", "mpeg4", "-y", folder.path + "/x.mp4",
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder.path + "/x.mp4")))
        var reads = 0
        let boxes = try #require(MP4Boxes.read(size: bytes.count) { offset, count in
            reads += 1
            return Array(bytes[offset..<min(bytes.count, offset + count)])
        })
        #expect(abs((boxes.durationSeconds ?? 0) - 3) < 0.05)
        #expect(reads < 20, "walked box by box, not byte by byte")
        let page = Array("<html>not a video</html>".utf8)
        #expect(MP4Boxes.read(size: page.count) { Array(page[$0..<min(page.count, $0 + $1)]) } == nil)

        // A version-1 movie header (64-bit times): 90 s at timescale 600.
        func u32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 255), UInt8((v >> 8) & 255), UInt8(v & 255)] }
        let mvhd = u32(8 + 4 + 28) + Array("mvhd".utf8) + [1, 0, 0, 0] + u32(0) + u32(0) + u32(0) + u32(0) + u32(600) + u32(0) + u32(54000)
        let file = u32(16) + Array("ftypmp42".utf8) + u32(0) + u32(UInt32(8 + mvhd.count)) + Array("moov".utf8) + mvhd
        let v1 = try #require(MP4Boxes.read(size: file.count) { Array(file[$0..<min(file.count, $0 + $1)]) })
        #expect(v1.brand == "mp42")
        #expect(v1.durationSeconds == 90)
    }

    @Test("The journal keeps a submitted job until its outcome; the resume snapshot carries open jobs")
    func journalRecords() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let journal = try Journal(folder: folder.path, shard: nil)
        try journal.videoSubmitting(key: "k1", taskID: "a")
        try journal.videoSubmitted(key: "k1", taskID: "a", job: "job-1", pollingURL: "/api/v1/videos/job-1", generationID: "gen-1", estimate: 0.8)
        try journal.videoSubmitting(key: "k2", taskID: "b")
        try journal.videoUncertain(key: "k2", taskID: "b", message: "reset")
        try journal.videoSubmitting(key: "k3", taskID: "c")
        try journal.videoSubmitting(key: "k4", taskID: "d")
        try journal.videoNotSubmitted(key: "k4", taskID: "d", status: 429)
        let path = Journal.path(folder: folder.path, shard: nil)
        var index = try JournalIndex(path: path, outcomesOnly: true)
        #expect(index.videoJobs["k1"]?.hasJob == true && index.videoJobs["k1"]?.jobID == "job-1")
        #expect(index.videoJobs["k1"]?.estimate == 0.8)
        #expect(index.videoJobs["k2"]?.isUncertain == true && index.videoJobs["k2"]?.since != nil)
        #expect(index.videoJobs["k3"]?.isUncertain == true, "a submit with no answer journaled (a crash) is uncertain")
        #expect(index.videoJobs["k4"] == nil, "an error answer made no job: not uncertain")
        // The snapshot carries the open jobs (before, any open job kept the snapshot from
        // being written, and every rerun parsed the whole journal with jansson).
        ResumeSnapshot.refresh(journal: path)
        let snapshot = try #require(ResumeSnapshot.load(journal: path))
        #expect(snapshot.videoJobs.map(\.key) == ["k1", "k2", "k3"])
        #expect(Dictionary(uniqueKeysWithValues: snapshot.videoJobs.map { ($0.key, $0.record) }) == index.videoJobs)
        let resumed = try JournalIndex(path: path, outcomesOnly: true)
        #expect(resumed.videoJobs == index.videoJobs)
        // (A snapshot covers outcomes and open jobs only: k4, whose submit was answered with
        // an error, has neither.)
        #expect(resumed.order == ["k1", "k2", "k3"])

        try journal.done(key: "k1", taskID: "a", files: [], cost: 0.8, generationID: "gen-1", attempts: 1, seconds: 1)
        try journal.failed(key: "k2", taskID: "b", failure: TaskFailure(.permanent, cause: .plan, message: "x"), attempts: 1)
        try journal.failed(key: "k3", taskID: "c", failure: TaskFailure(.permanent, cause: .plan, message: "x"), attempts: 1)
        index = try JournalIndex(path: path, outcomesOnly: true)
        #expect(index.videoJobs.isEmpty)
        #expect(index.skippedLines == 0)
    }

    @Test("The key goes only to the API's own origin: unsigned_urls elsewhere are not followed")
    func keyStaysHome() throws {
        let endpoint = OpenRouterEndpoint(baseURL: "https://openrouter.ai/api/v1", apiKey: "k")
        #expect(endpoint.sameOriginURL("/api/v1/videos/j/content?index=0") == "https://openrouter.ai/api/v1/videos/j/content?index=0")
        #expect(endpoint.sameOriginURL("https://OpenRouter.ai/api/v1/videos/j") == "https://OpenRouter.ai/api/v1/videos/j")
        #expect(endpoint.sameOriginURL("https://storage.example.com/v.mp4") == nil)
        #expect(endpoint.sameOriginURL("https://openrouter.ai.evil.com/x") == nil)
        #expect(endpoint.sameOriginURL("//evil.com/x") == nil)

        let server = try startFake { $0.videoJobSeconds = 0 }
        defer { server.stop() }
        let client = OpenRouterClient(endpoint: OpenRouterEndpoint(baseURL: server.baseURL, apiKey: "k"))
        let connection = try HTTPConnection()
        let body = JSONEncoding.encode(["model": "alibaba/wan-2.7", "prompt": "elsewhere #fake:foreign-url", "duration": 2])
        let submitted = try client.submitVideo(body: body, on: connection)
        let done = try client.pollVideo(id: submitted.id, pollingURL: submitted.pollingURL, on: connection)
        #expect(done.status == .completed)
        #expect(done.unsignedURLs.first?.contains("invalid") == true)
        var received = 0
        let type = try client.downloadVideo(done, on: connection) { bytes in
            received += bytes.count
            return true
        }
        #expect(type == "video/mp4")
        #expect(received > 100)
        #expect(server.requests().last?.path == "/videos/\(submitted.id)/content")
    }
}
