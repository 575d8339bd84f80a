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
