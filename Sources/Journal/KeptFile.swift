/// A file in a task's output that mediabatch will not overwrite: one it did not write, or
/// one that changed since it wrote it (a hand-retouched image). The task is skipped and
/// recorded as `kept`; `run --force` overwrites anyway.
public struct KeptFile: Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        /// The journal recorded the file, and its size or content differs now.
        case changed
        /// Neither the journal nor the file's sidecar shows that mediabatch wrote it.
        case foreign
    }

    /// Absolute in a run; relative to the output folder as the journal records it.
    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .changed: return "\(path) changed since mediabatch wrote it"
        case .foreign: return "\(path) was not written by mediabatch"
        }
    }
}

/// The last `kept` record of a task in a journal: the files that kept it from running.
public struct KeptRecord: Sendable {
    public let taskID: String
    /// Paths relative to the output folder.
    public let files: [KeptFile]
    public let time: String?
}
