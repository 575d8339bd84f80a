import Files
import Tasks

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

    package init(taskID: String, origin: TaskOrigin, attempts: Int, result: Result, seconds: Double, folder: String = "") {
        self.taskID = taskID
        self.origin = origin
        self.attempts = attempts
        self.result = result
        self.seconds = seconds
        self.folder = folder
    }
}

/// Why a run ended before its last task.
public enum RunStop: Sendable, Equatable {
    case unauthorized(String)
    case paymentRequired(String)
    case budgetReached(Double)
    /// 403: the key's or the workspace's spend limit is reached (OpenRouter's message).
    case keyLimit(String)
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
    /// Tasks an earlier run recorded as refused, left alone (`--retry-refused` sends them).
    public var refusedBefore = 0
    public var files: [WrittenFile] = []
    /// Dollars this run spent: every billed generation, failed attempts included.
    public var cost: Double = 0
    /// Failed attempts that were paid for all the same (refusals, answers without an image,
    /// chat transfers that broke off after the generation started).
    public var billedAttempts = 0
    public var failures: [TaskOutcome] = []
    /// Every task that ran, in the order they ended (for reports).
    public var outcomes: [TaskOutcome] = []
    public var stop: RunStop?
    public var seconds: Double = 0

    package init() {}

    public var allSucceeded: Bool { failed == 0 && notRun == 0 && stop == nil }
}
