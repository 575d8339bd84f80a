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
    /// `target − its loudness`.
    public static func levelMP3(_ parts: [[UInt8]], target: Double) throws(LoudnessError) -> Levelled {
        var levelled: [[UInt8]] = []
        var chunks: [ChunkLevel] = []
        for part in parts {
            let measured = try Loudness.measure(mp3: part).integrated
            guard let measured else {
                levelled.append(part)
                chunks.append(ChunkLevel(measured: nil, gain: 0, steps: 0))
                continue
            }
            let steps = Int(((target - measured) / MP3GlobalGain.decibelsPerStep).rounded())
            var shifted = part
            MP3GlobalGain.shift(&shifted, steps: steps)
            levelled.append(shifted)
            chunks.append(ChunkLevel(measured: measured, gain: Double(steps) * MP3GlobalGain.decibelsPerStep, steps: steps))
        }
        return Levelled(parts: levelled, chunks: chunks)
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
