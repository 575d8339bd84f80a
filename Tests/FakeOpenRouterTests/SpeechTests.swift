import FakeOpenRouter
import Foundation
import Testing
import TestSupport

@Suite("POST /audio/speech")
struct SpeechTests {
    private func speak(_ server: FakeOpenRouterServer, _ fields: [String: Any]) throws -> HTTPResult {
        var body: [String: Any] = ["model": "hexgrad/kokoro-82m", "input": "Chapter one.", "voice": "af_alloy", "response_format": "mp3"]
        body.merge(fields) { $1 }
        return try post(server, "/audio/speech", json(body))
    }

    @Test("mp3 decodes with ffprobe and mpg123; 10 ms of audio per character")
    func mp3Duration() throws {
        let server = try startServer()
        defer { server.stop() }
        let text = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 9)
        let result = try speak(server, ["input": text])
        #expect(result.status == 200)
        #expect(result.header("Content-Type") == "audio/mpeg")
        #expect(result.header("X-Generation-Id")?.hasPrefix("gen-") == true)
        #expect(Array(result.body.prefix(3)) == Array("ID3".utf8))

        let file = try temporaryFile(result.body, suffix: ".mp3")
        defer { try? FileManager.default.removeItem(at: file) }
        let probe = try run("/usr/bin/ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file.path])
        #expect(probe.status == 0 && probe.stderr.isEmpty, "\(probe.stderr)")
        let duration = try #require(Double(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let expected = Double(text.count) * 0.010
        #expect(abs(duration - expected) <= 0.025, "duration \(duration) vs \(expected)")

        let decode = try run("/usr/bin/mpg123", ["-q", "-t", file.path])
        #expect(decode.status == 0)
        #expect(!decode.stderr.lowercased().contains("error") && !decode.stderr.lowercased().contains("warning"), "\(decode.stderr)")
        #expect(try decodesCleanly(result.body, suffix: ".mp3"))
    }

    @Test("#fake:amplitude= answers an audible tone in frames like the silent stream's, 20 dB louder at ten times A")
    func amplitude() throws {
        let server = try startServer()
        defer { server.stop() }
        let text = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 4)
        var levels: [Double] = []
        for amplitude in ["0.02", "0.2"] {
            let directive = " #fake:amplitude=" + amplitude
            let body = try speak(server, ["input": text + directive]).body
            let silent = try speak(server, ["input": text + String(repeating: "x", count: directive.count)]).body
            // The same tag, Info frame and number of 96-byte MPEG-2 Layer III frames.
            #expect(body.count == silent.count && body.prefix(10 + Int(body[9]) + 96) == silent.prefix(10 + Int(silent[9]) + 96))
            let audioStart = 10 + Int(body[9]) + 96
            #expect(stride(from: audioStart, to: body.count, by: 96).allSatisfy { body[$0] == 0xFF && body[$0 + 1] == 0xF3 })
            #expect(body != silent)
            #expect(try decodesCleanly(body, suffix: ".mp3"))
            let file = try temporaryFile(body, suffix: ".mp3")
            defer { try? FileManager.default.removeItem(at: file) }
            let result = try run("/usr/bin/ffmpeg", ["-nostats", "-hide_banner", "-i", file.path, "-af", "ebur128", "-f", "null", "-"])
            let summary = try #require(result.stderr.components(separatedBy: "Summary:").last)
            let line = try #require(summary.split(separator: "\n").first { $0.contains("I:") })
            levels.append(try #require(line.split(separator: " ").compactMap { Double($0) }.first))
        }
        #expect(levels[0] > -50 && abs(levels[1] - levels[0] - 20) < 1, "\(levels)")
    }

    @Test("speechAmplitudes: every answer audible, at a level the input decides")
    func configuredAmplitudes() throws {
        let server = try startServer { $0.speechAmplitudes = [0.02, 0.3] }
        defer { server.stop() }
        var levels: Set<Int> = []
        for number in 1...6 {
            let input = "Sentence number \(number) of a narration long enough to measure its loudness well."
            let body = try speak(server, ["input": input]).body
            #expect(try speak(server, ["input": input]).body == body)
            let file = try temporaryFile(body, suffix: ".mp3")
            defer { try? FileManager.default.removeItem(at: file) }
            let result = try run("/usr/bin/ffmpeg", ["-nostats", "-hide_banner", "-i", file.path, "-af", "ebur128", "-f", "null", "-"])
            let summary = try #require(result.stderr.components(separatedBy: "Summary:").last)
            let line = try #require(summary.split(separator: "\n").first { $0.contains("I:") })
            levels.insert(Int(try #require(line.split(separator: " ").compactMap { Double($0) }.first).rounded()))
        }
        // Two levels, 20·log10(0.3 / 0.02) = 23.5 dB apart, none silent.
        #expect(levels.count == 2 && levels.allSatisfy { $0 > -60 }, "\(levels)")
        #expect(abs(Double((levels.max() ?? 0) - (levels.min() ?? 0)) - 23.5) <= 1.5, "\(levels)")
    }

    @Test("A one-character input is still a valid, decodable stream")
    func shortest() throws {
        let server = try startServer()
        defer { server.stop() }
        let result = try speak(server, ["input": "a", "model": "openai/gpt-4o-mini-tts-2025-12-15", "voice": "nova"])
        #expect(result.status == 200)
        #expect(try decodesCleanly(result.body, suffix: ".mp3"))
    }

    @Test("pcm is raw 16-bit mono 24 kHz of the same duration, not silent")
    func pcm() throws {
        let server = try startServer()
        defer { server.stop() }
        let text = String(repeating: "x", count: 576)  // 5.76 s = 240 frames of 576 samples
        let result = try speak(server, ["input": text, "response_format": "pcm"])
        #expect(result.status == 200)
        #expect(result.header("Content-Type") == "audio/pcm;rate=24000;channels=1")
        #expect(result.body.count == 576 * 240 * 2)
        let samples = stride(from: 0, to: 2000, by: 2).map { Int16(bitPattern: UInt16(result.body[$0]) | UInt16(result.body[$0 + 1]) << 8) }
        #expect(samples.contains { $0 != 0 })
        #expect(samples.allSatisfy { abs(Int($0)) < 4000 })
    }

    @Test("Errors are JSON: empty input, missing or unknown voice, bad format, unknown model")
    func errors() throws {
        let server = try startServer()
        defer { server.stop() }
        for fields: [String: Any] in [
            ["input": ""], ["voice": NSNull()], ["voice": "nova"], ["response_format": "wav"],
            ["model": "acme/tts"], ["speed": 9.0],
        ] {
            let result = try speak(server, fields)
            #expect(result.status == 400, "\(fields)")
            #expect(result.header("Content-Type") == "application/json")
            #expect((result.json()?["error"] as? [String: Any])?["code"] as? Int == 400)
        }
        let status = try speak(server, ["input": "please fail #fake:status=500"])
        #expect(status.status == 500)
    }
}
