import Foundation
import Media
import Testing
import TestSupport

@Suite struct MP3JoinerTests {
    typealias Tool = MediaToolHarness

    /// Encodes a sine tone with ffmpeg (which writes an ID3v2 tag and a Xing/Info frame).
    func makeMP3(
        _ name: String, seconds: Double, rate: Int = 24000, channels: Int = 1, quality: [String] = ["-b:a", "32k"],
        in directory: URL
    ) throws -> URL {
        let url = directory.appendingPathComponent(name)
        let result = try Tool.run(
            "ffmpeg",
            ["-v", "error", "-f", "lavfi", "-i", "sine=frequency=\(300 + name.count * 40):duration=\(seconds)",
             "-ar", "\(rate)", "-ac", "\(channels)"] + quality + ["-y", url.path],
            in: directory)
        try #require(result.status == 0, "ffmpeg failed to make \(name): \(result.stderr)")
        return url
    }

    func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    func occurrences(of marker: String, in bytes: [UInt8], from start: Int) -> [Int] {
        let pattern = Array(marker.utf8)
        guard bytes.count >= pattern.count, start <= bytes.count - pattern.count else { return [] }
        return (start...(bytes.count - pattern.count)).filter { Array(bytes[$0..<($0 + pattern.count)]) == pattern }
    }

    /// Joins `parts`, writes the result behind an ID3v2.4 tag, and checks it with ffprobe and mpg123.
    @discardableResult
    func joinAndVerify(_ parts: [URL], expectMarker marker: String, in directory: URL) throws -> MP3Scan {
        let inputs = try parts.map(bytes)
        let joined = try MP3Joiner.join(inputs)
        let tag = ID3Tag.v24(title: "Chapter 1 — Über", artist: "Narrator", album: "Book", comment: "joined")
        let out = directory.appendingPathComponent("joined.mp3")
        try Data(tag + joined).write(to: out)

        let partDurations = try parts.map { try Tool.probeDuration($0, in: directory) }
        let expected = partDurations.reduce(0, +)
        let probed = try Tool.probeDuration(out, in: directory)
        let frameSeconds = try #require(MP3Frames.scan(joined).frames.first).header.duration
        #expect(abs(probed - expected) <= frameSeconds + 1e-6, "ffprobe: \(probed) s, parts sum to \(expected) s")
        #expect(abs(try MP3Joiner.duration(of: tag + joined) - expected) <= frameSeconds + 1e-6)

        let mpg123 = try Tool.run("mpg123", ["-t", "-q", out.path], in: directory)
        #expect(mpg123.status == 0, "mpg123 exit \(mpg123.status): \(mpg123.stderr)")
        let complaint = mpg123.stderr.lowercased()
        #expect(!complaint.contains("error") && !complaint.contains("warning"), "mpg123 stderr: \(mpg123.stderr)")

        // One fresh Xing/Info frame first; no tag or VBR marker anywhere after it.
        let scan = MP3Frames.scan(joined)
        let header = try #require(scan.vbrHeader, "joined stream starts without a Xing/Info frame")
        #expect(header.frame.offset == 0)
        #expect(header.kind.rawValue == marker)
        let partFrames = try inputs.map { try MP3Joiner.frameCount(of: $0) }
        #expect(header.frameCount == partFrames.reduce(0, +))
        #expect(header.frameCount == scan.frames.count)
        #expect(header.byteCount == joined.count)
        let afterFirst = header.frame.range.upperBound
        // ("LAME" itself may remain: libmp3lame pads audio frames' ancillary data with its version string.)
        for text in ["ID3", "Xing", "Info", "VBRI", "APETAGEX", "Lavc", "Lavf"] {
            #expect(occurrences(of: text, in: joined, from: afterFirst).isEmpty, "\(text) remains after the first frame")
        }
        let tagged = try bytes(out)
        #expect(occurrences(of: "ID3", in: tagged, from: tag.count + afterFirst).isEmpty)
        let title = try Tool.run(
            "ffprobe", ["-v", "error", "-show_entries", "format_tags=title", "-of", "csv=p=0", out.path], in: directory)
        #expect(title.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "Chapter 1 — Über")
        return scan
    }

