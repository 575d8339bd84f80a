import FakeOpenRouter
import Foundation
import Glibc
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

    @Test func pcmTakesItsRateFromTheContentTypeAndADifferentRateIsAnErrorWithTheFix() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", """
            {"name": "pcm", "tasks": [
              {"id": "usual", "type": "tts", "format": "pcm", "text": "A line at the usual rate."},
              {"id": "low", "type": "tts", "format": "pcm", "sampleRate": 22050, "text": "A line at a low rate. #fake:pcm-rate=22050"},
              {"id": "wrong", "type": "tts", "format": "pcm", "text": "A line the task expects at 24 kHz. #fake:pcm-rate=22050"}
            ]}
            """)
        let result = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains(#"answered pcm at 22050 Hz, but the task's sampleRate is 24000: set "sampleRate": 22050"#), "\(result.stderr)")
        #expect(server.requests().filter { $0.path == "/audio/speech" }.count == 3)  // the mismatch is not retried
        func rate(_ name: String) -> Int? {
            guard let bytes = FileManager.default.contents(atPath: folder.path + "/out/pcm/\(name).wav"), bytes.count > 28 else { return nil }
            return bytes[24..<28].reversed().reduce(0) { $0 << 8 | Int($1) }
        }
        #expect(rate("usual") == 24000)
        #expect(rate("low") == 22050)
        #expect(rate("wrong") == nil)
        let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/pcm/low.wav.json"))) as? [String: Any])
        #expect((sidecar["duration"] as? Double ?? 0) > 0)
    }

    @Test func referenceImagesOverTheLimitsAreRefusedAtValidation() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        for (name, size) in [("big.png", 21_000_000), ("a.png", 15_000_000), ("b.png", 15_000_000), ("c.png", 15_000_000)] {
            folder.write(name, bytes: [])
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
    }
}
