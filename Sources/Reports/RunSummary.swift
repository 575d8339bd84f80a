import Files
import Journal
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
    /// Images: what came back for each file (pixel size, format, a mismatch with the ask).
    public var returned: [ReturnedImage] = []

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

/// What came back for one image file, beside what its task asked: the pixel size and format
/// read from the image, and, when a model ignored a hint, the mismatch in words (`SizeCheck`).
/// The report, the progress lines and the gallery say it, so a dropped setting is never hidden.
public struct ReturnedImage: Sendable, Equatable {
    public let path: String
    public let width: Int
    public let height: Int
    public let format: String
    /// "asked 16:9, got 1024x1024 (aspect ratio differ)"; nil when the image matches the ask.
    public let mismatch: String?

    public init(path: String, width: Int, height: Int, format: String, mismatch: String?) {
        self.path = path
        self.width = width
        self.height = height
        self.format = format
        self.mismatch = mismatch
    }
}

/// One model's spend in a run: what the catalog's prices estimated for the requests paid
/// for (nil when it could not say) and what they cost.
public struct ModelSpend: Sendable, Equatable {
    public let estimated: Double?
    public let spent: Double

    package init(estimated: Double?, spent: Double) {
        self.estimated = estimated
        self.spent = spent
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
    /// An output cannot be written for a reason every later write would meet too (no space,
    /// read-only, no permission, a quota or size limit): `message` names the path and the
    /// system's reason. The answer that could not be saved was paid for.
    case cannotWrite(path: String, message: String)
    /// `attempts` connection attempts in a row (DNS or connect) failed with no answer between.
    case unreachable(baseURL: String, attempts: Int, message: String)
    /// The first `answers` answers were all 404: the base URL is wrong (`message`: the last one's).
    case notFound(baseURL: String, answers: Int, message: String)
}

/// A task that was not run because its output holds a file mediabatch will not overwrite
/// (one it did not write, or one changed since: a retouched image). `run --force` overwrites.
public struct KeptTask: Sendable {
    public let taskID: String
    public let origin: TaskOrigin
    /// The manifest output folder the task writes into.
    public let folder: String
    /// The files in the way, with absolute paths.
    public let files: [KeptFile]

    package init(taskID: String, origin: TaskOrigin, folder: String, files: [KeptFile]) {
        self.taskID = taskID
        self.origin = origin
        self.folder = folder
        self.files = files
    }
}

/// A video job an earlier run submitted for a version of a task that has since changed (or
/// left the manifest): paid for, so still collected, into `superseded/<task id>.<job id>.mp4`.
/// Listed so the user hears of it: `collected`, `failed`, or still `pending`.
public struct SupersededVideo: Sendable, Equatable {
    public let taskID: String
    public let folder: String
    public let jobID: String
    public let since: String?
    public let status: String
    /// The video's path relative to the folder, once collected.
    public let files: [String]
    public let cost: Double?
    public let message: String?

    package init(taskID: String, folder: String, jobID: String, since: String?, status: String, files: [String], cost: Double?, message: String?) {
        self.taskID = taskID
        self.folder = folder
        self.jobID = jobID
        self.since = since
        self.status = status
        self.files = files
        self.cost = cost
        self.message = message
    }
}

/// A video task whose job this run left unfinished: submitted and still running (a later
/// run collects it), or of uncertain fate (its submit's answer was lost; not resubmitted
/// unless asked).
public struct PendingVideo: Sendable, Equatable {
    public let taskID: String
    public let folder: String
    /// The job's id; nil for an uncertain submit.
    public let jobID: String?
    /// When it was submitted (UTC, as the journal writes it).
    public let since: String?
    /// The job's last known status (`pending`, `in_progress`), or `uncertain`.
    public let status: String

    package init(taskID: String, folder: String, jobID: String?, since: String?, status: String) {
        self.taskID = taskID
        self.folder = folder
        self.jobID = jobID
        self.since = since
        self.status = status
    }

    public var isUncertain: Bool { jobID == nil }
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
    /// Tasks not run so as not to overwrite a file (see `KeptTask`); not failures.
    public var kept: [KeptTask] = []
    public var files: [WrittenFile] = []
    /// Dollars this run spent: every billed generation, failed attempts included (also of
    /// the tasks whose answer could not be saved).
    public var cost: Double = 0
    /// Failed attempts that were paid for all the same (refusals, answers without an image,
    /// chat transfers that broke off after the generation started).
    public var billedAttempts = 0
    /// Per output folder: dollars of failed attempts that were paid for.
    public var billedByFolder: [String: Double] = [:]

    /// The one spent figure of an output folder: its done tasks' costs and every failed
    /// attempt there that was paid for (what report.json and the closing table show).
    public func spent(folder: String) -> Double {
        outcomes.reduce(billedByFolder[folder] ?? 0) { total, outcome in
            guard outcome.folder == folder, case .done(_, let cost, _) = outcome.result else { return total }
            return total + (cost ?? 0)
        }
    }
    /// Per model: estimate and spend side by side (see `ModelSpend`).
    public var models: [String: ModelSpend] = [:]
    public var failures: [TaskOutcome] = []
    /// Every task that ran, in the order they ended (for reports).
    public var outcomes: [TaskOutcome] = []
    public var stop: RunStop?
    public var seconds: Double = 0
    /// Video jobs left running or uncertain (see `PendingVideo`): not failures, not done.
    public var pendingVideos: [PendingVideo] = []

    /// What the video jobs this run leaves running should cost (their estimates): money
    /// committed, billed once they finish, and not in `cost` yet.
    public var pendingVideoEstimate = 0.0
    /// Jobs of earlier versions of video tasks this run polled (see `SupersededVideo`).
    public var supersededVideos: [SupersededVideo] = []

    package init() {}

    /// Video jobs still running on OpenRouter, earlier versions' too: a later run collects
    /// them (exit 75).
    public var videoJobsPending: Int {
        pendingVideos.filter { !$0.isUncertain }.count + supersededVideos.filter { $0.status == "pending" }.count
    }

    /// Of `failed`, the tasks the model or moderation refused.
    public var refused: Int {
        failures.filter { if case .failed(let failure) = $0.result { return failure.kind == .refused } else { return false } }.count
    }

    public var allSucceeded: Bool {
        failed == 0 && notRun == 0 && stop == nil && pendingVideos.isEmpty && !supersededVideos.contains { $0.status == "pending" }
    }
}
