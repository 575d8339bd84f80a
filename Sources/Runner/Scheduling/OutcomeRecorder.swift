import Files
import JSON
import Journal
import Reports
import Support
import Tasks


/// Records how each task ended: in its journal, in the run's summary and to the front end,
/// then closes the job in the source; counts what each attempt cost in the run's one spent
/// figure (`Spending`). Also stops the run on a fatal answer.
package final class OutcomeRecorder: Sendable {
    private let state = Locked(RunSummary())
    private let source: JobSource
    private let spending: Spending
    /// The run's other reasons to stop early (see `StopRules`, which holds the hooks).
    package let rules: StopRules
    private let onEvent: @Sendable (RunEvent) -> Void
    /// Told how every task ended, for the tasks that wait for its output.
    private let chains: ChainGate?

    package init(
        source: JobSource, spending: Spending, rules: StopRules = StopRules(), chains: ChainGate? = nil, onEvent: @escaping @Sendable (RunEvent) -> Void
    ) {
        self.source = source
        self.spending = spending
        self.rules = rules
        self.chains = chains
        self.onEvent = onEvent
    }

    /// A dependent found done when its producers were (they wrote what they wrote before):
    /// nothing recorded, its own dependents may go on.
    package func chainDone(_ taskID: String, images: [ResolvedReference]) {
        chains?.settle(taskID, .done(images), source: source, recorder: self)
    }

    /// A dependent found refused in an earlier run with the same inputs: left alone, and
    /// its own dependents fail with that.
    package func chainRefusedBefore(_ taskID: String, failure: TaskFailure) {
        chains?.settle(taskID, .failed(failure), source: source, recorder: self)
    }

    /// Passes on an event that records nothing (progress only).
    package func announce(_ event: RunEvent) { onEvent(event) }

    /// A failed attempt that was paid for all the same: counted, and journaled as `billed`.
    package func billed(_ job: Job, attempt: Int, cost: Double, generationID: String?, reason: String) {
        spending.settle(reserved: 0, paid: cost, for: job)
        do { try job.journal?.billed(key: job.key, taskID: job.task.id, cost: cost, generationID: generationID, attempt: attempt, reason: reason) } catch {
            onEvent(.journalError(error.description))
        }
        state.withLock { summary in
            summary.billedAttempts += 1
            summary.billedByFolder[job.task.output.folder, default: 0] += cost
        }
        onEvent(.billed(taskID: job.task.id, cost: cost))
    }

    /// `returned`: what came back for each image (pixel size, format, a mismatch with the ask).
    package func done(
        _ job: Job, attempts: Int, files: [WrittenFile], cost: Double?, generationID: String?, returned: [ReturnedImage] = [],
        extra: JSONObject = JSONObject(), loudness: JSONObject? = nil
    ) {
        attemptAnswered()
        let seconds = MonotonicClock.now() - job.firstStarted
        do {
            var seed: Int64?
            if case .image(let task) = job.task { seed = task.seed }
            try job.journal?.done(
                key: job.key, taskID: job.task.id, files: files, cost: cost, generationID: generationID, attempts: attempts,
                seconds: seconds, seed: seed, extra: extra, loudness: loudness)
        } catch {
            // The files are in place; only the record is missing, so a rerun redoes the task.
            onEvent(.journalError(error.description))
        }
        var outcome = TaskOutcome(
            taskID: job.task.id, origin: job.task.origin, attempts: attempts,
            result: .done(files: files, cost: cost, generationID: generationID), seconds: seconds)
        outcome.folder = job.task.output.folder
        outcome.returned = returned
        spending.settle(reserved: job.reserved, paid: cost, for: job, wholeTask: true)
        state.withLock { summary in
            summary.done += 1
            summary.outcomes.append(outcome)
            summary.files += files
        }
        // Its dependents are released before the job is closed: the source never runs dry between.
        chains?.settle(job.task.id, .done(ReferenceResolution.images(files.map { ($0.path, $0.sha256) })), source: source, recorder: self)
        source.finish(job, succeeded: true)
        onEvent(.finished(outcome))
    }

    /// `cost`: what the answer was billed, when it arrived but could not be saved.
    package func failed(_ job: Job, attempts: Int, failure: TaskFailure, cost: Double? = nil) {
        spending.settle(reserved: job.reserved, paid: cost, for: job)
        recordFailure(
            taskID: job.task.id, origin: job.task.origin, folder: job.task.output.folder, key: job.key, journal: job.journal,
            attempts: attempts, failure: failure, started: job.firstStarted, cost: cost)
        source.finish(job, succeeded: false)
    }

    /// A video job this run leaves running: its id is journaled, a later run collects it.
    /// Its reservation goes (a later run reserves again); nothing is journaled.
    package func videoPending(_ job: Job, jobID: String, since: String?, status: String) {
        spending.settle(reserved: job.reserved, paid: nil, for: job)
        let pending = PendingVideo(taskID: job.task.id, folder: job.task.output.folder, jobID: jobID, since: since, status: status)
        state.withLock { summary in
            summary.pendingVideos.append(pending)
            summary.pendingVideoEstimate += job.reserved
        }
        source.finish(job, succeeded: true)
    }

    /// A video submit whose answer was lost (journaled `uncertain` by the executor): not
    /// retried, not failed; listed so the user can decide (`--resubmit-uncertain`).
    package func videoUncertain(_ job: Job, failure: TaskFailure) {
        // A job may exist and be billed: its estimate stays reserved for the rest of the run,
        // so `--max-cost` counts it (it is not counted as spent: nobody knows that it was).
        // Unpriced, its cost will never be known: the next unpriced submit may go.
        spending.endProbe(job)
        let pending = PendingVideo(taskID: job.task.id, folder: job.task.output.folder, jobID: nil, since: UTCTime.now(), status: "uncertain")
        state.withLock { $0.pendingVideos.append(pending) }
        source.finish(job, succeeded: false)
    }

    /// A video task an earlier run left uncertain, not submitted again in this run.
    package func videoUncertainBefore(taskID: String, folder: String, since: String?) {
        let pending = PendingVideo(taskID: taskID, folder: folder, jobID: nil, since: since, status: "uncertain")
        state.withLock { $0.pendingVideos.append(pending) }
    }

    /// An earlier version's job (see `SupersededVideoJob`) collected into `superseded/`, or
    /// failed (`failure`): its cost counted in the run's spend and journaled `superseded`.
    package func supersededSettled(
        _ superseded: SupersededVideoJob, journal: Journal?, jobID: String, files: [WrittenFile], cost: Double?, generationID: String?, failure: String?
    ) {
        spending.settleSuperseded(paid: cost, model: superseded.record.model, estimate: superseded.record.estimate)
        do {
            try journal?.videoSuperseded(
                key: superseded.key, taskID: superseded.record.taskID, job: jobID, files: files, cost: cost, generationID: generationID, failed: failure)
        } catch {
            onEvent(.journalError(error.description))
        }
        let outcome = SupersededVideo(
            taskID: superseded.record.taskID, folder: superseded.folder, jobID: jobID, since: superseded.record.since,
            status: failure == nil ? "collected" : "failed", files: files.map { FileIO.relative($0.path, to: superseded.folder) }, cost: cost,
            message: failure)
        state.withLock { summary in
            if let cost, cost > 0 { summary.billedByFolder[superseded.folder, default: 0] += cost }
            summary.supersededVideos.append(outcome)
        }
        if let cost, cost > 0 { onEvent(.billed(taskID: superseded.record.taskID, cost: cost)) }
    }

    /// An earlier version's job still running: left open in the journal for a later run.
    package func supersededPending(_ superseded: SupersededVideoJob, status: String) {
        let outcome = SupersededVideo(
            taskID: superseded.record.taskID, folder: superseded.folder, jobID: superseded.record.jobID ?? "?", since: superseded.record.since,
            status: "pending", files: [], cost: nil, message: nil)
        state.withLock { $0.supersededVideos.append(outcome) }
    }

    /// Whether the user stopped the run (a signal).
    package var wasInterrupted: Bool { state.withLock { $0.stop == .interrupted } }
    /// The run stopped because the key was refused (a 401 to any request or poll).
    package var keyRefused: Bool { state.withLock { if case .unauthorized = $0.stop { true } else { false } } }

    /// A task of the plan that failed before anything was sent (it could not be rebuilt as
    /// validated). It was never handed to a worker, so the source has nothing to finish.
    package func unsent(_ task: PlannedTask, journal: Journal?, failure: TaskFailure, started: Double) {
        recordFailure(
            taskID: task.id, origin: task.origin, folder: task.folder, key: task.key, journal: journal, attempts: 0, failure: failure,
            started: started)
    }

    private func recordFailure(
        taskID: String, origin: TaskOrigin, folder: String, key: String, journal: Journal?, attempts: Int, failure: TaskFailure,
        started: Double, cost: Double? = nil
    ) {
        // A failure that ends the run: one the stop rules see (a disk that refuses writes,
        // a server out of reach), or an answer about the key itself.
        let kindStop: RunStop? = switch failure.kind {
        case .unauthorized: .unauthorized(failure.message)
        case .paymentRequired: .paymentRequired(failure.message)
        case .keyLimit: .keyLimit(failure.message)
        default: nil
        }
        // (The stop rules' message is the run's closing one; a stop about the key is told now.)
        if let stop = rules.stop(after: failure) { haltRun(stop) }
        if let kindStop {
            haltRun(kindStop)
            onEvent(.stopping(reason: failure.description))
        }
        do { try journal?.failed(key: key, taskID: taskID, failure: failure, attempts: attempts, cost: cost) } catch {
            onEvent(.journalError(error.description))
        }
        var outcome = TaskOutcome(
            taskID: taskID, origin: origin, attempts: attempts, result: .failed(failure), seconds: MonotonicClock.now() - started)
        outcome.folder = folder
        state.withLock { summary in
            summary.failed += 1
            if let cost, cost > 0 { summary.billedByFolder[folder, default: 0] += cost }
            summary.failures.append(outcome)
            summary.outcomes.append(outcome)
        }
        if let cost, cost > 0 { onEvent(.billed(taskID: taskID, cost: cost)) }
        onEvent(.finished(outcome))
        // Its dependents fail after it, in the journal and on the screen.
        chains?.settle(taskID, .failed(failure), source: source, recorder: self)
    }

    /// A task not run so as not to overwrite `files` (see `KeptTask`): journaled `kept`, and
    /// told to the front end. It was never handed to a worker.
    package func kept(_ task: PlannedTask, journal: Journal?, files: [KeptFile]) {
        do { try journal?.kept(key: task.key, taskID: task.id, files: files) } catch { onEvent(.journalError(error.description)) }
        let kept = KeptTask(taskID: task.id, origin: task.origin, folder: task.folder, files: files)
        state.withLock { $0.kept.append(kept) }
        onEvent(.kept(kept))
        chains?.settle(task.id, .failed(TaskFailure(
            .permanent, cause: .producer(taskID: task.id),
            message: "it was kept, not run (its output file is not mediabatch's own or changed since; --force replaces it)")), source: source, recorder: self)
    }

    /// Stops the run for `stop` unless it stopped already: nothing new is scheduled.
    package func haltRun(_ stop: RunStop) {
        let first = state.withLock { summary -> Bool in
            guard summary.stop == nil else { return false }
            summary.stop = stop
            return true
        }
        if first { source.stop() }
    }

    /// Marks the run as stopped by the user (a signal), unless it already stopped for another reason.
    package func interrupted() {
        state.withLock { summary in if summary.stop == nil { summary.stop = .interrupted } }
    }

    package func summary(taskCount: Int, alreadyDone: Int, otherShards: Int, refusedBefore: Int, seconds: Double) -> RunSummary {
        state.withLock { summary in
            summary.alreadyDone = alreadyDone
            summary.otherShards = otherShards
            summary.refusedBefore = refusedBefore
            summary.notRun = taskCount - summary.done - summary.failed - alreadyDone - otherShards - refusedBefore - summary.kept.count
                - summary.pendingVideos.count
            summary.seconds = seconds
            // One figure: what every billed generation of this run cost.
            summary.cost = spending.spent
            if summary.stop == nil, spending.capReached { summary.stop = .budgetReached(summary.cost) }
            return summary
        }
    }
}
