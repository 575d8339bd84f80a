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
        let pcm = Self.pcmFormat(spoken, for: assembly.task)
        do throws(TaskFailure) {
            do { try assembly.keep(part.index, audio: spoken.audio, generationID: spoken.generationID, pcm: pcm) } catch {
                throw TaskFailure(.permanent, cause: .file(path: error.path), message: "cannot keep chunk \(part.index + 1) for reruns: \(error)")
            }
        } catch {
            // The speech was generated and billed: its generation goes with the failure.
            var failure = error
            failure.generationID = failure.generationID ?? spoken.generationID
            throw failure
        }
        let cost = spoken.generationID.flatMap { id in costs?.lookUp(id) }
        return assembly.store(part.index, audio: spoken.audio, generationID: spoken.generationID, cost: cost, pcm: pcm)
    }

    /// Joins the chunks (frame-level for mp3, samples for pcm), brings them to the task's
    /// loudness target (`NarrationLoudness`), tags the mp3, and writes it, with its subtitles
    /// when the task asks (`texts`: each part's text), all or none. PCM is written with the
    /// sample rate and channels the answers named (`formats`, one per part; the task's
    /// `sampleRate`, mono, where one is missing); parts that disagree fail the task.
    package func write(_ parts: [[UInt8]], formats: [PCMFormat?] = [], for task: SpeechTask, texts: [String] = []) throws(TaskFailure) -> [WrittenFile] {
        try writeNarration(parts, formats: formats, for: task, texts: texts).files
    }

    /// `write`, also giving the loudness record for the journal's `done` (nil when off).
    package func writeNarration(
        _ parts: [[UInt8]], formats: [PCMFormat?] = [], for task: SpeechTask, texts: [String] = []
    ) throws(TaskFailure) -> (files: [WrittenFile], loudness: JSONObject?) {
        let final: [UInt8]
        var seconds: Double?
        let pcm = task.format == .pcm ? try Self.commonFormat(formats, parts: parts.count, of: task) : nil
        if let pcm {
            // The WAV header's settings are checked before any sample is measured.
            _ = try wav { () throws(WAVError) in try WAVFile.joinPCM([], sampleRate: pcm.rate, channels: pcm.channels) }
        }
        let levelled = try NarrationLoudness.level(parts, for: task, pcmRate: pcm.map { $0.rate * $0.channels })
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
            // A chapter is titled by its heading, numbered n/total, and belongs to its book's
            // album; what came back beside what was sent: the exact length (TLEN) from the frames.
            let title = task.chapter?.title ?? task.title ?? task.id
            let track = task.chapter.map { "\($0.number)/\($0.total)" }
            final = ID3Tag.v24(
                title: title, artist: task.voice, album: task.chapter?.album ?? task.manifestName, comment: comment, track: track,
                milliseconds: seconds.map { Int(($0 * 1000).rounded()) }, userText: loudness.replayGainTags) + joined
        case .pcm:
            let pcm = pcm ?? PCMFormat(rate: task.sampleRate, channels: 1)
            final = try wav { () throws(WAVError) in try WAVFile.joinPCM(levelled.parts, sampleRate: pcm.rate, channels: pcm.channels) }
            seconds = parts.reduce(0) { $0 + pcm.seconds(of: $1.count) }
            loudness = try levelled.outcome(joinedPCM: levelled.parts.flatMap { $0 }, sampleRate: pcm.rate * pcm.channels)
        }
        let path = task.output.path(index: nil, of: 1, fileExtension: task.format.fileExtension)
        var audio = OutputFile(path: path, bytes: final)
        let digest = audio.sha256
        audio.knownSHA256 = digest
        var outputs = [audio]
        if sidecars {
            var sidecar = Sidecar.speech(task, chunks: parts.count)
            if let pcm {
                // What came back: the WAV header's rate and channels, from the answers.
                sidecar["sampleRate"] = .int(Int64(pcm.rate))
                sidecar["channels"] = .int(Int64(pcm.channels))
            }
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
            outputs.append(
                OutputFile(
                    path: task.output.path(index: nil, of: 1, fileExtension: subtitles.rawValue),
                    bytes: try Self.subtitles(subtitles, parts: parts, texts: texts, task: task, pcm: pcm)))
        }
        if task.keepChunks {
            for (index, part) in parts.enumerated() {
                let bytes = try pcm.map { pcm throws(TaskFailure) in
                    try wav { () throws(WAVError) in try WAVFile.wav(pcm16LE: part, sampleRate: pcm.rate, channels: pcm.channels) }
                } ?? part
                let name = String(format: "%@/%@.part-%02d.%@", task.output.folder, task.output.baseName, index + 1, task.format.fileExtension)
                outputs.append(OutputFile(path: name, bytes: bytes))
            }
        }
        return (try AtomicOutputs.write(outputs, taskID: task.id, folder: task.output.folder, claims: claims), loudness.record)
    }

    /// Subtitles timed by each part's exact length: its mp3 frames, or its pcm samples.
    static func subtitles(_ format: SubtitleFormat, parts: [[UInt8]], texts: [String], task: SpeechTask, pcm: PCMFormat? = nil) throws(TaskFailure) -> [UInt8] {
        var durations: [Double] = []
        for part in parts {
            switch task.format {
            case .mp3:
                do { durations.append(try MP3Joiner.duration(of: part)) } catch {
                    throw TaskFailure(.permanent, cause: .response, message: "cannot time the subtitles: \(error)")
                }
            case .pcm: durations.append((pcm ?? PCMFormat(rate: task.sampleRate, channels: 1)).seconds(of: part.count))
            }
        }
        let cues = Subtitles.cues(chunks: texts, durations: durations)
        return Array(Subtitles.render(cues, webVTT: format == .vtt).utf8)
    }

    /// The sample rate and channels of a pcm answer: those its `Content-Type` names, else
    /// the task's `sampleRate` and mono. Nil for mp3.
    static func pcmFormat(_ spoken: OpenRouterClient.SpokenAudio, for task: SpeechTask) -> PCMFormat? {
        guard task.format == .pcm else { return nil }
        return PCMFormat(rate: spoken.sampleRate ?? task.sampleRate, channels: spoken.channels ?? 1)
    }

    /// The one format every pcm part has (a part without one counts as the task's
    /// `sampleRate`, mono); a narration whose parts disagree cannot be one WAV file, and
    /// fails naming which chunks differ. Its chunks stay kept: nothing bought is lost.
    static func commonFormat(_ formats: [PCMFormat?], parts: Int, of task: SpeechTask) throws(TaskFailure) -> PCMFormat {
        let fallback = PCMFormat(rate: task.sampleRate, channels: 1)
        let each = (0..<parts).map { formats.indices.contains($0) ? formats[$0] ?? fallback : fallback }
        let first = each.first ?? fallback
        guard let other = each.firstIndex(where: { $0 != first }) else { return first }
        let firstChunks = each.indices.filter { each[$0] == first }.map { String($0 + 1) }.joined(separator: ", ")
        throw TaskFailure(
            .permanent, cause: .response, status: 200,
            message: "\(task.model.wireID) answered the narration's pcm chunks in different formats (chunk \(firstChunks) at \(first), "
                + "chunk \(other + 1) at \(each[other])): they cannot be joined into one WAV file. The chunks stay kept; "
                + "run again with --force to buy the narration anew")
    }

    /// WAV bytes, or the reason they cannot be made as the failure of the task: permanent,
    /// since the same audio and settings meet the same refusal.
    private func wav(_ make: () throws(WAVError) -> [UInt8]) throws(TaskFailure) -> [UInt8] {
        do { return try make() } catch {
            throw TaskFailure(.permanent, cause: .response, message: "cannot write the narration as WAV: \(error)")
        }
    }
}
