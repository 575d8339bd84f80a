import Dispatch
import Synchronization

/// Runs a plan on a bounded set of Dispatch queues.
///
/// `concurrency` network workers, each a serial queue owning one HTTP connection (kept
/// alive between its requests), pull jobs from the shared `JobSource`, so there are never
/// more requests in flight than workers. (One serial queue per worker, not one concurrent
/// queue: libdispatch on Linux caps a concurrent queue's threads at the core count, and
/// these workers block on the network.) A worker hands each decoded response to one of a
/// few writer lanes and goes straight on to its next request; it owns two body buffers and
/// reuses one only after its writer is done with it, so memory stays bounded and few
/// threads contend for the output folder.
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
        let recorder = OutcomeRecorder(source: source, onEvent: onEvent)
        let claims = PathClaims()
        let retryPolicy = RetryPolicy(baseDelay: options.retryBaseDelay, maxDelay: options.retryMaxDelay)
        let workers = max(1, min(options.concurrency, max(plan.taskCount, 1)))
        let lanes = WriterLanes(count: min(workers, 2))
        let group = DispatchGroup()

        for index in 0..<workers {
            DispatchQueue(label: "mediabatch.worker.\(index)").async(group: group) { [options, abortSignal, onEvent] in
                let connection = HTTPConnection(limits: options.limits, abortSignal: abortSignal)
                let executor = ImageTaskExecutor(endpoint: options.endpoint, claims: claims)
                let buffers = [ResponseBuffer(), ResponseBuffer()]
                var turn = 0
                while let job = source.next() {
                    let attempt = job.attempts + 1
                    let buffer = buffers[turn % buffers.count]
                    turn += 1
                    buffer.acquire()
                    do throws(TaskFailure) {
                        switch job.task {
                        case .image(let task):
                            let result = try executor.fetch(task, on: connection, into: buffer.bytes)
                            lanes.submit(UncheckedTransfer(result)) { result in
                                defer { buffer.releaseToWorker() }
                                do throws(TaskFailure) {
                                    let files = try executor.write(result.value.images, for: task)
                                    recorder.done(job, attempts: attempt, files: files, cost: result.value.cost, generationID: result.value.generationID)
                                } catch {
                                    recorder.failed(job, attempts: attempt, failure: error)
                                }
                            }
                        }
                    } catch {
                        buffer.releaseToWorker()
                        if let delay = Self.retryDelay(for: error, attempt: attempt, options: options, policy: retryPolicy) {
                            if error.status == 429 { source.coolDown(for: delay) }
                            var next = job
                            next.attempts = attempt
                            source.retry(next, after: delay)
                            onEvent(.retrying(taskID: job.task.id, attempt: attempt, failure: error, delay: delay))
                            continue
                        }
                        recorder.failed(job, attempts: attempt, failure: error)
                    }
                }
            }
        }
        group.wait()
        lanes.drain()
        return recorder.summary(taskCount: plan.taskCount, seconds: MonotonicClock.now() - started)
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

/// Collects outcomes into the summary, tells the front end, and closes jobs in the source.
final class OutcomeRecorder: Sendable {
    private let state = Mutex(RunSummary())
    private let source: JobSource
    private let onEvent: @Sendable (RunEvent) -> Void

    init(source: JobSource, onEvent: @escaping @Sendable (RunEvent) -> Void) {
        self.source = source
        self.onEvent = onEvent
    }

    func done(_ job: Job, attempts: Int, files: [WrittenFile], cost: Double?, generationID: String?) {
        let outcome = TaskOutcome(
            taskID: job.task.id, origin: job.task.origin, attempts: attempts,
            result: .done(files: files, cost: cost, generationID: generationID), seconds: MonotonicClock.now() - job.firstStarted)
        state.withLock { summary in
            summary.done += 1
            summary.files += files
            summary.cost += cost ?? 0
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
        let outcome = TaskOutcome(
            taskID: job.task.id, origin: job.task.origin, attempts: attempts, result: .failed(failure),
            seconds: MonotonicClock.now() - job.firstStarted)
        state.withLock { summary in
            summary.failed += 1
            summary.failures.append(outcome)
            if summary.stop == nil, let stop { summary.stop = stop }
        }
        source.finish()
        onEvent(.finished(outcome))
    }

    func summary(taskCount: Int, seconds: Double) -> RunSummary {
        state.withLock { summary in
            summary.notRun = taskCount - source.tasksStarted + source.abandonedRetries
            summary.seconds = seconds
            return summary
        }
    }
}
