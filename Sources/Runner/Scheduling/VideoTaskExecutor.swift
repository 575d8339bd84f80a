import Files
import HTTP
import JSON
import Journal
import Media
import OpenRouter
import Support
import Tasks

/// A video task's two exchanges that are not waiting: `submit` (on a network worker:
/// journal `submitting`, read the frames, `POST /videos`, journal the job id the moment the
/// 202 arrives) and `download` (on the poller: stream the finished video into a staged
/// file, check it is an MP4 and read its duration, name it with its sidecar atomically).
/// Knows nothing of retries or scheduling.
package struct VideoTaskExecutor: Sendable {
    package let client: OpenRouterClient
    package let claims: PathClaims
    package let sidecars: Bool

    /// What a submit came to.
    package enum Submitted {
        /// The job exists (journaled): poll it.
        case job(VideoJobState)
        /// The answer was lost: a job may exist, billed, without its id (journaled `uncertain`).
        case uncertain(TaskFailure)
    }

    /// Submits `task` once. A failure that certainly made no job is thrown (the worker may
    /// retry it); one that may have made a job is `uncertain`, never retried.
    package func submit(
        _ task: VideoTask, key: String, journal: Journal?, estimate: Double?, digests: [String: String] = [:], on connection: HTTPConnection
    ) throws(TaskFailure) -> Submitted {
        let body = try VideoRequest.body(for: task, images: try VideoInputReader.images(for: task, digests: digests))
        do { try journal?.videoSubmitting(key: key, taskID: task.id) } catch {
            throw TaskFailure(.permanent, cause: .file(path: error.path), message: "\(error); nothing was submitted")
        }
        let state: VideoJobState
        do { state = try client.submitVideo(body: body, on: connection) } catch {
            guard VideoSubmit.mayHaveCreatedJob(error) else {
                try? journal?.videoNotSubmitted(key: key, taskID: task.id, status: error.status)
                throw error
            }
            let lost = VideoSubmit.isGatewayAnswer(error)
                ? "the submit was answered by a gateway (\(error.description)), which may come after the job was made"
                : "the answer to the submit was lost (\(error.description))"
            let message = lost + ": a job may exist and be billed; "
                + "not submitted again unless you run with --resubmit-uncertain"
            try? journal?.videoUncertain(key: key, taskID: task.id, message: message)
            return .uncertain(error.reclassified(as: .permanent, note: "uncertain submit"))
        }
        // Should the id not be kept (a journal that cannot be written), this run still collects
        // the job; a crash before then leaves the task uncertain (`submitting`), never resubmitted.
        try? journal?.videoSubmitted(
            key: key, taskID: task.id, job: state.id, pollingURL: state.pollingURL, generationID: state.generationID, estimate: estimate,
            model: task.model.wireID, manifest: task.manifestFile)
        return .job(state)
    }

    /// A video on disk, named, with what it is.
    package struct Downloaded {
        package let files: [WrittenFile]
        package let durationSeconds: Double?
    }

    /// Streams job `state`'s video to `<output>.<ext>` (never whole in memory), checks it
    /// begins with an `ftyp` box, reads its duration from `mvhd`, and names it (with its
    /// sidecar) all or nothing.
    package func download(_ state: VideoJobState, for task: VideoTask, on connection: HTTPConnection) throws(TaskFailure) -> Downloaded {
        let provisional = task.output.path(index: nil, of: 1, fileExtension: "mp4")
        let (staged, size, sha256, boxes, fileExtension) = try stream(state, to: provisional, for: task.id, folder: task.output.folder, on: connection)
        let path = task.output.path(index: nil, of: 1, fileExtension: fileExtension)
        var file = WrittenFile(path: path, size: size, sha256: sha256)
        do { try staged.sync() } catch { throw AtomicOutputs.failure(error) }
        var sidecarFile: StagedFile?
        var sidecarWritten: WrittenFile?
        if sidecars {
            var sidecar = Sidecar.video(task, job: state, duration: boxes.durationSeconds)
            sidecar["file"] = .object(["sha256": .string(file.sha256), "format": .string(fileExtension)])
            let bytes = Sidecar.encode(sidecar)
            sidecarWritten = WrittenFile(path: path + ".json", size: bytes.count, sha256: SHA256.hex(bytes))
            let staged = bytes.withUnsafeBytes { raw in Result { () throws(FileError) in try StagedFile([raw], for: path + ".json", sync: false) } }
            do { sidecarFile = try staged.get() } catch { throw AtomicOutputs.failure(error) }
        }
        // The sidecar first: a video on disk always has the sidecar that proves mediabatch wrote it.
        do {
            try sidecarFile?.commit()
            try staged.commit(as: path)
        } catch {
            sidecarFile?.revoke()
            throw AtomicOutputs.failure(error)
        }
        file.modified = FileIO.modificationStamp(path)
        var files = [file]
        if var sidecar = sidecarWritten {
            sidecar.modified = FileIO.modificationStamp(sidecar.path)
            files.append(sidecar)
        }
        return Downloaded(files: files, durationSeconds: boxes.durationSeconds)
    }

    /// Claims `provisional` for `taskID`, streams job `state`'s video into a staged file
    /// there (inside `folder`), hashing it as it comes, and checks it is an MP4 (an `ftyp`
    /// box); the extension its brand or `Content-Type` calls for.
    private func stream(
        _ state: VideoJobState, to provisional: String, for taskID: String, folder: String, on connection: HTTPConnection
    ) throws(TaskFailure) -> (staged: StagedFile, size: Int, sha256: String, boxes: MP4Boxes, fileExtension: String) {
        if let owner = claims.claim(provisional, for: taskID) {
            throw TaskFailure(.permanent, cause: .file(path: provisional), message: "\(provisional) is already written by task \(owner) in this run")
        }
        let parent = FileIO.directory(of: provisional)
        do { try FileIO.makeDirectories(parent) } catch { throw AtomicOutputs.failure(error) }
        guard FileIO.isInside(parent, root: folder) else {
            throw TaskFailure(.permanent, cause: .file(path: parent), message: "\(parent) leads outside the output folder \(folder) (a symbolic link?); nothing written")
        }
        let staged: StagedFile
        do { staged = try StagedFile(streamingFor: provisional) } catch { throw AtomicOutputs.failure(error) }
        let digest = SHA256Stream()
        var writeError: FileError?
        let contentType: String?
        do {
            contentType = try client.downloadVideo(state, on: connection) { bytes in
                do throws(FileError) {
                    try staged.append(bytes)
                    digest.update(bytes)
                    return true
                } catch {
                    writeError = error
                    return false
                }
            }
        } catch {
            // The transfer was broken off because the file could not be written (a full
            // disk): that is the failure, not the transport libcurl reports.
            if let writeError { throw AtomicOutputs.failure(writeError) }
            throw error
        }
        if let writeError { throw AtomicOutputs.failure(writeError) }
        let size = staged.appendedBytes
        guard let boxes = MP4Boxes.read(size: size, readAt: { staged.read(at: $0, count: $1) }) else {
            throw TaskFailure(
                .permanent, cause: .response, status: 200,
                message: "the video of job \(state.id) is not an MP4 (no ftyp box; \(size) bytes of \(contentType ?? "no type"))")
        }
        let fileExtension = boxes.brand == "qt  " ? "mov" : VideoFile.fileExtension(contentType: contentType) == "mov" ? "mov" : "mp4"
        return (staged, size, digest.hex(), boxes, fileExtension)
    }

    /// Streams the video of an earlier version's job (see `SupersededVideoJob`) to
    /// `superseded/<task id>.<job id>.<ext>` in its folder, all or nothing; no sidecar (the
    /// journal's `superseded` record says what it is).
    package func downloadSuperseded(_ state: VideoJobState, job: SupersededVideoJob, on connection: HTTPConnection) throws(TaskFailure) -> Downloaded {
        let provisional = job.folder + "/" + job.relativePath()
        let (staged, size, sha256, boxes, fileExtension) = try stream(state, to: provisional, for: job.record.taskID, folder: job.folder, on: connection)
        let path = job.folder + "/" + job.relativePath(fileExtension: fileExtension)
        var file = WrittenFile(path: path, size: size, sha256: sha256)
        do {
            try staged.sync()
            try staged.commit(as: path)
        } catch {
            throw AtomicOutputs.failure(error)
        }
        file.modified = FileIO.modificationStamp(path)
        return Downloaded(files: [file], durationSeconds: boxes.durationSeconds)
    }
}
