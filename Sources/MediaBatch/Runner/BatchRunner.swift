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
    private let current = Mutex<(source: JobSource, recorder: OutcomeRecorder)?>(nil)

    public init(options: RunOptions, onEvent: @escaping @Sendable (RunEvent) -> Void = { _ in }) {
        self.options = options
        self.onEvent = onEvent
    }

    /// Runs every task of `plan` that the journals do not show done (all of them with
    /// `force`) and returns when all are done, failed, or the run stopped. Fails before
    /// sending anything when a journal cannot be opened.
    public func run(_ plan: BatchPlan) throws(FileError) -> RunSummary {
        let started = MonotonicClock.now()
        let journals = try Self.openJournals(for: plan, options: options)
        let source = JobSource(iterator: plan.makeIterator(), requestsPerMinute: options.requestsPerMinute, prepare: { [options] task in
            let key = RequestKey.of(task)
            if let shard = options.shard, !shard.contains(key: key) { return .otherShard }
            let folder = task.outputFolder
            let journal = journals[folder]
            if !options.force, let index = journal?.index, index.isComplete(key: key, folder: folder) { return .alreadyDone }
            return .run(key: key, journal: journal?.journal)
        }, split: Self.narrationParts)
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
                let connection = HTTPConnection(limits: options.limits, abortSignal: abortSignal)
                let images = ImageTaskExecutor(endpoint: options.endpoint, claims: claims)
                let speech = SpeechTaskExecutor(endpoint: options.speechEndpoint ?? options.endpoint, claims: claims, lookUpCost: options.maxCost != nil)
                let buffers = [ResponseBuffer(), ResponseBuffer()]
                var turn = 0
                while let job = source.next() {
                    let attempt = job.attempts + 1
                    let buffer = buffers[turn % buffers.count]
                    turn += 1
                    buffer.acquire()
                    do throws(TaskFailure) {
                        do { try job.journal?.started(key: job.key, taskID: job.task.id, attempt: attempt, part: job.part?.index) } catch {
                            throw TaskFailure(.permanent, message: "\(error)")
                        }
                        switch job.task {
                        case .image(let task):
                            let result = try images.fetch(task, on: connection, into: buffer.bytes)
                            lanes.submit(UncheckedTransfer(result)) { result in
                                defer { buffer.releaseToWorker() }
                                do throws(TaskFailure) {
                                    let files = try images.write(result.value.images, for: task)
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
                        if let delay = Self.retryDelay(for: error, attempt: attempt, options: options, policy: retryPolicy) {
                            if error.status == 429 { source.coolDown(for: delay) }
                            var next = job
                            next.attempts = attempt
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
        return recorder.summary(taskCount: plan.taskCount, seconds: MonotonicClock.now() - started)
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

    /// One journal per output folder (several manifests may share one), with what it holds.
    private static func openJournals(for plan: BatchPlan, options: RunOptions) throws(FileError) -> [String: (journal: Journal, index: JournalIndex)] {
        var journals: [String: (journal: Journal, index: JournalIndex)] = [:]
        for folder in Set(plan.manifests.map(\.header.outputFolder)).sorted() {
            FileIO.removeStaleTemps(under: folder)
            let journal = try Journal(folder: folder, shard: options.shard)
            journals[folder] = (journal, options.force ? JournalIndex() : try JournalIndex(path: journal.path))
        }
        return journals
    }

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

