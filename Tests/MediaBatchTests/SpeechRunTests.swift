import FakeOpenRouter
import Foundation
import Manifest
import ManifestDiagnostics
import Media
import Narration
import Testing
import TestSupport

/// A chapter of about `characters` characters: sentences with abbreviations, decimals and
/// paragraphs, so the splitter has real work.
func chapterText(characters: Int) -> String {
    let sentences = [
        "Dr. Ellison checked the gauge, which read 3.75 bar, and frowned.",
        "The tide would turn within the hour; the boat had to leave before then.",
        "Mr. Petrov, who had sold her the wire, said nothing at all.",
        "She climbed the stair again, counting the steps: one hundred and twelve.",
        "\"Not yet,\" she said. \"The lens is still cold.\"",
        "Far out on the water, a light blinked twice and went dark.",
    ]
    var text = ""
    var index = 0
    while text.count < characters {
        text += sentences[index % sentences.count]
        index += 1
        text += index % 9 == 0 ? "\n\n" : " "
    }
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
}

@Suite struct SpeechRunTests {
    typealias Tool = MediaToolHarness

    @Test func aShortLineAndALongChapterBecomeTwoCompleteMP3s() throws {
        let server = try startFake { $0.latency = 0.05 }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let chapter = chapterText(characters: 30_000)
        folder.write("chapter.txt", chapter)
        let summary = try runAgainst(server, manifest: """
            {"name": "book", "defaults": {"tts": {"voice": "af_bella", "maxChars": 4000}},
             "tasks": [
               {"id": "intro", "type": "tts", "text": "Chapter one."},
               {"id": "chapter-1", "type": "tts", "textFile": "chapter.txt", "title": "Chapter One", "keepChunks": true}
             ]}
            """, in: folder, concurrency: 3)
        #expect(summary.done == 2, "\(summary.failures.map { "\($0.result)" })")
        #expect(folder.files(under: "out/book").filter { !$0.contains(".part-") } == ["chapter-1.mp3", "intro.mp3"])

        // The requests: exactly the documented fields, never more in flight than the bound.
        let requests = server.requests().filter { $0.path == "/audio/speech" }
        // The bound is on generations; the cost lookups have lanes of their own.
        #expect(server.stats().maxGenerationsInFlight <= 3)
        let bodies = requests.compactMap { $0.json() }
        #expect(bodies.count == requests.count)
        for body in bodies {
            #expect(Set(body.keys) == ["model", "input", "voice", "response_format"])
            #expect(body["model"] as? String == "hexgrad/kokoro-82m")
            #expect(body["voice"] as? String == "af_bella")
            #expect(body["response_format"] as? String == "mp3")
            #expect(((body["input"] as? String) ?? "").count <= 4000)
        }
        let chunkInputs = bodies.compactMap { $0["input"] as? String }.filter { $0 != "Chapter one." }
        #expect(chunkInputs.count >= 8)
        func squeeze(_ text: String) -> String { text.filter { !$0.isWhitespace } }
        #expect(chunkInputs.map(squeeze).sorted() == NarrationSplitter.split(chapter, maxChars: 4000).map(squeeze).sorted())
        for request in requests {
            #expect(request.header("authorization") == "Bearer test-key")
            #expect(request.header("x-openrouter-categories") == nil)
        }

        // The joined file: an independent decoder reads all of it, and it lasts as long as its parts.
        let directory = URL(fileURLWithPath: folder.path + "/out/book")
        let joined = directory.appendingPathComponent("chapter-1.mp3")
        let parts = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".part-") }.sorted()
        #expect(parts.count == chunkInputs.count)
        let partSeconds = try parts.map { try Tool.probeDuration(directory.appendingPathComponent($0), in: directory) }.reduce(0, +)
        let joinedSeconds = try Tool.probeDuration(joined, in: directory)
        #expect(abs(joinedSeconds - partSeconds) <= 0.024 + 1e-6, "joined \(joinedSeconds) s, parts \(partSeconds) s")
        #expect(joinedSeconds > 250)
        let decode = try Tool.run("mpg123", ["-t", "-q", joined.path], in: directory)
        #expect(decode.status == 0)
        #expect(decode.stderr.isEmpty, "\(decode.stderr)")
        let tags = try Tool.run("ffprobe", ["-v", "error", "-show_entries", "format_tags=title,artist,album", "-of", "default=nw=1", joined.path], in: directory)
        #expect(tags.stdout.contains("title=Chapter One"))
        #expect(tags.stdout.contains("artist=af_bella"))
        #expect(tags.stdout.contains("album=book"))

        // One ID3 tag at the start and one Info frame right after it; nothing of the kind inside.
        let bytes = [UInt8](try Data(contentsOf: joined))
        func occurrences(_ marker: String) -> Int {
            let needle = Array(marker.utf8)
            return (0...(bytes.count - needle.count)).filter { bytes[$0] == needle[0] && Array(bytes[$0..<($0 + needle.count)]) == needle }.count
        }
        #expect(occurrences("ID3") == 1)
        #expect(occurrences("Xing") + occurrences("Info") == 1)

        // What came back is in the tag: TLEN, the exact length in milliseconds (frame count).
        let tagSize = ID3Tag.syncsafeValue(bytes, at: 6) ?? 0
        let tag = Array(bytes[10..<(10 + tagSize)])
        let tlen = try #require((0..<(tag.count - 4)).first { Array(tag[$0..<($0 + 4)]) == Array("TLEN".utf8) })
        let length = ID3Tag.syncsafeValue(tag, at: tlen + 4) ?? 0
        let milliseconds = try #require(Int(String(decoding: tag[(tlen + 11)..<(tlen + 10 + length)], as: UTF8.self)))
        #expect(tag[tlen + 10] == 3)  // UTF-8
        #expect(abs(Double(milliseconds) / 1000 - joinedSeconds) <= 0.05, "TLEN \(milliseconds) ms, ffprobe \(joinedSeconds) s")
    }

    @Test func pcmIsWrittenAsAWAVAndOptionsAreForwarded() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        let summary = try runAgainst(server, manifest: """
            {"name": "pcm", "tasks": [
              {"id": "line", "type": "tts", "text": "Hello there, this is raw audio.", "format": "pcm", "speed": [1.0, 1.5],
               "model": "openrouter/openai/gpt-4o-mini-tts-2025-12-15", "voice": "nova",
               "provider": {"options": {"openai": {"instructions": "Speak warmly."}}}}
            ]}
            """, in: folder)
        #expect(summary.done == 2)
        #expect(folder.files(under: "out/pcm") == ["line-1.0x.wav", "line-1.5x.wav"])
        let wav = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/pcm/line-1.5x.wav")))
        let info = try WAVFile.parse(wav)
        #expect(info.sampleRate == 24000)
        #expect(info.channels == 1)
        #expect(info.bitsPerSample == 16)
        #expect(info.dataSize == wav.count - 44)
        let bodies = server.requests().compactMap { $0.json() }
        #expect(bodies.count == 2)
        for body in bodies {
            #expect(Set(body.keys) == ["model", "input", "voice", "response_format", "speed", "provider"])
            #expect(body["model"] as? String == "openai/gpt-4o-mini-tts-2025-12-15")
            #expect(body["response_format"] as? String == "pcm")
            let options = (body["provider"] as? [String: Any])?["options"] as? [String: [String: String]]
            #expect(options?["openai"]?["instructions"] == "Speak warmly.")
        }
        #expect(Set(bodies.compactMap { $0["speed"] as? Double }) == [1.0, 1.5])
    }

    @Test func speechKeyComesFromTheConfigFileBeforeTheEnvironment() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("jobs/m.json", """
            {"name": "keys", "tasks": [
              {"id": "say", "type": "tts", "text": "Key check."},
              {"id": "draw", "prompt": "a key", "model": "google/gemini-2.5-flash-image"}
            ]}
            """)
        let config = folder.write("config.json", #"{"providers": {"openrouter": {"apiKey": "provider-key"}}, "tts": {"apiKey": "speech-key"}}"#)
        chmod(config, 0o600)
        let result = try runCLI(["run", "jobs/m.json", "--base-url", server.baseURL, "--config", "config.json"],
                                environment: ["OPENROUTER_API_KEY": "env-key"], in: folder.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("warning"))
        let byPath = Dictionary(grouping: server.requests(), by: \.path)
        #expect(byPath["/audio/speech"]?.map { $0.header("authorization") } == ["Bearer speech-key"])
        #expect(byPath["/chat/completions"]?.map { $0.header("authorization") } == ["Bearer provider-key"])

        // Without the config file the environment's key serves both; a readable file is warned about.
        chmod(config, 0o644)
        let warned = try runCLI(["run", "jobs/m.json", "--base-url", server.baseURL, "--config", "config.json", "--output-root", "o2"],
                                environment: ["OPENROUTER_API_KEY": "env-key"], in: folder.path)
        #expect(warned.stderr.contains("can be read by other users"))
        server.reset()
        let plain = try runCLI(["run", "jobs/m.json", "--base-url", server.baseURL, "--output-root", "o3"],
                               environment: ["OPENROUTER_API_KEY": "env-key", "XDG_CONFIG_HOME": folder.path + "/nowhere"], in: folder.path)
        #expect(plain.status == 0)
        #expect(Set(server.requests().map { $0.header("authorization") }) == ["Bearer env-key"])
    }

    @Test func speechValidationNamesTheField() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let error = try #require(throws: ManifestError.self) {
            try plan("""
                {"tasks": [
                  {"id": "a", "type": "tts", "text": "x", "textFile": "t.txt"},
                  {"id": "b", "type": "tts", "text": "y", "speed": 9, "format": "ogg"},
                  {"id": "c", "type": "tts", "textFile": "../../etc/passwd"},
                  {"id": "d", "type": "tts", "text": "", "voice": ""}
                ]}
                """, in: folder)
        }
        let fields = error.issues.map(\.field)
        #expect(fields.contains("tasks[0].textFile"))
        #expect(fields.contains("tasks[1].speed"))
        #expect(fields.contains("tasks[1].format"))
        #expect(fields.contains("tasks[2].textFile"))
        #expect(fields.contains("tasks[3].text"))
        #expect(fields.contains("tasks[3].voice"))
        #expect(error.issues.allSatisfy { $0.line != nil })
    }
}
