import Files
import Glibc
import JSON
import Support

/// What the journal last said about one task.
public struct JournalEntry: Sendable {
    public enum State: String, Sendable { case started, done, failed }
    public struct File: Sendable {
        public let path: String
        public let size: Int
        public let sha256: String
        public let modified: String?
    }
    public let state: State
    public let taskID: String
    public let files: [File]
    public let attempts: Int
    public let message: String?
    public let kind: String?
    public let status: Int?
    public let cost: Double?
    public let time: String?
}

/// The last record of every task in a journal, for resuming and for `status`. A line that
/// does not parse (a record torn by a crash) is skipped.
public struct JournalIndex: Sendable {
    /// The last `started`, `done` or `failed` record of each key.
    public private(set) var entries: [String: JournalEntry] = [:]
    /// The last `kept` record of each key not followed by a `done` or `failed` one. A `kept`
    /// record leaves `entries` alone: a task's `done` still describes the files it wrote.
    public private(set) var kept: [String: KeptRecord] = [:]
    /// Keys in order of their first record (a key may be in `kept` only).
    public private(set) var order: [String] = []
    public private(set) var skippedLines = 0
    /// Dollars of `billed` records (failed attempts that were paid for), all tasks together.
    public private(set) var billedCost = 0.0
    /// Every dollar the records read here carry (each `done`, every `billed`, whatever came
    /// after them): what the batch has spent. Complete when read without a snapshot.
    public private(set) var spent = 0.0
    /// The journal's length when it was read: what a snapshot of this index covers.
    public private(set) var covered = 0
    /// Video tasks with a job submitted (or being submitted, or of uncertain fate) and no
    /// outcome since, by key: what a rerun polls instead of submitting again.
    public private(set) var videoJobs: [String: VideoJobRecord] = [:]
    /// Keys that had a video submit record (`submitting`, `submitted`, `uncertain`,
    /// `unsubmitted`): such a key is already in `order` even when it is in none of
    /// `entries`, `kept` and `videoJobs`, so its later records do not list it again.
    private var videoKeys: Set<String> = []

    public init() {}

