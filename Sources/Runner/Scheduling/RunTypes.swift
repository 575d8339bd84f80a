import HTTP
import OpenRouter
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
    /// Cap on requests per minute across the run.
    public var requestsPerMinute: Int?
    /// Stop scheduling once the summed cost reaches this many dollars.
    public var maxCost: Double?
    /// Write a `<file>.json` sidecar beside every image and audio file.
    public var sidecars = true
    /// Rebuild each output folder's `index.html` gallery at the end of the run.
    public var gallery = true
    /// A decoded image larger than this fails its task.
    public var maxImageBytes = ImagePlacement.defaultMaxImageBytes
    /// Where `--verbose` prints each HTTP exchange (nil: nowhere).
    public var trace: HTTPTrace?

    public init(endpoint: OpenRouterEndpoint) { self.endpoint = endpoint }
}

/// A file a task wrote, as the journal and the report record it.
public struct WrittenFile: Sendable, Equatable {
    public let path: String
    public let size: Int
    public let sha256: String
    /// Modification time as `seconds.nanoseconds`, for the quick check on resume.
    public var modified: String?

    public init(path: String, size: Int, sha256: String, modified: String? = nil) {
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.modified = modified
    }
}

/// What became of one task.
public struct TaskOutcome: Sendable {
    public enum Result: Sendable {
        case done(files: [WrittenFile], cost: Double?, generationID: String?)
        case failed(TaskFailure)
    }
    public let taskID: String
    public let origin: TaskOrigin
    public let attempts: Int
    public let result: Result
    public let seconds: Double
    /// The manifest output folder the task writes into.
    public var folder: String = ""

    public var isDone: Bool { if case .done = result { return true } else { return false } }
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
    /// A journal record could not be written (the task itself is unaffected).
    case journalError(String)
}

/// Why a run ended before its last task.
public enum RunStop: Sendable, Equatable {
    case unauthorized(String)
    case paymentRequired(String)
    case budgetReached(Double)
    case interrupted
}

/// The end of a run, for the summary and the exit code.
public struct RunSummary: Sendable {
    public var done = 0
    public var failed = 0
    public var notRun = 0
    /// Tasks the journal showed done, with their files intact: not sent again.
    public var alreadyDone = 0
    /// Tasks that belong to other shards.
    public var otherShards = 0
    public var files: [WrittenFile] = []
    public var cost: Double = 0
    public var failures: [TaskOutcome] = []
    /// Every task that ran, in the order they ended (for reports).
    public var outcomes: [TaskOutcome] = []
    public var stop: RunStop?
    public var seconds: Double = 0

    public var allSucceeded: Bool { failed == 0 && notRun == 0 && stop == nil }
}
