
/// Records how each task ended: in its journal, in the run's summary and to the front end,
/// then closes the job in the source. Also stops the run on a fatal answer or a spent budget.
final class OutcomeRecorder: Sendable {
    private let state = Locked(RunSummary())
    private let source: JobSource
    private let maxCost: Double?
    private let onEvent: @Sendable (RunEvent) -> Void

    init(source: JobSource, maxCost: Double?, onEvent: @escaping @Sendable (RunEvent) -> Void) {
        self.source = source
        self.maxCost = maxCost
        self.onEvent = onEvent
    }

    func done(_ job: Job, attempts: Int, files: [WrittenFile], cost: Double?, generationID: String?) {
        let seconds = MonotonicClock.now() - job.firstStarted
        do {
            var seed: Int64?
            if case .image(let task) = job.task { seed = task.seed }
            try job.journal?.done(
                key: job.key, taskID: job.task.id, files: files, cost: cost, generationID: generationID, attempts: attempts,
                seconds: seconds, seed: seed)
        } catch {
            // The files are in place; only the record is missing, so a rerun redoes the task.
            onEvent(.journalError(error.description))
        }
        var outcome = TaskOutcome(
            taskID: job.task.id, origin: job.task.origin, attempts: attempts,
            result: .done(files: files, cost: cost, generationID: generationID), seconds: seconds)
        outcome.folder = job.task.outputFolder
        let overBudget = state.withLock { summary -> Double? in
            summary.done += 1
            summary.outcomes.append(outcome)
            summary.files += files
            summary.cost += cost ?? 0
            guard let maxCost, summary.cost >= maxCost, summary.stop == nil else { return nil }
            summary.stop = .budgetReached(summary.cost)
            return summary.cost
        }
        if let overBudget {
            source.stop()
            onEvent(.stopping(reason: "spent \(overBudget) dollars, the --max-cost budget"))
        }
        source.finish()
        onEvent(.finished(outcome))
    }

    func failed(_ job: Job, attempts: Int, failure: TaskFailure) {
        let stop: RunStop? = switch failure.kind {
        case .unauthorized: .unauthorized(failure.message)
        case .paymentRequired: .paymentRequired(failure.message)
        default: nil
        }
        if stop != nil {
            source.stop()
            onEvent(.stopping(reason: failure.description))
        }
        do { try job.journal?.failed(key: job.key, taskID: job.task.id, failure: failure, attempts: attempts) } catch {
            onEvent(.journalError(error.description))
        }
        var outcome = TaskOutcome(
            taskID: job.task.id, origin: job.task.origin, attempts: attempts, result: .failed(failure),
            seconds: MonotonicClock.now() - job.firstStarted)
        outcome.folder = job.task.outputFolder
        state.withLock { summary in
            summary.failed += 1
            summary.failures.append(outcome)
            summary.outcomes.append(outcome)
            if summary.stop == nil, let stop { summary.stop = stop }
        }
        source.finish()
        onEvent(.finished(outcome))
    }

    /// Marks the run as stopped by the user (a signal), unless it already stopped for another reason.
    func interrupted() {
        state.withLock { summary in if summary.stop == nil { summary.stop = .interrupted } }
    }

    func summary(taskCount: Int, alreadyDone: Int, otherShards: Int, seconds: Double) -> RunSummary {
        state.withLock { summary in
            summary.alreadyDone = alreadyDone
            summary.otherShards = otherShards
            summary.notRun = taskCount - summary.done - summary.failed - alreadyDone - otherShards
            summary.seconds = seconds
            return summary
        }
    }
}
