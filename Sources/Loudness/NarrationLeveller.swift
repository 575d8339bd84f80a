import Glibc
import Media

/// Brings a narration's chunks to a loudness target before they are joined, so the joined
/// file is at the target and no chunk jumps out: each chunk is measured on its own and
/// moved towards the target — an mp3 chunk by whole `global_gain` steps (1.5 dB, no
/// re-encoding, `MP3GlobalGain`), a PCM chunk by scaling its samples. No gain ever lifts a
/// chunk's sample peak above `ceiling` (-1 dBFS). A chunk too short for an integrated
/// measurement (a one-word quote of a dialogue) is levelled by its ungated loudness over its
/// own length. What whole steps cannot reach is left to the ReplayGain tag (`replayGain`).
public enum NarrationLeveller {
    /// One chunk's level before and the gain it was given.
    public struct ChunkLevel: Sendable, Equatable {
        /// LUFS measured: integrated, or for a chunk under 0.4 s its ungated loudness over its
        /// length; nil when the chunk is silent (left as it is).
        public let measured: Double?
        /// Decibels applied.
        public let gain: Double
        /// `global_gain` steps applied (mp3 only).
        public let steps: Int
        /// True when the gain was held back so the chunk's peak stays under `ceiling`.
        public let peakLimited: Bool

        public init(measured: Double?, gain: Double, steps: Int, peakLimited: Bool = false) {
            self.measured = measured
            self.gain = gain
            self.steps = steps
            self.peakLimited = peakLimited
        }
    }

    /// The chunks, levelled, with what was done to each.
    public struct Levelled: Sendable {
        public let parts: [[UInt8]]
        public let chunks: [ChunkLevel]
    }

    /// The highest sample peak a gain may lift a chunk to, in dBFS.
    public static let ceiling = -1.0

    /// Shifts each mp3 chunk by the whole number of `global_gain` steps nearest to
    /// `target − its level`, held so that its peak stays under `ceiling`; then, when the
    /// chunks joined would still miss the target by a step or more (gating, rounding), every
    /// audible chunk by the same further steps (again within every chunk's headroom). A
    /// silent chunk is left as it is.
    public static func levelMP3(_ parts: [[UInt8]], target: Double) throws(LoudnessError) -> Levelled {
        var plans: [(measured: Double?, steps: Int, headroom: Int?, limited: Bool)] = []
        var whole: LoudnessMeter?
        var wholeFormat: (rate: Int, channels: Int)?
        var mixedFormats = false
        for part in parts {
            let audio = try MP3Decoder.decode(part)
            let measurement = try Loudness.measure(audio)
            // Whole steps that keep the peak under the ceiling (0 when it is there already).
            let headroom = measurement.samplePeak > 0 ? max(Int(((ceiling - decibels(measurement.samplePeak)) / MP3GlobalGain.decibelsPerStep).rounded(.down)), 0) : nil
            let wanted = measurement.level.map { steps(target - $0) } ?? 0
            let shift = min(wanted, headroom ?? 0)
            plans.append((measurement.level, shift, headroom, shift < wanted))
            // The joined file as it will be, to see where it lands.
            if wholeFormat == nil { wholeFormat = (audio.sampleRate, audio.channels) }
            if let format = wholeFormat, format.rate != audio.sampleRate || format.channels != audio.channels { mixedFormats = true }
            if !mixedFormats {
                if whole == nil { whole = try LoudnessMeter(channels: audio.channels, sampleRate: audio.sampleRate) }
                let factor = Float(pow(2, Double(shift) / 4))
                try whole?.add(shift == 0 ? audio.samples : audio.samples.map { $0 * factor }, channels: audio.channels)
            }
        }
        if !mixedFormats, let joined = whole?.integrated {
            var correction = steps(target - joined)
            let audible = plans.indices.filter { plans[$0].measured != nil }
            if correction > 0 {
                correction = min(correction, audible.map { (plans[$0].headroom ?? 0) - plans[$0].steps }.min() ?? 0)
            }
            if correction != 0 { for index in audible { plans[index].steps += correction } }
        }
        var levelled: [[UInt8]] = []
        var chunks: [ChunkLevel] = []
        for (part, plan) in zip(parts, plans) {
            var shifted = part
            MP3GlobalGain.shift(&shifted, steps: plan.steps)
            levelled.append(shifted)
            chunks.append(ChunkLevel(measured: plan.measured, gain: Double(plan.steps) * MP3GlobalGain.decibelsPerStep, steps: plan.steps, peakLimited: plan.limited))
        }
        return Levelled(parts: levelled, chunks: chunks)
    }

    /// The whole number of `global_gain` steps nearest to `decibels`.
    private static func steps(_ decibels: Double) -> Int {
        Int((decibels / MP3GlobalGain.decibelsPerStep).rounded())
    }

    private static func decibels(_ amplitude: Double) -> Double { 20 * log10(amplitude) }

    /// Scales each PCM chunk (16-bit little-endian mono) to `target`, the gain held so that
    /// no peak is lifted above `ceiling`; a chunk too short to integrate by its ungated level.
    public static func levelPCM(_ parts: [[UInt8]], sampleRate: Int, target: Double) throws(LoudnessError) -> Levelled {
        var levelled: [[UInt8]] = []
        var chunks: [ChunkLevel] = []
        for part in parts {
            let measurement = try Loudness.measure(pcm16LE: part, sampleRate: sampleRate)
            guard let measured = measurement.level, measurement.samplePeak > 0 else {
                levelled.append(part)
                chunks.append(ChunkLevel(measured: nil, gain: 0, steps: 0))
                continue
            }
            let wanted = target - measured
            let headroom = max(ceiling - decibels(measurement.samplePeak), 0)
            let gain = min(wanted, headroom)
            levelled.append(PCM16.scaled(part, by: pow(10, gain / 20)))
            chunks.append(ChunkLevel(measured: measured, gain: gain, steps: 0, peakLimited: gain < wanted))
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
