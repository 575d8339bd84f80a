import FakeOpenRouter
import Foundation
import Glibc
import Media
import Testing
import TestSupport

/// Issue 14, endpoint details: the default voice is the model's own, PCM's rate comes from
/// `Content-Type`, reference images within OpenRouter's limits.
@Suite struct SpeechAndReferenceModelTests {
    @Test func withNoVoiceEachModelGetsItsOwnFirstVoiceNeverKokoros() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", """
            {"tasks": [{"id": "a", "type": "tts", "text": "Hello there.", "model": ["openai/gpt-4o-mini-tts-2025-12-15", "mistralai/voxtral-mini-tts-2603", "hexgrad/kokoro-82m"]}]}
            """)
        let plan = try runCLI(["plan", "m.json"], in: folder.path)
        #expect(plan.status == 0, "\(plan.stderr)")
        let voices = plan.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }.filter { $0.count > 3 }.map { [$0[2], $0[3]] }
        #expect(voices.sorted { $0[0] < $1[0] } == [
            ["hexgrad/kokoro-82m", "af_alloy"], ["mistralai/voxtral-mini-tts-2603", "en_paul_neutral"], ["openai/gpt-4o-mini-tts-2025-12-15", "alloy"],
        ])
    }

    /// The WAV header is written from the rate and channels the answer's `Content-Type` names
    /// (the sidecar records them); chunks of one narration that disagree fail it, keeping
    /// what was bought; kept chunks carry their rate into a rerun's join.
    @Test func pcmTakesItsRateFromTheContentTypeAndChunksThatDisagreeAreAnError() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        // Two paragraphs over maxChars 100: two chunks, the second answered at 22050 Hz.
        let mixed = String(repeating: "A first paragraph at the usual rate. ", count: 3) + "\\n\\n"
            + String(repeating: "A second one at a lower rate. ", count: 3) + "#fake:pcm-rate=22050"
        func manifest(subtitles: Bool) -> String {
            """
            {"name": "pcm", "tasks": [
              {"id": "usual", "type": "tts", "format": "pcm", "text": "A line at the usual rate."},
              {"id": "low", "type": "tts", "format": "pcm", "sampleRate": 22050, "text": "A line at a low rate. #fake:pcm-rate=22050"},
              {"id": "answered", "type": "tts", "format": "pcm", "text": "A line the task expects at 24 kHz. #fake:pcm-rate=22050"\(subtitles ? #", "subtitles": "srt""# : "")},
              {"id": "stereo", "type": "tts", "format": "pcm", "text": "A line in two channels. #fake:pcm-channels=2"},
              {"id": "mixed", "type": "tts", "format": "pcm", "maxChars": 150, "text": "\(mixed)"}
            ]}
            """
        }
        folder.write("m.json", manifest(subtitles: false))
        let result = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("answered the narration's pcm chunks in different formats (chunk 1 at 24000 Hz mono, chunk 2 at 22050 Hz mono)"), "\(result.stderr)")
        #expect(server.requests().filter { $0.path == "/audio/speech" }.count == 6)  // the disagreement is not retried
        func rate(_ name: String) -> Int? {
            guard let bytes = FileManager.default.contents(atPath: folder.path + "/out/pcm/\(name).wav"), bytes.count > 28 else { return nil }
            return bytes[24..<28].reversed().reduce(0) { $0 << 8 | Int($1) }
        }
        #expect(rate("usual") == 24000)
        #expect(rate("low") == 22050)
        #expect(rate("answered") == 22050)
        #expect(rate("mixed") == nil)
        // Two channels answered: a two-channel WAV header, and the duration counts frames, not samples.
        let stereo = try #require(FileManager.default.contents(atPath: folder.path + "/out/pcm/stereo.wav"))
        #expect(Int(stereo[22]) | Int(stereo[23]) << 8 == 2)
        let stereoSidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/pcm/stereo.wav.json"))) as? [String: Any])
        #expect(stereoSidecar["channels"] as? Int == 2)
        let stereoSeconds = Double(stereo.count - 44) / Double(24000 * 2 * 2)
        #expect(abs((stereoSidecar["duration"] as? Double ?? 0) - stereoSeconds) < 0.002)
        let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/pcm/answered.wav.json"))) as? [String: Any])
        #expect((sidecar["duration"] as? Double ?? 0) > 0)
        #expect(sidecar["sampleRate"] as? Int == 22050)
        #expect(sidecar["channels"] as? Int == 1)
        // The chunks of the failed narration were kept, with the rate each was answered at.
        let chunks = JournalLines(path: folder.path + "/out/pcm/.mediabatch/journal.jsonl").records("chunk")
        #expect(chunks.compactMap { $0["rate"] as? Int }.sorted() == [22050, 22050, 22050, 24000, 24000, 24000])
        #expect(chunks.compactMap { $0["channels"] as? Int }.sorted() == [1, 1, 1, 1, 1, 2])

        // A rerun asking for subtitles joins the kept chunk again (the subtitles come with the
        // new file), at the rate it was answered at, not the task's; nothing is bought.
        folder.write("m.json", manifest(subtitles: true))
        let again = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        #expect(again.status != 0)
        #expect(server.requests().filter { $0.path == "/audio/speech" }.count == 6, "\(again.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.path + "/out/pcm/answered.srt"))
        #expect(rate("answered") == 22050)
    }

    @Test func referenceImagesOverTheLimitsAreRefusedAtValidation() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        for (name, size) in [("big.png", 21_000_000), ("a.png", 15_000_000), ("b.png", 15_000_000), ("c.png", 15_000_000)] {
            // A PNG signature, then zeros: an image by its first bytes, of that size.
            folder.write(name, bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            #expect(truncate(folder.path + "/" + name, off_t(size)) == 0)
        }
        folder.write("m.json", """
            {"tasks": [
              {"id": "one", "prompt": "edit", "model": "google/gemini-2.5-flash-image", "inputImages": ["big.png"]},
              {"id": "three", "prompt": "edit", "model": "google/gemini-2.5-flash-image", "inputImages": ["a.png", "b.png", "c.png"]},
              {"id": "two", "prompt": "edit", "model": "google/gemini-2.5-flash-image", "inputImages": ["a.png", "b.png"]}
            ]}
            """)
        let result = try runCLI(["validate", "m.json", "--offline"], in: folder.path)
        #expect(result.status == 65)
        #expect(result.stderr.contains("tasks[0].inputImages[0] = \"big.png\": reference image must be a regular file of at most 20 MB"), "\(result.stderr)")
        #expect(result.stderr.contains("tasks[1].inputImages"))
        #expect(result.stderr.contains("over OpenRouter's 50 MiB limit"))
        #expect(!result.stderr.contains("tasks[2]"))

        // Opted in (here for every image task, in defaults), both limits give way: the run shrinks them.
        let manifest = try String(contentsOfFile: folder.path + "/m.json", encoding: .utf8)
        folder.write("m.json", manifest.replacingOccurrences(of: #"{"tasks": ["#, with: #"{"defaults": {"image": {"downscaleInputs": true}}, "tasks": ["#))
        let opted = try runCLI(["validate", "m.json", "--offline"], in: folder.path)
        #expect(opted.status == 0, "\(opted.stderr)")

        // A reference that is not an image is refused now, not when its task is sent (after
        // the rest of the batch was paid for).
        folder.write("notes.png", "just some text, not an image")
        folder.write("m.json", #"{"tasks": [{"id": "x", "prompt": "edit", "model": "google/gemini-2.5-flash-image", "inputImages": ["a.png", "notes.png"]}]}"#)
        let text = try runCLI(["validate", "m.json", "--offline"], in: folder.path)
        #expect(text.status == 65)
        #expect(text.stderr.contains("m.json:1: tasks[0].inputImages[1] = \"notes.png\": reference image notes.png is not a PNG, JPEG, WebP or GIF image"), "\(text.stderr)")
    }
    /// Opted in (`downscaleInputs`), a reference image over 20 MB is shrunk with libvips
    /// before it is sent, keeping its aspect ratio, instead of refused; the key comes from the
    /// file's stamp and the option, so a rerun recognises the task and buys nothing.
    @Test func anOversizedReferenceIsShrunkWhenTheTaskOptsIn() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        let original = SampleImages.incompressiblePNG(bytes: 24_000_000)
        folder.write("big.png", bytes: original)
        let size = try #require(ImageFormat.dimensions(original))
        func manifest(_ downscale: Bool) -> String {
            """
            {"name": "shrink", "tasks": [{"id": "edit", "prompt": "edit", "model": "google/gemini-2.5-flash-image", "inputImages": ["big.png"]\(downscale ? #", "downscaleInputs": true"# : "")}]}
            """
        }
        folder.write("m.json", manifest(false))
        let refused = try runCLI(["validate", "m.json"], in: folder.path)
        #expect(refused.status == 65)
        #expect(refused.stderr.contains(#"reference image must be a regular file of at most 20 MB (OpenRouter's limit), or set "downscaleInputs": true to have it shrunk"#), "\(refused.stderr)")

        folder.write("m.json", manifest(true))
        let result = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        #expect(result.status == 0, "\(result.stderr)")
        let body = try #require(server.requests().first { $0.path == "/chat/completions" }?.json())
        let content = try #require(((body["messages"] as? [[String: Any]])?.first?["content"]) as? [[String: Any]])
        let urls: [String] = content.compactMap { part in (part["image_url"] as? [String: Any])?["url"] as? String }
        let url = try #require(urls.first)
        let comma = try #require(url.firstIndex(of: ","))
        let sent = try #require(Data(base64Encoded: String(url[url.index(after: comma)...])))
        #expect(sent.count <= 20_000_000 && sent.count > 1_000_000, "\(sent.count) bytes")
        let shrunk = try #require(ImageFormat.dimensions([UInt8](sent)))
        #expect(shrunk.width <= size.width && shrunk.height <= size.height)
        #expect(abs(Double(shrunk.width) / Double(shrunk.height) - Double(size.width) / Double(size.height)) < 0.01)
        #expect(url.hasPrefix("data:image/jpeg;base64,"))  // a photo without alpha goes as JPEG
        #expect(FileManager.default.contents(atPath: folder.path + "/big.png").map([UInt8].init) == original)  // the file is untouched

        let again = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(server.requests().filter { $0.path == "/chat/completions" }.count == 1)
    }
}

