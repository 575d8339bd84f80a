import Dispatch
import Files
import HTTP
import Journal
import Manifest
import OpenRouter
import Reports
import Support
import Tasks

/// Runs a plan on a bounded set of Dispatch queues.
///
/// `concurrency` network workers, each a serial queue owning one HTTP connection (kept
/// alive between its requests), pull jobs from the shared `JobSource`, so there are never
/// more requests in flight than workers. (One serial queue per worker, not one concurrent
/// queue: libdispatch on Linux caps a concurrent queue's threads at the core count, and
/// these workers block on the network.) The `TaskFeed` supplies the jobs from the validated
/// plan on a thread of its own. A worker hands each decoded response to one of a few writer
/// lanes, so only a few threads contend for the output folder; it sends its next request
/// once that writer has recorded the task and handed its buffer back. So sent-but-unrecorded
/// requests never exceed the concurrency either, which bounds what a crash can cost.
public final class BatchRunner: Sendable {
    public let options: RunOptions
    private let onEvent: @Sendable (RunEvent) -> Void
    private let abortSignal = AbortSignal()
    private let current = Locked<(source: JobSource, recorder: OutcomeRecorder)?>(nil)

    public init(options: RunOptions, onEvent: @escaping @Sendable (RunEvent) -> Void = { _ in }) {
        self.options = options
        self.onEvent = onEvent
    }

    /// Validates `plan` and runs it: `prepare`, then `run(_:selection:)`.
    public func run(_ plan: BatchPlan) throws(PreparationError) -> RunSummary {
        let selection = try prepare(plan)
        do { return try run(plan, selection: selection) } catch { throw .file(error) }
    }

    /// Validates the plan in one pass that also decides, task by task, what still needs
    /// running (see `RunPlanner`). Reads only: a bad manifest leaves no trace.
    public func prepare(_ plan: BatchPlan) throws(PreparationError) -> RunSelection {
        var planner = RunPlanner(shard: options.shard, force: options.force)
        planner.resubmitUncertain = options.resubmitUncertain
        planner.countSpent = options.maxTotalCost != nil
        planner.retryRefused = options.retryRefused
        return try planner.select(plan)
    }

    /// Runs the selected tasks and returns when all are done, failed, or the run stopped.
    /// Opens (creating) the journals first, and removes temp files a dead run left behind:
    /// call it holding the output root's lock.
    public func run(_ plan: BatchPlan, selection: RunSelection) throws(FileError) -> RunSummary {
        let started = MonotonicClock.now()
        let journals = try RunJournals(selection)
        let claims = PathClaims()
        let workers = selection.workers(concurrency: options.concurrency)
        let spending = Spending(
            cap: options.budget(spentBefore: selection.spentBefore), catalog: plan.catalog,
            earlierMeanCost: selection.alreadyDone > 0 && selection.spentBefore > 0 ? selection.spentBefore / Double(selection.alreadyDone) : nil)
        let source = JobSource(
            capacity: 2 * workers, requestsPerMinute: options.requestsPerMinute, spending: spending, concurrency: workers,
            retryPatience: options.retryMaxDelay)
        // The gallery's thumbnails are made as the images arrive, not all at the end.
        let thumbnails = options.gallery ? ThumbnailQueue() : nil
        let onEvent: @Sendable (RunEvent) -> Void = { [onEvent] event in
            if let thumbnails, case .finished(let outcome) = event, case .done(let files, _, _) = outcome.result {
                thumbnails.add(folder: outcome.folder, files: files)
            }
            onEvent(event)
        }
        let chains = ChainGate(selection: selection)
        let recorder = OutcomeRecorder(
            source: source, spending: spending, rules: StopRules(baseURL: options.endpoint.baseURL, workers: workers), chains: chains,
            onEvent: onEvent)
        current.withLock { $0 = (source, recorder) }
        defer { current.withLock { $0 = nil } }

        let group = DispatchGroup()
        let videos = VideoTaskExecutor(client: OpenRouterClient(endpoint: options.endpoint), claims: claims, sidecars: options.sidecars)
        let poller = VideoPoller(
            executor: videos, recorder: recorder, source: source, spending: spending, schedule: options.videoPolls, noWait: options.noWait,
            deadline: started + max(options.videoTimeout, 0), limits: options.limits, abortSignal: abortSignal, trace: options.trace)
        for superseded in selection.superseded { poller.add(superseded: superseded, journal: journals[folder: superseded.folder]) }
        for uncertain in selection.uncertain { recorder.videoUncertainBefore(taskID: uncertain.taskID, folder: uncertain.folder, since: uncertain.since) }
        TaskFeed(plan: plan, selection: selection, journals: journals, source: source, recorder: recorder, chains: chains, reuseChunks: !options.force).start(in: group)
        let lanes = WriterLanes(count: min(workers, 2))
        let worker = makeWorker(source: source, recorder: recorder, spending: spending, lanes: lanes, claims: claims, videos: videos, poller: poller, onEvent: onEvent)
        if selection.hasVideo { poller.start(in: group) }
        for index in 0..<workers {
            DispatchQueue(label: "mediabatch.worker.\(index)").async(group: group) { [options, abortSignal] in
                // Made here, on the worker's own queue, and never sent elsewhere.
                let connection = Result { () throws(HTTPError) in
                    try HTTPConnection(limits: options.limits, abortSignal: abortSignal, trace: options.trace)
                }
                worker.run(connection: connection, buffer: ResponseBuffer())
            }
        }
        group.wait()
        lanes.drain()
        // The costs of broken-off generations still being asked for belong to this run.
        worker.imageCosts.drain()
        worker.speechCosts.drain()
        thumbnails?.finish()
        var summary = recorder.summary(
            taskCount: plan.taskCount, alreadyDone: selection.alreadyDone + chains.alreadyDone, otherShards: selection.otherShards,
            refusedBefore: selection.refusedBefore + chains.refusedBefore, seconds: MonotonicClock.now() - started)
        summary.models = spending.byModel
        // Books whose chapters are all done are joined now (not counted as tasks).
        for book in BookBinder(shard: options.shard, claims: claims).bind(selection.books, written: Set(summary.files.map(\.path))) {
            onEvent(.finished(book))
            switch book.result {
            case .done(let files, _, _): summary.files += files
            case .failed:
                summary.failed += 1
                summary.failures.append(book)
                summary.outcomes.append(book)
            }
        }
        try finishFolders(selection.folders, touched: Set(summary.outcomes.map(\.folder) + summary.pendingVideos.map(\.folder) + summary.supersededVideos.map(\.folder)), summary: summary)
        try ResultsFile.write(plan, folders: selection.folders, touched: Set(summary.outcomes.map(\.folder)), shard: options.shard, to: options.resultsFile)
        return summary
    }

