import HTTP
import OpenRouter
import Support
import Tasks

/// One network worker: a serial queue's loop that owns one HTTP connection and one response
/// buffer, takes jobs from the source one at a time, and ends each in exactly one
/// `Disposition`, decided in `attempt` and carried out in `settle`.
package struct Worker {
    package let source: JobSource
    package let recorder: OutcomeRecorder
    package let spending: Spending
    package let lanes: WriterLanes
    package let images: ImageTaskExecutor
    package let speech: SpeechTaskExecutor
    package let videos: VideoTaskExecutor
    /// Where submitted video jobs wait (no worker waits for them).
    package let poller: VideoPoller
    package let retries: RetryDecision
    /// Where the cost of a broken-off generation is looked up, per endpoint (each key asks
    /// for its own generations).
    package let imageCosts: CostLookups
    package let speechCosts: CostLookups
    package let onEvent: @Sendable (RunEvent) -> Void

    /// How one job ended.
    private enum Disposition {
        /// Images decoded into the lent buffer: a writer lane writes and records them, then
        /// releases the lease.
        case writeImages(ImageTaskExecutor.Fetched)
        /// The last chunk of a narration: a writer lane joins, writes and records it.
        case writeNarration(NarrationAssembly.Complete)
        /// A chunk stored; other chunks of its narration are still to come.
        case partStored
        /// Try again after `delay` seconds.
        case retry(Job, after: Double, TaskFailure)
        /// Failed for good: recorded now.
        case failed(TaskFailure)
        /// A chunk of a narration that another chunk already failed: nothing to record.
        case abandoned
        /// A video job exists (just submitted, or found in the journal): the poller waits for it.
        case videoSubmitted(VideoJobState, since: String?, resumed: Bool)
        /// A video submit whose answer was lost: journaled `uncertain`, not retried.
        case videoUncertain(TaskFailure)
    }

    /// Runs jobs until the source has none left. Blocks the calling queue. A connection that
    /// could not be set up fails every job this worker takes, permanently, with its error.
    package func run(connection: Result<HTTPConnection, HTTPError>, buffer: ResponseBuffer) {
        while true {
            // The previous job's lease must be back (its writer done) before the next job
            // starts: a stop decided by that job's outcome then holds here.
            let lease = buffer.lease()
            guard let job = source.next() else {
                lease.release()
                return
            }
            settle(job, attempt(job, connection: connection, buffer: lease.bytes), lease: lease)
        }
    }

    /// Sends one attempt of `job` and decides how it ends. Never writes outputs.
    private func attempt(_ job: Job, connection made: Result<HTTPConnection, HTTPError>, buffer: ByteArray) -> Disposition {
        let attempt = job.attempts + 1
        do throws(TaskFailure) {
            // A narration whose chunks were all kept only joins them: nothing is sent.
            if job.sendsNothing, let part = job.part, let complete = part.assembly.keptComplete() { return .writeNarration(complete) }
            if job.task.isVideo, let record = job.videoJob, let id = record.jobID {
                // Submitted by an earlier run: never again; the poller asks where it stands
                // (on its own connection: this worker's, good or not, plays no part).
                let state = VideoJobState(
                    id: id, status: .pending, pollingURL: record.pollingURL, generationID: record.generationID, error: nil, unsignedURLs: [],
                    cost: nil)
                return .videoSubmitted(state, since: record.since, resumed: true)
            }
            let connection: HTTPConnection
            switch made {
            case .success(let made): connection = made
            case .failure(let error): throw OpenRouterClient.failure(for: error)
            }
            // A video's submit journals `submitting` itself, synced, before it is sent.
            if !job.task.isVideo {
                do { try job.journal?.started(key: job.key, taskID: job.task.id, attempt: attempt, part: job.part?.index) } catch {
                    throw TaskFailure(.permanent, cause: .file(path: error.path), message: error.description)
                }
            }
            onEvent(.sending(taskID: job.task.id))
            defer { onEvent(.answered(taskID: job.task.id)) }
            switch job.task {
            case .image(let task):
                return .writeImages(try images.fetch(task, digests: job.referenceDigests, on: connection, into: buffer))
            case .speech:
                guard let part = job.part else { preconditionFailure("speech jobs always carry a part") }
                guard let complete = try speech.fetch(part, on: connection, into: buffer) else { return .partStored }
                return .writeNarration(complete)
            case .video(let task):
                let submitted = try videos.submit(
                    task, key: job.key, journal: job.journal, estimate: job.reserved > 0 ? job.reserved : nil, digests: job.referenceDigests,
                    on: connection)
                switch submitted {
                case .job(let state): return .videoSubmitted(state, since: UTCTime.now(), resumed: false)
                case .uncertain(let failure): return .videoUncertain(failure)
                }
            }
        } catch {
            bill(job, attempt: attempt, failure: error)
            recorder.attemptFailed(error)
            let noImageAnswers = job.noImageAnswers + (error.kind == .noImages ? 1 : 0)
            var final = error
            if let resumeAt = retries.tooFarAway(error) {
                // A limit that resets hours from now (a daily free-model limit), or a
                // Retry-After as long: trying again within seconds would only burn attempts,
                // and waiting would hold the run.
                final = error.reclassified(as: .permanent, note: "the limit resets at \(UTCTime.format(epochSeconds: resumeAt)); run again then")
            } else if let delay = retries.delay(for: error, attempt: attempt, noImageAnswers: noImageAnswers) {
                var next = job
                next.attempts = attempt
                next.noImageAnswers = noImageAnswers
                return .retry(next, after: delay, error)
            } else if error.kind == .noImages, let reason = error.refusal {
                final = error.reclassified(as: .refused, note: "refused again (\(reason))")
            }
            if let part = job.part, !part.assembly.fail() { return .abandoned }
            return .failed(final)
        }
    }

    /// What a throttling answer slows down: OpenRouter's own limit on the key pauses every
    /// request until its reset (or its Retry-After); a provider's 429 and a 402 about credit
    /// in flight lower that model's concurrency, and only that request waits its delay.
    private func slowDown(for failure: TaskFailure, job: Job, delay: Double) {
        switch failure.throttle {
        case .key(let resetAt)?:
            // The whole run waits for what the server said (its reset, its Retry-After); a
            // backoff's jitter spreads one client's requests, which a pause already does.
            let untilReset = resetAt.map { $0 - UTCTime.epochSeconds() } ?? 0
            let serverWait = max(untilReset, failure.retryAfter ?? 0)
            source.coolDown(for: serverWait > 0 ? serverWait : delay)
            if let limit = failure.keyRateLimit, source.pace(perMinute: limit) {
                onEvent(.pacing(requestsPerMinute: limit))
            }
        case .provider?:
            source.throttle(job)
        case .inFlightBudget?:
            source.throttle(job, inFlightBudget: true)
            source.coolDown(for: delay)
        case nil:
            break
        }
    }

    /// A failed attempt may have been paid for all the same: counted at once when the answer
    /// said how much (a refusal, an answer without an image), looked up in the background
    /// when only its generation is known (a transfer that broke off, or was aborted, after
    /// the generation started, or an answer that could not be read; `/images` cancellations
    /// are not billed).
    private func bill(_ job: Job, attempt: Int, failure: TaskFailure) {
        if let cost = failure.billedCost, cost > 0 {
            recorder.billed(job, attempt: attempt, cost: cost, generationID: failure.generationID, reason: failure.kind.rawValue)
            return
        }
        guard let id = failure.generationID else { return }
        switch (failure.cause, job.task) {
        // The generation ran: its transfer broke off, or its answer could not be read (or,
        // for speech, which is billed by the character, could not be kept).
        case (.transport, _), (.interrupted, _), (.response, _), (_, .speech): break
        default: return
        }
        let costs: CostLookups
        switch job.task {
        case .image(let task) where task.api == .chat: costs = imageCosts
        case .image, .video: return
        case .speech: costs = speechCosts
        }
        _ = costs.lookUp(id, patience: 60) { [recorder] cost in
            guard let cost, cost > 0 else { return }
            recorder.billed(job, attempt: attempt, cost: cost, generationID: id, reason: "the transfer failed after the generation started")
        }
    }

    /// Carries out a disposition. The lease is released here, or by the writer lane that
    /// the images' disposition hands it to: once either way.
    private func settle(_ job: Job, _ disposition: Disposition, lease: BufferLease) {
        let attempts = job.attempts + 1
        if case .writeImages(let fetched) = disposition {
            lanes.submit(UncheckedTransfer(fetched)) { [images, recorder] fetched in
                defer { lease.release() }
                guard case .image(let task) = job.task else { return }
                do throws(TaskFailure) {
                    let written = try images.write(fetched.value, for: task)
                    recorder.done(
                        job, attempts: attempts, files: written.files, cost: fetched.value.cost, generationID: fetched.value.generationID,
                        returned: written.returned)
                } catch {
                    recorder.failed(job, attempts: attempts, failure: error, cost: fetched.value.cost)
                }
            }
            return
        }
        lease.release()
        if case .partStored = disposition { recorder.attemptAnswered() }
        switch disposition {
        case .writeImages:
            break  // handed to a writer lane above
        case .writeNarration(let complete):
            // No request of it is in flight any more: its model's slot is free for the next
            // job while the narration is joined and its chunks' costs arrive.
            let job = source.park(job)
            lanes.submit(UncheckedTransfer(complete)) { [speech, recorder] complete in
                guard case .speech(let task) = job.task else { return }
                let parts = complete.value
                // The record waits for the chunks' costs, the lane does not: it is recorded
                // where the last cost arrives (a lookup lane), before the lookups drain.
                let generationID = parts.generationIDs.isEmpty ? nil : parts.generationIDs.joined(separator: ",")
                do throws(TaskFailure) {
                    let written = try speech.writeNarration(parts.parts, formats: parts.formats, for: task, texts: parts.texts)
                    CostTicket.whenAllSettled(parts.costs) { cost in
                        recorder.done(job, attempts: attempts, files: written.files, cost: cost, generationID: generationID, loudness: written.loudness)
                    }
                } catch {
                    // Every chunk was bought (and is kept): what they cost is counted all the same.
                    CostTicket.whenAllSettled(parts.costs) { cost in recorder.failed(job, attempts: attempts, failure: error, cost: cost) }
                }
            }
        case .partStored, .abandoned:
            spending.settle(reserved: job.reserved, paid: nil, for: job)
            countChunksOfFailedNarration(job)
            // A dropped chunk had no answer: its time teaches nothing of the model's.
            var answered = true
            if case .abandoned = disposition { answered = false }
            source.finish(job, succeeded: true, answered: answered)
        case .videoSubmitted(let state, let since, let resumed):
            // The reservation stays with the job until its real cost is known.
            var waiting = source.park(job, submitted: !resumed)
            waiting.attempts = attempts - 1
            poller.add(waiting, state: state, since: since, resumed: resumed)
            onEvent(.videoRendering(taskID: job.label))
        case .videoUncertain(let failure):
            recorder.videoUncertain(job, failure: failure)
        case .retry(var next, let delay, let failure):
            spending.settle(reserved: job.reserved, paid: nil, for: job)
            next.reserved = 0
            next.probe = nil
            slowDown(for: failure, job: job, delay: delay)
            // Without a Retry-After, a failure that says nothing of the server's health may
            // be retried at once when nothing else is in flight (see `JobSource.retry`).
            source.retry(next, after: delay, serverDelay: failure.retryAfter ?? (failure.signalsStrain ? nil : 0))
            onEvent(.retrying(taskID: job.label, attempt: attempts, failure: failure, delay: delay))
        case .failed(let failure):
            recorder.failed(job, attempts: attempts, failure: failure)
            countChunksOfFailedNarration(job)
        }
    }

    /// The chunks a failed narration bought (before its failure, or in flight then and
    /// kept after) were paid for: each is counted, and journaled `billed`, once its cost
    /// is known. The rerun takes them kept, for nothing.
    private func countChunksOfFailedNarration(_ job: Job) {
        guard let part = job.part else { return }
        for (ticket, index, generationID) in part.assembly.takeCostsOfFailed() {
            // Counted as the chunk it paid for (its text prices the estimate beside it), not
            // as the chunk whose failure ended the narration.
            var chunk = job
            chunk.part = NarrationPart(index: index, assembly: part.assembly)
            ticket.whenSettled { [recorder, chunk] cost in
                guard let cost else { return }
                recorder.billed(chunk, attempt: 1, cost: cost, generationID: generationID, reason: "chunk \(index + 1) of a failed narration, kept for the rerun")
            }
        }
    }
}

