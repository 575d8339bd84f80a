import CLame
import FakeOpenRouter
import Foundation
import Loudness
import Media
import Testing
import TestSupport

/// EBU R128 integrated loudness as ffmpeg's `ebur128` filter measures it: an independent
/// meter for the loudness tests (its summary's "I: -18.1 LUFS").
func ffmpegLoudness(_ path: String) throws -> Double {
    let result = try runTool(try MediaToolHarness.locate("ffmpeg"), ["-nostats", "-hide_banner", "-i", path, "-af", "ebur128", "-f", "null", "-"])
    try #require(result.status == 0, "ffmpeg failed on \(path): \(result.stderr)")
    let summary = try #require(result.stderr.range(of: "Summary:"), "no ebur128 summary: \(result.stderr.suffix(500))")
    let line = try #require(result.stderr[summary.upperBound...].split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("I:") })
    let number = line.split(separator: " ").dropFirst().first.flatMap { Double($0) }
    return try #require(number, "cannot read \(line)")
}

/// The sizes of an mp3's audio frames, in order (the Xing/Info frame not included).
func frameSizes(_ mp3: [UInt8]) -> [Int] { MP3Frames.scan(mp3).frames.map(\.length) }

@Suite struct LoudnessTests {
    typealias Tool = MediaToolHarness

    /// A sine tone made by ffmpeg's LAME encoder, at `volume` (linear).
    private func tone(_ name: String, rate: Int, channels: Int, bitrate: String, volume: Double, in folder: TempFolder) throws -> [UInt8] {
        let path = folder.path + "/" + name
        let result = try runTool(try Tool.locate("ffmpeg"), [
            "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=4", "-af", "volume=\(volume)",
            "-ar", "\(rate)", "-ac", "\(channels)", "-b:a", bitrate, "-y", path,
        ])
        try #require(result.status == 0, "ffmpeg: \(result.stderr)")
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test(arguments: [(24000, 1, "32k"), (44100, 2, "128k"), (48000, 1, "64k"), (22050, 2, "64k")])
    func globalGainStepsMoveTheLevelAndKeepEveryFrame(rate: Int, channels: Int, bitrate: String) throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let original = try tone("tone.mp3", rate: rate, channels: channels, bitrate: bitrate, volume: 0.1, in: folder)
        var louder = original
        let shift = MP3GlobalGain.shift(&louder, steps: 4)
        #expect(shift.clampedFields == 0)
        // Not re-encoded: the same frames, the same sizes, the same bytes outside the side info.
        let before = MP3Frames.scan(original).frames
        let after = MP3Frames.scan(louder).frames
        #expect(before.count == after.count && shift.frames == before.count && before.count > 50)
        #expect(before.map(\.length) == after.map(\.length) && before.map(\.offset) == after.map(\.offset))
        #expect(original.count == louder.count)
        for (old, new) in zip(before, after) {
            let oldGains = MP3GlobalGain.globalGains(original, frame: old)
            let newGains = MP3GlobalGain.globalGains(louder, frame: new)
            #expect(oldGains.count == (rate >= 32000 ? 2 : 1) * channels)
            #expect(zip(oldGains, newGains).allSatisfy { $1 == $0 + 4 }, "\(oldGains) → \(newGains)")
            let sideEnd = old.offset + 4 + old.header.sideInfoSize
            #expect(original[sideEnd..<old.range.upperBound] == louder[sideEnd..<old.range.upperBound])
        }
        // Four steps are 6.02 dB, by our meter and by ffmpeg's.
        let path = folder.write("louder.mp3", bytes: louder)
        let ours = try #require(try Loudness.measure(mp3: louder).integrated) - (try #require(try Loudness.measure(mp3: original).integrated))
        let theirs = try ffmpegLoudness(path) - ffmpegLoudness(folder.path + "/tone.mp3")
        #expect(abs(ours - 4 * MP3GlobalGain.decibelsPerStep) < 0.2, "ours \(ours)")
        #expect(abs(theirs - 4 * MP3GlobalGain.decibelsPerStep) < 0.2, "ffmpeg \(theirs)")
        #expect(try decodesCleanly(louder, suffix: ".mp3"))
    }

