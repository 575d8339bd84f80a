import Files
import Foundation
import Glibc
import JSON
import Support
import Tasks

/// The append-only record of a batch in one output folder (`.mediabatch/journal.jsonl`):
/// `started` before a request is sent, then `done` (files with size, hash and mtime, cost,
/// attempts, generation id) or `failed`, or `kept` for a task not run because its output
/// holds a file mediabatch will not overwrite. Outcome records are fsynced before `append`
/// returns, with group commit: concurrent callers share one `fdatasync`. `started` records
/// are written at once (a killed process leaves them behind) but not synced: only a power
/// cut can lose one, and a lost `started` changes nothing, since every task without an
/// outcome runs again. The descriptor is owned here and closed only in `deinit`.
public final class Journal: @unchecked Sendable {
    // @unchecked Sendable, because: `pending`, `appended`, `durable`, `flushing` and
    // `writeError` are read and written only while `condition` is held. `fd` is a `let`
    // opened with O_APPEND: each record goes out in whole write(2) calls, which the kernel
    // keeps apart whichever thread makes them (an unsynced `started` record from any thread,
    // or the batch of the one thread leading a group commit); only `fdatasync` and
    // `close` (in `deinit`, when no thread holds the journal) act on it otherwise.
    public let path: String
    public let folder: String
    private let fd: Int32
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var appended = 0
    private var durable = 0
    private var flushing = false
    private var writeError: FileError?

    public static func path(folder: String, shard: Shard?) -> String {
        folder + "/.mediabatch/" + (shard.map { "journal.shard-\($0.index)-of-\($0.count).jsonl" } ?? "journal.jsonl")
    }

