import Glibc
import Media

/// Brings a narration's chunks to a loudness target before they are joined, so the joined
/// file is at the target and no chunk jumps out: each chunk is measured on its own and
/// moved towards the target — an mp3 chunk by whole `global_gain` steps (1.5 dB, no
/// re-encoding, `MP3GlobalGain`), a PCM chunk by scaling its samples (never past full
/// scale). What whole steps cannot reach is left to the ReplayGain tag (`replayGain`).
public enum NarrationLeveller {
    /// One chunk's level before and the gain it was given.
    public struct ChunkLevel: Sendable, Equatable {
        /// LUFS measured, nil when the chunk is silent or too short to measure (left as it is).
        public let measured: Double?
        /// Decibels applied.
        public let gain: Double
        /// `global_gain` steps applied (mp3 only).
        public let steps: Int
    }

    /// The chunks, levelled, with what was done to each.
    public struct Levelled: Sendable {
        public let parts: [[UInt8]]
        public let chunks: [ChunkLevel]
    }

    /// Shifts each mp3 chunk by the whole number of `global_gain` steps nearest to
    /// `target − its loudness`. A chunk with sound but too short to measure (under 0.4 s)
    /// gets the mean shift of the measured ones, so it does not stand out; a silent one is
    /// left as it is.
    public static func levelMP3(_ parts: [[UInt8]], target: Double) throws(LoudnessError) -> Levelled {
        var measurements: [LoudnessMeasurement] = []
        for part in parts { measurements.append(try Loudness.measure(mp3: part)) }
        let measuredSteps = measurements.compactMap { $0.integrated.map { steps(target - $0) } }
        let meanSteps = measuredSteps.isEmpty ? 0 : Int((Double(measuredSteps.reduce(0, +)) / Double(measuredSteps.count)).rounded())
        var levelled: [[UInt8]] = []
        var chunks: [ChunkLevel] = []
        for (part, measurement) in zip(parts, measurements) {
            let shift = measurement.integrated.map { steps(target - $0) } ?? (measurement.samplePeak > 0 ? meanSteps : 0)
            var shifted = part
            MP3GlobalGain.shift(&shifted, steps: shift)
            levelled.append(shifted)
            chunks.append(ChunkLevel(measured: measurement.integrated, gain: Double(shift) * MP3GlobalGain.decibelsPerStep, steps: shift))
        }
        return Levelled(parts: levelled, chunks: chunks)
    }

    /// The whole number of `global_gain` steps nearest to `decibels`.
    private static func steps(_ decibels: Double) -> Int {
        Int((decibels / MP3GlobalGain.decibelsPerStep).rounded())
    }

    /// Scales each PCM chunk (16-bit little-endian mono) to `target`, the gain held so that
    /// its peak stays within full scale (the clipping guard).
    public static func levelPCM(_ parts: [[UInt8]], sampleRate: Int, target: Double) throws(LoudnessError) -> Levelled {
        var levelled: [[UInt8]] = []
        var chunks: [ChunkLevel] = []
        for part in parts {
            let measurement = try Loudness.measure(pcm16LE: part, sampleRate: sampleRate)
            guard let measured = measurement.integrated, measurement.samplePeak > 0 else {
                levelled.append(part)
                chunks.append(ChunkLevel(measured: nil, gain: 0, steps: 0))
                continue
            }
            let wanted = target - measured
            let headroom = -20 * log10(measurement.samplePeak)
            let gain = min(wanted, headroom)
            levelled.append(PCM16.scaled(part, by: pow(10, gain / 20)))
            chunks.append(ChunkLevel(measured: measured, gain: gain, steps: 0))
        }
        return Levelled(parts: levelled, chunks: chunks)
    }

    /// The ReplayGain that remains for the joined file: `target − its loudness` in dB and
    /// its sample peak; nil when the file is silent.
    public static func replayGain(of measurement: LoudnessMeasurement, target: Double) -> (gain: Double, peak: Double)? {
        guard let integrated = measurement.integrated else { return nil }
        return (target - integrated, measurement.samplePeak)
    }
}