    /// A tone encoded by LAME with error protection: every frame carries a CRC-16 over its
    /// header and side info (ffmpeg's encoder cannot make one).
    private func protectedTone(samples: Int) -> [UInt8] {
        guard let flags = lame_init() else { return [] }
        defer { lame_close(flags) }
        lame_set_in_samplerate(flags, 44100)
        lame_set_num_channels(flags, 2)
        lame_set_brate(flags, 128)
        lame_set_error_protection(flags, 1)
        lame_set_bWriteVbrTag(flags, 0)
        guard lame_init_params(flags) >= 0 else { return [] }
        let pcm = (0..<samples).map { Int16(3000 * sin(Double($0) * 2 * .pi * 440 / 44100)) }
        var out = [UInt8](repeating: 0, count: samples * 2 + 14400)
        let written = pcm.withUnsafeBufferPointer { left in
            out.withUnsafeMutableBufferPointer { lame_encode_buffer(flags, left.baseAddress, left.baseAddress, Int32(samples), $0.baseAddress, Int32($0.count)) }
        }
        let flushed = out.withUnsafeMutableBufferPointer { lame_encode_flush(flags, $0.baseAddress! + Int(written), Int32($0.count) - written) }
        return Array(out[0..<Int(written + flushed)])
    }

    @Test func framesWithACRCGetTheirCRCRecomputed() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let original = protectedTone(samples: 44100 * 2)
        let frames = MP3Frames.scan(original).frames
        #expect(frames.count > 50 && frames.allSatisfy(\.header.hasCRC))
        var shifted = original
        MP3GlobalGain.shift(&shifted, steps: -3)
        #expect(frameSizes(shifted) == frameSizes(original))
        // ffmpeg checking every CRC finds none wrong after the shift...
        func crcErrors(_ bytes: [UInt8], _ name: String) throws -> String {
            let path = folder.write(name, bytes: bytes)
            return try runTool(try Tool.locate("ffmpeg"), ["-v", "error", "-err_detect", "crccheck", "-i", path, "-f", "null", "-"]).stderr
        }
        #expect(try crcErrors(shifted, "shifted.mp3").isEmpty)
        // ...while the same change with the old CRCs left in place is caught.
        var stale = shifted
        for frame in frames { stale[frame.offset + 4] = original[frame.offset + 4]; stale[frame.offset + 5] = original[frame.offset + 5] }
        #expect(try !crcErrors(stale, "stale.mp3").isEmpty)
    }

    @Test func theMeterAgreesWithFFmpegAndSilenceHasNoLoudness() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        for volume in [0.02, 0.3] {
            let mp3 = try tone("t\(volume).mp3", rate: 24000, channels: 1, bitrate: "32k", volume: volume, in: folder)
            let ours = try #require(try Loudness.measure(mp3: mp3).integrated)
            #expect(abs(ours - (try ffmpegLoudness(folder.path + "/t\(volume).mp3"))) < 0.5)
        }
        let silence = [UInt8](repeating: 0, count: 48000)
        #expect(try Loudness.measure(pcm16LE: silence, sampleRate: 24000).integrated == nil)
        #expect(throws: LoudnessError.self) { try Loudness.measure(mp3: Array("not an mp3 at all".utf8)) }
    }

    @Test func gainsClampAtTheFieldsLimitsAndCountTheClamped() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let original = try tone("tone.mp3", rate: 24000, channels: 1, bitrate: "32k", volume: 0.5, in: folder)
        var shifted = original
        let shift = MP3GlobalGain.shift(&shifted, steps: -300)
        #expect(shift.clampedFields == shift.frames)
        for frame in MP3Frames.scan(shifted).frames { #expect(MP3GlobalGain.globalGains(shifted, frame: frame) == [0]) }
        #expect(frameSizes(shifted) == frameSizes(original))
    }

    /// A 440 Hz tone of `seconds` peaking at `peak` (ffmpeg's sine source is 1/8 of full
    /// scale, so `volume` is 8 × peak), mono 24 kHz, made by ffmpeg's LAME encoder.
    private func shortTone(_ name: String, seconds: Double, peak: Double, in folder: TempFolder) throws -> [UInt8] {
        let path = folder.path + "/" + name
        let made = try runTool(try Tool.locate("ffmpeg"), [
            "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=\(seconds)", "-af", "volume=\(8 * peak)", "-ar", "24000", "-ac", "1", "-b:a", "32k", "-y", path,
        ])
        try #require(made.status == 0, "\(made.stderr)")
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The ceiling a gain may lift a peak to (-1 dBFS), with room for the mp3 decoder's rounding.
    static let ceiling = 0.8913 * 1.02

    @Test func aChunkTooShortToIntegrateIsLevelledByItsOwnLevelAndSilenceStaysPut() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let long = try tone("long.mp3", rate: 24000, channels: 1, bitrate: "32k", volume: 0.02, in: folder)
        let quietShort = try shortTone("quiet.mp3", seconds: 0.2, peak: 0.0025, in: folder)
        // A one-word quote that came loud: the mean shift of the others (+25 steps here) would clip it.
        let loudShort = try shortTone("loud.mp3", seconds: 0.2, peak: 0.5, in: folder)
        let silent = try tone("silent.mp3", rate: 24000, channels: 1, bitrate: "32k", volume: 0, in: folder)
        let levelled = try NarrationLeveller.levelMP3([long, quietShort, loudShort, silent], target: -18)
        #expect(levelled.chunks[0].measured != nil && levelled.chunks[0].steps > 5)
        // The short ones are measured over their own length and moved by what they need.
        let quiet = try #require(levelled.chunks[1].measured)
        let loud = try #require(levelled.chunks[2].measured)
        #expect(abs(quiet - (try #require(levelled.chunks[0].measured))) < 2, "\(levelled.chunks)")
        #expect(abs(levelled.chunks[1].steps - levelled.chunks[0].steps) <= 1, "\(levelled.chunks)")
        #expect(levelled.chunks[2].steps < 0 && abs(loud + levelled.chunks[2].gain - -18) <= 1, "\(levelled.chunks)")
        #expect(levelled.chunks[3].measured == nil && levelled.chunks[3].steps == 0 && levelled.parts[3] == silent)
        for part in levelled.parts { #expect(try Loudness.measure(mp3: part).samplePeak <= Self.ceiling) }
    }

    @Test func noGainLiftsAChunksPeakAboveMinusOneDBFS() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        // Sine peaking at 0.3 (-10.5 dBFS, about -13.5 LUFS): 0 LUFS would want 9 steps, 6 fit.
        let moderate = try shortTone("moderate.mp3", seconds: 2, peak: 0.3, in: folder)
        let nearFull = try shortTone("full.mp3", seconds: 2, peak: 0.95, in: folder)
        let levelled = try NarrationLeveller.levelMP3([moderate, nearFull], target: 0)
        #expect(levelled.chunks.allSatisfy { $0.peakLimited }, "\(levelled.chunks)")
        #expect((5...6).contains(levelled.chunks[0].steps) && levelled.chunks[1].steps == 0, "\(levelled.chunks)")
        // The one over the ceiling already is not lifted further (nor lowered: it is not too loud).
        #expect(levelled.parts[1] == nearFull)
        let peak = try Loudness.measure(mp3: levelled.parts[0]).samplePeak
        #expect(peak > 0.7, "\(peak)")
        // PCM is held under the same ceiling.
        let pcm = Array([[UInt8]](repeating: [0xFF, 0x3F, 0x01, 0xC0], count: 2400).joined())  // 0.2 s at ±16383
        let scaled = try NarrationLeveller.levelPCM([pcm], sampleRate: 24000, target: 5)
        #expect(scaled.chunks[0].peakLimited)
        #expect(PCM16.samples(scaled.parts[0]).map { abs(Int($0)) }.max()! <= 29210)
    }

    @Test func pcmIsScaledWithinFullScale() {
        let loud: [UInt8] = [0xFF, 0x3F, 0x01, 0xC0]  // 16383, -16383
        #expect(PCM16.samples(PCM16.scaled(loud, by: 4)) == [32767, -32768])
        #expect(PCM16.samples(PCM16.scaled(loud, by: 0.5)) == [8192, -8192])
    }
}