    /// Opens (creating) the journal for `folder`. A torn last line from a crash is closed
    /// off with a newline so the next record starts clean; readers skip the torn line.
    public init(folder: String, shard: Shard?) throws(FileError) {
        self.folder = folder
        path = Journal.path(folder: folder, shard: shard)
        try FileIO.makeDirectories(FileIO.directory(of: path))
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError("open the journal", path) }
        fd = descriptor
        if let error = Journal.closeTornLine(fd: descriptor, path: path) {
            close(descriptor)
            throw error
        }
    }

    /// Ends a torn last line with a newline. Reads the last byte through the appending
    /// descriptor's file with `pread` on a second descriptor, closed on every path.
    private static func closeTornLine(fd: Int32, path: String) -> FileError? {
        guard let size = FileIO.size(path), size > 0 else { return nil }
        let reader = open(path, O_RDONLY | O_CLOEXEC)
        guard reader >= 0 else { return FileError("read", path) }
        defer { close(reader) }
        var byte: UInt8 = 0
        guard pread(reader, &byte, 1, off_t(size - 1)) == 1 else { return FileError("read", path) }
        guard byte != UInt8(ascii: "\n") else { return nil }
        var newline = UInt8(ascii: "\n")
        return Glibc.write(fd, &newline, 1) == 1 ? nil : FileError("repair", path)
    }

    deinit { close(fd) }

    /// Appends one record and returns once it is on disk (`durable`) or written.
    public func append(_ record: JSONObject, durable needsSync: Bool = true) throws(FileError) {
        // Numbers in 15 significant digits: a cost reads `0.0003528`, not
        // `0.00035280000000000001` (a dollar figure needs no more).
        var line = JSONEncoding.encodeForReading(.object(record))
        line.append(UInt8(ascii: "\n"))
        if !needsSync {
            // One write(2) on an O_APPEND descriptor: the line lands whole, between others.
            if let error = Journal.write(line, fd: fd, path: path) { throw error }
            return
        }
        condition.lock()
        defer { condition.unlock() }
        pending += line
        appended += 1
        let mine = appended
        while durable < mine {
            if let writeError { throw writeError }
            if flushing {
                condition.wait()
                continue
            }
            // Lead a group commit: everything appended so far goes in one write and one sync.
            flushing = true
            let batch = pending
            let upTo = appended
            pending.removeAll(keepingCapacity: true)
            condition.unlock()
            let error = Journal.writeAndSync(batch, fd: fd, path: path)
            condition.lock()
            flushing = false
            if let error { writeError = error } else { durable = upTo }
            condition.broadcast()
        }
    }

    private static func writeAndSync(_ bytes: [UInt8], fd: Int32, path: String) -> FileError? {
        if let error = write(bytes, fd: fd, path: path) { return error }
        return fdatasync(fd) == 0 ? nil : FileError("fsync", path)
    }

    private static func write(_ bytes: [UInt8], fd: Int32, path: String) -> FileError? {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return FileError("append to", path) }
            done += n
        }
        return nil
    }

    // MARK: - Records

    public func started(key: String, taskID: String, attempt: Int, part: Int? = nil) throws(FileError) {
        var record: JSONObject = ["event": "started", "key": .string(key), "task": .string(taskID), "attempt": .int(Int64(attempt))]
        if let part { record["chunk"] = .int(Int64(part + 1)) }
        record["time"] = .string(UTCTime.now())
        try append(record, durable: false)
    }

    public func done(
        key: String, taskID: String, files: [WrittenFile], cost: Double?, generationID: String?, attempts: Int, seconds: Double,
        seed: Int64? = nil, extra: JSONObject = JSONObject(), loudness: JSONObject? = nil
    ) throws(FileError) {
        var record: JSONObject = ["event": "done", "key": .string(key), "task": .string(taskID)]
        for (name, value) in extra { record[name] = value }
        record["files"] = filesRecord(files)
        if let cost { record["cost"] = .double(cost) }
        if let generationID { record["generation"] = .string(generationID) }
        if let seed { record["seed"] = .int(seed) }
        // A narration's loudness: the target, each chunk's level and gain, the file's level.
        if let loudness { record["loudness"] = .object(loudness) }
        record["attempts"] = .int(Int64(attempts))
        record["seconds"] = .double((seconds * 1000).rounded() / 1000)
        record["time"] = .string(UTCTime.now())
        try append(record)
    }

    /// `cost`: what the failed task was billed, when the answer said (its images arrived but
    /// could not be saved).
    public func failed(key: String, taskID: String, failure: TaskFailure, attempts: Int, cost: Double? = nil) throws(FileError) {
        var record: JSONObject = ["event": "failed", "key": .string(key), "task": .string(taskID), "kind": .string(failure.kind.rawValue)]
        record["cause"] = .string(failure.cause.description)
        if let status = failure.status { record["status"] = .int(Int64(status)) }
        record["message"] = .string(failure.message)
        if !failure.details.isEmpty {
            record["details"] = .object(JSONObject(failure.details.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }))
        }
        if let cost { record["cost"] = .double(cost) }
        record["attempts"] = .int(Int64(attempts))
        record["time"] = .string(UTCTime.now())
        try append(record)
    }

    /// A generation that was paid for although its attempt failed (a refusal or an answer
    /// without an image billed the prompt; a chat transfer broke off after the generation
    /// started): the journal counts every cent, whatever became of the task.
    public func billed(key: String, taskID: String, cost: Double, generationID: String?, attempt: Int, reason: String) throws(FileError) {
        var record: JSONObject = ["event": "billed", "key": .string(key), "task": .string(taskID), "cost": .double(cost)]
        if let generationID { record["generation"] = .string(generationID) }
        record["attempt"] = .int(Int64(attempt))
        record["reason"] = .string(reason)
        record["time"] = .string(UTCTime.now())
        try append(record)
    }

    // MARK: - Video jobs

    /// About to submit a video job for `key`: synced before the request goes out, so a crash
    /// between the two leaves a trace (the task is then `uncertain`, never silently resubmitted).
    public func videoSubmitting(key: String, taskID: String) throws(FileError) {
        try append(["event": "submitting", "key": .string(key), "task": .string(taskID), "time": .string(UTCTime.now())])
    }

    /// The job OpenRouter made for `key` (its 202 arrived): synced before anything else
    /// happens. A journaled job is never submitted again: later runs poll it. `estimate`:
    /// what the job should cost, counted against `--max-cost` until its real cost is known.
    public func videoSubmitted(
        key: String, taskID: String, job: String, pollingURL: String?, generationID: String?, estimate: Double?, model: String? = nil,
        manifest: String? = nil
    ) throws(FileError) {
        var record: JSONObject = ["event": "submitted", "key": .string(key), "task": .string(taskID), "job": .string(job)]
        if let model { record["model"] = .string(model) }
        if let manifest { record["manifest"] = .string(manifest) }
        if let pollingURL { record["polling"] = .string(pollingURL) }
        if let generationID { record["generation"] = .string(generationID) }
        if let estimate { record["estimate"] = .double(estimate) }
        record["time"] = .string(UTCTime.now())
        try append(record)
    }

    /// The submit was answered with an error: no job was made (a retry may follow). Not
    /// synced: lost in a crash, the task is only thought uncertain, never submitted twice.
    public func videoNotSubmitted(key: String, taskID: String, status: Int?) throws(FileError) {
        var record: JSONObject = ["event": "unsubmitted", "key": .string(key), "task": .string(taskID)]
        if let status { record["status"] = .int(Int64(status)) }
        record["time"] = .string(UTCTime.now())
        try append(record, durable: false)
    }

    /// The submit's answer was lost (a timeout, a reset): a job may exist, and be billed,
    /// without its id. Not resubmitted unless the user says so (`--resubmit-uncertain`).
    public func videoUncertain(key: String, taskID: String, message: String) throws(FileError) {
        try append([
            "event": "uncertain", "key": .string(key), "task": .string(taskID), "message": .string(message),
            "time": .string(UTCTime.now()),
        ])
    }

    /// `files` as a record lists them: each path relative to the folder, its size, SHA-256
    /// and modification time.
    private func filesRecord(_ files: [WrittenFile]) -> JSON {
        .array(files.map { file in
            var entry: JSONObject = ["path": .string(FileIO.relative(file.path, to: folder)), "size": .int(Int64(file.size)), "sha256": .string(file.sha256)]
            if let mtime = file.modified { entry["mtime"] = .string(mtime) }
            return .object(entry)
        })
    }

    /// The job of an earlier version of a video task (its key no longer planned), collected
    /// after all: `files` its video under `superseded/` (none when it `failed`), `cost` what it
    /// was billed. Ends the job's open record; the key's own outcome is untouched.
    public func videoSuperseded(
        key: String, taskID: String, job: String, files: [WrittenFile], cost: Double?, generationID: String?, failed message: String? = nil
    ) throws(FileError) {
        var record: JSONObject = ["event": "superseded", "key": .string(key), "task": .string(taskID), "job": .string(job)]
        record["files"] = filesRecord(files)
        if let cost { record["cost"] = .double(cost) }
        if let generationID { record["generation"] = .string(generationID) }
        if let message { record["message"] = .string(message) }
        record["time"] = .string(UTCTime.now())
        try append(record)
    }

    // MARK: - Narration chunks

    /// A narration chunk's audio, kept under `.mediabatch/chunks/` for reruns (see
    /// `ChunkStore`): which narration (`key`, `taskID`) and chunk (`index`, 0-based, written
    /// 1-based like `started`'s), the chunk's request hash, its text's length in Characters,
    /// and the file's size and SHA-256; for pcm, the sample rate and channels the answer
    /// named (the WAV header a rerun joins the chunk with). Synced before it returns: a chunk
    /// counts as kept only once this record is on disk.
    public func chunk(
        key: String, taskID: String, index: Int, hash: String, characters: Int, size: Int, sha256: String, generationID: String?,
        pcmRate: Int? = nil, pcmChannels: Int? = nil
    ) throws(FileError) {
        var record: JSONObject = ["event": "chunk", "key": .string(key), "task": .string(taskID), "chunk": .int(Int64(index + 1))]
        record["hash"] = .string(hash)
        record["chars"] = .int(Int64(characters))
        record["size"] = .int(Int64(size))
        record["sha256"] = .string(sha256)
        if let generationID { record["generation"] = .string(generationID) }
        if let pcmRate { record["rate"] = .int(Int64(pcmRate)) }
        if let pcmChannels { record["channels"] = .int(Int64(pcmChannels)) }
        record["time"] = .string(UTCTime.now())
        try append(record)
    }

    /// The chunks narration `key` is made of in this run: their request hashes and their
    /// spans in its text (Character offset and length), in text order. A rerun of the same
    /// narration splits it the same way (see `ChunkStore`), and `mediabatch gc` keeps these
    /// chunks for a narration when it has no manifest.
    public func narration(key: String, taskID: String, chunks: [String], spans: [Range<Int>]) throws(FileError) {
        var record: JSONObject = ["event": "narration", "key": .string(key), "task": .string(taskID)]
        record["chunks"] = .array(chunks.map(JSON.string))
        record["spans"] = .array(spans.map { .array([.int(Int64($0.lowerBound)), .int(Int64($0.count))]) })
        record["time"] = .string(UTCTime.now())
        try append(record)
    }

    /// The task was not run: `files` hold what mediabatch will not overwrite. An informative
    /// record: the task's last `done` (if any) still describes the files it wrote.
    public func kept(key: String, taskID: String, files: [KeptFile]) throws(FileError) {
        var record: JSONObject = ["event": "kept", "key": .string(key), "task": .string(taskID)]
        record["files"] = .array(files.map { file in
            .object(["path": .string(FileIO.relative(file.path, to: folder)), "reason": .string(file.reason.rawValue)])
        })
        record["time"] = .string(UTCTime.now())
        try append(record)
    }
}