    /// Reads `path`; a missing file is an empty journal. With `outcomesOnly` (resuming), the
    /// `started` records are passed over unparsed: a task whose last record is `started`
    /// after a `done` was being redone, and its old files are intact until a new `done`.
    /// When resuming, a `ResumeSnapshot` of the journal stands in for the records it covers.
    public init(path: String, outcomesOnly: Bool = false) throws(FileError) {
        guard FileIO.exists(path) else { return }
        var covered = 0
        if outcomesOnly, let snapshot = ResumeSnapshot.load(journal: path) {
            entries.reserveCapacity(snapshot.entries.count)
            order.reserveCapacity(snapshot.entries.count)
            for (key, entry) in snapshot.entries where entries.updateValue(entry, forKey: key) == nil { order.append(key) }
            for (key, record) in snapshot.videoJobs {
                if entries[key] == nil && !videoKeys.contains(key) { order.append(key) }
                videoJobs[key] = record
                videoKeys.insert(key)
            }
            covered = snapshot.covered
        }
        // A task leaves ~700 bytes of records (`started`, then its outcome with its files):
        // room for about that many, not twice (a dictionary's room is most of its weight).
        entries.reserveCapacity(entries.count + max(0, (FileIO.size(path) ?? 0) - covered) / 700)
        let startedPrefix = Array(#"{"event":"started""#.utf8)
        let read = try FileIO.forEachLine(path, from: covered) { line in
            guard !line.isEmpty, !(outcomesOnly && line.starts(with: startedPrefix)), !JournalIndex.isChunkRecord(line) else { return }
            let record = try? JSONEncoding.parse(line, source: path)
            spent += record?["cost"]?.doubleValue ?? 0
            let taken = record.map { add($0) } ?? false
            if !taken { skippedLines += 1 }
        }
        self.covered = covered + read
    }

    /// `chunk` and `narration` records (see `ChunkRecords`) say nothing about a task's outcome.
    private static func isChunkRecord(_ line: UnsafeRawBufferPointer) -> Bool {
        line.starts(with: #"{"event":"chunk""#.utf8) || line.starts(with: #"{"event":"narration""#.utf8)
    }

    /// A chunk's `started` after its narration's `failed`: once a narration with audio has
    /// failed, its other chunks are still bought (and kept for the rerun), and their starts
    /// leave the narration failed, not unfinished.
    private static func isSiblingOfFailedChunk(_ record: JSON, _ entry: JournalEntry, after previous: JournalEntry?) -> Bool {
        entry.state == .started && record["chunk"] != nil && previous?.state == .failed
    }

    /// Takes one parsed record in; false when it is not one of the journal's.
    private mutating func add(_ record: JSON) -> Bool {
        guard let key = record["key"]?.stringValue else { return false }
        if record["event"]?.stringValue == "billed" {
            // A paid failed attempt: counted, and no change to what the task's outcome is.
            billedCost += record["cost"]?.doubleValue ?? 0
            return true
        }
        let isNew = entries[key] == nil && kept[key] == nil && (videoKeys.isEmpty || !videoKeys.contains(key))
        switch record["event"]?.stringValue {
        case "submitting", "submitted", "uncertain":
            videoJobs[key] = VideoJobRecord.next(after: videoJobs[key], record)
            videoKeys.insert(key)
            if isNew { order.append(key) }
            return true
        case "superseded":
            // An earlier version's job, collected (or failed) after its task changed: its
            // cost is in `spent`; the task's own outcome is untouched.
            videoJobs[key] = nil
            videoKeys.insert(key)
            if isNew { order.append(key) }
            return true
        case "unsubmitted":
            videoKeys.insert(key)
            // Answered with an error: no job was made by that submit.
            if videoJobs[key]?.hasJob != true { videoJobs[key] = nil }
            if isNew { order.append(key) }
            return true
        case "done", "failed":
            videoJobs[key] = nil
        default:
            break
        }
        if record["event"]?.stringValue == "kept" {
            let files = (record["files"]?.arrayValue ?? []).compactMap { file -> KeptFile? in
                guard let path = file["path"]?.stringValue, let reason = file["reason"]?.stringValue.flatMap(KeptFile.Reason.init) else { return nil }
                return KeptFile(path: path, reason: reason)
            }
            kept[key] = KeptRecord(taskID: record["task"]?.stringValue ?? "?", files: files, time: record["time"]?.stringValue)
        } else {
            guard let (_, entry) = JournalIndex.entry(record) else { return false }
            if JournalIndex.isSiblingOfFailedChunk(record, entry, after: entries[key]) { return true }
            if entry.state != .started { kept[key] = nil }
            entries[key] = entry
        }
        if isNew { order.append(key) }
        return true
    }

    private static func entry(_ record: JSON) -> (String, JournalEntry)? {
        guard let key = record["key"]?.stringValue, let event = record["event"]?.stringValue,
            let state = JournalEntry.State(rawValue: event)
        else { return nil }
        let files = (record["files"]?.arrayValue ?? []).compactMap { file -> JournalEntry.File? in
            guard let path = file["path"]?.stringValue, let size = file["size"]?.intValue, let sha = file["sha256"]?.stringValue else { return nil }
            return JournalEntry.File(path: path, size: Int(size), sha256: sha, modified: file["mtime"]?.stringValue)
        }
        let attempts = Int(record["attempts"]?.intValue ?? record["attempt"]?.intValue ?? 0)
        return (key, JournalEntry(
            state: state, taskID: record["task"]?.stringValue ?? "?", files: files, attempts: attempts,
            message: record["message"]?.stringValue, kind: record["kind"]?.stringValue,
            status: record["status"]?.intValue.map { Int($0) }, cost: record["cost"]?.doubleValue, time: record["time"]?.stringValue))
    }

    /// The keys of the tasks whose last outcome was a refusal (the model or moderation
    /// refused the request: sending it again changes nothing unless the user asks).
    public var refusedKeys: [String] { entries.compactMap { $0.value.state == .failed && $0.value.kind == "refused" ? $0.key : nil } }

    /// What the files of the done tasks look like now: which tasks have every file they
    /// wrote still there, unchanged, and which have one changed since. A file is unchanged
    /// when its size matches and its SHA-256 too, recomputed only when the modification time
    /// differs from the one recorded. One pass over the journal (a rerun makes it while the
    /// manifests are still being validated).
    public func checkFiles(folder: String) -> FileCheck {
        var check = FileCheck()
        guard let handle = FolderHandle(folder) else { return check }
        check.intact.reserveCapacity(entries.count)
        for (key, entry) in entries where entry.state == .done && !entry.files.isEmpty {
            switch JournalIndex.check(entry, in: handle) {
            case .intact: check.intact.insert(key)
            case .changed(let paths): check.changed[key] = paths
            case .incomplete: continue
            }
        }
        return check
    }

    /// The keys of the tasks that are done with every file they wrote still there, unchanged.
    public func intactKeys(folder: String) -> Set<String> { checkFiles(folder: folder).intact }

    /// Every version of each file the done tasks recorded (relative path to versions).
    public func recordedFiles() -> [String: [JournalEntry.File]] {
        var files: [String: [JournalEntry.File]] = [:]
        for entry in entries.values where entry.state == .done {
            for file in entry.files { files[file.path, default: []].append(file) }
        }
        return files
    }

    /// The done tasks' files as they are now (see `checkFiles`).
    public struct FileCheck: Sendable {
        /// Keys of the tasks whose files are all there, unchanged.
        public var intact: Set<String> = []
        /// Keys of the tasks with a file that is there but changed (its relative paths).
        public var changed: [String: [String]] = [:]

        public init() {}
    }

    private enum TaskFiles { case intact, changed([String]), incomplete }

    private static func check(_ entry: JournalEntry, in folder: FolderHandle) -> TaskFiles {
        var changed: [String] = []
        var missing = false
        for file in entry.files {
            var info = stat()
            // Relative to the open folder: one path component to look up, not the whole path.
            guard fstatat(folder.fd, file.path, &info, 0) == 0 else {
                missing = true
                continue
            }
            if Int(info.st_size) == file.size {
                if let recorded = file.modified, FileIO.stamp(of: info, equals: recorded) { continue }
                if let bytes = try? FileIO.readAll(folder.path + "/" + file.path), SHA256.hex(bytes) == file.sha256 { continue }
            }
            changed.append(file.path)
        }
        if !changed.isEmpty { return .changed(changed) }
        return missing ? .incomplete : .intact
    }
}

/// An open output folder, for `fstatat` relative to it; closed in `deinit`.
private final class FolderHandle {
    package let path: String
    package let fd: Int32

    package init?(_ path: String) {
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        self.path = path
    }

    deinit { close(fd) }
}