/// Narrations brought to their loudness target by the real binary against the fake, whose
/// chunks come at very different amplitudes (`#fake:amplitude=`), judged by ffmpeg.
@Suite struct NarrationLoudnessTests {
    /// Three chunks (maxChars 100), each at its own amplitude: about -43, -19 and -31 LUFS.
    static let text = [
        "The first part #fake:amplitude=0.01 of the story is told very quietly by the narrator.",
        "The second part #fake:amplitude=0.15 comes much louder, as if the narrator stood up.",
        "The third part #fake:amplitude=0.04 falls back to a murmur near the end of the tale.",
    ].joined(separator: " ")

    private func run(_ loudness: String?, format: String = "mp3", in folder: TempFolder, server: FakeOpenRouterServer) throws -> String {
        let field = loudness.map { #", "loudness": \#($0)"# } ?? ""
        folder.write("m.json", """
            {"name": "level", "tasks": [{"id": "n", "type": "tts", "maxChars": 100, "keepChunks": true, "format": "\(format)",
              "text": "\(Self.text)"\(field)}]}
            """)
        let result = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        try #require(result.status == 0, "\(result.stderr)")
        return folder.path + "/out/level/n." + (format == "mp3" ? "mp3" : "wav")
    }

    @Test func chunksAtDifferentLevelsLandWithinOneLUOfTheTargetWithoutReencoding() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        let path = try run(nil, in: folder, server: server)
        #expect(server.requests().filter { $0.path == "/audio/speech" }.count == 3)
        let measured = try ffmpegLoudness(path)
        #expect(abs(measured - -18) <= 1, "ffmpeg measured \(measured) LUFS")

        // The parts as bought (keepChunks), each far from the others; joined as they came
        // they are nowhere near the target.
        let parts = try (1...3).map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/level/n.part-0\($0).mp3"))) }
        let levels = try parts.enumerated().map { try ffmpegLoudness(folder.write("raw\($0.offset).mp3", bytes: $0.element)) }
        #expect(levels.max()! - levels.min()! > 10, "\(levels)")
        // Not re-encoded: the narration's frames are the parts' frames, same count and sizes,
        // and each part kept every byte but its global gains, all moved by one amount.
        let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let joined = try MP3Joiner.join(parts)
        #expect(frameSizes(file) == frameSizes(joined))
        let fileFrames = MP3Frames.scan(file).frames
        var index = 0
        var shifts: [Set<Int>] = []
        for part in parts {
            var shift = Set<Int>()
            for frame in MP3Frames.scan(part).frames {
                let new = fileFrames[index]
                index += 1
                let sideEnd = frame.offset + 4 + frame.header.sideInfoSize
                #expect(part[sideEnd..<frame.range.upperBound] == file[(new.offset + 4 + new.header.sideInfoSize)..<new.range.upperBound])
                let old = MP3GlobalGain.globalGains(part, frame: frame)
                shift.formUnion(zip(old, MP3GlobalGain.globalGains(file, frame: new)).map { $1 - $0 })
            }
            shifts.append(shift)
        }
        #expect(shifts.allSatisfy { $0.count == 1 }, "\(shifts)")
        // The quietest part went up most; every part now sits near the target on its own.
        let steps = shifts.map { $0.first! }
        #expect(steps[0] > steps[2] && steps[2] > steps[1], "\(steps)")
        for (level, step) in zip(levels, steps) {
            #expect(abs(level + Double(step) * MP3GlobalGain.decibelsPerStep - -18) <= 1, "\(level) + \(step) steps")
        }

        // The rest is in ReplayGain tags, the figures in the sidecar.
        let probe = try runTool(try MediaToolHarness.locate("ffprobe"), ["-v", "error", "-show_entries", "format_tags", "-of", "json", path])
        let tags = try #require(((try JSONSerialization.jsonObject(with: Data(probe.stdout.utf8)) as? [String: Any])?["format"] as? [String: Any])?["tags"] as? [String: String])
        let gain = try #require(tags["REPLAYGAIN_TRACK_GAIN"])
        #expect(gain.hasSuffix(" dB") && abs(Double(gain.dropLast(3))!) <= 1, "\(gain)")
        #expect(Double(try #require(tags["REPLAYGAIN_TRACK_PEAK"])) != nil)
        let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + ".json"))) as? [String: Any])
        let record = try #require(sidecar["loudness"] as? [String: Any])
        #expect(record["target"] as? Double == -18)
        #expect((record["chunks"] as? [[String: Any]])?.count == 3)
        #expect(abs((record["measured"] as? Double ?? 0) - measured) < 0.5)
        // And in the journal's done record, which stays when sidecars are off.
        let done = JournalLines(path: folder.path + "/out/level/.mediabatch/journal.jsonl").records("done")
        let journaled = try #require(done.first?["loudness"] as? [String: Any])
        #expect(journaled["target"] as? Double == -18 && (journaled["chunks"] as? [Any])?.count == 3)
    }

    @Test func loudnessOffLeavesTheAudioAsItCame() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        let path = try run(#""off""#, in: folder, server: server)
        let parts = try (1...3).map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/level/n.part-0\($0).mp3"))) }
        let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let audio = Array(file[MP3Frames.audioRegion(file)])
        #expect(audio == (try MP3Joiner.join(parts)))
        #expect(!String(decoding: file.prefix(2000), as: UTF8.self).contains("REPLAYGAIN"))
        let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + ".json"))) as? [String: Any])
        #expect(sidecar["loudness"] == nil)
        #expect(JournalLines(path: folder.path + "/out/level/.mediabatch/journal.jsonl").records("done").first?["loudness"] == nil)
    }

    @Test func aNewTargetRewritesTheFileFromTheKeptChunksWithoutBuyingAny() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        let path = try run("-16", in: folder, server: server)
        #expect(abs(try ffmpegLoudness(path) - -16) <= 1)
        let bought = server.requests().filter { $0.path == "/audio/speech" }.count
        _ = try run("-23", in: folder, server: server)
        #expect(server.requests().filter { $0.path == "/audio/speech" }.count == bought)
        #expect(abs(try ffmpegLoudness(path) - -23) <= 1)
    }

    @Test func aWAVNarrationIsScaledToTheTarget() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        let path = try run("-20", format: "pcm", in: folder, server: server)
        let measured = try ffmpegLoudness(path)
        #expect(abs(measured - -20) <= 1, "ffmpeg measured \(measured) LUFS")
        let wav = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(try WAVFile.parse(wav).dataSize == wav.count - 44)
    }

    /// The sample peak of a file as ffmpeg's `astats` decodes it, in dBFS.
    private func ffmpegPeak(_ path: String) throws -> Double {
        let result = try runTool(try MediaToolHarness.locate("ffmpeg"), ["-nostats", "-hide_banner", "-i", path, "-af", "astats", "-f", "null", "-"])
        let line = try #require(result.stderr.split(separator: "\n").last { $0.contains("Peak level dB:") }, "\(result.stderr.suffix(500))")
        return try #require(line.split(separator: " ").last.flatMap { Double($0) }, "\(line)")
    }

    @Test func aDialogueWithAShortLoudQuoteLandsOnTheTargetUnclipped() throws {
        // The reviewer's repro (issue 17, finding 2): a quiet narrator and a short loud quote.
        let (server, folder) = try startFakeAndFolder { $0.speechAmplitudes = [0.02, 0.2] }
        defer { server.stop(); folder.remove() }
        folder.write("t.txt", """
            The keeper climbed the stairs of the old tower every night, and the sea below was grey and cold and very quiet. #fake:amplitude=0.02

            "Run! #fake:amplitude=0.3" she said.
            """)
        folder.write("m.json", #"{"name": "n7", "tasks": [{"id": "t", "type": "tts", "textFile": "t.txt", "dialogue": {"quotes": "am_adam"}}]}"#)
        let result = try runCLI(runArguments(server), environment: runEnvironment, in: folder.path)
        try #require(result.status == 0, "\(result.stderr)")
        let path = folder.path + "/out/n7/t.mp3"
        let measured = try ffmpegLoudness(path)
        #expect(abs(measured - -18) <= 1, "ffmpeg measured \(measured) LUFS")
        let peak = try ffmpegPeak(path)
        #expect(peak <= -0.8, "peak \(peak) dBFS")
    }

    @Test func theDemoBookLandsOnItsTargetUnclipped() throws {
        // jobs/book.json as scripts/demo.sh runs it: speech at 0.02, 0.08 and 0.3.
        let (server, folder) = try startFakeAndFolder { $0.speechAmplitudes = [0.02, 0.08, 0.3] }
        defer { server.stop(); folder.remove() }
        let jobs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/jobs"
        let copied = try runTool("/bin/cp", ["-R", jobs + "/book", jobs + "/book.json", folder.path])
        try #require(copied.status == 0, "\(copied.stderr)")
        let result = try runCLI(["run", "book.json", "--output-root", "out", "--base-url", server.baseURL], environment: runEnvironment, in: folder.path)
        try #require(result.status == 0, "\(result.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path + "/out/book").filter { $0.hasSuffix(".mp3") }
        #expect(files.count >= 3, "\(files)")
        for file in files {
            let path = folder.path + "/out/book/" + file
            let measured = try ffmpegLoudness(path)
            #expect(abs(measured - -18) <= 1, "\(file): ffmpeg measured \(measured) LUFS")
            let peak = try ffmpegPeak(path)
            #expect(peak <= -0.8, "\(file): peak \(peak) dBFS")
        }
    }

    @Test func aLoudnessThatIsNeitherOffNorATargetIsRefusedWithItsField() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", """
            {"name": "m", "tasks": [
              {"id": "a", "type": "tts", "text": "One.", "loudness": "loud"},
              {"id": "b", "type": "tts", "text": "Two.",
               "loudness": 3}
            ]}
            """)
        let result = try runCLI(["validate", "m.json", "--offline"], in: folder.path)
        #expect(result.status == 65)
        #expect(result.stderr.contains(#"m.json:2: tasks[0].loudness = "loud": loudness must be "off" or a target in LUFS"#), "\(result.stderr)")
        #expect(result.stderr.contains("m.json:4: tasks[1].loudness = 3:"), "\(result.stderr)")
    }
}
