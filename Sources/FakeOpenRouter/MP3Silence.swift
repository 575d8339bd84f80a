import NIOCore

/// Audio bodies for `/audio/speech`, shaped like real providers' output: MP3 as an ID3v2.3
/// tag, a Xing "Info" frame with correct frame and byte counts, then MPEG-2 Layer III frames
/// (24 kHz, mono, 32 kbps, 96 bytes, 576 samples each) whose all-zero side info and main data
/// decode as silence — or, with `#fake:amplitude=A`, frames of an audible 400 Hz tone
/// (`MP3Tone`); PCM as 16-bit little-endian mono 24 kHz samples of a quiet 400 Hz tone (at
/// amplitude A when asked).
enum SpeechAudio {
    static let sampleRate = 24_000
    static let samplesPerFrame = 576
    static let frameBytes = 96
    /// 10 ms of audio per input character.
    static let samplesPerCharacter = 240

    /// FF F3: sync, MPEG-2, Layer III, no CRC. 44: 32 kbps, 24 kHz, no padding. C4: mono, original.
    static let frameHeader: [UInt8] = [0xFF, 0xF3, 0x44, 0xC4]

    /// Audio frames for a text, rounded up; at least two, because ffmpeg's MP3 probe wants
    /// to see a second frame after the first (a one-frame stream fails `ffprobe`).
    static func frames(forCharacters characters: Int) -> Int {
        max(2, (characters * samplesPerCharacter + samplesPerFrame - 1) / samplesPerFrame)
    }

    static let silentFrame: [UInt8] = frameHeader + [UInt8](repeating: 0, count: frameBytes - 4)

    static let id3Tag: [UInt8] = {
        let text: [UInt8] = [0x00] + Array("fake-openrouter".utf8)  // ISO-8859-1 text
        var frame: [UInt8] = Array("TSSE".utf8)
        frame += bigEndian(UInt32(text.count)) + [0x00, 0x00] + text
        let size = frame.count  // < 128, so the syncsafe size is one byte
        return Array("ID3".utf8) + [0x03, 0x00, 0x00, 0x00, 0x00, 0x00, UInt8(size)] + frame
    }()

    /// ID3 tag, Info frame, then `audioFrames` silent frames, or tone frames at `amplitude`.
    static func mp3(audioFrames: Int, amplitude: Double? = nil) -> ByteBuffer {
        let streamBytes = (audioFrames + 1) * frameBytes
        var buffer = ByteBufferAllocator().buffer(capacity: id3Tag.count + streamBytes)
        buffer.writeBytes(id3Tag)
        // Info frame: header, 9 bytes of side info (MPEG-2 mono), "Info", flags (frames|bytes), counts.
        var info = frameHeader + [UInt8](repeating: 0, count: 9) + Array("Info".utf8)
        info += bigEndian(3) + bigEndian(UInt32(audioFrames)) + bigEndian(UInt32(streamBytes))
        info += [UInt8](repeating: 0, count: frameBytes - info.count)
        buffer.writeBytes(info)
        if let amplitude {
            for frame in MP3Tone.frames(amplitude: amplitude, count: audioFrames) { buffer.writeBytes(frame) }
        } else {
            for _ in 0..<audioFrames { buffer.writeBytes(silentFrame) }
        }
        return buffer
    }

    /// One period of the tone: 60 samples of 400 Hz at 24 kHz, amplitude ~ -29 dBFS.
    static let tonePeriod: [UInt8] = tonePeriod(peak: 1_200)

    /// One period of the tone with the given peak sample value.
    static func tonePeriod(peak: Double) -> [UInt8] {
        var out: [UInt8] = []
        for index in 0..<60 {
            let value = Int16((peak * sine(Double(index) / 60)).rounded())
            out += [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)]
        }
        return out
    }

    /// The tone as PCM, at `amplitude` (1.0 = full scale) when given, else ~ -29 dBFS.
    static func pcm(samples: Int, amplitude: Double? = nil) -> ByteBuffer {
        let period = amplitude.map { tonePeriod(peak: min(max($0, 0), 1) * 32767) } ?? tonePeriod
        var buffer = ByteBufferAllocator().buffer(capacity: samples * 2)
        var remaining = samples * 2
        while remaining > 0 {
            let chunk = min(remaining, period.count)
            buffer.writeBytes(period[0..<chunk])
            remaining -= chunk
        }
        return buffer
    }

    /// sin(2*pi*t) without Foundation, good to 1e-6 for t in [0, 1).
    static func sine(_ t: Double) -> Double {
        var x = 2 * Double.pi * t
        if x > Double.pi { x -= 2 * Double.pi }
        var term = x
        var sum = x
        for n in 1..<12 {
            term *= -x * x / Double((2 * n) * (2 * n + 1))
            sum += term
        }
        return sum
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
