/// What identifies a task across runs, as a run computes it: its request key and the stamps
/// of the files it reads. Computed once per task, where validation expands it (on the
/// validation threads), by a function the layer that knows the wire shape provides.
public struct TaskIdentity: Sendable {
    public let key: String
    /// One stamp for each of `MediaTask.inputs`, in order.
    public let inputStamps: [String]
    /// How a listing shows the task, when one asked (`plan`): made here too, off the thread
    /// that every task of a batch passes through.
    public var listing: TaskListing?

    public init(key: String, inputStamps: [String]) {
        self.key = key
        self.inputStamps = inputStamps
    }
}

/// A task as `plan` lists it: its model, the requests it makes, their estimated dollars (nil:
/// unknown) and its line of the table (tab-separated cells).
public struct TaskListing: Sendable {
    public let model: String
    public let requests: Int
    public let estimate: Double?
    public let line: String

    public init(model: String, requests: Int, estimate: Double?, line: String) {
        self.model = model
        self.requests = requests
        self.estimate = estimate
        self.line = line
    }
}
