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
        var outputs = [OutputFile(path: path, bytes: final)]
        if sidecars {
            var sidecar = Sidecar.speech(task, chunks: parts.count)
            sidecar["file"] = .object(["sha256": .string(SHA256.hex(final)), "size": .int(Int64(final.count))])
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

/// One file of a task: where it goes and how to read its bytes (lent as pieces, so a PNG
/// can gain a text chunk without being copied).
struct OutputFile {
    let path: String
    let lend: (([UnsafeRawBufferPointer]) -> Void) -> Void
    /// Media are synced before they are named; derived metadata (sidecars) need not be.
    var sync = true
    /// The digest, when the caller already computed it (so it is computed once).
    var knownSHA256: String?

    init(path: String, lend: @escaping (([UnsafeRawBufferPointer]) -> Void) -> Void) {
        self.path = path
        self.lend = lend
    }

    init(path: String, bytes: [UInt8], sync: Bool = true) {
        self.init(path: path) { body in bytes.withUnsafeBytes { body([$0]) } }
        self.sync = sync
    }

    /// The SHA-256 of the bytes as they will be written.
    var sha256: String {
        if let knownSHA256 { return knownSHA256 }
        var digest = ""
        lend { digest = SHA256.hex($0) }
        return digest
    }
}

/// Writes a task's files all or nothing: each is staged (written and fsynced unnamed),
/// then all are named; any failure removes what was named.
enum AtomicOutputs {
    /// Every file must land inside `folder` (the task's output folder) once symlinks are
    /// resolved: a link planted in the output tree cannot carry a write elsewhere.
    static func write(_ outputs: [OutputFile], taskID: String, folder: String, claims: PathClaims) throws(TaskFailure) -> [WrittenFile] {
        for output in outputs {
            if let owner = claims.claim(output.path, for: taskID) {
                throw TaskFailure(.permanent, message: "\(output.path) is already written by task \(owner) in this run")
            }
            let parent = FileIO.directory(of: output.path)
            do { try FileIO.makeDirectories(parent) } catch { throw TaskFailure(.permanent, message: error.description) }
            guard FileIO.isInside(parent, root: folder) else {
                throw TaskFailure(.permanent, message: "\(parent) leads outside the output folder \(folder) (a symbolic link?); nothing written")
            }
        }
        var staged: [StagedFile] = []
        var files: [WrittenFile] = []
        do {
            for output in outputs {
                var result: Result<StagedFile, FileError>!
                var written: WrittenFile!
                output.lend { pieces in
                    result = Result { () throws(FileError) in try StagedFile(pieces, for: output.path, sync: output.sync) }
                    written = WrittenFile(path: output.path, size: pieces.reduce(0) { $0 + $1.count }, sha256: output.knownSHA256 ?? SHA256.hex(pieces))
                }
                staged.append(try result.get())
                files.append(written)
            }
            for (index, file) in staged.enumerated() {
                try file.commit()
                files[index].modified = FileIO.modificationStamp(file.path)
            }
        } catch {
            for file in staged { file.revoke() }
            throw TaskFailure(.permanent, message: error.description)
        }
        return files
    }
}
