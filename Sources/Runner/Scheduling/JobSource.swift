import Foundation
import Journal
import Support
import Tasks

/// One attempt's worth of work handed to a worker.
package struct Job {
    package let task: MediaTask
    /// The task's identity in the journal (see `RequestKey`), computed at validation.
    package let key: String
    package let journal: Journal?
    /// Attempts already made.
    package var attempts = 0
    /// Of those, the answers that held no image.
    package var noImageAnswers = 0
    package var notBefore: Double = 0
    package let firstStarted: Double
    /// For narration: which chunk this job synthesizes.
    package var part: NarrationPart? = nil

    /// The job's identity in messages: the task id, and the chunk for narration parts.
    package var label: String { part.map { "\(task.id) (chunk \($0.index + 1) of \($0.assembly.chunks.count))" } ?? task.id }

    /// A chunk of a narration that failed before any chunk had audio: nothing left to do for it.
    package var isAbandoned: Bool { part?.assembly.isAbandoned == true }
}

/// Hands out work to the workers: the jobs `TaskFeed` supplies, in plan order (a
/// narration's chunks together), and retries once their backoff has passed; nothing during
/// a shared cooldown or while the request rate is at its cap, and nothing new once the run
/// is told to stop. Holds at most `capacity` supplied jobs: the feed waits for room, so
/// memory does not grow with the batch. All state sits behind one condition lock, and
/// nothing expensive happens under it.
package final class JobSource: @unchecked Sendable {
    // @unchecked Sendable, because: every mutable property is read and written only while
    // `condition` is held.
    private let condition = NSCondition()
    private let capacity: Int
    private var ready: [Job] = []
    private var readyStart = 0
    private var supplyEnded = false
    private var retries: [Job] = []
    private var inProgress = 0
    private var cooldownUntil: Double = 0
    private var stopped = false
    private var rateLimit: TokenBucket?

    package init(capacity: Int, requestsPerMinute: Int?) {
        self.capacity = max(capacity, 1)
        rateLimit = requestsPerMinute.map { TokenBucket(perMinute: $0) }
    }

    // MARK: - The feed's side

    /// Adds the jobs of one task (kept together, even past `capacity`), after waiting for
    /// room. False once the run has stopped: the feed should end.
    package func supply(_ jobs: [Job]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !stopped && ready.count - readyStart >= capacity { condition.wait() }
        guard !stopped else { return false }
        ready += jobs
        condition.broadcast()
        return true
    }

    /// The feed has supplied everything.
    package func endSupply() {
        condition.lock()
        supplyEnded = true
        condition.broadcast()
        condition.unlock()
    }

    // MARK: - The workers' side

    /// The next job, waiting while retries are pending, a cooldown runs, the rate cap holds
    /// or the feed is behind; nil when the run has nothing more to do.
    package func next() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if stopped { return nil }
            let now = MonotonicClock.now()
            retries.removeAll(where: \.isAbandoned)
            let rateWait = rateLimit?.wait(at: now) ?? 0
            if now >= cooldownUntil && rateWait == 0, let job = takeDue(at: now) {
                inProgress += 1
                rateLimit?.take(at: now)
                return job
            }
            let waitingSupply = ready.count > readyStart || !supplyEnded
            if !waitingSupply && retries.isEmpty && inProgress == 0 {
                condition.broadcast()
                return nil
            }
            // Retries wait for their own time and for the cooldown; new jobs for the
            // cooldown; everything for the rate cap; an empty queue for the feed.
            let gate = max(cooldownUntil, now + rateWait)
            var wakeAt = retries.map { max($0.notBefore, gate) }.min() ?? .infinity
            if ready.count > readyStart { wakeAt = min(wakeAt, gate) }
            if wakeAt.isFinite {
                _ = condition.wait(until: Date(timeIntervalSinceNow: max(wakeAt - now, 0.001)))
            } else {
                condition.wait()
            }
        }
    }

    /// A retry whose time has come, else the next supplied job (chunks of a narration that
    /// already failed are dropped on the way). Called with the lock held.
    private func takeDue(at now: Double) -> Job? {
        if let index = retries.indices.min(by: { retries[$0].notBefore < retries[$1].notBefore }), retries[index].notBefore <= now {
            return retries.remove(at: index)
        }
        while readyStart < ready.count {
            let job = ready[readyStart]
            readyStart += 1
            if readyStart == ready.count || readyStart >= 4096 {
                ready.removeFirst(readyStart)
                readyStart = 0
            }
            condition.broadcast()  // room for the feed
            if !job.isAbandoned { return job }
        }
        return nil
    }

    /// The job is over (done, failed for good, or its chunk stored).
    package func finish() {
        condition.lock()
        inProgress -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Puts a job back to run again after `delay` seconds.
    package func retry(_ job: Job, after delay: Double) {
        condition.lock()
        var job = job
        job.notBefore = MonotonicClock.now() + delay
        retries.append(job)
        inProgress -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Nobody starts anything for `seconds` (a rate limit hit one worker; all back off).
    package func coolDown(for seconds: Double) {
        condition.lock()
        cooldownUntil = max(cooldownUntil, MonotonicClock.now() + seconds)
        condition.unlock()
    }

    /// Schedule nothing more, retries included; the feed stops too.
    package func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
