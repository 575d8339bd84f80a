import Dispatch
import Files
import Journal
import Manifest
import ManifestDiagnostics
import Narration
import Support
import Tasks

/// Supplies a run's jobs from its validated plan, on a thread of its own: expands each
/// selected entry again (for memory: a huge JSONL batch is never held whole), checks that
/// every task is still the one that was validated (same id, inputs with the same stamps),
/// splits narrations into their chunk jobs once (leaving out the chunks kept by earlier
/// runs, `ChunkStore`), and hands the jobs to the `JobSource`, which holds only a bounded
/// number. None of this happens under the scheduler's lock. A task that can no longer be
/// built as validated fails, unsent, with the reason; one whose output now holds a file
/// mediabatch will not overwrite is kept (`OutputGuard.recheck`), like those the planner
/// kept, which are recorded first. A task that takes other tasks' outputs (`@id`) goes to
/// the `ChainGate`, which hands it to the source once its producers are recorded.
package struct TaskFeed: Sendable {
    package let plan: BatchPlan
    package let selection: RunSelection
    package let journals: RunJournals
    package let source: JobSource
    package let recorder: OutcomeRecorder
    /// Where tasks that take other tasks' outputs wait for them.
    package let chains: ChainGate
    /// Look for kept chunks of each narration (false with `--force`: every chunk is bought).
    package var reuseChunks = true
    /// Each output folder's kept narration chunks.
    let chunkStores = ChunkStores()

    /// Starts supplying on a queue of its own; `group` is left when the feed is done.
    package func start(in group: DispatchGroup) {
        DispatchQueue(label: "mediabatch.feed").async(group: group) { run() }
    }

    private func run() {
        defer { source.endSupply() }
        for kept in selection.kept { recorder.kept(kept.task, journal: journals[folder: kept.task.folder], files: kept.files) }
        var expander = plan.makeExpander()
        for entry in selection.entries {
            let (tasks, issues) = expander.expand(entry.ref)
            for planned in entry.tasks {
                let now = MonotonicClock.now()
                let journal = journals[folder: planned.folder]
                let task: MediaTask
                switch Self.rebuild(planned, from: tasks, issues: issues) {
                case .success(let rebuilt): task = rebuilt
                case .failure(let failure):
                    recorder.unsent(planned, journal: journal, failure: failure, started: now)
                    continue
                }
                if let blocked = planned.chain?.blocked {
                    recorder.unsent(planned, journal: journal, failure: blocked, started: now)
                    continue
                }
                if !selection.force, case let files = OutputGuard.recheck(planned), !files.isEmpty {
                    recorder.kept(planned, journal: journal, files: files)
                    continue
                }
                if planned.chain != nil {
                    switch chains.park(planned, task: task, journal: journal, started: now, source: source) {
                    case .ready(let job): guard source.supply([job]) else { return }
                    case .failed(let failure): recorder.unsent(planned, journal: journal, failure: failure, started: now)
                    case .alreadyDone(let images): recorder.chainDone(planned.id, images: images)
                    case .refusedBefore(let failure): recorder.chainRefusedBefore(planned.id, failure: failure)
                    case .uncertain(let since): recorder.videoUncertainBefore(taskID: planned.id, folder: planned.folder, since: since)
                    case .parked: break
                    }
                    continue
                }
                switch jobs(for: task, key: planned.key, journal: journal, videoJob: planned.videoJob, at: now) {
                case .success(let jobs): guard source.supply(jobs) else { return }
                case .failure(let failure): recorder.unsent(planned, journal: journal, failure: failure, started: now)
                }
            }
        }
    }

    /// The validated task `planned`, expanded again: the same task, reading the same files.
    private static func rebuild(_ planned: PlannedTask, from tasks: [MediaTask], issues: [ManifestIssue]) -> Result<MediaTask, TaskFailure> {
        guard planned.ordinal < tasks.count, tasks[planned.ordinal].id == planned.id else {
            let reason = issues.first.map { ": \($0.message)" } ?? ""
            return .failure(TaskFailure(
                .permanent, cause: .plan,
                message: "the task can no longer be built as it was validated\(reason); nothing was sent, run again to pick up the change"))
        }
        let task = tasks[planned.ordinal]
        for (path, stamp) in zip(task.inputs, planned.stamps) where FileIO.stamp(path) != stamp {
            return .failure(TaskFailure(
                .permanent, cause: .file(path: path),
                message: "\(path) changed after the run was validated; nothing was sent, run again to pick up the change"))
        }
        return .success(task)
    }

    /// A narration becomes one job per chunk of its text (split here, once) that was not
    /// found kept; one whose chunks were all kept, a single job that only joins them. Other
    /// tasks stay one job. Fails when the folder's kept chunks cannot be read or journaled.
    private func jobs(for task: MediaTask, key: String, journal: Journal?, videoJob: VideoJobRecord? = nil, at now: Double) -> Result<[Job], TaskFailure> {
        var job = Job(task: task, key: key, journal: journal, firstStarted: now)
        job.videoJob = videoJob
        guard case .speech(let speech) = task else { return .success([job]) }
        let assembly: NarrationAssembly
        do {
            assembly = try chunkStores.store(folder: speech.output.folder, journal: journal).assembly(for: speech, key: key, reuse: reuseChunks)
        } catch {
            return .failure(TaskFailure(.permanent, cause: .file(path: error.path), message: "narration chunks: \(error); nothing was sent"))
        }
        let indices = assembly.missing.isEmpty ? Array(assembly.chunks.indices.suffix(1)) : assembly.missing
        recorder.announce(.narrationSplit(taskID: speech.id, toSend: assembly.missing.count, total: assembly.chunks.count))
        return .success(indices.map { index in
            var part = job
            part.part = NarrationPart(index: index, assembly: assembly)
            return part
        })
    }
}
