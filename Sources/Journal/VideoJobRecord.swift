import JSON

/// Where a video task's job stands by its journal, between its submit and its outcome:
/// `submitting` (synced before the request; alone after a crash it means the answer never
/// came back), `submitted` (the job id, synced the moment the 202 arrived), or `uncertain`
/// (the answer was lost). A `done` or `failed` record ends it.
public struct VideoJobRecord: Sendable, Equatable {
    /// The journal event that last spoke of the submit.
    public enum State: String, Sendable {
        case submitting, submitted, uncertain
    }

    public let state: State
    public let taskID: String
    /// The job's id and polling URL, once submitted.
    public let jobID: String?
    public let pollingURL: String?
    public let generationID: String?
    /// What the job should cost (counted against the budget until its real cost is known).
    public let estimate: Double?
    /// The model it was submitted to (journals before session 5 do not say).
    public var model: String? = nil
    /// The manifest that submitted it (absolute path; journals before session 5 do not say).
    public var manifest: String? = nil
    /// When the submit was first attempted (UTC, as the journal writes it).
    public let since: String?
    /// Why the submit is uncertain.
    public let message: String?

    /// Whether a job is known to exist (`submitted`), or may exist without its id.
    public var hasJob: Bool { state == .submitted && jobID != nil }
    /// A submit whose fate is unknown: `uncertain`, or `submitting` left behind by a crash.
    public var isUncertain: Bool { !hasJob }

    package static func next(after previous: VideoJobRecord?, _ record: JSON) -> VideoJobRecord {
        let state = record["event"]?.stringValue.flatMap(State.init) ?? .submitting
        let time = record["time"]?.stringValue
        // A job made is never forgotten by a later `submitting` (a resubmit only happens for
        // uncertain tasks, which have none).
        let since = state == .submitting ? time : previous?.since ?? time
        var next = VideoJobRecord(
            state: state, taskID: record["task"]?.stringValue ?? previous?.taskID ?? "?",
            jobID: record["job"]?.stringValue, pollingURL: record["polling"]?.stringValue,
            generationID: record["generation"]?.stringValue,
            estimate: record["estimate"]?.doubleValue, since: since,
            message: record["message"]?.stringValue)
        next.model = record["model"]?.stringValue ?? previous?.model
        next.manifest = record["manifest"]?.stringValue ?? previous?.manifest
        return next
    }

    /// A journal record that `next(after: nil, _)` turns back into this one (for the resume
    /// snapshot, which carries open jobs).
    package var snapshotRecord: JSONObject {
        var record: JSONObject = ["event": .string(state.rawValue), "task": .string(taskID)]
        record["job"] = jobID.map(JSON.string)
        record["polling"] = pollingURL.map(JSON.string)
        record["generation"] = generationID.map(JSON.string)
        record["estimate"] = estimate.map(JSON.double)
        record["model"] = model.map(JSON.string)
        record["manifest"] = manifest.map(JSON.string)
        record["time"] = since.map(JSON.string)
        record["message"] = message.map(JSON.string)
        return record
    }

    package init(
        state: State, taskID: String, jobID: String?, pollingURL: String?, generationID: String?, estimate: Double?, since: String?,
        message: String?
    ) {
        self.state = state
        self.taskID = taskID
        self.jobID = jobID
        self.pollingURL = pollingURL
        self.generationID = generationID
        self.estimate = estimate
        self.since = since
        self.message = message
    }
}
