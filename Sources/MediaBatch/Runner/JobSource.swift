import Foundation

/// One attempt's worth of work handed to a worker.
struct Job {
    let task: MediaTask
    /// Attempts already made.
    var attempts: Int
    var notBefore: Double
    let firstStarted: Double
}

/// Hands out work to the workers: new tasks from the plan (expanded lazily), retries when
/// their backoff has passed, nothing during a shared cooldown, and nothing new once the run
/// is told to stop. All state sits behind one condition lock.
final class JobSource: @unchecked Sendable {
    // @unchecked: every mutable property is read and written only while `condition` is held.
    private let condition = NSCondition()
    private var iterator: TaskIterator
    private var exhausted = false
    private var retries: [Job] = []
    private var inProgress = 0
    private var cooldownUntil: Double = 0
    private var stopped = false
    private(set) var tasksStarted = 0

    init(iterator: TaskIterator) { self.iterator = iterator }

    /// The next job, waiting while retries are pending or a cooldown runs; nil when the
    /// run has nothing more to do.
    func next() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if stopped { return nil }
            let now = MonotonicClock.now()
            if now >= cooldownUntil {
                if let index = retries.indices.min(by: { retries[$0].notBefore < retries[$1].notBefore }), retries[index].notBefore <= now {
                    inProgress += 1
                    return retries.remove(at: index)
                }
                if !exhausted {
                    if let task = iterator.next() {
                        inProgress += 1
                        tasksStarted += 1
                        return Job(task: task, attempts: 0, notBefore: 0, firstStarted: now)
                    }
                    exhausted = true
                }
            }
            if exhausted && retries.isEmpty && inProgress == 0 {
                condition.broadcast()
                return nil
            }
            // Retries wait for their own time and for the cooldown; new tasks for the cooldown.
            var wakeAt = retries.map { max($0.notBefore, cooldownUntil) }.min() ?? .infinity
            if !exhausted { wakeAt = min(wakeAt, cooldownUntil) }
            if wakeAt.isFinite {
                _ = condition.wait(until: Date(timeIntervalSinceNow: max(wakeAt - now, 0.001)))
            } else {
                condition.wait()
            }
        }
    }

    /// The job is over (done or failed for good).
    func finish() {
        condition.lock()
        inProgress -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Puts a job back to run again after `delay` seconds.
    func retry(_ job: Job, after delay: Double) {
        condition.lock()
        var job = job
        job.notBefore = MonotonicClock.now() + delay
        retries.append(job)
        inProgress -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Nobody starts anything for `seconds` (a rate limit hit one worker; all back off).
    func coolDown(for seconds: Double) {
        condition.lock()
        cooldownUntil = max(cooldownUntil, MonotonicClock.now() + seconds)
        condition.unlock()
    }

    /// Schedule nothing more, retries included.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Retries still waiting when the run stopped.
    var abandonedRetries: Int {
        condition.lock()
        defer { condition.unlock() }
        return retries.count
    }
}
