import Dispatch
import Synchronization

/// Runs a plan on a bounded set of Dispatch queues: `concurrency` workers, each a serial
/// queue owning one HTTP connection (kept alive between its requests) and pulling jobs from
/// the shared `JobSource`, so there are never more requests in flight than workers.
/// (One serial queue per worker, not one concurrent queue: libdispatch on Linux caps a
/// concurrent queue's threads at the core count, and these workers block on the network.)
public final class BatchRunner: Sendable {
    public let options: RunOptions
    private let onEvent: @Sendable (RunEvent) -> Void
    private let abortSignal = AbortSignal()

    public init(options: RunOptions, onEvent: @escaping @Sendable (RunEvent) -> Void = { _ in }) {
        self.options = options
        self.onEvent = onEvent
    }

    /// Runs every task of `plan` and returns when all are done, failed, or the run stopped.
    public func run(_ plan: BatchPlan) -> RunSummary {
        let started = MonotonicClock.now()
        let source = JobSource(iterator: plan.makeIterator())
        let summary = Mutex(RunSummary())
        let claims = PathClaims()
        let retryPolicy = RetryPolicy(baseDelay: options.retryBaseDelay, maxDelay: options.retryMaxDelay)
        let group = DispatchGroup()
        let workers = max(1, min(options.concurrency, max(plan.taskCount, 1)))

        for index in 0..<workers {
            DispatchQueue(label: "mediabatch.worker.\(index)").async(group: group) { [options, abortSignal, onEvent] in
                let connection = HTTPConnection(limits: options.limits, abortSignal: abortSignal)
                let executor = ImageTaskExecutor(endpoint: options.endpoint, claims: claims)
                while let job = source.next() {
                    let attempt = job.attempts + 1
                    do throws(TaskFailure) {
                        let success: ImageTaskExecutor.Success
                        switch job.task {
                        case .image(let task): success = try executor.execute(task, on: connection)
                        }
                        let outcome = TaskOutcome(
                            taskID: job.task.id, origin: job.task.origin, attempts: attempt,
                            result: .done(files: success.files, cost: success.cost, generationID: success.generationID),
                            seconds: MonotonicClock.now() - job.firstStarted)
                        summary.withLock { summary in
                            summary.done += 1
                            summary.files += success.files
                            summary.cost += success.cost ?? 0
                        }
                        source.finish()
                        onEvent(.finished(outcome))
                    } catch {
                        if let delay = Self.retryDelay(for: error, attempt: attempt, options: options, policy: retryPolicy) {
                            if error.status == 429 { source.coolDown(for: delay) }
                            var next = job
                            next.attempts = attempt
                            source.retry(next, after: delay)
                            onEvent(.retrying(taskID: job.task.id, attempt: attempt, failure: error, delay: delay))
                            continue
                        }
                        let stop: RunStop? = switch error.kind {
                        case .unauthorized: .unauthorized(error.message)
                        case .paymentRequired: .paymentRequired(error.message)
                        default: nil
                        }
                        if stop != nil {
                            source.stop()
                            onEvent(.stopping(reason: error.description))
                        }
                        let outcome = TaskOutcome(
                            taskID: job.task.id, origin: job.task.origin, attempts: attempt, result: .failed(error),
                            seconds: MonotonicClock.now() - job.firstStarted)
                        summary.withLock { summary in
                            summary.failed += 1
                            summary.failures.append(outcome)
                            if summary.stop == nil, let stop { summary.stop = stop }
                        }
                        source.finish()
                        onEvent(.finished(outcome))
                    }
                }
            }
        }
        group.wait()
        return summary.withLock { summary in
            summary.notRun = plan.taskCount - source.tasksStarted + source.abandonedRetries
            summary.seconds = MonotonicClock.now() - started
            return summary
        }
    }

    /// Aborts transfers in flight (their tasks fail as interrupted) and stops scheduling.
    public func abortInFlight() { abortSignal.abort() }

    /// How long to wait before trying again, or nil when the failure is final.
    static func retryDelay(for failure: TaskFailure, attempt: Int, options: RunOptions, policy: RetryPolicy) -> Double? {
        switch failure.kind {
        case .transient where attempt < options.maxAttempts:
            return policy.delay(after: attempt, failure: failure)
        case .noImages where attempt < min(options.maxNoImageAttempts, options.maxAttempts):
            return policy.delay(after: attempt, failure: failure)
        default:
            return nil
        }
    }
}
