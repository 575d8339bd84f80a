/// What a run will do, decided while the plan was validated: the entries that still have
/// tasks to run, the journals they record into, and how many tasks were left out.
public struct RunSelection: Sendable {
    public internal(set) var entries: [BatchPlan.EntryRef]
    let folders: [String]
    /// Each folder's output root, which it must not leave.
    var roots: [String: String] = [:]
    /// Per folder, the keys of the tasks its journal shows done with their files intact
    /// (checked once, while the plan was validated; empty with `force`).
    let intact: [String: Set<String>]
    /// Opened by `openJournals`, when the run starts.
    private(set) var journals: [String: Journal] = [:]
    let shard: Shard?
    let force: Bool
    /// Tasks the journal shows done with their files intact.
    public internal(set) var alreadyDone = 0
    /// Tasks that belong to other shards.
    public internal(set) var otherShards = 0

    init(entries: [BatchPlan.EntryRef], folders: [String], intact: [String: Set<String>], shard: Shard?, force: Bool) {
        self.entries = entries
        self.folders = folders
        self.intact = intact
        self.shard = shard
        self.force = force
    }

    /// Whether a task runs: not when it belongs to another shard, nor when its journal shows
    /// it done with its files intact (unless forced).
    func decide(_ task: MediaTask) -> JobSource.Preparation {
        let key = RequestKey.of(task)
        if let shard, !shard.contains(key: key) { return .otherShard }
        if !force, intact[task.outputFolder]?.contains(key) == true { return .alreadyDone }
        return .run(key: key, journal: journals[task.outputFolder])
    }

    /// Opens every output folder's journal for appending, after removing the temp files of
    /// runs that died there.
    mutating func openJournals() throws(FileError) {
        for folder in folders where journals[folder] == nil {
            if let root = roots[folder] {
                try FileIO.makeDirectories(folder)
                guard FileIO.isInside(folder, root: root) else {
                    throw FileError("use", folder, reason: "it leads outside the output root \(root) (a symbolic link?)")
                }
            }
            FileIO.removeStaleTemps(under: folder)
            journals[folder] = try Journal(folder: folder, shard: shard)
        }
    }
}

/// Why a run could not start: its manifests are wrong, or its journals cannot be opened.
public enum PreparationError: Error, CustomStringConvertible {
    case manifest(ManifestError)
    case file(FileError)

    public var description: String {
        switch self {
        case .manifest(let error): return error.description
        case .file(let error): return error.description
        }
    }
}
