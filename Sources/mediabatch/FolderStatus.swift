import Files
import Glibc
import JSON
import Support
import Journal
import Reports
import Runner

/// What the journals of one output folder say, task by task: of the tasks they record
/// (`recorded`), or of the tasks a batch plans for the folder (`planned`: those no journal
/// names are pending, never started). Read only; the library does the reading.
struct FolderStatus {
    enum State: String, CaseIterable {
        case done, pending, failed, refused, kept, unfinished
        /// A video job submitted and not collected yet (a later run polls it).
        case running
        /// A video submit whose answer was lost: a job may exist (`--resubmit-uncertain`).
        case uncertain
    }
    struct Task {
        let id: String
        let state: State
        /// Tab-separated details: files, or kind, status and message, or when it started.
        let detail: [String]
        var time: String? = nil
        var cost: Double? = nil
        /// The files of a done task, as data (the table joins them; a path may hold a comma).
        var files: [String] = []
    }

    let folder: String
    var tasks: [Task] = []
    var spent = 0.0
    var tornLines = 0
    /// Who holds (or, killed, left) the folder's run locks.
    var locks: [RunLock.Holder] = []
    private var journals: [JournalIndex] = []

    /// Reads every journal of `folder` (one per shard); none when it has no `.mediabatch/`.
    init(folder: String) throws(FileError) {
        self.folder = folder
        guard FileIO.isDirectory(folder + "/.mediabatch") else { return }
        let names = try FileIO.listFolder(folder + "/.mediabatch").filter { $0.hasPrefix("journal") && $0.hasSuffix(".jsonl") }.sorted()
        for name in names {
            let index = try JournalIndex(path: folder + "/.mediabatch/" + name)
            journals.append(index)
            spent += index.spent
            tornLines += index.skippedLines
        }
        locks = RunLock.paths(folder: folder).compactMap(RunLock.holder)
    }

    /// Every task the journals name, in the order they first appear.
    mutating func recorded() {
        tasks = journals.flatMap { index in index.order.compactMap { Self.task(key: $0, id: nil, in: [index]) } }
    }

    /// The planned tasks (id and key), in plan order; then the open jobs of earlier versions
    /// of video tasks (`superseded`: their tasks changed since), which the next run collects.
    mutating func planned(_ planned: [(id: String, key: String)], superseded: [SupersededVideoJob] = []) {
        tasks = planned.map { Self.task(key: $0.key, id: $0.id, in: journals) ?? Task(id: $0.id, state: .pending, detail: ["never started"]) }
        for old in superseded {
            let age = old.record.since.map { " \($0) (\(Self.age(since: $0)) ago)" } ?? ""
            tasks.append(Task(
                id: old.record.taskID, state: .running,
                detail: ["an earlier version's video job \(old.record.jobID ?? "?") submitted\(age), still open (the task changed since); the next run collects it into \(old.relativePath())"],
                time: old.record.since))
        }
    }

    func count(_ state: State) -> Int { tasks.reduce(0) { $0 + ($1.state == state ? 1 : 0) } }

    private static func task(key: String, id: String?, in journals: [JournalIndex]) -> Task? {
        for index in journals {
            if let video = index.videoJobs[key] {
                let id = id ?? video.taskID
                let age = video.since.map { " \($0) (\(Self.age(since: $0)) ago)" } ?? ""
                if let job = video.jobID, video.hasJob {
                    return Task(id: id, state: .running, detail: ["video job \(job) submitted\(age); a later run collects it"], time: video.since)
                }
                return Task(
                    id: id, state: .uncertain,
                    detail: ["submitted\(age), answer lost: a job may exist and be billed; run with --resubmit-uncertain to submit again"],
                    time: video.since)
            }
            if let record = index.kept[key] {
                // Not run, so as not to overwrite a file (what it cost before is in `spent`).
                let files = record.files.map { "\($0.path) (\($0.reason == .changed ? "changed since written" : "not written by mediabatch"))" }
                return Task(id: id ?? record.taskID, state: .kept, detail: [files.joined(separator: ", ")], time: record.time)
            }
            guard let entry = index.entries[key] else { continue }
            let id = id ?? entry.taskID
            switch entry.state {
            case .done:
                let files = entry.files.map(\.path)
                return Task(id: id, state: .done, detail: [files.joined(separator: ",")], time: entry.time, cost: entry.cost, files: files)
            case .failed where entry.kind == "refused":
                return Task(id: id, state: .refused, detail: [entry.message ?? ""], time: entry.time)
            case .failed:
                let status = entry.status.map { "HTTP \($0): " } ?? ""
                return Task(id: id, state: .failed, detail: [entry.kind ?? "?", status + (entry.message ?? "")], time: entry.time)
            case .started:
                return Task(id: id, state: .unfinished, detail: ["attempt \(entry.attempts) started \(entry.time ?? "") and never ended"], time: entry.time)
            }
        }
        return nil
    }

