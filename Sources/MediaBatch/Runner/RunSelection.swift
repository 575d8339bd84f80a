/// What a run will do, decided while the plan was validated: the entries that still have
/// tasks to run, the journals they record into, and how many tasks were left out.
public struct RunSelection: Sendable {
    public internal(set) var entries: [BatchPlan.EntryRef]
    let folders: [String]
    /// Each folder's output root, which it must not leave.
    var roots: [String: String] = [:]
    let indices: [String: JournalIndex]
    /// Opened by `openJournals`, when the run starts.
    private(set) var journals: [String: Journal] = [:]
    let shard: Shard?
    let force: Bool
    /// Tasks the journal shows done with their files intact.
    public internal(set) var alreadyDone = 0
    /// Tasks that belong to other shards.
    public internal(set) var otherShards = 0

    init(entries: [BatchPlan.EntryRef], folders: [String], indices: [String: JournalIndex], shard: Shard?, force: Bool) {
        self.entries = entries
        self.folders = folders
        self.indices = indices
        self.shard = shard
        self.force = force
    }

    /// Whether a task runs: not when it belongs to another shard, nor when its journal shows
    /// it done with its files intact (unless forced).
    func decide(_ task: MediaTask) -> JobSource.Preparation {
        let key = RequestKey.of(task)
        if let shard, !shard.contains(key: key) { return .otherShard }
        let folder = task.outputFolder
        if !force, let index = indices[folder], index.isComplete(key: key, folder: folder) { return .alreadyDone }
        return .run(key: key, journal: journals[folder])
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
