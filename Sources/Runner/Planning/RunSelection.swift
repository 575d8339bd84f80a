import Files
import Journal
import Manifest
import Tasks

/// A task of the validated plan that still needs running, with what validation computed for
/// it: its key (once, here) and the stamps of the files it reads. The run expands its entry
/// again and checks those stamps, so a task is sent exactly as it was validated or fails
/// with the reason.
package struct PlannedTask: Sendable {
    /// Its place among the tasks of its entry.
    package let ordinal: Int
    package let id: String
    package let origin: TaskOrigin
    package let folder: String
    package let key: String
    /// `FileIO.stamp` of each of `MediaTask.inputs`, in order.
    package let stamps: [String]
    /// A narration: its chunks are requests of their own, sent in parallel.
    package let isNarration: Bool
    /// The media files it may write, checked before it is sent (`OutputGuard`).
    package let outputs: ExpectedOutputs
    /// A video task: whether it is one, and the job an earlier run submitted for it (polled,
    /// never submitted again).
    package var isVideo = false
    package var videoJob: VideoJobRecord? {
        get { videoJobStorage.first }
        set { videoJobStorage = newValue.map { [$0] } ?? [] }
    }
    /// `videoJob`, held out of line like `chain`: a record is ~130 bytes inline, and a plan
    /// holds a hundred thousand image tasks that never have one.
    private var videoJobStorage: [VideoJobRecord] = []
    /// Those that exist and may be replaced (mediabatch's own, unchanged), with the
    /// `FileIO.stamp` the planner saw: one changed since is kept.
    package var allowed: [String: String] = [:]
    /// For a task that takes other tasks' outputs (`@id`): its producers and how they stand.
    package var chain: ChainLinks? {
        get { chainStorage.first }
        set { chainStorage = newValue.map { [$0] } ?? [] }
    }
    /// `chain`, held out of line (an array is one reference): the links are a few hundred
    /// bytes, and a plan holds a hundred thousand tasks that have none.
    private var chainStorage: [ChainLinks] = []

    package init(
        ordinal: Int, id: String, origin: TaskOrigin, folder: String, key: String, stamps: [String], isNarration: Bool, outputs: ExpectedOutputs,
        allowed: [String: String] = [:], chain: ChainLinks? = nil
    ) {
        self.ordinal = ordinal
        self.id = id
        self.origin = origin
        self.folder = folder
        self.key = key
        self.stamps = stamps
        self.isNarration = isNarration
        self.outputs = outputs
        self.allowed = allowed
        self.chain = chain
    }
}

extension PlannedTask {
    /// `task`, `ordinal`-th of its entry, planned with its request key and input stamps.
    init(_ task: MediaTask, ordinal: Int, key: String, stamps: [String]) {
        self.init(
            ordinal: ordinal, id: task.id, origin: task.origin, folder: task.output.folder, key: key, stamps: stamps,
            isNarration: !task.isImage && !task.isVideo, outputs: ExpectedOutputs(task))
        isVideo = task.isVideo
    }
}

/// A video task an earlier run submitted without learning whether a job was made (its
/// answer was lost): not submitted again unless `--resubmit-uncertain`.
package struct PlannedUncertain: Sendable {
    package let taskID: String
    package let folder: String
    package let key: String
    package let since: String?
}

/// A video job an earlier run submitted for a version of a task this run no longer plans
/// (its prompt, model, duration, a variable or a producer image changed, or the task left
/// the manifest): it was paid for, so the run still polls it and, once it is finished,
/// downloads it beside the new version as `superseded/<task id>.<job id>.mp4` and journals
/// it (`superseded` record, with its cost). Never submitted again.
package struct SupersededVideoJob: Sendable {
    package let folder: String
    package let key: String
    package let record: VideoJobRecord

    /// Where the job's video goes, relative to the output folder (`mp4`; `mov` when the
    /// download is QuickTime).
    package func relativePath(fileExtension: String = "mp4") -> String {
        "superseded/" + SupersededVideoJob.portable(record.taskID) + "." + SupersededVideoJob.portable(record.jobID ?? "job") + "." + fileExtension
    }

    /// A task id or job id as one file name component (a task id may hold `/`).
    private static func portable(_ text: String) -> String {
        String(text.map { $0 == "/" || $0 == "\\" || $0 == "\0" ? "_" : $0 })
    }
}

/// A task not to be run, so as not to overwrite `files` (see `OutputGuard`).
package struct PlannedKept: Sendable {
    package let task: PlannedTask
    package let files: [KeptFile]
}

/// A manifest entry with the tasks of it that need running.
package struct PlannedEntry: Sendable {
    package let ref: BatchPlan.EntryRef
    package var tasks: [PlannedTask]
}

