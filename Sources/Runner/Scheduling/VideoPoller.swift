import Dispatch
import Foundation
import HTTP
import JSON
import Journal
import OpenRouter
import Support
import Tasks

/// Waits for the run's video jobs on a thread of its own, so no network worker is held
/// while a job renders: polls each job when it is due (the wait grows per `VideoPollSchedule`),
/// taking its turn under the run's rate cap and cooldowns (`JobSource.pollSlot`); downloads a
/// completed job's video (`VideoTaskExecutor.download`) and records it done with the cost
/// OpenRouter reported; records a failed, cancelled or expired job failed with the server's
/// error text. A failed poll is polled again later, never submitted again. With `noWait`
/// each job is polled once; otherwise until `deadline`. A job left unfinished is recorded
/// pending: its id is in the journal, and a later run collects it.
package final class VideoPoller: Sendable {
    private struct Waiting {
        /// The task's job; for an earlier version's job (`superseded`), a stand-in never
        /// handed to the source.
        var job: Job?
        /// An earlier version's job, collected into `superseded/` (see `SupersededVideoJob`).
        var superseded: SupersededVideoJob? = nil
        var journal: Journal? = nil
        var state: VideoJobState
        /// When it was submitted (UTC), for `status` and the report.
        var since: String?
        var polls = 0
        var downloadFailures = 0
        /// Polls in a row answered 404 (see `maxUnknownPolls`).
        var unknownPolls = 0
        var dueAt: Double
    }

    private struct State {
        var waiting: [Waiting] = []
    }

    private let state = Locked(State())
    private let wake = DispatchSemaphore(value: 0)
    private let executor: VideoTaskExecutor
    private let recorder: OutcomeRecorder
    private let source: JobSource
    private let spending: Spending
    private let schedule: VideoPollSchedule
    private let noWait: Bool
    /// Monotonic time after which unfinished jobs are left pending.
    private let deadline: Double
    private let limits: HTTPLimits
    private let abortSignal: AbortSignal
    private let trace: HTTPTrace?
    /// Downloads of one job that may fail before it is left pending for a later run.
    private static let maxDownloadFailures = 4
    /// Polls in a row answered 404 before the job is taken as unknown to OpenRouter. The
    /// reference lists 404 among a poll's answers without saying more; the id came from the
    /// service's own 202 (and was journaled), so a 404 means the job is gone (its retention
    /// ran out: it is undocumented) or not yet visible where the poll landed. A few polls
    /// (at the schedule's waits) ride out the latter; then the task fails with the job id
    /// and the reason, and is not resubmitted in this run: a rerun submits it again, the
    /// user's own decision (what the job cost, if anything, OpenRouter alone knows).
    private static let maxUnknownPolls = 3

    package init(
        executor: VideoTaskExecutor, recorder: OutcomeRecorder, source: JobSource, spending: Spending, schedule: VideoPollSchedule,
        noWait: Bool, deadline: Double, limits: HTTPLimits, abortSignal: AbortSignal, trace: HTTPTrace?
    ) {
        self.executor = executor
        self.recorder = recorder
        self.source = source
        self.spending = spending
        self.schedule = schedule
        self.noWait = noWait
        self.deadline = deadline
        self.limits = limits
        self.abortSignal = abortSignal
        self.trace = trace
    }

    /// A job to wait for: just submitted (first polled after the schedule's first wait), or
    /// found in the journal (`resumed`: polled at once). With `noWait`, a job just submitted
    /// is left pending at once: it cannot be finished yet, and waiting for its first poll
    /// would only hold the run.
    package func add(_ job: Job, state initial: VideoJobState, since: String?, resumed: Bool) {
        if noWait && !resumed && !initial.status.isTerminal {
            recorder.videoPending(job, jobID: initial.id, since: since, status: initial.status.rawValue)
            return
        }
        let now = MonotonicClock.now()
        let dueAt = resumed ? now : now + schedule.wait(afterPolls: 0)
        state.withLock { $0.waiting.append(Waiting(job: job, state: initial, since: since, dueAt: dueAt)) }
        wake.signal()
    }

    /// An earlier version's job found open in the journal: polled at once, collected into
    /// `superseded/` when finished, left open for a later run otherwise.
    package func add(superseded: SupersededVideoJob, journal: Journal?) {
        guard let id = superseded.record.jobID else { return }
        let initial = VideoJobState(
            id: id, status: .pending, pollingURL: superseded.record.pollingURL, generationID: superseded.record.generationID, error: nil, unsignedURLs: [],
            cost: nil)
        state.withLock {
            $0.waiting.append(Waiting(job: nil, superseded: superseded, journal: journal, state: initial, since: superseded.record.since, dueAt: MonotonicClock.now()))
        }
        wake.signal()
    }

    /// Starts the poller's thread; `group` is left once every job is settled and the
    /// source has nothing more to give.
    package func start(in group: DispatchGroup) {
        DispatchQueue(label: "mediabatch.video-poller").async(group: group) { [self] in
            let connection = Result { () throws(HTTPError) in try HTTPConnection(limits: limits, abortSignal: abortSignal, trace: trace) }
            run(connection: connection)
        }
    }

    private func run(connection made: Result<HTTPConnection, HTTPError>) {
        while true {
            let now = MonotonicClock.now()
            let (next, idle) = state.withLock { state -> (Waiting?, Bool) in
                guard let index = state.waiting.indices.min(by: { state.waiting[$0].dueAt < state.waiting[$1].dueAt }) else { return (nil, true) }
                if state.waiting[index].dueAt <= now || leaving(now: now) { return (state.waiting.remove(at: index), false) }
                return (nil, false)
            }
            if let next {
                handle(next, connection: made, now: now)
                continue
            }
            if idle && source.hasFinished { return }
            let soonest = state.withLock { $0.waiting.map(\.dueAt).min() } ?? (now + 0.2)
            _ = wake.wait(timeout: .now() + max(0.005, min(soonest - now, 0.2)))
        }
    }

    /// Past the deadline, the run was interrupted, or the key was refused (a 401 to a poll, a
    /// submit or any other request): every waiting job is left pending.
    private func leaving(now: Double) -> Bool {
        now >= deadline || abortSignal.isAborted || recorder.wasInterrupted || recorder.keyRefused
    }

    private func handle(_ item: Waiting, connection made: Result<HTTPConnection, HTTPError>, now: Double) {
        var item = item
        if leaving(now: now) || (noWait && item.polls >= 1 && !item.state.status.isTerminal) {
            leavePending(item)
            return
        }
        let slotWait = source.pollSlot()
        if slotWait > 0 {
            item.dueAt = now + slotWait
            requeue(item)
            return
        }
        guard case .success(let connection) = made else {
            leavePending(item)
            return
        }
        item.polls += 1
        let polled: VideoJobState
        do { polled = try executor.client.pollVideo(id: item.state.id, pollingURL: item.state.pollingURL, on: connection) } catch {
            // A refused key will not poll better later: the run stops as on any 401 (exit 69),
            // and this job and every other waiting one wait, journaled, for a run with a good key.
            if error.kind == .unauthorized {
                recorder.haltRun(.unauthorized(error.message))
                recorder.announce(.stopping(reason: error.description))
                leavePending(item)
                return
            }
            if error.status == 404 {
                item.unknownPolls += 1
                if item.unknownPolls >= Self.maxUnknownPolls {
                    jobUnknown(item, error)
                    return
                }
            } else {
                item.unknownPolls = 0
            }
            // A failed poll is polled again: the job itself is not touched.
            item.dueAt = MonotonicClock.now() + max(schedule.wait(afterPolls: item.polls), error.retryAfter ?? 0)
            requeue(item)
            return
        }
        item.state = polled
        item.unknownPolls = 0
        if let superseded = item.superseded {
            settle(superseded, item, polled: polled, on: connection)
            return
        }
        guard let job = item.job else { return }
        switch polled.status {
        case .pending, .inProgress:
            waitMore(item)
        case .completed:
            guard case .video(let task) = job.task else { return }
            do throws(TaskFailure) {
                let downloaded = try executor.download(polled, for: task, on: connection)
                var extra: JSONObject = ["job": .string(polled.id)]
                if let seconds = downloaded.durationSeconds { extra["videoSeconds"] = .double((seconds * 1000).rounded() / 1000) }
                recorder.done(
                    job, attempts: job.attempts + 1, files: downloaded.files, cost: polled.cost, generationID: polled.generationID,
                    extra: extra)
            } catch {
                guard !downloadWillGoOn(after: error, item) else { return }
                var failure = error
                failure.details["job"] = polled.id
                recorder.failed(job, attempts: job.attempts + 1, failure: failure, cost: polled.cost)
            }
        case .failed, .cancelled, .expired:
            var failure = TaskFailure(
                .permanent, cause: .api(code: polled.status.rawValue), status: 200,
                message: "video job \(polled.id) \(polled.status.rawValue): \(polled.error ?? "no reason given")")
            failure.details["job"] = polled.id
            recorder.failed(job, attempts: job.attempts + 1, failure: failure, cost: polled.cost)
        }
    }

    /// A job still rendering: polled again after the schedule's wait, or, with `--no-wait`,
    /// left pending for a later run.
    private func waitMore(_ item: Waiting) {
        guard !noWait else { return leavePending(item) }
        var item = item
        item.dueAt = MonotonicClock.now() + schedule.wait(afterPolls: item.polls)
        requeue(item)
    }

    /// After a failed download of a finished job: tried again later (a passing failure, up
    /// to `maxDownloadFailures`), or left pending for a later run (paid for and finished on
    /// OpenRouter: never resubmitted). False when the failure is final.
    private func downloadWillGoOn(after error: TaskFailure, _ item: Waiting) -> Bool {
        var item = item
        if error.kind == .transient || error.cause == .interrupted, item.downloadFailures + 1 < Self.maxDownloadFailures {
            item.downloadFailures += 1
            item.dueAt = MonotonicClock.now() + schedule.wait(afterPolls: item.polls)
            requeue(item)
            return true
        }
        // The job is done and paid for: a failure on this side (a file that cannot be
        // written or claimed) leaves it open for a later run to download, never to buy again.
        if error.kind == .transient || error.kind == .unwritable || error.cause == .interrupted || Self.isLocal(error) {
            leavePending(item)
            return true
        }
        return false
    }

    private static func isLocal(_ error: TaskFailure) -> Bool {
        if case .file = error.cause { return true }
        return false
    }

    /// An earlier version's job, polled: downloaded into `superseded/` and journaled once
    /// finished; journaled with the server's text (and any cost) once failed; else waited for.
    private func settle(_ superseded: SupersededVideoJob, _ item: Waiting, polled: VideoJobState, on connection: HTTPConnection) {
        switch polled.status {
        case .pending, .inProgress:
            waitMore(item)
        case .completed:
            do throws(TaskFailure) {
                let downloaded = try executor.downloadSuperseded(polled, job: superseded, on: connection)
                recorder.supersededSettled(
                    superseded, journal: item.journal, jobID: polled.id, files: downloaded.files, cost: polled.cost, generationID: polled.generationID,
                    failure: nil)
            } catch {
                guard !downloadWillGoOn(after: error, item) else { return }
                recorder.supersededSettled(
                    superseded, journal: item.journal, jobID: polled.id, files: [], cost: polled.cost, generationID: polled.generationID,
                    failure: error.message)
            }
        case .failed, .cancelled, .expired:
            recorder.supersededSettled(
                superseded, journal: item.journal, jobID: polled.id, files: [], cost: polled.cost, generationID: polled.generationID,
                failure: "video job \(polled.id) \(polled.status.rawValue): \(polled.error ?? "no reason given")")
        }
    }

    /// A job OpenRouter answered 404 for `maxUnknownPolls` polls in a row: failed with its
    /// id (cause `api:404`), or, for an earlier version's job, settled with the reason.
    private func jobUnknown(_ item: Waiting, _ error: TaskFailure) {
        let message = "video job \(item.state.id) is unknown to OpenRouter (404 on \(item.unknownPolls) polls in a row: "
            + "expired or never visible); not submitted again in this run"
        if let superseded = item.superseded {
            recorder.supersededSettled(
                superseded, journal: item.journal, jobID: item.state.id, files: [], cost: nil, generationID: item.state.generationID, failure: message)
            return
        }
        guard let job = item.job else { return }
        var failure = TaskFailure(.permanent, cause: .api(code: "404"), status: 404, message: message)
        failure.details["job"] = item.state.id
        recorder.failed(job, attempts: job.attempts + 1, failure: failure)
    }

    private func requeue(_ item: Waiting) {
        state.withLock { $0.waiting.append(item) }
    }

    private func leavePending(_ item: Waiting) {
        if let superseded = item.superseded {
            recorder.supersededPending(superseded, status: item.state.status.rawValue)
            return
        }
        guard let job = item.job else { return }
        recorder.videoPending(job, jobID: item.state.id, since: item.since, status: item.state.status.rawValue)
    }
}
