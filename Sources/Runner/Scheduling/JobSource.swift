import Foundation
import Journal
import Support
import Tasks

/// Requests in flight per model and how many each may have: additive increase on success
/// (one more per answer) and with time (one more per `recoveryInterval` without a busy
/// answer), multiplicative decrease when told to slow down (half), never above the run's
/// concurrency, never below one. A model whose provider is busy now and then (a few 429s in
/// a hundred) stays near full speed; one that keeps refusing settles where its answers come
/// back.
///
/// Generations that stall (no answer for many times the model's usual answer time) would
/// otherwise hold a lowered limit full: nine stalled requests under a limit halved to eight
/// stop the model until time alone raises it, for seconds, while the run's other slots sit
/// empty. So a request in flight longer than `overdueFactor` times the model's smoothed
/// answer time (and at least `overdueFloor`) stops counting against the model's limit, as a
/// TCP sender stops counting a segment in flight once its retransmission timer fires. It
/// still holds one of the run's `--concurrency` slots. Not after a 402 about credit held by
/// requests in flight, though: a stalled request holds its credit all the same, so then every
/// request counts until the limit is back to full. The answer time is learnt only from
/// requests that were sent and answered (not from a narration that only joined kept chunks,
/// a video job found submitted, or a chunk dropped unsent). Guarded by the `JobSource`'s lock.
package struct ModelConcurrency {
    let ceiling: Int
    /// Seconds without a busy answer after which a lowered limit grows by one.
    package static let recoveryInterval = 1.0
    /// A request is overdue after this many times its model's smoothed answer time...
    package static let overdueFactor = 4.0
    /// ...and never before this many seconds.
    package static let overdueFloor = 2.0
    /// When each request in flight was sent (monotonic seconds), per model.
    private var inFlight: [String: [Double]] = [:]
    private var limits: [String: Double] = [:]
    /// Each model's smoothed answer time (seconds), from its successful answers.
    private var answerTime: [String: Double] = [:]
    /// When each model's limit was last halved: answers to requests sent before then were
    /// already counted in that halving.
    private var halvedAt: [String: Double] = [:]
    /// When each lowered limit last changed (the growth with time counts from there).
    private var changedAt: [String: Double] = [:]
    /// Models lowered for the key's credit held in flight: every request counts (see above).
    private var countsEveryRequest = Set<String>()

    package init(ceiling: Int) { self.ceiling = max(ceiling, 1) }

    /// Whether the model may have one more request in flight at `now` (overdue ones aside).
    package func hasRoom(_ model: String, now: Double = MonotonicClock.now()) -> Bool {
        let limit = limits[model, default: Double(ceiling)].rounded(.down)
        guard let sent = inFlight[model], Double(sent.count) >= limit else { return true }
        guard !countsEveryRequest.contains(model), let overdue = overdueAge(model) else { return false }
        return Double(sent.count { now - $0 < overdue }) < limit
    }

    package func limit(_ model: String) -> Int { Int(limits[model, default: Double(ceiling)]) }

    package mutating func start(_ model: String, at sentAt: Double) { inFlight[model, default: []].append(sentAt) }

    /// The request sent at `sentAt` is over; `succeeded` when its model answered, `learns`
    /// when that answer's time says how long the model takes (a request really sent).
    package mutating func end(_ model: String, sentAt: Double, succeeded: Bool, learns: Bool = true, now: Double = MonotonicClock.now()) {
        if var sent = inFlight[model], let index = sent.firstIndex(of: sentAt) {
            sent.remove(at: index)
            inFlight[model] = sent.isEmpty ? nil : sent
        }
        guard succeeded else { return }
        if learns {
            let took = max(now - sentAt, 0)
            answerTime[model] = answerTime[model].map { 0.875 * $0 + 0.125 * took } ?? took
        }
        if let limit = limits[model] { set(model, limit + 1, now: now) }
    }

    /// Halves the model's limit (at least one), once per round of requests: a busy answer
    /// to a request sent before the last halving (`sentAt`, monotonic seconds) was part of
    /// the same overload, and halving again for it would take 16 requests down to 1 on one
    /// burst (TCP's congestion control decreases once per window for the same reason).
    /// `inFlightBudget`: the key's credit held by requests in flight was short (then stalled
    /// requests count too, until the limit is full again).
    package mutating func halve(_ model: String, sentAt: Double, now: Double, inFlightBudget: Bool = false) {
        if inFlightBudget { countsEveryRequest.insert(model) }
        if let last = halvedAt[model], sentAt < last { return }
        set(model, max(1, limits[model, default: Double(ceiling)] / 2), now: now)
        halvedAt[model] = now
    }

    /// Grows each lowered limit by one for every `recoveryInterval` since it last changed.
    package mutating func recover(now: Double) {
        for (model, limit) in limits {
            let steps = ((now - (changedAt[model] ?? now)) / Self.recoveryInterval).rounded(.down)
            if steps >= 1 { set(model, limit + steps, now: now) }
        }
    }

    /// When, after `now`, a model held back may get room without an answer: a lowered limit
    /// grows with time, or a request in flight turns overdue. Nil when neither can happen.
    package func nextRecovery(after now: Double) -> Double? {
        let growth = limits.keys.compactMap { changedAt[$0] }.min().map { $0 + Self.recoveryInterval }
        let overdue = inFlight.compactMap { model, sent in
            overdueAge(model).flatMap { age in sent.lazy.map { $0 + age }.filter { $0 > now }.min() }
        }.min()
        return [growth, overdue].compactMap { $0 }.min()
    }

    /// How long a request of `model` may be in flight before it is overdue; nil before the
    /// model has answered once (nothing to compare with).
    private func overdueAge(_ model: String) -> Double? {
        answerTime[model].map { max(Self.overdueFactor * $0, Self.overdueFloor) }
    }

    private mutating func set(_ model: String, _ limit: Double, now: Double) {
        if limit >= Double(ceiling) {
            limits[model] = nil
            changedAt[model] = nil
            countsEveryRequest.remove(model)
        } else {
            limits[model] = limit
            changedAt[model] = now
        }
    }
}