extension [PlannedEntry] {
    /// Keeps, in order, the tasks for which `keep` returns a task (itself or changed), and
    /// the entries that still have one; in place, without a second copy of the plan.
    mutating func filterTasks(_ keep: (PlannedTask) -> PlannedTask?) {
        var entriesKept = 0
        for index in indices {
            var tasks: [PlannedTask] = []
            swap(&tasks, &self[index].tasks)  // Now the only reference: changed in place.
            var tasksKept = 0
            for position in tasks.indices {
                guard let task = keep(tasks[position]) else { continue }
                tasks[tasksKept] = task
                tasksKept += 1
            }
            tasks.removeLast(tasks.count - tasksKept)
            guard !tasks.isEmpty else { continue }
            self[entriesKept] = PlannedEntry(ref: self[index].ref, tasks: tasks)
            entriesKept += 1
        }
        removeLast(count - entriesKept)
    }

    /// `task` of entry `ref` planned: beside the tasks before it when they are the same
    /// entry's, else in an entry of its own.
    mutating func append(_ task: PlannedTask, of ref: BatchPlan.EntryRef) {
        if last?.ref == ref { self[count - 1].tasks.append(task) } else { append(PlannedEntry(ref: ref, tasks: [task])) }
    }
}

/// The validated plan of a run: what `BatchRunner.prepare` decided, task by task, and what
/// the run needs to carry it out. Tasks of other shards and tasks the journals show done
/// (with their files intact) are counted and left out; tasks whose output holds a file
/// mediabatch will not overwrite are listed apart, to be recorded as kept.
public struct RunSelection: Sendable {
    package let entries: [PlannedEntry]
    package let folders: [String]
    /// Each folder's output root, which it must not leave.
    package let roots: [String: String]
    package let shard: Shard?
    /// Tasks the journal shows done with their files intact.
    public let alreadyDone: Int
    /// Tasks that belong to other shards.
    public let otherShards: Int
    /// Tasks the journal shows refused, left alone (unless `retryRefused`).
    public let refusedBefore: Int
    /// Dollars the journals record as spent by earlier runs (counted for `--max-total-cost`
    /// only; 0 otherwise).
    public let spentBefore: Double
    /// Tasks not to run, so as not to overwrite a file (none with `--force`).
    package let kept: [PlannedKept]
    /// `--force`: files in the way are overwritten.
    package let force: Bool
    /// The keys each folder's journal shows refused, as the planner read them (empty with
    /// `retryRefused` or `--force`): `plan` tells these tasks apart without reading again.
    package var refusedKeys: [String: Set<String>] = [:]
    /// The journals as the planner read them, kept when dependents wait for producers of
    /// this run (a producer may write the bytes it wrote before: its dependent is then done).
    package var chainJournals: [String: FolderJournal] = [:]
    /// The video jobs earlier runs submitted, by folder and key, for the same dependents:
    /// read even with `--force` (none is ever submitted twice), when the journals are not.
    package var chainVideoJobs: [String: [String: VideoJobRecord]] = [:]
    /// The key of the chain root each dependent (`@id`) is sharded by, by the dependent's id.
    public package(set) var chainRootKeys: [String: String] = [:]
    /// Video tasks left uncertain by an earlier run, not submitted again.
    package var uncertain: [PlannedUncertain] = []
    /// Whether uncertain video submits go again (`--resubmit-uncertain`): the chain gate
    /// asks, for a dependent whose key is known only when its producers are done.
    package var resubmitUncertain = false
    /// Whether any task to run is a video (the run then starts its poller).
    package var hasVideo: Bool { !superseded.isEmpty || entries.contains { $0.tasks.contains(where: \.isVideo) } }
    /// Jobs of earlier versions of video tasks, still open: collected by this run.
    package var superseded: [SupersededVideoJob] = []
    /// The books (`book: true`) the plan's chapters make, joined at the end of the run.
    package var books: [BookPlan] = []
    /// Tasks that will be sent (each narration counts once).
    public var taskCount: Int { entries.reduce(0) { $0 + $1.tasks.count } }

    /// Workers worth starting at most: one per task, or all of them when a narration's
    /// chunks can keep them busy.
    package func workers(concurrency: Int) -> Int {
        let narrations = entries.contains { $0.tasks.contains(where: \.isNarration) }
        return max(1, narrations ? concurrency : min(concurrency, taskCount))
    }
}

/// The journals a run writes into, one per output folder, opened when the run starts.
package struct RunJournals: Sendable {
    private var journals: [String: Journal] = [:]

    /// Opens every output folder's journal for appending, after removing the temp files of
    /// runs that died there.
    package init(_ selection: RunSelection) throws(FileError) {
        for folder in selection.folders {
            if let root = selection.roots[folder] {
                try FileIO.makeDirectories(folder)
                guard FileIO.isInside(folder, root: root) else {
                    throw FileError("use", folder, reason: "it leads outside the output root \(root) (a symbolic link?)")
                }
            }
            FileIO.removeStaleTemps(under: folder)
            journals[folder] = try Journal(folder: folder, shard: selection.shard)
        }
    }

    package subscript(folder folder: String) -> Journal? { journals[folder] }
}
