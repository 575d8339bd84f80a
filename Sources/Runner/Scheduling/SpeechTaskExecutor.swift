import Files
import HTTP
import JSON
import Loudness
import Media
import Narration
import OpenRouter
import Support
import Tasks

/// Runs speech work in two steps, like images: `fetch` synthesizes one chunk and keeps it
/// (on a network worker); `write` joins all chunks of a narration into one tagged mp3 (or
/// WAV) and puts it on disk atomically (on a writer lane). Knows nothing of retries or
/// scheduling.
package struct SpeechTaskExecutor {
    package let client: OpenRouterClient
    package let claims: PathClaims
    /// Where generation costs are looked up (for budgets), when they are.
    package let costs: CostLookups?
    /// Write `<file>.json` beside the audio.
    package let sidecars: Bool

    package init(client: OpenRouterClient, claims: PathClaims, costs: CostLookups?, sidecars: Bool) {
        self.client = client
        self.claims = claims
        self.costs = costs
        self.sidecars = sidecars
    }

    /// Synthesizes one chunk, keeps it for reruns and stores it in its narration; the whole
    /// narration when this chunk completed it. The chunk is kept (synced, named, journaled)
    /// before the worker takes another job, so a crash loses at most the chunks in flight.
    /// The job of a narration whose chunks were all kept sends nothing: it only joins them.
    package func fetch(_ part: NarrationPart, on connection: HTTPConnection, into buffer: ByteArray) throws(TaskFailure) -> NarrationAssembly.Complete? {
        let assembly = part.assembly
        if assembly.wasKept(part.index) { return assembly.keptComplete() }
        let spoken = try client.speak(part.task, text: part.text, on: connection, into: buffer)
        do throws(TaskFailure) {
            try Self.checkPCM(spoken, for: assembly.task)
            do { try assembly.keep(part.index, audio: spoken.audio, generationID: spoken.generationID) } catch {
                throw TaskFailure(.permanent, cause: .file(path: error.path), message: "cannot keep chunk \(part.index + 1) for reruns: \(error)")
            }
        } catch {
            // The speech was generated and billed: its generation goes with the failure.
            var failure = error
            failure.generationID = failure.generationID ?? spoken.generationID
            throw failure
        }
        let cost = spoken.generationID.flatMap { id in costs?.lookUp(id) }
        return assembly.store(part.index, audio: spoken.audio, generationID: spoken.generationID, cost: cost)
    }

    /// Joins the chunks (frame-level for mp3, samples for pcm), brings them to the task's
    /// loudness target (`NarrationLoudness`), tags the mp3, and writes it, with its subtitles
    /// when the task asks (`texts`: each part's text), all or none.
    package func write(_ parts: [[UInt8]], for task: SpeechTask, texts: [String] = []) throws(TaskFailure) -> [WrittenFile] {
        try writeNarration(parts, for: task, texts: texts).files
    }

    /// `write`, also giving the loudness record for the journal's `done` (nil when off).
    package func writeNarration(_ parts: [[UInt8]], for task: SpeechTask, texts: [String] = []) throws(TaskFailure) -> (files: [WrittenFile], loudness: JSONObject?) {
        let final: [UInt8]
        var seconds: Double?
        if task.format == .pcm {
            // The WAV header's settings are checked before any sample is measured.
            _ = try wav { () throws(WAVError) in try WAVFile.wav(pcm16LE: [], sampleRate: task.sampleRate) }
        }
        let levelled = try NarrationLoudness.level(parts, for: task)
        let loudness: NarrationLoudness.Outcome
        switch task.format {
        case .mp3:
            let joined: [UInt8]
            do { joined = try MP3Joiner.join(levelled.parts) } catch {
                throw TaskFailure(.permanent, cause: .response, message: "cannot join the narration's mp3 parts: \(error)")
            }
            seconds = try? MP3Joiner.duration(of: joined)
            var comment = "model=\(task.model.wireID) voice=\(task.allVoices.joined(separator: "+"))"
            if let speed = task.speed { comment += " speed=\(speed)" }
            if parts.count > 1 { comment += " chunks=\(parts.count)" }
            loudness = try levelled.outcome(joinedMP3: joined)
            // A chapter is titled by its heading, numbered n/total, and belongs to its book's album.
            let title = task.chapter?.title ?? task.title ?? task.id
            let track = task.chapter.map { "\($0.number)/\($0.total)" }
            final = ID3Tag.v24(
                title: title, artist: task.voice, album: task.chapter?.album ?? task.manifestName, comment: comment, track: track,
                userText: loudness.replayGainTags) + joined
        case .pcm:
            final = try wav { () throws(WAVError) in try WAVFile.joinPCM(levelled.parts, sampleRate: task.sampleRate) }
            seconds = Double(parts.reduce(0) { $0 + $1.count }) / Double(2 * max(task.sampleRate, 1))  // 16-bit mono
            loudness = try levelled.outcome(joinedPCM: levelled.parts.flatMap { $0 }, sampleRate: task.sampleRate)
        }
        let path = task.output.path(index: nil, of: 1, fileExtension: task.format.fileExtension)
        var audio = OutputFile(path: path, bytes: final)
        let digest = audio.sha256
        audio.knownSHA256 = digest
        var outputs = [audio]
        if sidecars {
            var sidecar = Sidecar.speech(task, chunks: parts.count)
            // What came back: the audio's length (measured once, above).
            if let seconds {
                sidecar["duration"] = .double((seconds * 1000).rounded() / 1000)
                sidecar["seconds"] = .double((seconds * 1000).rounded() / 1000)
            }
            sidecar["file"] = .object(["sha256": .string(digest), "size": .int(Int64(final.count))])
            if let record = loudness.record { sidecar["loudness"] = .object(record) }
            if let chapter = task.chapter {
                var entry: JSONObject = [
                    "number": .int(Int64(chapter.number)), "total": .int(Int64(chapter.total)), "title": .string(chapter.title),
                    "album": .string(chapter.album),
                ]
                if let book = chapter.book { entry["book"] = .string(FileIO.relative(book.path(index: nil, of: 1, fileExtension: "mp3"), to: task.output.folder)) }
                sidecar["chapter"] = .object(entry)
            }
            outputs.append(OutputFile(path: path + ".json", bytes: Sidecar.encode(sidecar), sync: false))
        }
        if let subtitles = task.subtitles, texts.count == parts.count {
            outputs.append(OutputFile(path: task.output.path(index: nil, of: 1, fileExtension: subtitles.rawValue), bytes: try Self.subtitles(subtitles, parts: parts, texts: texts, task: task)))
        }
        if task.keepChunks {
            for (index, part) in parts.enumerated() {
                let bytes = task.format == .pcm ? try wav { () throws(WAVError) in try WAVFile.wav(pcm16LE: part, sampleRate: task.sampleRate) } : part
                let name = String(format: "%@/%@.part-%02d.%@", task.output.folder, task.output.baseName, index + 1, task.format.fileExtension)
                outputs.append(OutputFile(path: name, bytes: bytes))
            }
        }
        return (try AtomicOutputs.write(outputs, taskID: task.id, folder: task.output.folder, claims: claims), loudness.record)
    }

    /// Subtitles timed by each part's exact length: its mp3 frames, or its pcm samples.
    static func subtitles(_ format: SubtitleFormat, parts: [[UInt8]], texts: [String], task: SpeechTask) throws(TaskFailure) -> [UInt8] {
        var durations: [Double] = []
        for part in parts {
            switch task.format {
            case .mp3:
                do { durations.append(try MP3Joiner.duration(of: part)) } catch {
                    throw TaskFailure(.permanent, cause: .response, message: "cannot time the subtitles: \(error)")
                }
            case .pcm: durations.append(Double(part.count / 2) / Double(max(task.sampleRate, 1)))
            }
        }
        let cues = Subtitles.cues(chunks: texts, durations: durations)
        return Array(Subtitles.render(cues, webVTT: format == .vtt).utf8)
    }

    /// PCM chunks must be what the WAV header will say: the rate and channels the answer's
    /// `Content-Type` names must match the task's `sampleRate` and mono, else no chunk is kept.
    static func checkPCM(_ spoken: OpenRouterClient.SpokenAudio, for task: SpeechTask) throws(TaskFailure) {
        guard task.format == .pcm else { return }
        if let rate = spoken.sampleRate, rate != task.sampleRate {
            throw TaskFailure(.permanent, cause: .response, status: 200,
                message: "\(task.model.wireID) answered pcm at \(rate) Hz, but the task's sampleRate is \(task.sampleRate): set \"sampleRate\": \(rate)")
        }
        if let channels = spoken.channels, channels != 1 {
            throw TaskFailure(.permanent, cause: .response, status: 200, message: "\(task.model.wireID) answered pcm with \(channels) channels; mediabatch writes mono WAV")
        }
    }

    /// WAV bytes, or the reason they cannot be made as the failure of the task: permanent,
    /// since the same audio and settings meet the same refusal.
    private func wav(_ make: () throws(WAVError) -> [UInt8]) throws(TaskFailure) -> [UInt8] {
        do { return try make() } catch {
            throw TaskFailure(.permanent, cause: .response, message: "cannot write the narration as WAV: \(error)")
        }
    }
}
