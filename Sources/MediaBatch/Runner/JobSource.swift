import Foundation

/// One attempt's worth of work handed to a worker.
struct Job {
    let task: MediaTask
    /// The task's identity in the journal (see `RequestKey`).
    let key: String
    let journal: Journal?
    /// Attempts already made.
    var attempts: Int
    var notBefore: Double
    let firstStarted: Double
}

/// Hands out work to the workers: new tasks from the plan (expanded lazily and filtered
/// by `prepare`, which skips finished and other shards' tasks), retries when their backoff
/// has passed, nothing during a shared cooldown or while the request rate is at its cap,
/// and nothing new once the run is told to stop. All state sits behind one condition lock.
final class JobSource: @unchecked Sendable {
    // @unchecked: every mutable property is read and written only while `condition` is held.
    private let condition = NSCondition()
    private var iterator: TaskIterator
    private let prepare: (MediaTask) -> Preparation
    private var rateLimit: TokenBucket?
    private var exhausted = false
    private var retries: [Job] = []
    private var inProgress = 0
    private var cooldownUntil: Double = 0
    private var stopped = false
    private(set) var tasksStarted = 0
    private(set) var tasksAlreadyDone = 0
    private(set) var tasksInOtherShards = 0

    /// What to do with a task from the plan.
    enum Preparation {
        case run(key: String, journal: Journal?)
        case alreadyDone
        case otherShard
    }

    init(iterator: TaskIterator, requestsPerMinute: Int?, prepare: @escaping (MediaTask) -> Preparation) {
        self.iterator = iterator
        self.prepare = prepare
        rateLimit = requestsPerMinute.map { TokenBucket(perMinute: $0) }
    }

    /// The next job, waiting while retries are pending, a cooldown runs or the rate cap
    /// holds; nil when the run has nothing more to do.
    func next() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if stopped { return nil }
            let now = MonotonicClock.now()
            let rateWait = rateLimit?.wait(at: now) ?? 0
            if now >= cooldownUntil && rateWait == 0 {
                if let index = retries.indices.min(by: { retries[$0].notBefore < retries[$1].notBefore }), retries[index].notBefore <= now {
                    inProgress += 1
                    rateLimit?.take(at: now)
                    return retries.remove(at: index)
                }
                while !exhausted {
                    guard let task = iterator.next() else {
                        exhausted = true
                        break
                    }
                    switch prepare(task) {
                    case .alreadyDone:
                        tasksAlreadyDone += 1
                    case .otherShard:
                        tasksInOtherShards += 1
                    case .run(let key, let journal):
                        inProgress += 1
                        tasksStarted += 1
                        rateLimit?.take(at: now)
                        return Job(task: task, key: key, journal: journal, attempts: 0, notBefore: 0, firstStarted: now)
                    }
                }
            }
            if exhausted && retries.isEmpty && inProgress == 0 {
                condition.broadcast()
                return nil
            }
            // Retries wait for their own time and for the cooldown; new tasks for the cooldown;
            // everything for the rate cap.
            let gate = max(cooldownUntil, now + rateWait)
            var wakeAt = retries.map { max($0.notBefore, gate) }.min() ?? .infinity
            if !exhausted { wakeAt = min(wakeAt, gate) }
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

/// A request-rate cap: `perMinute` tokens, refilled continuously, at most one in the bucket,
/// so requests are paced evenly and no minute ever sees more than `perMinute` (+1).
struct TokenBucket {
    let perSecond: Double
    let capacity: Double
    private var tokens: Double
    private var updated: Double?

    init(perMinute: Int) {
        perSecond = Double(perMinute) / 60
        capacity = 1
        tokens = capacity
    }

    /// Seconds until a token is available (0: now).
    mutating func wait(at now: Double) -> Double {
        refill(at: now)
        return tokens >= 1 ? 0 : (1 - tokens) / perSecond
    }

    mutating func take(at now: Double) {
        refill(at: now)
        tokens -= 1
    }

    private mutating func refill(at now: Double) {
        if let updated { tokens = min(capacity, tokens + (now - updated) * perSecond) }
        updated = now
    }
}
