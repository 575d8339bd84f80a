import Files
import JSON
import Glibc

/// A compact copy of what a journal says about its finished tasks, written beside it
/// (`journal.index` next to `journal.jsonl`) at the end of a run that changed something.
///
/// It exists because a rerun must learn the outcome of every task before it can skip any,
/// and parsing a hundred thousand JSON records with jansson costs about 0.75 s on its own.
/// The snapshot is plain tab-separated text, split with `memchr`; only the journal records
/// appended after it (none, on a nightly no-op rerun) go through jansson. It is a cache and
/// never the truth: it names the journal it was made from (inode and the byte length it
/// covers), and anything that does not match exactly — another inode, a shorter journal, a
/// malformed line — makes the reader ignore it and parse the whole journal.
///
/// Layout: a header `mediabatch-journal-index<TAB>1<TAB><inode><TAB><covered bytes>`, then
/// one line per task whose last outcome is `done`: its key, then path, size, mtime (`-`
/// when none) and SHA-256 of each file, all tab-separated; one line `<key><TAB>!refused`
/// per task whose last outcome was a refusal; and one line `<key><TAB>!video<TAB><record>`
/// per video job still open (submitted, submitting or uncertain), `<record>` being a compact
/// journal record of it (JSON escapes every tab and line break). A reader before the `!video`
/// lines finds such a line malformed and reads the journal instead, as it should.
package enum ResumeSnapshot {
    package static let magic = "mediabatch-journal-index"

    package static func path(forJournal journal: String) -> String {
        (journal.hasSuffix(".jsonl") ? String(journal.dropLast(6)) : journal) + ".index"
    }

    /// The done entries and the journal length they cover, or nil when there is no usable
    /// snapshot for the journal as it is now.
    package static func load(journal: String) -> Loaded? {
        var info = stat()
        guard stat(journal, &info) == 0, let bytes = try? FileIO.readAll(path(forJournal: journal), limit: 1 << 30) else { return nil }
        return bytes.withUnsafeBytes { raw -> Loaded? in
            var lines = Lines(raw)
            guard let header = lines.next()?.fields, header.count == 4, header[0] == magic, header[1] == "1",
                let inode = UInt64(header[2]), let covered = Int(header[3]),
                inode == UInt64(info.st_ino), covered <= Int(info.st_size)
            else { return nil }
            var entries: [(key: String, entry: JournalEntry)] = []
            var videoJobs: [(key: String, record: VideoJobRecord)] = []
            entries.reserveCapacity(raw.count / 200)
            while let line = lines.next() {
                let fields = line.fields
                if fields.count == 3 && fields[1] == "!video" {
                    guard let record = try? JSONEncoding.parse(Array(fields[2].utf8), source: journal), record["event"] != nil else { return nil }
                    videoJobs.append((fields[0], VideoJobRecord.next(after: nil, record)))
                    continue
                }
                if fields.count == 2 && fields[1] == "!refused" {
                    entries.append((fields[0], JournalEntry(
                        state: .failed, taskID: "?", files: [], attempts: 0, message: nil, kind: "refused", status: nil, cost: nil, time: nil)))
                    continue
                }
                guard fields.count >= 5, (fields.count - 1) % 4 == 0 else { return nil }
                var files: [JournalEntry.File] = []
                for start in stride(from: 1, to: fields.count, by: 4) {
                    guard let size = Int(fields[start + 1]) else { return nil }
                    files.append(JournalEntry.File(
                        path: fields[start], size: size, sha256: fields[start + 3],
                        modified: fields[start + 2] == "-" ? nil : fields[start + 2]))
                }
                entries.append((fields[0], JournalEntry(
                    state: .done, taskID: "?", files: files, attempts: 0, message: nil, kind: nil, status: nil, cost: nil, time: nil)))
            }
            guard lines.complete else { return nil }
            return Loaded(entries: entries, videoJobs: videoJobs, covered: covered)
        }
    }

    /// What a snapshot holds: the tasks done or refused, the video jobs still open (in the
    /// journal's order), and the journal length they cover.
    package struct Loaded {
        package let entries: [(key: String, entry: JournalEntry)]
        package let videoJobs: [(key: String, record: VideoJobRecord)]
        package let covered: Int
    }

    /// Brings the snapshot of `journal` up to date when records were appended since it was
    /// written (or it is missing): reads what the old snapshot does not cover, writes anew.
    /// A failure leaves things as they were: the snapshot is only a cache.
    package static func refresh(journal: String) {
        var info = stat()
        guard stat(journal, &info) == 0, info.st_size > 0, !isCurrent(journal: journal, info: info),
            let index = try? JournalIndex(path: journal, outcomesOnly: true)
        else { return }
        try? write(index, journal: journal, covered: index.covered)
    }

    /// True when the snapshot's header names this very journal at its current length.
    private static func isCurrent(journal: String, info: stat) -> Bool {
        let fd = open(path(forJournal: journal), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 128)
        let n = read(fd, &head, head.count)
        guard n > 0, let newline = head[..<n].firstIndex(of: UInt8(ascii: "\n")) else { return false }
        let fields = head[..<newline].split(separator: UInt8(ascii: "\t")).map { String(decoding: $0, as: UTF8.self) }
        return fields == [magic, "1", String(info.st_ino), String(info.st_size)]
    }

    /// Writes the snapshot of `index` (read from `journal` when it was `covered` bytes long).
    /// Skipped, leaving any older snapshot (still valid: it covers less), when a path holds a
    /// tab or a line break.
    package static func write(_ index: JournalIndex, journal: String, covered: Int) throws(FileError) {
        var info = stat()
        guard stat(journal, &info) == 0 else { return }
        // Streamed into its staged file a block at a time: never the whole snapshot in memory.
        // Left uncommitted (its deinit removes it) when a path cannot be written in this format.
        let staged = try StagedFile(streamingFor: path(forJournal: journal))
        var text = "\(magic)\t1\t\(info.st_ino)\t\(covered)\n"
        func flush() throws(FileError) {
            try staged.append(Array(text.utf8))
            text.removeAll(keepingCapacity: true)
        }
        for key in index.order {
            if let job = index.videoJobs[key] {
                // The record that brings the job back as it is (`VideoJobRecord.next`).
                text += key + "\t!video\t" + String(decoding: JSONEncoding.encode(.object(job.snapshotRecord)), as: UTF8.self) + "\n"
            }
            guard let entry = index.entries[key] else { continue }
            if entry.state == .failed && entry.kind == "refused" {
                text += key + "\t!refused\n"
            } else if entry.state == .done, !entry.files.isEmpty {
                // A path with a tab or a line break cannot be written in this format.
                guard !entry.files.contains(where: { $0.path.contains(where: { $0 == "\t" || $0.isNewline }) }) else { return }
                text += key
                for file in entry.files { text += "\t\(file.path)\t\(file.size)\t\(file.modified ?? "-")\t\(file.sha256)" }
                text += "\n"
            }
            if text.utf8.count >= 1 << 16 { try flush() }
        }
        try flush()
        try staged.sync()
        try staged.commit()
    }

    /// Lines of a buffer; `complete` is false when the last one lacks its newline.
    private struct Lines {
        package let raw: UnsafeRawBufferPointer
        package var position = 0
        package var complete = true

        package init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

        package mutating func next() -> Line? {
            guard position < raw.count, let base = raw.baseAddress else { return nil }
            guard let newline = memchr(base + position, Int32(UInt8(ascii: "\n")), raw.count - position) else {
                complete = false
                position = raw.count
                return nil
            }
            let end = base.distance(to: UnsafeRawPointer(newline))
            defer { position = end + 1 }
            return Line(bytes: UnsafeRawBufferPointer(rebasing: raw[position..<end]))
        }
    }

    private struct Line {
        package let bytes: UnsafeRawBufferPointer
        package var fields: [String] {
            bytes.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        }
    }
}
