import Manifest
import ManifestDiagnostics
import Media
import Narration
import Testing
import TestSupport

/// Inputs found by the fuzz targets in Tests/Fuzz (scripts/fuzz.sh) or while writing their
/// checks, reduced to the smallest case. Each test states the guarantee it holds the code to;
/// see docs/security.md for the findings.
@Suite struct FuzzRegressionTests {
    /// The text without its whitespace, scalar by scalar: what NarrationSplitter promises to
    /// keep ("the chunks joined equal the input apart from whitespace").
    static func visibleScalars(_ text: String) -> [UInt32] {
        text.unicodeScalars.filter { !$0.properties.isWhitespace }.map(\.value)
    }

    /// fuzz-splitter: a combining mark right after a space forms one Character with it
    /// (" \u{0902}", a space and DEVANAGARI SIGN ANUSVARA). `Character.isWhitespace` is true
    /// for that Character, so `NarrationSplitter.trimmed` cuts it off the end of the text and
    /// the mark is lost: "a \u{0902}" comes back as ["a"].
    @Test func splitterKeepsACombiningMarkThatFollowsASpaceAtTheEnd() {
        let text = "a \u{0902}"
        let chunks = NarrationSplitter.split(text, maxChars: 16)
        #expect(Self.visibleScalars(chunks.joined()) == Self.visibleScalars(text))
    }

    /// The same at a chunk boundary inside longer text: the mark after the space that
    /// separates two chunks is trimmed away from both of them.
    @Test func splitterKeepsACombiningMarkThatFollowsASpaceBetweenChunks() {
        let text = "One two three. \u{0301}Four five six."
        let chunks = NarrationSplitter.split(text, maxChars: 16)
        #expect(chunks.allSatisfy { $0.count <= 16 && !$0.isEmpty })
        #expect(Self.visibleScalars(chunks.joined()) == Self.visibleScalars(text))
    }

    /// Found while writing the fuzz-manifest key check: `ManifestFile.lineOfAPIKey` searches
    /// the raw bytes for "sk-or-", so a key written with a JSON escape (`sk\u002dor-…`, which
    /// jansson decodes to "sk-or-…") is not refused. The manifest validates and the decoded key
    /// travels on in `provider` (sent in the request body; copied into each image's sidecar).
    @Test func aJSONEscapedKeyInAManifestIsRefused() throws {
        let folder = TempFolder()
        defer { folder.remove() }
        let manifest = #"""
            {"tasks": [{"id": "a", "prompt": "p", "model": "a/b",
                        "provider": {"apiKey": "sk\u002dor-v1-5ec7e7c0ffee5ec7e7c0ffee"}}]}
            """#
        let error = #expect(throws: ManifestError.self) { try plan(manifest, in: folder) }
        #expect(error?.issues.contains { $0.message.contains("looks like an OpenRouter API key") } == true)
        #expect(error.map { !$0.description.contains("5ec7e7c0ffee") } ?? true)
    }

    /// Ten MPEG-2 Layer III frames (24 kHz, mono, 32 kbit/s: 96 bytes each, silent) with
    /// `marker` written at `offset` bytes from the end of the last frame, then ten bytes of
    /// junk, so the part itself does not end in anything that looks like a tag.
    static func partWithMarker(_ marker: [UInt8], fromEnd offset: Int) -> [UInt8] {
        var frames: [UInt8] = []
        for _ in 0..<10 { frames += [0xFF, 0xF3, 0x44, 0xC0] + [UInt8](repeating: 0, count: 92) }
        let at = frames.count - offset
        frames.replaceSubrange(at..<(at + marker.count), with: marker)
        return frames + [UInt8](repeating: 0, count: 10)
    }

    /// fuzz-media (8 crashes, one cause): `MP3Joiner.join` copies audio frames verbatim and
    /// puts only an Info frame in front, so when the audio bytes 128 from the end of the
    /// joined stream happen to spell "TAG", `MP3Frames.audioRegion` takes them for an ID3v1
    /// tag and cuts them off. The result claims 10 frames in its Info header, but it scans
    /// (and `duration(of:)` measures) as 8. (ffprobe still decodes 10 frames, and reports the
    /// audio bytes as an ID3v1 tag: a garbage artist, genre "Blues".)
    @Test func aJoinedStreamWhoseAudioEndsInTAGKeepsItsLastFrames() throws {
        let part = Self.partWithMarker(Array("TAG".utf8), fromEnd: 128)
        #expect(try MP3Joiner.frameCount(of: part) == 10)
        let joined = try MP3Joiner.join([part])
        #expect(MP3Frames.scan(joined).vbrHeader?.frameCount == 10)
        #expect(try MP3Joiner.frameCount(of: joined) == 10)
        #expect(abs(try MP3Joiner.duration(of: joined) - 0.24) < 1e-9)
    }

    /// The same with an appended-ID3v2 footer ("3DI", size 0) in the last 10 bytes: 20 bytes
    /// are cut off the end and the last frame is lost.
    @Test func aJoinedStreamWhoseAudioEndsIn3DIKeepsItsLastFrame() throws {
        let part = Self.partWithMarker(Array("3DI".utf8) + [4, 0, 0, 0, 0, 0, 0], fromEnd: 10)
        #expect(try MP3Joiner.frameCount(of: part) == 10)
        let joined = try MP3Joiner.join([part])
        #expect(MP3Frames.scan(joined).vbrHeader?.frameCount == 10)
        #expect(try MP3Joiner.frameCount(of: joined) == 10)
    }
}
