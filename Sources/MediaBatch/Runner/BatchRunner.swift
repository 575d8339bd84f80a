import Dispatch

/// Runs a plan on a bounded set of Dispatch queues.
///
/// `concurrency` network workers, each a serial queue owning one HTTP connection (kept
/// alive between its requests), pull jobs from the shared `JobSource`, so there are never
/// more requests in flight than workers. (One serial queue per worker, not one concurrent
/// queue: libdispatch on Linux caps a concurrent queue's threads at the core count, and
/// these workers block on the network.) A worker hands each decoded response to one of a
/// few writer lanes, so only a few threads contend for the output folder; it sends its
/// next request once that writer has recorded the task and handed its one body buffer
/// back. So sent-but-unrecorded requests never exceed the concurrency either, which bounds
/// what a crash can cost.
public final class BatchRunner: Sendable {
    public let options: RunOptions
    private let onEvent: @Sendable (RunEvent) -> Void
    private let abortSignal = AbortSignal()
    private let current = Locked<(source: JobSource, recorder: OutcomeRecorder)?>(nil)

    public init(options: RunOptions, onEvent: @escaping @Sendable (RunEvent) -> Void = { _ in }) {
        self.options = options
        self.onEvent = onEvent
    }

    /// Validates `plan` (if it was only loaded) and runs it: `prepare`, then `run(_:selection:)`.
    public func run(_ plan: BatchPlan) throws(PreparationError) -> RunSummary {
        let selection = try prepare(plan)
        do { return try run(plan, selection: selection) } catch { throw .file(error) }
    }

    /// Validates the plan in one pass that also decides, task by task, what still needs
    /// running: tasks of other shards and tasks the journals show done (files intact) are
    /// left out. The journals are read on other threads meanwhile. Reads only: sends and
    /// writes nothing, so a bad manifest leaves no trace.
    public func prepare(_ plan: BatchPlan) throws(PreparationError) -> RunSelection {
        let folders = Set(plan.manifests.map(\.header.outputFolder)).sorted()
        // Each journal is read, and the files of its done tasks checked, on another thread
        // while validation goes on: the decision is then one set lookup per task.
        let checked = Locked<[String: Result<Set<String>, FileError>]>([:])
        let reading = DispatchGroup()
        if !options.force {
            for folder in folders {
                let path = Journal.path(folder: folder, shard: options.shard)
                DispatchQueue.global().async(group: reading) {
                    let keys = Result { () throws(FileError) in try JournalIndex(path: path, outcomesOnly: true).intactKeys(folder: folder) }
                    checked.withLock { $0[folder] = keys }
                }
            }
        }

        // Validate, keeping each task's key (and entry) for the decision once the journals are in.
        var candidates: [(entry: BatchPlan.EntryRef, key: String, folder: String)] = []
        var otherShards = 0
        var entries: [BatchPlan.EntryRef] = []
        do {
            entries = try plan.validate { [options] task, entry in
                let key = RequestKey.of(task)
                if let shard = options.shard, !shard.contains(key: key) {
                    otherShards += 1
                    return false
                }
                candidates.append((entry, key, task.outputFolder))
                return true
            }
        } catch {
            throw .manifest(error)
        }
        reading.wait()
        var intact: [String: Set<String>] = [:]
        for (folder, result) in checked.withLock({ $0 }) {
            do { intact[folder] = try result.get() } catch { throw .file(error) }
        }

        var needed = Set<BatchPlan.EntryRef>()
        var alreadyDone = 0
        for candidate in candidates {
            if intact[candidate.folder]?.contains(candidate.key) == true { alreadyDone += 1 } else { needed.insert(candidate.entry) }
        }
        var selection = RunSelection(
            entries: entries.filter { needed.contains($0) }, folders: folders, intact: intact, shard: options.shard, force: options.force)
        selection.alreadyDone = alreadyDone
        selection.otherShards = otherShards
        for manifest in plan.manifests { selection.roots[manifest.header.outputFolder] = manifest.header.outputRoot }
        return selection
    }

