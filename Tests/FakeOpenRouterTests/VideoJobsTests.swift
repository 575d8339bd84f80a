import FakeOpenRouter
import Foundation
import Testing
import TestSupport

@Suite("Video jobs: /videos, /videos/{id}, /videos/{id}/content, /videos/models")
struct VideoJobsTests {
    private func submit(_ server: FakeOpenRouterServer, _ fields: [String: Any] = [:]) throws -> HTTPResult {
        var body: [String: Any] = [
            "model": "google/veo-3.1", "prompt": "A lighthouse at dusk", "duration": 4, "resolution": "720p",
            "aspect_ratio": "16:9",
        ]
        body.merge(fields) { $1 }
        return try post(server, "/videos", json(body))
    }

    /// Polls until the job is terminal; returns every status seen, in order, and the last answer.
    private func pollToEnd(_ server: FakeOpenRouterServer, _ id: String) throws -> (statuses: [String], last: [String: Any]) {
        var statuses: [String] = []
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let result = try get(server, "/videos/\(id)")
            if result.status == 200, let object = result.json(), let status = object["status"] as? String {
                if statuses.last != status { statuses.append(status) }
                if ["completed", "failed", "cancelled", "expired"].contains(status) { return (statuses, object) }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestSupportError("job \(id) did not end: \(statuses)")
    }

    @Test("A job goes pending → in_progress → completed; its content is an MP4 ffprobe reads as the requested duration")
    func lifecycle() throws {
        let server = try startServer { $0.videoJobSeconds = 0.6 }
        defer { server.stop() }
        let answer = try submit(server, ["model": "bytedance/seedance-2.0", "duration": 6])
        #expect(answer.status == 202)
        let job = try #require(answer.json())
        let id = try #require(job["id"] as? String)
        #expect(job["status"] as? String == "pending")
        #expect(job["polling_url"] as? String == "/api/v1/videos/\(id)")
        #expect((job["generation_id"] as? String)?.hasPrefix("gen-") == true)
        // As on every generation answer, the id is in the headers too (a client whose body
        // was cut off still knows which generation to ask the cost of).
        #expect(answer.header("X-Generation-Id") == job["generation_id"] as? String)

        let early = try get(server, "/videos/\(id)/content?index=0")
        #expect(early.status == 400, "no content before the job completes")

        let (statuses, last) = try pollToEnd(server, id)
        // In this order (a loaded machine's first poll may come after `pending`).
        let order = ["pending", "in_progress", "completed"]
        #expect(statuses.last == "completed" && statuses.map { order.firstIndex(of: $0) ?? -1 } == statuses.compactMap { order.firstIndex(of: $0) }.sorted(), "\(statuses)")
        let usage = try #require(last["usage"] as? [String: Any])
        #expect(abs((usage["cost"] as? Double ?? 0) - 0.6) < 1e-9, "6 s at 0.10 per second")
        let urls = try #require(last["unsigned_urls"] as? [String])
        // On the API's own origin (the Host the request named).
        #expect(urls.count == 1)
        #expect(urls.first?.hasPrefix("http://127.0.0.1") == true)
        #expect(urls.first?.hasSuffix("/api/v1/videos/\(id)/content?index=0") == true)

        let content = try get(server, "/videos/\(id)/content?index=0")
        #expect(content.status == 200)
        #expect(content.header("Content-Type") == "video/mp4")
        #expect(Array(content.body[4..<8]) == Array("ftyp".utf8))
        let file = try temporaryFile(content.body, suffix: ".mp4")
        defer { try? FileManager.default.removeItem(at: file) }
        let duration = try MediaToolHarness.probeDuration(file, in: file.deletingLastPathComponent())
        #expect(abs(duration - 6) < 0.01, "ffprobe read \(duration) s")
        #expect(try decodesCleanly(content.body, suffix: ".mp4"))

        let stats = server.stats()
        #expect(stats.videoSubmissions == 1)
        #expect(stats.duplicateVideoSubmissions == 0)
        #expect(stats.videoDownloads == 1)
        #expect(stats.videoPolls >= 3)
        #expect(abs(stats.billedCost - 0.6) < 1e-9)
    }

    @Test("The same body submitted twice is two jobs, and the second is counted as a duplicate")
    func duplicates() throws {
        let server = try startServer()
        defer { server.stop() }
        let first = try submit(server)
        let second = try submit(server)
        let other = try submit(server, ["prompt": "Another scene"])
        #expect([first.status, second.status, other.status] == [Int]([202, 202, 202]))
        #expect(first.json()?["id"] as? String != second.json()?["id"] as? String)
        let stats = server.stats()
        #expect(stats.videoSubmissions == 3)
        #expect(stats.duplicateVideoSubmissions == 1)
        #expect(stats.videoSubmissionsByBody.values.sorted() == [1, 2])
        #expect(stats.jsonString().contains("\"videoSubmissionsByBody\":{"))
    }

    @Test("Values outside the model's sets are 400 and make no job")
    func validation() throws {
        let server = try startServer()
        defer { server.stop() }
        let frame: [String: Any] = [
            "type": "image_url", "image_url": ["url": "data:image/png;base64,iVBORw0KGgo="], "frame_type": "last_frame",
        ]
        let cases: [[String: Any]] = [
            ["model": "acme/video"], ["duration": 5], ["resolution": "4K"], ["aspect_ratio": "1:1"],
            ["model": "alibaba/wan-2.7", "generate_audio": true], ["model": "alibaba/wan-2.7", "frame_images": [frame]],
            ["prompt": NSNull()], ["duration": "4"], ["model": "bytedance/seedance-2.0", "size": "999x999"],
        ]
        for fields in cases {
            let result = try submit(server, fields)
            #expect(result.status == 400, "\(fields)")
            #expect((result.json()?["error"] as? [String: Any])?["code"] as? Int == 400)
        }
        // A frame image alone (no prompt) is enough.
        var first = frame
        first["frame_type"] = "first_frame"
        #expect(try submit(server, ["prompt": NSNull(), "model": "alibaba/wan-2.7", "frame_images": [first]]).status == 202)
        #expect(server.stats().videoSubmissions == 1)
        #expect(try submit(server, [:]).status == 202)
        let unauthorized = try send(server, "POST", "/api/v1/videos", body: json(["model": "google/veo-3.1", "prompt": "x"]), key: nil)
        #expect(unauthorized.status == 401)
        #expect(server.stats().videoSubmissions == 2)
    }

    @Test("A body over 50 MiB is 413")
    func tooLarge() throws {
        let server = try startServer()
        defer { server.stop() }
        let big = String(repeating: "A", count: 51 * 1024 * 1024)
        let frame: [String: Any] = ["type": "image_url", "image_url": ["url": "data:image/png;base64," + big], "frame_type": "first_frame"]
        let result = try submit(server, ["frame_images": [frame]])
        #expect(result.status == 413)
        #expect(server.stats().videoSubmissions == 0)
    }

    @Test("#fake:video-fail ends the job failed with the server's error text; it is not billed")
    func failure() throws {
        let server = try startServer { $0.videoJobSeconds = 0.2 }
        defer { server.stop() }
        let id = try #require(try submit(server, ["prompt": "storm #fake:video-fail"]).json()?["id"] as? String)
        let (statuses, last) = try pollToEnd(server, id)
        #expect(statuses.last == "failed")
        #expect((last["error"] as? String)?.contains("fake failure") == true)
        #expect(last["usage"] == nil)
        #expect(try get(server, "/videos/\(id)/content?index=0").status == 400)
        #expect(server.stats().billedCost == 0)
    }

    @Test("A configured failure rate fails some jobs; a failed body submitted again draws again")
    func failureRate() throws {
        let server = try startServer {
            $0.videoJobSeconds = 0
            $0.videoFailureRate = 0.5
        }
        defer { server.stop() }
        var failed: [Int] = []
        for index in 0..<20 {
            let id = try #require(try submit(server, ["prompt": "scene \(index)"]).json()?["id"] as? String)
            if try pollToEnd(server, id).statuses.last == "failed" { failed.append(index) }
        }
        #expect(failed.count > 2 && failed.count < 18, "\(failed.count) of 20 failed")
        // Submitted again, the failed ones do not all fail again (each submit draws anew).
        var failedAgain = 0
        for index in failed {
            let id = try #require(try submit(server, ["prompt": "scene \(index)"]).json()?["id"] as? String)
            if try pollToEnd(server, id).statuses.last == "failed" { failedAgain += 1 }
        }
        #expect(failedAgain < failed.count, "every failed body failed again: \(failed)")
    }

    @Test("#fake:poll-faults=N answers the job's first N polls 500; the job goes on")
    func pollFaults() throws {
        let server = try startServer { $0.videoJobSeconds = 0 }
        defer { server.stop() }
        let id = try #require(try submit(server, ["prompt": "calm sea #fake:poll-faults=2"]).json()?["id"] as? String)
        #expect(try get(server, "/videos/\(id)").status == 500)
        #expect(try get(server, "/videos/\(id)").status == 500)
        let third = try get(server, "/videos/\(id)")
        #expect(third.status == 200)
        #expect(third.json()?["status"] as? String == "completed")
        #expect(server.stats().videoPollFaults == 2)
        #expect(try get(server, "/videos/job-unknown").status == 404)
    }

    @Test("#fake:drop-answer: the job is made and billed, the 202 never arrives whole")
    func droppedAnswer() throws {
        let server = try startServer { $0.videoJobSeconds = 0 }
        defer { server.stop() }
        #expect(throws: (any Error).self) { _ = try submit(server, ["prompt": "lost #fake:drop-answer"]) }
        let stats = server.stats()
        #expect(stats.videoSubmissions == 1)
        #expect(stats.droppedVideoSubmitAnswers == 1)
        // veo-3.1 generates audio unless told not to: 4 s at 0.40 per second.
        #expect(abs(stats.billedCost - 1.6) < 1e-9, "billed though the answer was lost")
    }

    @Test("#fake:foreign-url puts unsigned_urls on another origin")
    func foreignURL() throws {
        let server = try startServer { $0.videoJobSeconds = 0 }
        defer { server.stop() }
        let id = try #require(try submit(server, ["prompt": "elsewhere #fake:foreign-url"]).json()?["id"] as? String)
        let urls = try #require(try pollToEnd(server, id).last["unsigned_urls"] as? [String])
        #expect(urls.allSatisfy { !$0.contains("127.0.0.1") })
    }

    @Test("GET /videos/models lists the models with their sets and string pricing_skus")
    func models() throws {
        let server = try startServer()
        defer { server.stop() }
        let result = try get(server, "/videos/models")
        #expect(result.status == 200)
        let data = try #require(result.json()?["data"] as? [[String: Any]])
        let byID = Dictionary(uniqueKeysWithValues: data.compactMap { model in (model["id"] as? String).map { ($0, model) } })
        #expect(byID["google/veo-3.1"]?["supported_durations"] as? [Int] == [4, 6, 8])
        #expect(byID["bytedance/seedance-2.0"]?["supported_durations"] as? [Int] == Array(4...15))
        #expect(byID["alibaba/wan-2.7"]?["supported_durations"] as? [Int] == Array(2...10))
        #expect(byID["alibaba/wan-2.7"]?["supported_frame_images"] as? [String] == ["first_frame"])
        for model in data {
            let skus = try #require(model["pricing_skus"] as? [String: Any])
            #expect(skus.values.allSatisfy { $0 is String })
            for field in ["supported_resolutions", "supported_aspect_ratios", "supported_sizes", "supported_frame_images", "generate_audio", "seed"] {
                #expect(model.keys.contains(field), "\(field) present, null when unknown")
            }
        }
    }
}