/// Whether and when a failed attempt is tried again.
package struct RetryDecision: Sendable {
    package let policy: RetryPolicy
    /// Attempts per task, the first included.
    package let maxAttempts: Int
    /// 200s without an image a task may get before it fails for good.
    package let maxNoImageAttempts: Int
    /// The longest a rate limit's reset is waited for; a later one fails the task with the
    /// time it can resume.
    package var longestWait: Double = 600

    /// When a throttled request could go again, if that is further away than `longestWait`:
    /// the key's reset, or the server's Retry-After.
    package func tooFarAway(_ failure: TaskFailure) -> Double? {
        let now = UTCTime.epochSeconds()
        if case .key(let resetAt?)? = failure.throttle, resetAt - now > longestWait { return resetAt }
        if let wait = failure.retryAfter, wait > longestWait { return now + wait }
        return nil
    }

    /// How long to wait before trying again, or nil when the failure is final.
    /// `noImageAnswers` counts the 200s without an image so far, this one included: only those
    /// use up the no-image allowance, whatever other failures came before.
    package func delay(for failure: TaskFailure, attempt: Int, noImageAnswers: Int) -> Double? {
        switch failure.kind {
        case .transient where attempt < maxAttempts:
            return policy.delay(after: attempt, failure: failure)
        case .noImages where failure.refusal != nil:
            // A soft refusal (IMAGE_SAFETY, NO_IMAGE, IMAGE_OTHER) sometimes passes once more.
            return noImageAnswers < 2 && attempt < maxAttempts ? policy.delay(after: attempt, failure: failure) : nil
        case .noImages where noImageAnswers < maxNoImageAttempts && attempt < maxAttempts:
            return policy.delay(after: attempt, failure: failure)
        default:
            return nil
        }
    }

    package init(policy: RetryPolicy, maxAttempts: Int, maxNoImageAttempts: Int) {
        self.policy = policy
        self.maxAttempts = maxAttempts
        self.maxNoImageAttempts = maxNoImageAttempts
    }
}