    private func makeWorker(
        source: JobSource, recorder: OutcomeRecorder, spending: Spending, lanes: WriterLanes, claims: PathClaims, videos: VideoTaskExecutor,
        poller: VideoPoller, onEvent: @escaping @Sendable (RunEvent) -> Void
    ) -> Worker {
        let imageClient = OpenRouterClient(endpoint: options.endpoint)
        let speechClient = OpenRouterClient(endpoint: options.speechEndpoint ?? options.endpoint)
        // Speech is billed by the character whatever became of it: its cost is always asked
        // for, a lookup per chunk, so as many lanes as requests in flight (the writer waits
        // for a narration's costs before it records it). Image costs are asked for only when
        // a transfer broke off: a few lanes do.
        let speechCosts = CostLookups(client: speechClient, limits: options.limits, trace: options.trace, lanes: min(max(options.concurrency, 1), 32))
        let imageCosts = CostLookups(client: imageClient, limits: options.limits, trace: options.trace)
        return Worker(
            source: source, recorder: recorder, spending: spending, lanes: lanes,
            images: ImageTaskExecutor(client: imageClient, claims: claims, sidecars: options.sidecars, maxImageBytes: options.maxImageBytes),
            speech: SpeechTaskExecutor(client: speechClient, claims: claims, costs: speechCosts, sidecars: options.sidecars),
            videos: videos, poller: poller,
            retries: RetryDecision(
                policy: RetryPolicy(baseDelay: options.retryBaseDelay, maxDelay: options.retryMaxDelay), maxAttempts: options.maxAttempts,
                maxNoImageAttempts: options.maxNoImageAttempts),
            imageCosts: imageCosts, speechCosts: speechCosts, onEvent: onEvent)
    }

    /// After the run: each folder the run touched gets its report; every folder's journal
    /// snapshot is refreshed (the next run reads only what follows it); galleries are rebuilt
    /// where something changed (or none exists yet), so a nightly no-op rerun stays cheap and
    /// keeps the last real report.
    private func finishFolders(_ folders: [String], touched: Set<String>, summary: RunSummary) throws(FileError) {
        try RunReport.write(summary, folders: folders.filter(touched.contains))
        for folder in folders { ResumeSnapshot.refresh(journal: Journal.path(folder: folder, shard: options.shard)) }
        guard options.gallery else { return }
        for folder in folders where touched.contains(folder) || !FileIO.exists(folder + "/index.html") {
            try Gallery.write(folder: folder, journalPath: Journal.path(folder: folder, shard: options.shard))
        }
    }

    /// Stops scheduling: requests in flight may finish (their files are written and
    /// journaled); nothing new starts, retries included. Safe from any thread.
    public func stopScheduling() {
        current.withLock { run in
            run?.recorder.interrupted()
            run?.source.stop()
        }
    }

    /// Aborts the transfers in flight too (their tasks fail as interrupted).
    public func abortInFlight() {
        stopScheduling()
        abortSignal.abort()
    }
}