    /// Runs the selected tasks and returns when all are done, failed, or the run stopped.
    /// Opens (creating) the journals first, and removes temp files a dead run left behind:
    /// call it holding the output root's lock.
    public func run(_ plan: BatchPlan, selection: RunSelection) throws(FileError) -> RunSummary {
        let started = MonotonicClock.now()
        var selection = selection
        try selection.openJournals()
        let source = JobSource(
            iterator: plan.makeIterator(entries: selection.entries), requestsPerMinute: options.requestsPerMinute,
            prepare: selection.decide, split: Self.narrationParts)
        let recorder = OutcomeRecorder(source: source, maxCost: options.maxCost, onEvent: onEvent)
        current.withLock { $0 = (source, recorder) }
        defer { current.withLock { $0 = nil } }
        let claims = PathClaims()
        let retryPolicy = RetryPolicy(baseDelay: options.retryBaseDelay, maxDelay: options.retryMaxDelay)
        let workers = max(1, min(options.concurrency, max(plan.taskCount, 1)))
        let lanes = WriterLanes(count: min(workers, 2))
        let group = DispatchGroup()

        for index in 0..<workers {
            DispatchQueue(label: "mediabatch.worker.\(index)").async(group: group) { [options, abortSignal, onEvent] in
                let connection = HTTPConnection(limits: options.limits, abortSignal: abortSignal, trace: options.trace)
                let images = ImageTaskExecutor(endpoint: options.endpoint, claims: claims, sidecars: options.sidecars, maxImageBytes: options.maxImageBytes)
                let speech = SpeechTaskExecutor(endpoint: options.speechEndpoint ?? options.endpoint, claims: claims, lookUpCost: options.maxCost != nil, sidecars: options.sidecars)
                let buffer = ResponseBuffer()
                while true {
                    // Wait until the writer has recorded this worker's previous task before
                    // taking the next: a crash then costs at most `concurrency` unrecorded
                    // requests, and a stop (budget, 402) decided by that task holds here.
                    buffer.acquire()
                    guard let job = source.next() else {
                        buffer.releaseToWorker()
                        break
                    }
                    let attempt = job.attempts + 1
                    do throws(TaskFailure) {
                        do { try job.journal?.started(key: job.key, taskID: job.task.id, attempt: attempt, part: job.part?.index) } catch {
                            throw TaskFailure(.permanent, message: "\(error)")
                        }
                        onEvent(.sending(taskID: job.task.id))
                        defer { onEvent(.answered(taskID: job.task.id)) }
                        switch job.task {
                        case .image(let task):
                            let result = try images.fetch(task, on: connection, into: buffer.bytes)
                            lanes.submit(UncheckedTransfer(result)) { result in
                                defer { buffer.releaseToWorker() }
                                do throws(TaskFailure) {
                                    let files = try images.write(result.value, for: task)
                                    recorder.done(job, attempts: attempt, files: files, cost: result.value.cost, generationID: result.value.generationID)
                                } catch {
                                    recorder.failed(job, attempts: attempt, failure: error)
                                }
                            }
                        case .speech(let task):
                            guard let part = job.part else { preconditionFailure("speech jobs always carry a part") }
                            let chunk = try speech.fetch(part, on: connection, into: buffer.bytes)
                            buffer.releaseToWorker()
                            guard let complete = part.assembly.store(part.index, audio: chunk.audio, cost: chunk.cost, generationID: chunk.generationID) else {
                                source.finish()  // more chunks to come, or the narration already failed
                                continue
                            }
                            lanes.submit(UncheckedTransfer(complete)) { complete in
                                do throws(TaskFailure) {
                                    let files = try speech.write(complete.value.parts, for: task)
                                    recorder.done(job, attempts: attempt, files: files, cost: complete.value.cost,
                                                  generationID: complete.value.generationIDs.joined(separator: ","))
                                } catch {
                                    recorder.failed(job, attempts: attempt, failure: error)
                                }
                            }
                        }
                    } catch {
                        buffer.releaseToWorker()
                        let noImageAnswers = job.noImageAnswers + (error.kind == .noImages ? 1 : 0)
                        if let delay = Self.retryDelay(for: error, attempt: attempt, noImageAnswers: noImageAnswers, options: options, policy: retryPolicy) {
                            if error.status == 429 { source.coolDown(for: delay) }
                            var next = job
                            next.attempts = attempt
                            next.noImageAnswers = noImageAnswers
                            source.retry(next, after: delay)
                            onEvent(.retrying(taskID: job.label, attempt: attempt, failure: error, delay: delay))
                            continue
                        }
                        if let part = job.part, !part.assembly.fail() {
                            source.finish()  // another chunk already failed the narration
                            continue
                        }
                        recorder.failed(job, attempts: attempt, failure: error)
                    }
                }
            }
        }
        group.wait()
        lanes.drain()
        let summary = recorder.summary(
            taskCount: plan.taskCount, alreadyDone: selection.alreadyDone, otherShards: selection.otherShards,
            seconds: MonotonicClock.now() - started)
        try RunReport.write(summary, folders: selection.folders)
        // The next run reads each journal through its snapshot (and only what follows it).
        for folder in selection.folders { ResumeSnapshot.refresh(journal: Journal.path(folder: folder, shard: options.shard)) }
        if options.gallery {
            // Rebuilding reads every sidecar of the folder: only where this run changed
            // something (or no gallery exists yet), so a nightly no-op rerun stays cheap.
            let touched = Set(summary.outcomes.map(\.folder))
            for folder in selection.folders where touched.contains(folder) || !FileIO.exists(folder + "/index.html") {
                try Gallery.write(folder: folder, journalPath: Journal.path(folder: folder, shard: options.shard))
            }
        }
        return summary
    }

    /// Stops scheduling: requests in flight may finish (their files are written and
    /// journaled); nothing new starts, retries included. Safe from any thread.
    public func stopScheduling() {
        current.withLock { run in
            run?.recorder.interrupted()
            run?.source.stop()
        }
    }

    /// A narration becomes one job per chunk of its text; other tasks stay one job.
    static func narrationParts(_ job: Job) -> [Job] {
        guard case .speech(let task) = job.task else { return [job] }
        let chunks = task.chunks
        let assembly = NarrationAssembly(task: task, chunks: chunks)
        return chunks.indices.map { index in
            var part = job
            part.part = NarrationPart(index: index, assembly: assembly)
            return part
        }
    }

    /// Aborts the transfers in flight too (their tasks fail as interrupted).
    public func abortInFlight() {
        stopScheduling()
        abortSignal.abort()
    }

    /// How long to wait before trying again, or nil when the failure is final.
    /// `noImageAnswers` counts the 200s without an image so far, this one included: only those
    /// use up the no-image allowance, whatever other failures came before.
    static func retryDelay(for failure: TaskFailure, attempt: Int, noImageAnswers: Int, options: RunOptions, policy: RetryPolicy) -> Double? {
        switch failure.kind {
        case .transient where attempt < options.maxAttempts:
            return policy.delay(after: attempt, failure: failure)
        case .noImages where noImageAnswers < options.maxNoImageAttempts && attempt < options.maxAttempts:
            return policy.delay(after: attempt, failure: failure)
        default:
            return nil
        }
    }
}

