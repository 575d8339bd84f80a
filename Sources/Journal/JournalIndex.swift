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
    public private(set) var entries: [String: JournalEntry] = [:]
    /// Keys in order of their first record.
    public private(set) var order: [String] = []
    public private(set) var skippedLines = 0
    /// Dollars of `billed` records (failed attempts that were paid for), all tasks together.
    public private(set) var billedCost = 0.0
    /// Every dollar the records read here carry (each `done`, every `billed`, whatever came
    /// after them): what the batch has spent. Complete when read without a snapshot.
    public private(set) var spent = 0.0
    /// The journal's length when it was read: what a snapshot of this index covers.
    public private(set) var covered = 0

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
            covered = snapshot.covered
        }
        let bytes = try FileIO.readAll(path, from: covered)
        self.covered = covered + bytes.count
        entries.reserveCapacity(entries.count + bytes.count / 400)
        let startedPrefix = Array(#"{"event":"started""#.utf8)
        bytes.withUnsafeBytes { raw in
            var start = 0
            while start < raw.count {
                let end = raw[start...].firstIndex(of: UInt8(ascii: "\n")) ?? raw.count
                if end > start {
                    let line = UnsafeRawBufferPointer(rebasing: raw[start..<end])
                    if outcomesOnly && line.starts(with: startedPrefix) || JournalIndex.isChunkRecord(line) {
                        start = end + 1
                        continue
                    }
                    let record = try? JSONEncoding.parse(line, source: path)
                    spent += record?["cost"]?.doubleValue ?? 0
                    if let record, record["event"]?.stringValue == "billed" {
                        billedCost += record["cost"]?.doubleValue ?? 0
                    } else if let record, let entry = JournalIndex.entry(record) {
                        if JournalIndex.isSiblingOfFailedChunk(record, entry.1, after: entries[entry.0]) {
                            start = end + 1
                            continue
                        }
                        if entries.updateValue(entry.1, forKey: entry.0) == nil { order.append(entry.0) }
                    } else {
                        skippedLines += 1
                    }
                }
                start = end + 1
            }
        }
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

    /// The keys of the tasks that are done with every file they wrote still there,
    /// unchanged: the size must match, and the recorded SHA-256 too, which is recomputed
    /// only when the modification time differs from the one recorded. One pass over the
    /// journal (a rerun makes it while the manifests are still being validated).
    public func intactKeys(folder: String) -> Set<String> {
        guard let handle = FolderHandle(folder) else { return [] }
        var keys = Set<String>(minimumCapacity: entries.count)
        for (key, entry) in entries where JournalIndex.isIntact(entry, in: handle) { keys.insert(key) }
        return keys
    }

    private static func isIntact(_ entry: JournalEntry, in folder: FolderHandle) -> Bool {
        guard entry.state == .done, !entry.files.isEmpty else { return false }
        for file in entry.files {
            var info = stat()
            // Relative to the open folder: one path component to look up, not the whole path.
            guard fstatat(folder.fd, file.path, &info, 0) == 0, Int(info.st_size) == file.size else { return false }
            if let recorded = file.modified, FileIO.stamp(of: info, equals: recorded) { continue }
            guard let bytes = try? FileIO.readAll(folder.path + "/" + file.path), SHA256.hex(bytes) == file.sha256 else { return false }
        }
        return true
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
