import FakeOpenRouter
import Foundation
import Testing
import TestSupport

/// Chained image → video tasks: a generated image becomes a clip's first frame (`@id`), end
/// to end with the real binary against the fake.
@Suite("Video chains (real binary against the fake)")
struct VideoChainTests {
    /// Two stills, each animated into a 4 s clip from it as first frame (the storyboard).
    private func storyboard(shotPrompt: String = "A harbour at dawn, wide shot") -> String {
        """
        {"name": "board",
         "defaults": {"image": {"model": "openrouter/google/gemini-2.5-flash-image", "aspectRatio": "16:9"},
                      "video": {\(shortClipDefaults)}},
         "tasks": [
          {"id": "clip1", "type": "video", "prompt": "The boats drift out", "firstFrame": "@shot1"},
          {"id": "shot1", "prompt": "\(shotPrompt)"},
          {"id": "shot2", "prompt": "The harbour at night, lanterns"},
          {"id": "clip2", "type": "video", "prompt": "Lanterns sway", "firstFrame": "@shot2", "lastFrame": "@shot1"}
         ]}
        """
    }

    @Test("A generated image is the clip's first frame, byte for byte; --no-wait twice submits each clip once")
    func imagesBecomeFirstFrames() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 1 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", storyboard())

        let plan = try runCLI(["plan", "m.json", "--output-root", "out", "--base-url", server.baseURL], environment: freshCacheEnvironment(folder), in: folder.path)
        #expect(plan.status == 0, "\(plan.stderr)")
        let order = plan.stdout.split(separator: "\n").map { String($0.split(separator: "\t").first ?? "") }
        // Producers before their dependents, whatever the manifest's order.
        let index = { (id: String) in order.firstIndex { $0.hasPrefix(id) } ?? -1 }
        #expect(index("shot1") >= 0 && index("shot1") < index("clip1") && index("shot2") < index("clip2") && index("shot1") < index("clip2"), "\(order)")

        let first = try runVideoBatch(server, in: folder, ["--no-wait"])
        #expect(first.status == 75, "\(first.stderr)")
        let submits = videoSubmits(server)
        try #require(submits.count == 2)
        let shot1 = try #require(FileManager.default.contents(atPath: folder.path + "/out/board/shot1.png").map { [UInt8]($0) })
        let shot2 = try #require(FileManager.default.contents(atPath: folder.path + "/out/board/shot2.png").map { [UInt8]($0) })
        let byPrompt = Dictionary(uniqueKeysWithValues: submits.map { (($0.json()?["prompt"] as? String) ?? "", $0) })
        #expect(byPrompt["The boats drift out"]?.referenceImages == [shot1])
        #expect(byPrompt["Lanterns sway"]?.referenceImages == [shot2, shot1])
        let frameTypes = ((byPrompt["Lanterns sway"]?.json()?["frame_images"] as? [[String: Any]]) ?? []).compactMap { $0["frame_type"] as? String }
        #expect(frameTypes == ["first_frame", "last_frame"])

        Thread.sleep(forTimeInterval: 1.2)
        let second = try runVideoBatch(server, in: folder, ["--no-wait"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(server.stats().videoSubmissions == 2)
        #expect(server.stats().duplicateVideoSubmissions == 0)
        #expect(folder.files(under: "out/board").filter { $0.hasSuffix(".mp4") } == ["clip1.mp4", "clip2.mp4"])
        // Nothing is sent again once everything is done.
        let sent = server.stats().requests
        let third = try runVideoBatch(server, in: folder)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(server.stats().requests == sent)
    }

    @Test("--force remakes the stills but polls a chained clip's journaled job (same frame bytes, same key), never submits it again")
    func forcePollsChainedJournaledJobs() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 1 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", storyboard())

        let first = try runVideoBatch(server, in: folder, ["--no-wait"])
        #expect(first.status == 75, "\(first.stderr)")
        #expect(videoSubmits(server).count == 2)

        let forced = try runVideoBatch(server, in: folder, ["--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(generationRequests(server).count == 4, "the stills are made again under --force")
        #expect(server.stats().videoSubmissions == 2, "a journaled job was submitted again")
        #expect(server.stats().duplicateVideoSubmissions == 0)
        #expect(folder.files(under: "out/board").filter { $0.hasSuffix(".mp4") } == ["clip1.mp4", "clip2.mp4"])
    }

    @Test("A producer that fails fails the clips that take it, unsent")
    func failedProducerFailsItsClip() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 0.3 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", storyboard(shotPrompt: "A harbour #fake:status=400"))
        let result = try runVideoBatch(server, in: folder)
        #expect(result.status == 1, "\(result.stderr)")
        // clip1 and clip2 both take shot1: neither is submitted.
        #expect(videoSubmits(server).isEmpty)
        let failed = JournalLines(path: folder.path + "/out/board/.mediabatch/journal.jsonl").records("failed")
        let ids = Set(failed.compactMap { $0["task"] as? String })
        #expect(ids == ["shot1", "clip1", "clip2"], "\(failed)")
        #expect(result.stderr.contains("shot1"), "\(result.stderr)")
    }

    @Test("A frame naming an unknown task, or a speech task, is rejected before anything is sent")
    func badReferencesSendNothing() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("m.json", """
            {"name": "board", "defaults": {"video": {"model": "google/veo-3.1", "duration": 4}},
             "tasks": [{"id": "clip", "type": "video", "prompt": "x", "firstFrame": "@nosuch"},
                       {"id": "voice", "type": "tts", "text": "Hello."},
                       {"id": "clip2", "type": "video", "prompt": "y", "firstFrame": "@voice"},
                       {"id": "pic", "prompt": "two foxes", "model": "google/gemini-2.5-flash-image", "count": 2},
                       {"id": "clip3", "type": "video", "prompt": "z", "firstFrame": "@pic"}]}
            """)
        let result = try runVideoBatch(server, in: folder)
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("nosuch") && result.stderr.contains("firstFrame"), "\(result.stderr)")
        #expect(result.stderr.contains("task voice makes no image"), "\(result.stderr)")
        #expect(result.stderr.contains("name one, as @pic-1"), "\(result.stderr)")
        #expect(server.requests().filter { $0.path != "/models" && !$0.path.hasSuffix("/models") }.isEmpty)
    }
}
