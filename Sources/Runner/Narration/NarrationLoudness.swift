import JSON
import Loudness
import Tasks

/// A narration's chunks brought to its task's loudness target before they are joined
/// (`NarrationLeveller`: each chunk matched on its own, so no seam jumps), then the joined
/// audio measured: what remains goes into ReplayGain tags, and every figure into the
/// sidecar. With `"loudness": "off"` the chunks pass through untouched.
package struct NarrationLoudness {
    /// The chunks to join, levelled (or as they came).
    package let parts: [[UInt8]]
    private let target: Double?
    private let chunks: [NarrationLeveller.ChunkLevel]

    /// What the joined file measured: ReplayGain tags for the mp3, the sidecar's record.
    package struct Outcome {
        /// TXXX `REPLAYGAIN_TRACK_GAIN` / `_PEAK`, empty when off or silent.
        package var replayGainTags: [(String, String)] = []
        /// `target`, each chunk's `measured` and `gain`, the file's `measured` and `replayGain`.
        package var record: JSONObject?
    }

    /// Levels `parts` for `task`; a chunk that cannot be decoded fails the task, naming it.
    /// `pcmRate`: the samples per second of pcm parts as the answers named them (the task's
    /// `sampleRate` when nil); interleaved channels are measured as one stream at that many
    /// times the rate (an approximation: speech comes mono).
    package static func level(_ parts: [[UInt8]], for task: SpeechTask, pcmRate: Int? = nil) throws(TaskFailure) -> NarrationLoudness {
        guard let target = task.loudness else { return NarrationLoudness(parts: parts, target: nil, chunks: []) }
        let levelled: NarrationLeveller.Levelled
        do {
            switch task.format {
            case .mp3: levelled = try NarrationLeveller.levelMP3(parts, target: target)
            case .pcm: levelled = try NarrationLeveller.levelPCM(parts, sampleRate: pcmRate ?? task.sampleRate, target: target)
            }
        } catch {
            throw failure(error)
        }
        return NarrationLoudness(parts: levelled.parts, target: target, chunks: levelled.chunks)
    }

    /// Measures the joined mp3 (audio frames, before tagging).
    package func outcome(joinedMP3 mp3: [UInt8]) throws(TaskFailure) -> Outcome {
        guard target != nil else { return Outcome() }
        do { return outcome(try Loudness.measure(mp3: mp3), tags: true) } catch { throw Self.failure(error) }
    }

    /// Measures the joined PCM (16-bit little-endian mono).
    /// `pcm` is joined only when there is a target to measure against (an hour of audio is
    /// ~170 MB to copy for nothing otherwise).
    package func outcome(joinedPCM pcm: @autoclosure () -> [UInt8], sampleRate: Int) throws(TaskFailure) -> Outcome {
        guard target != nil else { return Outcome() }
        do { return outcome(try Loudness.measure(pcm16LE: pcm(), sampleRate: sampleRate), tags: false) } catch { throw Self.failure(error) }
    }

    private func outcome(_ measurement: LoudnessMeasurement, tags: Bool) -> Outcome {
        guard let target else { return Outcome() }
        var outcome = Outcome()
        var record: JSONObject = ["target": .double(target)]
        record["chunks"] = .array(chunks.map { chunk in
            var item: JSONObject = ["gain": .double(Self.rounded(chunk.gain))]
            item["measured"] = chunk.measured.map { .double(Self.rounded($0)) } ?? .null
            if chunk.steps != 0 { item["steps"] = .int(Int64(chunk.steps)) }
            if chunk.peakLimited { item["peakLimited"] = .bool(true) }
            return .object(item)
        })
        record["measured"] = measurement.integrated.map { .double(Self.rounded($0)) } ?? .null
        record["peak"] = .double((measurement.samplePeak * 1_000_000).rounded() / 1_000_000)
        if let replay = NarrationLeveller.replayGain(of: measurement, target: target) {
            record["replayGain"] = .double(Self.rounded(replay.gain))
            if tags { outcome.replayGainTags = Self.replayGainTags(gain: replay.gain, peak: replay.peak) }
        }
        outcome.record = record
        return outcome
    }

    /// TXXX `REPLAYGAIN_TRACK_GAIN` ("+0.42 dB") and `REPLAYGAIN_TRACK_PEAK` ("0.512345").
    package static func replayGainTags(gain: Double, peak: Double) -> [(String, String)] {
        [("REPLAYGAIN_TRACK_GAIN", decibels(gain)), ("REPLAYGAIN_TRACK_PEAK", fixed(peak, digits: 6))]
    }

    private static func failure(_ error: LoudnessError) -> TaskFailure {
        TaskFailure(.permanent, cause: .response, message: "cannot measure the narration's loudness: \(error) (\"loudness\": \"off\" writes it as it came)")
    }

    private static func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }

    /// "+0.42 dB", "-0.30 dB": ReplayGain's form.
    private static func decibels(_ value: Double) -> String {
        (value >= 0 ? "+" : "-") + fixed(abs(value), digits: 2) + " dB"
    }

    /// `value` with exactly `digits` decimals, without Foundation's formatting.
    private static func fixed(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((abs(value) * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale))
        return (value < 0 && scaled != 0 ? "-" : "") + "\(whole)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}
