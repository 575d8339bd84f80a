import HTTP
import Journal
import OpenRouter
import Reports
import Tasks

/// How a run behaves: how wide, where it sends, how hard it retries.
public struct RunOptions: Sendable {
    public var concurrency: Int = 4
    public var endpoint: OpenRouterEndpoint
    /// Where speech requests go, when their key differs (`tts.apiKey`); else `endpoint`.
    public var speechEndpoint: OpenRouterEndpoint?
    public var limits = HTTPLimits()
    /// Attempts per task, the first included.
    public var maxAttempts: Int = 6
    /// 200s without an image a task may get before it fails for good (other failures aside).
    public var maxNoImageAttempts: Int = 3
    /// Backoff: full jitter over `min(cap, base * 2^(attempt-1))` seconds.
    public var retryBaseDelay: Double = 1
    public var retryMaxDelay: Double = 60
    /// Run only this shard's tasks.
    public var shard: Shard?
    /// Redo tasks the journal says are done.
    public var force = false
    /// Send again the tasks an earlier run recorded as refused.
    public var retryRefused = false
    /// Cap on requests per minute across the run.
    public var requestsPerMinute: Int?
    /// This run spends at most this many dollars (a request that could cross it is not started).
    public var maxCost: Double?
    /// The batch spends at most this many dollars over all its runs, counted from the journals.
    public var maxTotalCost: Double?
    /// Write a `<file>.json` sidecar beside every image and audio file.
    public var sidecars = true
    /// Rebuild each output folder's `index.html` gallery at the end of the run.
    public var gallery = true
    /// `--results FILE`: every task's results line also goes there (see `ResultsCSV`).
    public var resultsFile: String?
    /// A decoded image larger than this fails its task.
    public var maxImageBytes = ImagePlacement.defaultMaxImageBytes
    /// Where `--verbose` prints each HTTP exchange (nil: nowhere).
    public var trace: HTTPTrace?
    /// `--no-wait`: submit new video jobs, collect those finished, leave the rest for a later run.
    public var noWait = false
    /// How long a run waits for its video jobs (`--video-timeout`); then they are left pending.
    public var videoTimeout: Double = 3600
    /// `--resubmit-uncertain`: submit again the video tasks whose earlier submit's answer was lost.
    public var resubmitUncertain = false
    /// When video jobs are polled.
    public var videoPolls = VideoPollSchedule()

    public init(endpoint: OpenRouterEndpoint) { self.endpoint = endpoint }
}

/// When a video job is polled: first after `first` seconds, then each wait `growth` times
/// the last, up to `longest` (OpenRouter asks for 10-30 s at steady state; tests shorten it).
public struct VideoPollSchedule: Sendable, Equatable {
    public var first: Double = 3
    public var growth: Double = 1.5
    public var longest: Double = 20

    public init(first: Double = 3, growth: Double = 1.5, longest: Double = 20) {
        self.first = first
        self.growth = growth
        self.longest = longest
    }

    /// The wait after `polls` polls (0: before the first).
    public func wait(afterPolls polls: Int) -> Double {
        var wait = max(first, 0.01)
        for _ in 0..<min(polls, 64) { wait = min(wait * max(growth, 1), max(longest, wait)) }
        return min(wait, max(longest, first))
    }
}

/// Things a front end may want to show while a run goes on. Delivered from worker threads.
public enum RunEvent: Sendable {
    /// A request is about to be sent (each attempt, each narration chunk).
    case sending(taskID: String)
    /// A request came back (whatever became of its task).
    case answered(taskID: String)
    case finished(TaskOutcome)
    case retrying(taskID: String, attempt: Int, failure: TaskFailure, delay: Double)
    case stopping(reason: String)
    /// A task was not run so as not to overwrite a file (see `KeptTask`).
    case kept(KeptTask)
    /// A journal record could not be written (the task itself is unaffected).
    case journalError(String)
    /// A narration was split: `total` chunks, of which `toSend` are bought in this run (the
    /// others were kept by earlier runs). For progress: its chunks answer one by one.
    case narrationSplit(taskID: String, toSend: Int, total: Int)
    /// OpenRouter named the key's rate limit: requests are paced to it from now on.
    case pacing(requestsPerMinute: Int)
    /// A video task's job was submitted (or found submitted by an earlier run) and is polled
    /// until it renders: no request is in flight for it meanwhile. Its `finished` ends it.
    case videoRendering(taskID: String)
    /// Dollars paid beside a done task's own cost (a failed attempt billed all the same, a
    /// failed task's answer, an earlier version's video job collected): the live spent figure
    /// counts them as they become known, so it ends where the closing line does.
    case billed(taskID: String, cost: Double)
}

extension RunOptions {
    /// What this run may spend: `maxCost`, and what `maxTotalCost` leaves after `spentBefore`
    /// (the journals' total), whichever is less; nil without either.
    package func budget(spentBefore: Double) -> Double? {
        let left = maxTotalCost.map { max(0, $0 - spentBefore) }
        switch (maxCost, left) {
        case let (cap?, left?): return min(cap, left)
        case let (cap?, nil): return cap
        case let (nil, left?): return left
        case (nil, nil): return nil
        }
    }
}
