/// What identifies a task across runs, as a run computes it: its request key and the stamps
/// of the files it reads. Computed once per task, where validation expands it (on the
/// validation threads), by a function the layer that knows the wire shape provides.
public struct TaskIdentity: Sendable {
    public let key: String
    /// One stamp for each of `MediaTask.inputs`, in order.
    public let inputStamps: [String]

    public init(key: String, inputStamps: [String]) {
        self.key = key
        self.inputStamps = inputStamps
    }
}