    @Test func joinsCBRAndVBRPartsIntoOneTimedStream() throws {
        let dir = try Tool.tempDirectory("mp3-mixed")
        defer { try? FileManager.default.removeItem(at: dir) }
        let vbr = ["-q:a", "5"]
        let parts = [
            try makeMP3("a.mp3", seconds: 1.3, in: dir),
            try makeMP3("bb.mp3", seconds: 0.7, quality: vbr, in: dir),
            try makeMP3("ccc.mp3", seconds: 2.05, in: dir),
            try makeMP3("dddd.mp3", seconds: 0.45, quality: vbr, in: dir),
            try makeMP3("eeeee.mp3", seconds: 3.3, quality: ["-b:a", "48k"], in: dir),
        ]
        try joinAndVerify(parts, expectMarker: "Xing", in: dir)
    }

    @Test func joinsConstantBitratePartsWithInfoFrame() throws {
        let dir = try Tool.tempDirectory("mp3-cbr")
        defer { try? FileManager.default.removeItem(at: dir) }
        let parts = try [0.9, 1.7, 0.33].enumerated().map { index, seconds in
            try makeMP3("p\(index).mp3", seconds: seconds, in: dir)
        }
        let scan = try joinAndVerify(parts, expectMarker: "Info", in: dir)
        // The Info frame uses the audio's bitrate, so the whole file is constant-bitrate.
        #expect(scan.vbrHeader?.frame.header.bitrate == 32000)
        #expect(scan.frames.allSatisfy { $0.header.bitrate == 32000 })
    }

    @Test func joinsStereoMPEG1Parts() throws {
        let dir = try Tool.tempDirectory("mp3-stereo")
        defer { try? FileManager.default.removeItem(at: dir) }
        let parts = [
            try makeMP3("s1.mp3", seconds: 1.1, rate: 44100, channels: 2, quality: ["-b:a", "128k"], in: dir),
            try makeMP3("s22.mp3", seconds: 0.8, rate: 44100, channels: 2, quality: ["-q:a", "2"], in: dir),
        ]
        try joinAndVerify(parts, expectMarker: "Xing", in: dir)
    }

    @Test func rejectsPartsWithDifferentSampleRates() throws {
        let dir = try Tool.tempDirectory("mp3-rates")
        defer { try? FileManager.default.removeItem(at: dir) }
        let low = try bytes(makeMP3("low.mp3", seconds: 0.5, rate: 24000, in: dir))
        let high = try bytes(makeMP3("high.mp3", seconds: 0.5, rate: 44100, quality: ["-b:a", "64k"], in: dir))
        let error = try #require(#expect(throws: MP3Error.self) { try MP3Joiner.join([low, low, high]) })
        guard case .formatMismatch(let part, let offset, let field, let expected, let found) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(part == 2 && field == "sample rate" && expected == "24000 Hz" && found == "44100 Hz")
        #expect(offset > 0 && error.description.contains("part 2") && error.description.contains("44100 Hz"))
    }

