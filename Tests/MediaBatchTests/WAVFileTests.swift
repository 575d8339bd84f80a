import Foundation
import Media
import Testing
import TestSupport


@Suite struct WAVFileTests {
    /// `seconds` of a 16-bit little-endian sine tone, interleaved over `channels`.
    func sine(seconds: Double, rate: Int, channels: Int = 1, hz: Double = 440) -> [UInt8] {
        let frames = Int((seconds * Double(rate)).rounded())
        var bytes: [UInt8] = []
        bytes.reserveCapacity(frames * 2 * channels)
        for index in 0..<frames {
            let sample = Int16(12_000 * sin(2 * Double.pi * hz * Double(index) / Double(rate)))
            for _ in 0..<channels {
                bytes += [UInt8(truncatingIfNeeded: sample), UInt8(truncatingIfNeeded: sample >> 8)]
            }
        }
        return bytes
    }

    func le32(_ bytes: [UInt8], _ offset: Int) -> Int {
        Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
    }

    func le16(_ bytes: [UInt8], _ offset: Int) -> Int { Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 }

    @Test func writesCanonicalHeader() throws {
        let pcm = sine(seconds: 0.25, rate: 24000, channels: 2)
        let wav = try WAVFile.wav(pcm16LE: pcm, sampleRate: 24000, channels: 2)
        #expect(wav.count == 44 + pcm.count)
        #expect(String(decoding: wav[0..<4], as: UTF8.self) == "RIFF")
        #expect(le32(wav, 4) == wav.count - 8)
        #expect(String(decoding: wav[8..<16], as: UTF8.self) == "WAVEfmt ")
        #expect(le32(wav, 16) == 16)
        #expect(le16(wav, 20) == 1)  // PCM
        #expect(le16(wav, 22) == 2)  // channels
        #expect(le32(wav, 24) == 24000)
        #expect(le32(wav, 28) == 24000 * 2 * 2)  // byte rate
        #expect(le16(wav, 32) == 4)  // block align
        #expect(le16(wav, 34) == 16)  // bits per sample
        #expect(String(decoding: wav[36..<40], as: UTF8.self) == "data")
        #expect(le32(wav, 40) == pcm.count)
        #expect(Array(wav[44...]) == pcm)

        let info = try WAVFile.parse(wav)
        #expect(info.formatTag == 1 && info.channels == 2 && info.sampleRate == 24000 && info.bitsPerSample == 16)
        #expect(info.byteRate == 96000 && info.blockAlign == 4 && info.riffSize == wav.count - 8)
        #expect(info.dataOffset == 44 && info.dataSize == pcm.count && abs(info.duration - 0.25) < 1e-9)
    }

    @Test func dropsTrailingPartialSamples() throws {
        #expect(try WAVFile.wav(pcm16LE: [1, 2, 3], sampleRate: 8000).count == 46)
        #expect(try WAVFile.wav(pcm16LE: [1, 2, 3, 4, 5], sampleRate: 8000, channels: 2).count == 48)
        // Each part loses its own odd byte, so the next part stays sample-aligned.
        let joined = try WAVFile.joinPCM([[1, 2, 3], [4, 5], [6]], sampleRate: 16000)
        #expect(Array(joined[44...]) == [1, 2, 4, 5])
        #expect(try WAVFile.parse(joined).dataSize == 4)
        let empty = try WAVFile.joinPCM([], sampleRate: 16000)
        #expect(empty.count == 44 && le32(empty, 40) == 0 && le32(empty, 4) == 36)
    }

    @Test func joinedWAVHasRightDurationInFFprobe() throws {
        let dir = try MediaToolHarness.tempDirectory("wav")
        defer { try? FileManager.default.removeItem(at: dir) }
        var parts = [0.5, 1.25, 0.75].map { sine(seconds: $0, rate: 24000) }
        parts[1].append(0x7F)  // an odd trailing byte, dropped
        let joined = try WAVFile.joinPCM(parts, sampleRate: 24000)
        let url = dir.appendingPathComponent("joined.wav")
        try Data(joined).write(to: url)
        #expect(abs(try MediaToolHarness.probeDuration(url, in: dir) - 2.5) < 0.001)
        let stream = try MediaToolHarness.run(
            "ffprobe",
            ["-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels", "-of", "csv=p=0", url.path],
            in: dir)
        #expect(stream.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "pcm_s16le,24000,1")
        #expect(stream.stderr.isEmpty, "ffprobe complained: \(stream.stderr)")
    }

    @Test func parseReportsWhatWasExpected() throws {
        #expect(throws: WAVError.badMagic(offset: 0, expected: "RIFF", found: "ID3")) {
            try WAVFile.parse(Array("ID3".utf8))
        }
        var wav = try WAVFile.wav(pcm16LE: [0, 0, 1, 1], sampleRate: 8000)
        wav[8] = 0x41
        #expect(throws: WAVError.badMagic(offset: 8, expected: "WAVE", found: "AAVE")) { try WAVFile.parse(wav) }
        let full = try WAVFile.wav(pcm16LE: [0, 0, 1, 1], sampleRate: 8000)
        #expect(throws: WAVError.truncated(chunk: "data", offset: 36, needed: 12, available: 10)) {
            try WAVFile.parse(Array(full.dropLast(2)))
        }
        #expect(throws: WAVError.missingChunk("fmt ")) { try WAVFile.parse(Array(full[0..<12])) }
        let error = WAVError.truncated(chunk: "data", offset: 36, needed: 12, available: 10)
        #expect(error.description.contains("byte 36") && error.description.contains("data"))
        // Unknown chunks (odd-sized, with the RIFF pad byte) are skipped.
        let list = Array("LIST".utf8) + [3, 0, 0, 0] + [9, 9, 9, 0]
        let withList = Array(full[0..<36]) + list + Array(full[36...])
        #expect(try WAVFile.parse(withList).dataOffset == 44 + list.count)
    }
}
