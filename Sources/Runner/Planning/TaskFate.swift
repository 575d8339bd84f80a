import Journal
import Tasks

/// What earlier runs left for a task whose request key is final, and so what this run does
/// with it before anything is sent. The planner asks for every task (a dependent once its
/// producers are known), the chain gate for a dependent released during the run: one
/// decision, in one order, for all of them.
package enum TaskFate: Sendable {
    /// A video job an earlier run submitted for this key: polled, never submitted again.
    case poll(VideoJobRecord)
    /// A video submit of this key whose answer was lost: left alone unless
    /// `--resubmit-uncertain`.
    case uncertain(VideoJobRecord)
    /// Done in an earlier run, its files intact.
    case done
    /// Refused in an earlier run with these very inputs (none with `--retry-refused`).
    case refused
    /// Nothing recorded stops it: it runs (unless a file is in its way, see `OutputGuard`).
    case fresh
}

/// The journals' records the fates are decided from, as the planner read them.
package struct EarlierRuns: Sendable {
    /// Each folder's journal with what its done tasks' files look like (none with `--force`).
    package let journals: [String: FolderJournal]
    /// Each folder's open or uncertain video jobs, by key.
    package let videoJobs: [String: [String: VideoJobRecord]]
    /// The keys each folder's journal shows refused (none with `--retry-refused`).
    package let refused: [String: Set<String>]
    /// `--resubmit-uncertain`: an uncertain video submit goes again.
    package let resubmitUncertain: Bool

    package init(
        journals: [String: FolderJournal], videoJobs: [String: [String: VideoJobRecord]], refused: [String: Set<String>],
        resubmitUncertain: Bool
    ) {
        self.journals = journals
        self.videoJobs = videoJobs
        self.refused = refused
        self.resubmitUncertain = resubmitUncertain
    }

    /// The fate of the task of `key` writing into `folder`. A video job comes first: one an
    /// earlier run paid for is collected, whatever else the journal says.
    package func fate(folder: String, key: String, isVideo: Bool) -> TaskFate {
        if isVideo, let record = videoJobs[folder]?[key] {
            if record.hasJob { return .poll(record) }
            if !resubmitUncertain { return .uncertain(record) }
        }
        if journals[folder]?.check.intact.contains(key) == true { return .done }
        if refused[folder]?.contains(key) == true { return .refused }
        return .fresh
    }

    /// The image files the journal of `folder` shows `key` done with, in the order they were
    /// written: what its dependents' references resolve among.
    package func doneImages(folder: String, key: String) -> [ResolvedReference] {
        ReferenceResolution.images((journals[folder]?.index.entries[key]?.files ?? []).map { (folder + "/" + $0.path, $0.sha256) })
    }

    /// What the dependents of producer `id` (of `key`, in `folder`), refused in an earlier
    /// run, fail with: the refusal's message, and how to send it again.
    package func refusedProducer(_ id: String, folder: String, key: String) -> TaskFailure {
        let reason = journals[folder]?.index.entries[key]?.message.map { " (\($0))" } ?? ""
        return TaskFailure(
            .permanent, cause: .producer(taskID: id),
            message: "its producer \(id) was refused in an earlier run\(reason); --retry-refused sends it again; nothing was sent")
    }
}