    /// How long ago a journal time (`2026-08-01T12:00:00Z`) was: `42 s`, `5 min`, `3 h`, `2 d`.
    static func age(since time: String) -> String {
        let parts = time.split(whereSeparator: { "-T:Z".contains($0) }).compactMap { Int($0) }
        guard parts.count == 6 else { return "?" }
        var fields = tm()
        fields.tm_year = Int32(parts[0] - 1900)
        fields.tm_mon = Int32(parts[1] - 1)
        fields.tm_mday = Int32(parts[2])
        fields.tm_hour = Int32(parts[3])
        fields.tm_min = Int32(parts[4])
        fields.tm_sec = Int32(parts[5])
        let seconds = max(0, Int(UTCTime.epochSeconds()) - timegm(&fields))
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7200 { return "\(seconds / 60) min" }
        if seconds < 172_800 { return "\(seconds / 3600) h" }
        return "\(seconds / 86400) d"
    }

    /// `1 done, 2 pending, 1 failed, 0 refused, 0 unfinished, spent $0.0390` (pending only
    /// when a plan says what is pending, kept only when there are some).
    static func totals(_ folders: [FolderStatus], planned: Bool) -> String {
        func sum(_ state: State) -> Int { folders.reduce(0) { $0 + $1.count(state) } }
        var parts = ["\(sum(.done)) done"]
        if planned { parts.append("\(sum(.pending)) pending") }
        parts += ["\(sum(.failed)) failed", "\(sum(.refused)) refused"]
        if sum(.kept) > 0 { parts.append("\(sum(.kept)) kept") }
        if sum(.running) > 0 { parts.append("\(sum(.running)) video job\(sum(.running) == 1 ? "" : "s") running") }
        if sum(.uncertain) > 0 { parts.append("\(sum(.uncertain)) uncertain") }
        parts.append("\(sum(.unfinished)) unfinished")
        return parts.joined(separator: ", ") + ", spent " + Terminal.dollars(folders.reduce(0) { $0 + $1.spent })
    }

    /// Every folder's counts and spend added up.
    static func totalsJSON(_ folders: [FolderStatus]) -> JSON {
        var object = JSONObject()
        for state in State.allCases { object[state.rawValue] = .int(Int64(folders.reduce(0) { $0 + $1.count(state) })) }
        object["spent"] = .double(RunReport.money(folders.reduce(0) { $0 + $1.spent }))
        return .object(object)
    }

    /// The folder as JSON: counts, locks, spend and every task.
    var json: JSON {
        var object: JSONObject = ["folder": .string(FileIO.relativeDisplay(folder))]
        for state in State.allCases { object[state.rawValue] = .int(Int64(count(state))) }
        object["spent"] = .double(RunReport.money(spent))
        object["running"] = .array(locks.map { holder in
            .object(["pid": .int(Int64(holder.pid)), "host": .string(holder.host), "since": .string(holder.since), "alive": .bool(holder.running)])
        })
        object["tasks"] = .array(tasks.map { task in
            var entry: JSONObject = ["id": .string(task.id), "state": .string(task.state.rawValue)]
            switch task.state {
            case .failed:
                entry["kind"] = .string(task.detail[0])
                entry["message"] = .string(task.detail[1])
            case .refused, .unfinished, .kept, .running, .uncertain: entry["message"] = .string(task.detail[0])
            case .done: entry["files"] = .array(task.files.map(JSON.string))
            case .pending: break
            }
            if let time = task.time { entry["time"] = .string(time) }
            if let cost = task.cost { entry["cost"] = .double(RunReport.money(cost)) }
            return .object(entry)
        })
        return .object(object)
    }
}
