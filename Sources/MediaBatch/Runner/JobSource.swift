import Foundation

/// One attempt's worth of work handed to a worker.
struct Job {
    let task: MediaTask
    /// The task's identity in the journal (see `RequestKey`).
    let key: String
    let journal: Journal?
    /// Attempts already made.
    var attempts: Int
    /// Of those, the answers that held no image.
    var noImageAnswers = 0
    var notBefore: Double
    let firstStarted: Double
    /// For narration: which chunk this job synthesizes.
    var part: NarrationPart? = nil

    /// The job's identity in messages: the task id, and the chunk for narration parts.
    var label: String { part.map { "\(task.id) (chunk \($0.index + 1) of \($0.assembly.chunks.count))" } ?? task.id }
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
    private let split: (Job) -> [Job]
    /// Further chunks of narrations already started: served before new tasks.
    private var pendingParts: [Job] = []
    private var pendingPartsStart = 0
    private var rateLimit: TokenBucket?
    private var exhausted = false
    private var retries: [Job] = []
    private var inProgress = 0
    private var cooldownUntil: Double = 0
    private var stopped = false

    /// What to do with a task from the plan.
    enum Preparation {
        case run(key: String, journal: Journal?)
        case alreadyDone
        case otherShard
    }

    /// `split` turns a new job into the jobs that carry it out (a narration's chunks).
    init(iterator: TaskIterator, requestsPerMinute: Int?, prepare: @escaping (MediaTask) -> Preparation, split: @escaping (Job) -> [Job]) {
        self.iterator = iterator
        self.prepare = prepare
        self.split = split
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
                while pendingPartsStart < pendingParts.count {
                    let job = pendingParts[pendingPartsStart]
                    pendingPartsStart += 1
                    if pendingPartsStart == pendingParts.count {
                        pendingParts.removeAll(keepingCapacity: true)
                        pendingPartsStart = 0
                    }
                    if job.part?.assembly.hasFailed == true { continue }
                    inProgress += 1
                    rateLimit?.take(at: now)
                    return job
                }
                while !exhausted {
                    guard let task = iterator.next() else {
                        exhausted = true
                        break
                    }
                    // Tasks of a selected entry that need no run (counted when the plan was validated).
                    switch prepare(task) {
                    case .alreadyDone, .otherShard:
                        continue
                    case .run(let key, let journal):
                        var jobs = split(Job(task: task, key: key, journal: journal, attempts: 0, notBefore: 0, firstStarted: now))
                        guard !jobs.isEmpty else { continue }
                        let first = jobs.removeFirst()
                        pendingParts += jobs
                        inProgress += 1
                        rateLimit?.take(at: now)
                        return first
                    }
                }
            }
            if exhausted && retries.isEmpty && inProgress == 0 && pendingPartsStart == pendingParts.count {
                condition.broadcast()
                return nil
            }
            // Retries wait for their own time and for the cooldown; new tasks for the cooldown;
            // everything for the rate cap.
            let gate = max(cooldownUntil, now + rateWait)
            var wakeAt = retries.map { max($0.notBefore, gate) }.min() ?? .infinity
            if !exhausted || pendingPartsStart < pendingParts.count { wakeAt = min(wakeAt, gate) }
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
