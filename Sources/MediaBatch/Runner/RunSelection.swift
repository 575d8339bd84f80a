/// What a run will do, decided while the plan was validated: the entries that still have
/// tasks to run, the journals they record into, and how many tasks were left out.
public struct RunSelection: Sendable {
    public internal(set) var entries: [BatchPlan.EntryRef]
    let journals: [String: (journal: Journal, index: JournalIndex)]
    let shard: Shard?
    let force: Bool
    /// Tasks the journal shows done with their files intact.
    public internal(set) var alreadyDone = 0
    /// Tasks that belong to other shards.
    public internal(set) var otherShards = 0

    init(entries: [BatchPlan.EntryRef], journals: [String: (journal: Journal, index: JournalIndex)], shard: Shard?, force: Bool) {
        self.entries = entries
        self.journals = journals
        self.shard = shard
        self.force = force
    }

    /// Whether a task runs: not when it belongs to another shard, nor when its journal shows
    /// it done with its files intact (unless forced).
    func decide(_ task: MediaTask) -> JobSource.Preparation {
        let key = RequestKey.of(task)
        if let shard, !shard.contains(key: key) { return .otherShard }
        let folder = task.outputFolder
        let journal = journals[folder]
        if !force, let index = journal?.index, index.isComplete(key: key, folder: folder) { return .alreadyDone }
        return .run(key: key, journal: journal?.journal)
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
