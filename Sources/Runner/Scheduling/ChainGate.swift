import Journal
import Support
import Tasks

/// Holds the tasks that wait for another task's output (`@id`) until their producers are
/// recorded, off the workers: the feed parks a dependent here (it holds no worker and no
/// place in the job source's queue), and the recorder tells the gate how each producer
/// ended. A producer done releases its dependents whose producers are all done, each with
/// its references resolved to the producers' files and its request key made from their
/// hashes; a producer failed, refused or kept fails its dependents with that reason,
/// unsent. A dependent that finds its key already done (the producer wrote the same bytes
/// as before) is counted done, not sent.
package final class ChainGate: Sendable {
    /// How a producer ended.
    package enum ProducerOutcome: Sendable {
        case done([ResolvedReference])
        case failed(TaskFailure)
    }

    /// A dependent waiting for producers.
    private struct Parked: Sendable {
        let planned: PlannedTask
        let task: MediaTask
        let journal: Journal?
        let started: Double
        var missing: Set<String>
        var resolved: [String: ResolvedReference]
    }

    private struct State: Sendable {
        var outcomes: [String: ProducerOutcome] = [:]
        /// Parked dependents by a number of their own; `waiting` lists them per producer.
        var parked: [Int: Parked] = [:]
        var waiting: [String: [Int]] = [:]
        var nextNumber = 0
        /// Dependents released whose key the journal shows done, or refused.
        var alreadyDone = 0
        var refusedBefore = 0
    }

    /// Ids of the tasks some dependent of this run waits for.
    private let producers: Set<String>
    /// The journals as the planner read them: what a released dependent's final key comes to
    /// (see `TaskFate`).
    private let earlier: EarlierRuns
    private let state = Locked(State())

    package init(selection: RunSelection) {
        producers = Set(selection.entries.flatMap { $0.tasks.flatMap { $0.chain?.waitsFor ?? [] } })
        let journals = selection.chainJournals
        earlier = EarlierRuns(
            journals: journals, videoJobs: selection.chainVideoJobs, refused: selection.refusedKeys,
            resubmitUncertain: selection.resubmitUncertain)
    }

    /// Dependents released whose key was found done.
    package var alreadyDone: Int { state.withLock { $0.alreadyDone } }
    /// Dependents released whose key the journal shows refused: left alone, like any refused task.
    package var refusedBefore: Int { state.withLock { $0.refusedBefore } }

    /// What becomes of a dependent handed to the gate.
    package enum Verdict {
        /// Every producer is done: run this job now.
        case ready(Job)
        /// Already done (same producer bytes as the run that made it): nothing to send; its
        /// images, for its own dependents.
        case alreadyDone([ResolvedReference])
        /// A producer failed: fail it, unsent, with this.
        case failed(TaskFailure)
        /// Refused in an earlier run with these very inputs: left alone (its dependents fail).
        case refusedBefore(TaskFailure)
        /// A video whose submit an earlier run made with these very inputs and whose answer
        /// was lost: not submitted again without `--resubmit-uncertain`.
        case uncertain(since: String?)
        /// Waiting: the gate releases it to the source (see `settle`).
        case parked
    }

    /// The feed hands over a dependent it rebuilt; `source` holds its place while it waits.
    package func park(_ planned: PlannedTask, task: MediaTask, journal: Journal?, started: Double, source: JobSource) -> Verdict {
        let links = planned.chain ?? ChainLinks(producers: [])
        let (verdict, parked) = state.withLock { state -> (Verdict?, Parked) in
            var parked = Parked(planned: planned, task: task, journal: journal, started: started, missing: [], resolved: links.resolved)
            for id in links.waitsFor {
                switch state.outcomes[id] {
                case .failed(let failure)?: return (.failed(ReferenceResolution.producerFailed(id, failure)), parked)
                case .done(let images)?:
                    if let failure = Self.resolve(&parked, producer: id, images: images) { return (.failed(failure), parked) }
                case nil: parked.missing.insert(id)
                }
            }
            guard parked.missing.isEmpty else {
                let number = state.nextNumber
                state.nextNumber += 1
                state.parked[number] = parked
                for id in parked.missing { state.waiting[id, default: []].append(number) }
                source.hold()
                return (.parked, parked)
            }
            return (nil, parked)
        }
        return verdict ?? release(parked)
    }

    /// The references of `parked` to `producer` resolved among its images; a failure when
    /// one names an image the producer did not write.
    private static func resolve(_ parked: inout Parked, producer: String, images: [ResolvedReference]) -> TaskFailure? {
        for reference in parked.task.references where reference.producerID == producer {
            switch ReferenceResolution.resolve(reference, among: images) {
            case .success(let file): parked.resolved[reference.description] = file
            case .failure(let failure): return failure
            }
        }
        return nil
    }

    /// A dependent whose producers are all done: its job, with its final key.
    private func release(_ parked: Parked) -> Verdict {
        let key = RunPlanner.identify(parked.task, resolved: parked.resolved).key
        let folder = parked.planned.folder
        var job = Job(task: parked.task.resolvingReferences(parked.resolved), key: key, journal: parked.journal, firstStarted: parked.started)
        // A job the planner found (the producers done before this run) is polled as it said.
        switch parked.planned.videoJob.map(TaskFate.poll) ?? earlier.fate(folder: folder, key: key, isVideo: parked.task.isVideo) {
        case .poll(let record):
            job.videoJob = record
        case .uncertain(let record):
            return .uncertain(since: record.since)
        case .done:
            state.withLock { $0.alreadyDone += 1 }
            return .alreadyDone(earlier.doneImages(folder: folder, key: key))
        case .refused:
            state.withLock { $0.refusedBefore += 1 }
            return .refusedBefore(TaskFailure(
                .refused, cause: .producer(taskID: parked.planned.id),
                message: "it was refused in an earlier run with the same inputs; --retry-refused sends it again"))
        case .fresh:
            break
        }
        job.referenceDigests = Dictionary(parked.resolved.values.map { ($0.path, $0.sha256) }, uniquingKeysWith: { first, _ in first })
        return .ready(job)
    }

    /// The recorder's side: task `id` ended. Dependents it completes go to `source`; those
    /// it fails are recorded by `recorder` (which tells the gate of them in turn).
    package func settle(_ id: String, _ outcome: ProducerOutcome, source: JobSource, recorder: OutcomeRecorder) {
        guard producers.contains(id) else { return }
        let woken = state.withLock { state -> [(Parked, TaskFailure?)] in
            state.outcomes[id] = outcome
            var woken: [(Parked, TaskFailure?)] = []
            for number in state.waiting.removeValue(forKey: id) ?? [] {
                guard var parked = state.parked[number] else { continue }  // failed by another producer
                parked.missing.remove(id)
                var failure: TaskFailure?
                switch outcome {
                case .failed(let cause): failure = ReferenceResolution.producerFailed(id, cause)
                case .done(let images): failure = Self.resolve(&parked, producer: id, images: images)
                }
                if failure != nil || parked.missing.isEmpty {
                    state.parked[number] = nil
                    woken.append((parked, failure))
                } else {
                    state.parked[number] = parked
                }
            }
            return woken
        }
        for (parked, failure) in woken {
            if let failure {
                source.unhold()
                recorder.unsent(parked.planned, journal: parked.journal, failure: failure, started: parked.started)
                continue
            }
            switch release(parked) {
            case .ready(let job): source.release(job)
            case .alreadyDone(let images):
                source.unhold()
                settle(parked.planned.id, .done(images), source: source, recorder: recorder)
            case .refusedBefore(let failure):
                source.unhold()
                settle(parked.planned.id, .failed(failure), source: source, recorder: recorder)
            case .failed(let failure):
                source.unhold()
                recorder.unsent(parked.planned, journal: parked.journal, failure: failure, started: parked.started)
            case .uncertain(let since):
                source.unhold()
                recorder.videoUncertainBefore(taskID: parked.planned.id, folder: parked.planned.folder, since: since)
            case .parked: break
            }
        }
    }
}
