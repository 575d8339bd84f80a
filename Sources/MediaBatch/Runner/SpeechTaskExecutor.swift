/// Runs speech work in two steps, like images: `fetch` synthesizes one chunk (on a network
/// worker); `write` joins all chunks of a narration into one tagged mp3 (or WAV) and puts
/// it on disk atomically (on a writer lane). Knows nothing of retries or scheduling.
struct SpeechTaskExecutor {
    let endpoint: OpenRouterEndpoint
    let claims: PathClaims
    /// Look up each generation's cost (`GET /generation`), for budgets.
    let lookUpCost: Bool
    /// Write `<file>.json` beside the audio.
    let sidecars: Bool

    struct Chunk {
        let audio: [UInt8]
        let generationID: String?
        let cost: Double?
    }

    func fetch(_ part: NarrationPart, on connection: HTTPConnection, into buffer: ByteArray) throws(TaskFailure) -> Chunk {
        let task = part.assembly.task
        let body = SpeechRequest.body(for: task, input: part.assembly.chunks[part.index])
        let request = HTTPRequest(
            method: .post, url: endpoint.url(SpeechRequest.path),
            headers: endpoint.headers(category: "audio-gen"), body: JSONEncoding.encode(.object(body)))
        let response = try connection.send(request, into: buffer)
        let audio = try SpeechRequest.audio(from: response, format: task.format)
        let generationID = response.generationID
        var cost: Double?
        if lookUpCost, let generationID { cost = self.cost(of: generationID, on: connection, buffer: buffer) }
        return Chunk(audio: audio, generationID: generationID, cost: cost)
    }

    /// The final cost of a generation; OpenRouter may answer 404 for a moment after it ends.
    private func cost(of generationID: String, on connection: HTTPConnection, buffer: ByteArray) -> Double? {
        let url = endpoint.url("/generation?id=" + generationID)
        for attempt in 0..<3 {
            if attempt > 0 { MonotonicClock.sleep(0.5) }
            let request = HTTPRequest(method: .get, url: url, headers: endpoint.headers(category: "audio-gen"))
            guard let response = try? connection.perform(request, into: buffer) else { continue }
            if response.status == 200 { return SpeechRequest.generationCost(response.body) }
            if response.status != 404 { return nil }
        }
        return nil
    }

    /// Joins the chunks (frame-level for mp3, samples for pcm), tags the mp3, and writes it.
    func write(_ parts: [[UInt8]], for task: SpeechTask) throws(TaskFailure) -> [WrittenFile] {
        let final: [UInt8]
        switch task.format {
        case .mp3:
            let joined: [UInt8]
            do { joined = try MP3Joiner.join(parts) } catch {
                throw TaskFailure(.permanent, message: "cannot join the narration's mp3 parts: \(error)")
            }
            var comment = "model=\(task.model.wireID) voice=\(task.voice)"
            if let speed = task.speed { comment += " speed=\(speed)" }
            if parts.count > 1 { comment += " chunks=\(parts.count)" }
            final = ID3Tag.v24(title: task.title ?? task.id, artist: task.voice, album: task.manifestName, comment: comment) + joined
        case .pcm:
            final = WAVFile.joinPCM(parts, sampleRate: task.sampleRate)
        }
        let path = task.output.path(index: nil, of: 1, fileExtension: task.format.fileExtension)
        var audio = OutputFile(path: path, bytes: final)
        let digest = audio.sha256
        audio.knownSHA256 = digest
        var outputs = [audio]
        if sidecars {
            var sidecar = Sidecar.speech(task, chunks: parts.count)
            sidecar["file"] = .object(["sha256": .string(digest), "size": .int(Int64(final.count))])
            outputs.append(OutputFile(path: path + ".json", bytes: Sidecar.encode(sidecar), sync: false))
        }
        if task.keepChunks {
            for (index, part) in parts.enumerated() {
                let bytes = task.format == .pcm ? WAVFile.wav(pcm16LE: part, sampleRate: task.sampleRate) : part
                let name = String(format: "%@/%@.part-%02d.%@", task.output.folder, task.output.baseName, index + 1, task.format.fileExtension)
                outputs.append(OutputFile(path: name, bytes: bytes))
            }
        }
        return try AtomicOutputs.write(outputs, taskID: task.id, folder: task.output.folder, claims: claims)
    }
}
