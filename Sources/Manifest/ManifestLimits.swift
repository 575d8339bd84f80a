/// How large a batch mediabatch takes on before refusing it, so that a runaway manifest (a
/// generated JSONL file gone wrong, lists multiplied by lists) is a clear error naming the
/// file and line instead of hours of spending or an out-of-memory. Both limits can be
/// raised from the command line (`--max-tasks`, `--max-manifest-mib`).
public struct ManifestLimits: Sendable, Equatable {
    /// The largest manifest file read.
    public var maxFileBytes: Int = 512 << 20
    /// The most tasks all manifests of one invocation may expand to.
    public var maxTasks: Int = 1_000_000

    public init(maxFileBytes: Int = 512 << 20, maxTasks: Int = 1_000_000) {
        self.maxFileBytes = maxFileBytes
        self.maxTasks = maxTasks
    }
}
