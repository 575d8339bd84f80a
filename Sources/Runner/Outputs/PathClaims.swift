import Support


/// The final paths written in this run and which task wrote each, so that two tasks never
/// overwrite each other (for example `fox-1.png` from a multi-image response of task `fox`
/// and the single image of a task named `fox-1`).
package final class PathClaims: Sendable {
    private let owners = Locked<[String: String]>([:])

    package init() {}

    /// Claims `path` for `taskID`; returns the other owner when someone else holds it.
    package func claim(_ path: String, for taskID: String) -> String? {
        owners.withLock { owners in
            if let owner = owners[path], owner != taskID { return owner }
            owners[path] = taskID
            return nil
        }
    }
}
