import Media

/// A measured level: EBU R128 integrated loudness and sample peak.
public struct LoudnessMeasurement: Sendable, Equatable {
    /// LUFS, or nil when nothing passes the R128 gates (silence, under 400 ms of sound).
    public let integrated: Double?
    /// Largest absolute sample, 1.0 being full scale.
    public let samplePeak: Double
    /// When `integrated` is nil but there is sound: the ungated loudness (LUFS, K-weighted
    /// mean square) over the sound's own length, its leading and trailing silence left out —
    /// the level of a stretch too short to integrate, such as a one-word quote. Nil otherwise.
    public let ungated: Double?

    public init(integrated: Double?, samplePeak: Double, ungated: Double? = nil) {
        self.integrated = integrated
        self.samplePeak = samplePeak
        self.ungated = ungated
    }

    /// The level to judge the audio by: `integrated`, else `ungated`; nil when silent.
    public var level: Double? { integrated ?? ungated }
}

/// Measures audio the way narrations are judged: EBU R128 integrated loudness (libebur128)
/// of mp3 decoded with libmpg123, or of 16-bit PCM.
public enum Loudness {
    /// The level of an mp3 (tags and a Xing/Info frame are skipped).
    public static func measure(mp3: [UInt8]) throws(LoudnessError) -> LoudnessMeasurement {
        try measure(MP3Decoder.decode(mp3))
    }

    /// The level of decoded audio.
    public static func measure(_ audio: DecodedAudio) throws(LoudnessError) -> LoudnessMeasurement {
        let meter = try LoudnessMeter(channels: audio.channels, sampleRate: audio.sampleRate)
        try meter.add(audio.samples, channels: audio.channels)
        let integrated = meter.integrated
        let peak = meter.samplePeak
        guard integrated == nil, peak > 0 else { return LoudnessMeasurement(integrated: integrated, samplePeak: peak) }
        return LoudnessMeasurement(integrated: nil, samplePeak: peak, ungated: try ungated(audio.samples, channels: audio.channels, sampleRate: audio.sampleRate))
    }

    /// The level of mono 16-bit little-endian PCM.
    public static func measure(pcm16LE pcm: [UInt8], sampleRate: Int) throws(LoudnessError) -> LoudnessMeasurement {
        let samples = PCM16.samples(pcm)
        return try measure(DecodedAudio(samples: samples.map { Float($0) / 32768 }, sampleRate: sampleRate, channels: 1))
    }

    /// Below this (about -60 dBFS) a sample at either end counts as silence and is left out
    /// of an ungated measurement.
    private static let silence: Float = 0.001

    /// The ungated loudness of the sound between the first and the last sample above
    /// `silence`; nil when that is under 10 ms or silent.
    private static func ungated(_ samples: [Float], channels: Int, sampleRate: Int) throws(LoudnessError) -> Double? {
        let frames = samples.count / channels
        let loud = { (frame: Int) in (0..<channels).contains { abs(samples[frame * channels + $0]) >= silence } }
        guard let first = (0..<frames).first(where: loud), let last = (0..<frames).last(where: loud) else { return nil }
        let milliseconds = (last - first + 1) * 1000 / sampleRate
        guard milliseconds >= 10 else { return nil }
        let meter = try LoudnessMeter(channels: channels, sampleRate: sampleRate, windowMilliseconds: milliseconds)
        try meter.add(Array(samples[(first * channels)..<((last + 1) * channels)]), channels: channels)
        return meter.windowLoudness(milliseconds: milliseconds)
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