/// One attempt's worth of work handed to a worker.
package struct Job: Sendable {
    package let task: MediaTask
    /// The task's identity in the journal (see `RequestKey`), computed at validation.
    package let key: String
    package let journal: Journal?
    /// Attempts already made.
    package var attempts = 0
    /// Of those, the answers that held no image.
    package var noImageAnswers = 0
    package var notBefore: Double = 0
    /// When the retry may go if nothing else is in flight: the end of the server's
    /// Retry-After, or now for a failure that says nothing of the server's health (an answer
    /// that began and broke); else `notBefore`. Its own backoff is waived only for the first
    /// such retry due when nothing is in flight (a lone try, not a herd: see `takeDue`).
    /// Where the failure may be the server's (a 502, a connection refused), the backoff
    /// stands: it is what outlasts a short outage.
    package var serverNotBefore: Double = 0
    package let firstStarted: Double
    /// For narration: which chunk this job synthesizes.
    package var part: NarrationPart? = nil
    /// Dollars reserved under the budget for this attempt (see `Spending`).
    package var reserved: Double = 0
    /// When the source handed this attempt out (monotonic seconds).
    package var attemptStarted: Double = 0
    /// For an unpriced request admitted alone under a cap: its token (see `Spending.mustWait`).
    package var probe: UInt64? = nil
    /// For a task taking other tasks' outputs: the SHA-256 each producer file must still
    /// have when it is read (its key was made with it), by path.
    package var referenceDigests: [String: String] = [:]

    /// The one job of a narration whose chunks were all kept: it joins them and sends
    /// nothing, so it takes no budget, no rate and no request slot's journal record.
    package var sendsNothing: Bool { part.map { $0.assembly.wasKept($0.index) } ?? false }
    /// A video task whose job an earlier run submitted (the journal's record): polled, never
    /// submitted again.
    package var videoJob: VideoJobRecord? = nil
    /// A video job handed to the poller: its model's concurrency slot is free again (the
    /// job waits without a request in flight), though the job stays in progress.
    package var parked = false

    /// The job's identity in messages: the task id, and the chunk for narration parts.
    package var label: String { part.map { "\(task.id) (chunk \($0.index + 1) of \($0.assembly.chunks.count))" } ?? task.id }

    /// A chunk of a narration that failed before any chunk had audio: nothing left to do for it.
    package var isAbandoned: Bool { part?.assembly.isAbandoned == true }

    /// The model the request goes to: the unit of adaptive concurrency.
    package var model: String {
        switch task {
        case .image(let image): return image.model.wireID
        case .speech(let speech): return speech.model.wireID
        case .video(let video): return video.model.wireID
        }
    }
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
    /// How long a retry that is due may wait behind first attempts (see `takeDue`).
    private let retryPatience: Double
    private var ready: [Job] = []
    private var readyStart = 0
    private var supplyEnded = false
    /// Dependents waiting for their producers (`ChainGate`): supply still to come.
    private var held = 0
    private var retries: [Job] = []
    private var inProgress = 0
    private var cooldownUntil: Double = 0
    private var stopped = false
    private var rateLimit: TokenBucket?
    /// Admits each attempt under the budget; a refusal stops scheduling.
    private let spending: Spending
    /// Requests in flight per model, and how many each model may have (see `throttle`).
    private var modelConcurrency: ModelConcurrency

    /// `retryPatience`: how long a retry that is due may wait behind first attempts (the
    /// run's longest backoff, `--retry-max-delay`: no retry waits longer than that for its turn).
    package init(capacity: Int, requestsPerMinute: Int?, spending: Spending, concurrency: Int, retryPatience: Double = 60) {
        self.capacity = max(capacity, 1)
        self.retryPatience = max(retryPatience, 0)
        self.spending = spending
        modelConcurrency = ModelConcurrency(ceiling: concurrency)
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

    /// A dependent waits in the `ChainGate`: the run is not over while it does.
    package func hold() {
        condition.lock()
        held += 1
        condition.unlock()
    }

    /// A waiting dependent will not come (it failed, or was found done).
    package func unhold() {
        condition.lock()
        held -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// A waiting dependent is ready: queued at once, past `capacity` (the recorder that
    /// releases it must never wait for room), ahead of the supplied jobs (its chain has
    /// waited for its producer already).
    package func release(_ job: Job) {
        condition.lock()
        held -= 1
        if !stopped { ready.insert(job, at: readyStart) }
        condition.broadcast()
        condition.unlock()
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
            if let job = handOut(at: now) { return job }
            if stopped { return nil }  // the budget gate refused the job due
            let rateWait = rateLimit?.wait(at: now) ?? 0
            let waitingSupply = ready.count > readyStart || !supplyEnded || held > 0
            if !waitingSupply && retries.isEmpty && inProgress == 0 {
                condition.broadcast()
                return nil
            }
            // Retries wait for their own time and for the cooldown; new jobs for the
            // cooldown; everything for the rate cap; an empty queue for the feed.
            let gate = max(cooldownUntil, now + rateWait)
            let idle = inProgress == 0
            // A retry already due, or a supplied job, that was not taken waits for its model's
            // room: an answer (which broadcasts) or `nextRecovery`, not a spin every millisecond.
            var wakeAt = retries.lazy.map { max(idle ? $0.serverNotBefore : $0.notBefore, gate) }.filter { $0 > now }.min() ?? .infinity
            if ready.count > readyStart && gate > now { wakeAt = min(wakeAt, gate) }
            // Work held back by a lowered model limit goes when that limit grows.
            if ready.count > readyStart || !retries.isEmpty, let recovery = modelConcurrency.nextRecovery(after: now) { wakeAt = min(wakeAt, max(recovery, gate)) }
            if wakeAt.isFinite {
                _ = condition.wait(until: Date(timeIntervalSinceNow: max(wakeAt - now, 0.001)))
            } else {
                condition.wait()
            }
        }
    }

    /// `next` without the wait: the job that may go now, taken and started, or nil when none
    /// may yet (or the run is over or stopped). Tests ask it what the source hands out at a
    /// given moment, where `next` would block.
    func nextIfDue() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        return stopped ? nil : handOut(at: MonotonicClock.now())
    }

    /// The job that may go at `now`, taken and started: a join of kept chunks, else (past the
    /// cooldown and the rate cap) what `takeDue` picks, if the budget admits it. Nil when
    /// none may go yet, or when the budget refused the job due (the run is then stopped).
    /// Called with the lock held.
    private func handOut(at now: Double) -> Job? {
        retries.removeAll(where: \.isAbandoned)
        if let job = takeSendingNothing() { return job }
        let rateWait = rateLimit?.wait(at: now) ?? 0
        guard now >= cooldownUntil && rateWait == 0, var job = takeDue(at: now) else { return nil }
        // The budget gate: a request that could cross the cap is not started, and nothing
        // after it (the run stops at its budget; requests in flight finish).
        guard let admitted = spending.admit(job) else {
            stopped = true
            condition.broadcast()
            return nil
        }
        job.reserved = admitted.reserved
        job.probe = admitted.probe
        job.attemptStarted = now
        modelConcurrency.start(job.model, at: now)
        inProgress += 1
        rateLimit?.take(at: now)
        return job
    }

    /// A retry due for `retryPatience`, else the next supplied job, else a retry whose time
    /// has come (chunks of a narration that already failed are dropped on the way). Called
    /// with the lock held.
    ///
    /// First attempts go before retries just due: a generation that will stall for its first
    /// 20 s (or a slow model) is found only by sending it, so every task's first attempt goes
    /// out as early as the concurrency allows, and the retries, which wait out a backoff
    /// anyway, fill the slots the supply leaves, or go first once they have waited
    /// `retryPatience` past their time. A retry's backoff spreads the run's retries out while
    /// others are sent; when nothing is in flight and the server said when to come back
    /// (`serverNotBefore`), waiting longer only leaves the run idle, so the retry due first
    /// then goes at that time, alone: the others keep their backoff while it is in flight.
    private func takeDue(at now: Double) -> Job? {
        modelConcurrency.recover(now: now)
        // A retry due for `retryPatience` goes before new work: first attempts first must not
        // hold a retry (and a narration's other chunks, kept in memory) until the supply of a
        // hundred thousand tasks runs dry; no longer than the longest backoff the run allows.
        if let job = takeRetry(at: now, where: { $0.notBefore + retryPatience <= now }) { return job }
        while readyStart < ready.count && ready[readyStart].isAbandoned { readyStart += 1 }
        // The first supplied job whose model has room (a throttled model's jobs wait their turn).
        if let index = ready[readyStart...].firstIndex(where: { !$0.isAbandoned && mayGo($0, now: now) }) {
            let job = ready[index]
            if index == readyStart { readyStart += 1 } else { ready.remove(at: index) }
            compactReady()
            condition.broadcast()  // room for the feed
            return job
        }
        compactReady()
        let idle = inProgress == 0
        return takeRetry(at: now, where: { $0.notBefore <= now || (idle && $0.serverNotBefore <= now) })
    }

    /// Removes and returns the retry due earliest among those `isDue` accepts whose model may
    /// send now. Called with the lock held.
    private func takeRetry(at now: Double, where isDue: (Job) -> Bool) -> Job? {
        var best: Int?
        for index in retries.indices where isDue(retries[index]) && (best.map { retries[index].notBefore < retries[$0].notBefore } ?? true) {
            if mayGo(retries[index], now: now) { best = index }
        }
        return best.map { retries.remove(at: $0) }
    }

    /// Whether `job`'s model has room, and (under a cap) no unpriced request of its model is
    /// out while `job` cannot be priced either. Called with the lock held.
    private func mayGo(_ job: Job, now: Double) -> Bool {
        modelConcurrency.hasRoom(job.model, now: now) && !spending.mustWait(job)
    }

    /// The next supplied job, when it sends nothing (a narration that only joins its kept
    /// chunks): it goes past the cooldown, the rate cap and the budget gate, which concern
    /// requests. Called with the lock held.
    private func takeSendingNothing() -> Job? {
        guard readyStart < ready.count, ready[readyStart].sendsNothing else { return nil }
        var job = ready[readyStart]
        readyStart += 1
        compactReady()
        job.attemptStarted = MonotonicClock.now()
        modelConcurrency.start(job.model, at: job.attemptStarted)
        inProgress += 1
        condition.broadcast()  // room for the feed
        return job
    }

    private func compactReady() {
        if readyStart == ready.count || readyStart >= 4096 {
            ready.removeFirst(readyStart)
            readyStart = 0
        }
    }

    /// The job is over (done, failed for good, or its chunk stored); `succeeded` when its
    /// model answered (which lets a throttled model take a little more again).
    /// `answered`: false when no answer of the model's came for this job (a narration chunk
    /// dropped unsent, a join of kept chunks), so its time teaches nothing.
    package func finish(_ job: Job, succeeded: Bool, answered: Bool = true) {
        condition.lock()
        inProgress -= 1
        if !job.parked {
            modelConcurrency.end(job.model, sentAt: job.attemptStarted, succeeded: succeeded, learns: answered && !job.sendsNothing)
        }
        condition.broadcast()
        condition.unlock()
    }

    /// Puts a job back to run again `delay` seconds after its failed attempt was sent, and
    /// never before `serverDelay` from now (the server's Retry-After, which `delay` never
    /// undercuts: see `RetryPolicy`; 0 for a failure that says nothing of the server's
    /// health); the retry goes at the end of `serverDelay` when nothing else is in flight.
    ///
    /// The backoff counts from the attempt's start because it exists to space attempts out:
    /// an attempt that took 20 s to fail (a stalled transfer, a timeout) has spaced itself,
    /// and waiting its backoff again after it would only lengthen the run's tail. A fast
    /// failure (a 502 in 200 ms) still waits nearly all of it.
    package func retry(_ job: Job, after delay: Double, serverDelay: Double? = nil) {
        condition.lock()
        var job = job
        let now = MonotonicClock.now()
        let sent = job.attemptStarted > 0 ? min(job.attemptStarted, now) : now
        let serverWait = max(serverDelay ?? 0, 0)
        job.notBefore = max(sent + delay, now + serverWait)
        job.serverNotBefore = serverDelay == nil ? job.notBefore : min(now + serverWait, job.notBefore)
        retries.append(job)
        inProgress -= 1
        modelConcurrency.end(job.model, sentAt: job.attemptStarted, succeeded: false)
        condition.broadcast()
        condition.unlock()
    }

    /// The model was told to slow down (a provider's 429, a 402 about credit in flight) in
    /// answer to `job`: it may have half as many requests in flight (at least one), unless
    /// it was halved since `job` was sent.
    /// `inFlightBudget`: the 402 said the key's credit held in flight was short.
    package func throttle(_ job: Job, inFlightBudget: Bool = false) {
        condition.lock()
        modelConcurrency.halve(job.model, sentAt: job.attemptStarted, now: MonotonicClock.now(), inFlightBudget: inFlightBudget)
        condition.unlock()
    }

    /// OpenRouter said the key takes `perMinute` requests a minute: from now on requests
    /// are paced to that (or to the run's own `--rpm`, if lower), so the limit is met once,
    /// not once a window. Returns whether the pace changed.
    package func pace(perMinute: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard perMinute > 0, rateLimit.map({ $0.perSecond * 60 > Double(perMinute) + 0.5 }) ?? true else { return false }
        rateLimit = TokenBucket(perMinute: perMinute)
        return true
    }

    /// Nobody starts anything for `seconds` (a rate limit hit one worker; all back off).
    package func coolDown(for seconds: Double) {
        condition.lock()
        cooldownUntil = max(cooldownUntil, MonotonicClock.now() + seconds)
        condition.unlock()
    }

    /// A submitted video job goes to the poller: its model's slot is given back at once, so
    /// the next submits need not wait for this job to render. The job stays in progress
    /// until `finish`.
    /// `submitted`: false for a job an earlier run submitted (nothing was sent for it now);
    /// like a join of kept chunks, it teaches its model nothing about answer times.
    package func park(_ job: Job, submitted: Bool = true) -> Job {
        condition.lock()
        modelConcurrency.end(job.model, sentAt: job.attemptStarted, succeeded: true, learns: submitted && !job.sendsNothing)
        condition.broadcast()
        condition.unlock()
        var parked = job
        parked.parked = true
        return parked
    }

    /// A video poll's turn under the run's rate cap and cooldown: 0 when it may go now (a
    /// token is taken), else the seconds to wait. Polls need no worker and no budget.
    package func pollSlot() -> Double {
        condition.lock()
        defer { condition.unlock() }
        let now = MonotonicClock.now()
        let wait = max(cooldownUntil - now, rateLimit?.wait(at: now) ?? 0)
        guard wait <= 0 else { return wait }
        rateLimit?.take(at: now)
        return 0
    }

    /// Nothing is left to hand out or in progress (the feed ended, no retry waits), or the
    /// run stopped: the video poller may end once its own jobs are settled.
    package var hasFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped && inProgress == 0 || supplyEnded && ready.count == readyStart && retries.isEmpty && inProgress == 0
    }

    /// Schedule nothing more, retries included; the feed stops too.
    package func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