    @Test func rejectsPartWithoutAudioFrames() throws {
        let dir = try Tool.tempDirectory("mp3-empty")
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try bytes(makeMP3("good.mp3", seconds: 0.5, in: dir))
        let onlyTag = ID3Tag.v24(title: "x", artist: nil, album: nil, comment: nil)
        let text = Array("{\"error\": \"rate limited\"}".utf8)
        for bad in [onlyTag, text, []] {
            #expect(throws: MP3Error.noAudioFrames(part: 1, searched: onlyTag == bad ? onlyTag.count..<onlyTag.count : 0..<bad.count)) {
                try MP3Joiner.join([good, bad])
            }
        }
        #expect(throws: MP3Error.noParts) { try MP3Joiner.join([]) }
        #expect(throws: MP3Error.self) { try MP3Joiner.duration(of: text) }
    }

    @Test func durationMatchesFFprobe() throws {
        let dir = try Tool.tempDirectory("mp3-duration")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (index, quality) in [["-b:a", "32k"], ["-q:a", "5"]].enumerated() {
            let url = try makeMP3("d\(index).mp3", seconds: 1.77, quality: quality, in: dir)
            let ours = try MP3Joiner.duration(of: bytes(url))
            #expect(abs(ours - (try Tool.probeDuration(url, in: dir))) < 1e-6)
        }
    }

    // MARK: - Frame headers, tags and resync (no external tools)

    @Test func parsesHeadersOfAllVersionsAndLayers() throws {
        let info = try #require(MP3FrameHeader(word: 0xFFF3_84C0))  // ffmpeg's Info frame at 24 kHz
        #expect(info.version == .mpeg2 && info.layer == .layer3 && !info.hasCRC)
        #expect(info.bitrate == 64000 && info.sampleRate == 24000 && info.channelMode == .mono)
        #expect(info.frameLength == 192 && info.samplesPerFrame == 576 && info.xingTagOffset == 13)

        let cd = try #require(MP3FrameHeader(word: 0xFFFB_9264))  // 128k, 44.1 kHz, padded, joint stereo
        #expect(cd.version == .mpeg1 && cd.padding && cd.channelMode == .jointStereo)
        #expect(cd.frameLength == 418 && cd.samplesPerFrame == 1152 && cd.xingTagOffset == 36)

        let layer2 = try #require(MP3FrameHeader(word: 0xFFFD_C400))  // MPEG-1 L II 256k 48 kHz
        #expect(layer2.layer == .layer2 && layer2.bitrate == 256_000 && layer2.frameLength == 768)
        let layer1 = try #require(MP3FrameHeader(word: 0xFFFF_1000))  // MPEG-1 L I 32k 44.1 kHz
        #expect(layer1.layer == .layer1 && layer1.frameLength == 32 && layer1.samplesPerFrame == 384)
        let mpeg25 = try #require(MP3FrameHeader(word: 0xFFE3_28C0))  // MPEG-2.5 L III 16k 8 kHz mono
        #expect(mpeg25.version == .mpeg25 && mpeg25.sampleRate == 8000 && mpeg25.bitrate == 16000)
        #expect(mpeg25.frameLength == 144 && mpeg25.sideInfoSize == 9)

        for bad: UInt32 in [0xFFFB_F064, 0xFFFB_9C64, 0xFFEB_9064, 0xFFF9_9064, 0xFFFB_0064, 0x7FFB_9064] {
            #expect(MP3FrameHeader(word: bad) == nil, "accepted \(String(bad, radix: 16))")
        }
        #expect(cd.word == 0xFFFB_9264)
    }

    /// A synthetic CBR stream of `count` 96-byte MPEG-2 Layer III frames whose bodies hold no sync words.
    func syntheticFrames(_ count: Int) -> [UInt8] {
        (0..<count).flatMap { index in [0xFF, 0xF3, 0x44, 0xC4] + [UInt8](repeating: UInt8(index % 100), count: 92) }
    }

    @Test func resyncsPastJunkAndDropsTruncatedFrames() throws {
        let frames = syntheticFrames(10)
        var bytes: [UInt8] = [0x00, 0xFF, 0xFB, 0x90, 0x11, 0xFF, 0xE0]  // fake syncs that do not chain
        bytes += frames[0..<(96 * 4)]
        bytes += [0xFF, 0xF3, 0x44, 0x00, 0x12]  // a header whose next "frame" is junk
        bytes += frames[(96 * 4)...]
        bytes += frames[0..<50]  // truncated final frame
        let scan = MP3Frames.scan(bytes)
        #expect(scan.frames.count == 10)
        #expect(scan.frames.first?.offset == 7)
        #expect(scan.vbrHeader == nil)
        #expect(try MP3Joiner.frameCount(of: bytes) == 10)
        #expect(abs(try MP3Joiner.duration(of: bytes) - 10 * 0.024) < 1e-9)
    }

    @Test func locatesTagsAtBothEnds() throws {
        let audio = syntheticFrames(3)
        var id3Footer: [UInt8] = Array("ID3".utf8) + [4, 0, 0x10] + ID3Tag.syncsafe(200)
        id3Footer += [UInt8](repeating: 0, count: 200) + Array("3DI".utf8) + [4, 0, 0x10] + ID3Tag.syncsafe(200)
        let plainID3 = ID3Tag.v24(title: "t", artist: nil, album: nil, comment: nil)
        var ape: [UInt8] = Array("APETAGEX".utf8) + [0xD0, 7, 0, 0] + [64, 0, 0, 0] + [1, 0, 0, 0] + [0, 0, 0, 0xA0]
        ape += [UInt8](repeating: 0, count: 8) + [UInt8](repeating: 0x41, count: 32)
        ape += Array("APETAGEX".utf8) + [0xD0, 7, 0, 0] + [64, 0, 0, 0] + [1, 0, 0, 0] + [0, 0, 0, 0x80]
        ape += [UInt8](repeating: 0, count: 8)
        let v1 = Array("TAG".utf8) + [UInt8](repeating: 0x20, count: 125)
        let file = id3Footer + plainID3 + audio + ape + v1
        let region = MP3Frames.audioRegion(file)
        #expect(region == (id3Footer.count + plainID3.count)..<(id3Footer.count + plainID3.count + audio.count))
        #expect(MP3Frames.scan(file).frames.count == 3)
        #expect(MP3Frames.id3v2Length(id3Footer, at: 0) == 220)
    }

    @Test func detectsVBRIHeader() throws {
        var first: [UInt8] = [0xFF, 0xF3, 0x44, 0xC4] + [UInt8](repeating: 0, count: 92)
        first.replaceSubrange(36..<40, with: Array("VBRI".utf8))
        first.replaceSubrange(46..<50, with: [0, 0, 0x04, 0x80])  // bytes
        first.replaceSubrange(50..<54, with: [0, 0, 0, 12])  // frames
        let scan = MP3Frames.scan(first + syntheticFrames(12))
        #expect(scan.vbrHeader?.kind == .vbri && scan.vbrHeader?.frameCount == 12 && scan.vbrHeader?.byteCount == 1152)
        #expect(scan.frames.count == 12)
    }

    @Test func buildsID3v24Tag() throws {
        let tag = ID3Tag.v24(title: "Tést", artist: nil, album: "", comment: "hi")
        #expect(Array(tag[0..<6]) == [0x49, 0x44, 0x33, 4, 0, 0])
        #expect(ID3Tag.syncsafeValue(tag, at: 6) == tag.count - 10)
        // TIT2: size 1 + 5 UTF-8 bytes; COMM: encoding, "eng", empty description, text.
        #expect(Array(tag[10..<22]) == Array("TIT2".utf8) + [0, 0, 0, 6, 0, 0, 3] + [0x54])
        #expect(Array(tag[20..<26]) == [3] + Array("Tést".utf8))
        #expect(Array(tag[26...]) == Array("COMM".utf8) + [0, 0, 0, 7, 0, 0, 3] + Array("eng".utf8) + [0] + Array("hi".utf8))
        #expect(ID3Tag.v24(title: nil, artist: nil, album: nil, comment: nil).isEmpty)
        #expect(ID3Tag.syncsafe(0x0FFF_FFFF) == [0x7F, 0x7F, 0x7F, 0x7F] && ID3Tag.syncsafe(200) == [0, 0, 1, 0x48])
    }
}
