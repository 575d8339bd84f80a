import Media

/// A measured level: EBU R128 integrated loudness and sample peak.
public struct LoudnessMeasurement: Sendable, Equatable {
    /// LUFS, or nil when nothing passes the R128 gates (silence, under 400 ms of sound).
    public let integrated: Double?
    /// Largest absolute sample, 1.0 being full scale.
    public let samplePeak: Double
}

/// Measures audio the way narrations are judged: EBU R128 integrated loudness (libebur128)
/// of mp3 decoded with libmpg123, or of 16-bit PCM.
public enum Loudness {
    /// The level of an mp3 (tags and a Xing/Info frame are skipped).
    public static func measure(mp3: [UInt8]) throws(LoudnessError) -> LoudnessMeasurement {
        let audio = try MP3Decoder.decode(mp3)
        let meter = try LoudnessMeter(channels: audio.channels, sampleRate: audio.sampleRate)
        try meter.add(audio.samples, channels: audio.channels)
        return LoudnessMeasurement(integrated: meter.integrated, samplePeak: meter.samplePeak)
    }

    /// The level of mono 16-bit little-endian PCM.
    public static func measure(pcm16LE pcm: [UInt8], sampleRate: Int) throws(LoudnessError) -> LoudnessMeasurement {
        let meter = try LoudnessMeter(channels: 1, sampleRate: sampleRate)
        try meter.add(PCM16.samples(pcm), channels: 1)
        return LoudnessMeasurement(integrated: meter.integrated, samplePeak: meter.samplePeak)
    }
}

/// 16-bit little-endian PCM as samples and back.
package enum PCM16 {
    package static func samples(_ bytes: [UInt8]) -> [Int16] {
        var samples = [Int16](repeating: 0, count: bytes.count / 2)
        for index in samples.indices {
            samples[index] = Int16(bitPattern: UInt16(bytes[2 * index]) | UInt16(bytes[2 * index + 1]) << 8)
        }
        return samples
    }

    /// Every sample times `factor`, rounded and held within the 16-bit range.
    package static func scaled(_ bytes: [UInt8], by factor: Double) -> [UInt8] {
        var out = bytes
        for index in 0..<(bytes.count / 2) {
            let sample = Int16(bitPattern: UInt16(bytes[2 * index]) | UInt16(bytes[2 * index + 1]) << 8)
            let value = Int16(min(max((Double(sample) * factor).rounded(), -32768), 32767))
            let bits = UInt16(bitPattern: value)
            out[2 * index] = UInt8(bits & 0xFF)
            out[2 * index + 1] = UInt8(bits >> 8)
        }
        return out
    }
}
