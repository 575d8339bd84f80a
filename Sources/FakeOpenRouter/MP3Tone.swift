import CLame

/// Audible speech for tests of loudness: a 400 Hz tone at a chosen amplitude, encoded by
/// LAME into the same frames the fake's silence uses (MPEG-2 Layer III, 24 kHz, mono,
/// 32 kbps CBR, 96 bytes), with the bit reservoir off so that every frame stands alone and
/// any run of them is a valid stream. Encoding in process keeps the fake self-contained and
/// deterministic: no tool run at build or test time, no generated file to keep in step.
enum MP3Tone {
    /// Exactly `count` audio frames of the tone at `amplitude` (peak, 1.0 = full scale).
    static func frames(amplitude: Double, count: Int) -> [[UInt8]] {
        let encoder = LameEncoder()
        // A few frames more than needed: LAME's delay and padding come first and last.
        let samples = tone(amplitude: amplitude, samples: (count + 4) * SpeechAudio.samplesPerFrame)
        let stream = encoder.encode(samples)
        var frames: [[UInt8]] = []
        var offset = 0
        while offset + 4 <= stream.count, stream[offset] == 0xFF, stream[offset + 1] & 0xE0 == 0xE0 {
            let length = SpeechAudio.frameBytes + Int(stream[offset + 2] >> 1 & 1)
            guard offset + length <= stream.count else { break }
            frames.append(Array(stream[offset..<(offset + length)]))
            offset += length
        }
        // Skip the first (encoder delay), keep `count`; repeat the last should LAME give fewer.
        var kept = Array(frames.dropFirst().prefix(count))
        while kept.count < count, let last = kept.last ?? frames.last { kept.append(last) }
        return kept
    }

    private static func tone(amplitude: Double, samples: Int) -> [Int16] {
        let peak = min(max(amplitude, 0), 1) * 32767
        var out = [Int16](repeating: 0, count: samples)
        // 400 Hz at 24 kHz: one period is 60 samples.
        let period = (0..<60).map { Int16((peak * SpeechAudio.sine(Double($0) / 60)).rounded()) }
        for index in out.indices { out[index] = period[index % 60] }
        return out
    }
}

/// One LAME encoder (`lame_global_flags *`), closed in `deinit`, the only place that frees
/// it; used on the thread that made it (not `Sendable`).
private final class LameEncoder {
    private let flags: OpaquePointer

    init() {
        guard let flags = lame_init() else { fatalError("LAME could not allocate an encoder") }
        self.flags = flags
        lame_set_in_samplerate(flags, Int32(SpeechAudio.sampleRate))
        lame_set_out_samplerate(flags, Int32(SpeechAudio.sampleRate))
        lame_set_num_channels(flags, 1)
        lame_set_mode(flags, MONO)
        lame_set_VBR(flags, vbr_off)
        lame_set_brate(flags, 32)
        lame_set_quality(flags, 7)
        lame_set_bWriteVbrTag(flags, 0)
        lame_set_disable_reservoir(flags, 1)
        guard lame_init_params(flags) >= 0 else { fatalError("LAME refused 24 kHz mono 32 kbps") }
    }

    deinit { lame_close(flags) }

    /// The mp3 stream for `samples` (mono), flushed.
    func encode(_ samples: [Int16]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: samples.count * 5 / 4 + 7200 + 7200)
        var input = samples
        let written = input.withUnsafeMutableBufferPointer { pcm in
            output.withUnsafeMutableBufferPointer { out in
                lame_encode_buffer(flags, pcm.baseAddress, pcm.baseAddress, Int32(pcm.count), out.baseAddress, Int32(out.count))
            }
        }
        guard written >= 0 else { fatalError("LAME failed to encode (\(written))") }
        let flushed = output.withUnsafeMutableBufferPointer { out in
            lame_encode_flush(flags, out.baseAddress! + Int(written), Int32(out.count) - written)
        }
        return Array(output[0..<(Int(written) + max(Int(flushed), 0))])
    }
}

@available(*, unavailable)
extension LameEncoder: Sendable {}
