import Files
import Journal
import Manifest
import Tasks

/// What the chain planner needs of a producer the planner decided: its request key, its
/// output folder, and whether it is a video (a few strings, not the planned task).
struct ProducerIdentity {
    let key: String
    let folder: String
    let isVideo: Bool

    init(_ task: PlannedTask) {
        key = task.key
        folder = task.folder
        isVideo = task.isVideo
    }
}

/// Plans the tasks that take other tasks' outputs (`@id`), once the planner has decided
/// every other task: for each dependent, producers first (`TaskChains` orders them), how
/// each producer stands (done with its files intact, to run now, kept, refused, in another
/// shard), its request key (with the producers' file hashes when they are known), its shard
/// (its chain's root's: the first producer's, followed up), and where the run's feed takes
/// it (right after the last producer it waits for, so it starts as soon as that one is
/// recorded, not after the batch).
struct ChainPlanner {
    let plan: BatchPlan
    let earlier: EarlierRuns
    let shard: Shard?
    /// Ids of the producers this run sends (not dependents), with their place in the feed
    /// (-1 for `plan`, which has no feed).
    let runningRoots: [String: Int]
    /// Ids of the producers kept so as not to overwrite a file.
    let keptRoots: Set<String>
    /// Producers of this shard the planner decided, by id, with their keys (those to send;
    /// in a manifest that names producers, the others too). The rest are expanded again here.
    let plannedRoots: [String: ProducerIdentity]

    /// How a producer stands for its dependents.
    enum ProducerState {
        /// Runs in this run: its dependents wait for it.
        case pending
        /// Done with these image files intact.
        case done([ResolvedReference])
        /// Will not produce: its dependents fail with this.
        case blocked(TaskFailure)
        case otherShard
    }

    /// A dependent planned: to run (maybe waiting), or done/kept/elsewhere (`planned` nil).
    struct Outcome {
        let ref: BatchPlan.EntryRef
        var planned: PlannedTask?
        /// Sorting of the feed: after this root's place, at this depth.
        var anchor: (root: Int, depth: Int)
    }

    private var expander: EntryExpander
    private var lastEntry: (ref: BatchPlan.EntryRef, tasks: [MediaTask])?
    private var states: [String: ProducerState] = [:]
    private var rootKeys: [String: String] = [:]
    private var anchors: [String: (root: Int, depth: Int)] = [:]

    init(
        plan: BatchPlan, earlier: EarlierRuns, shard: Shard?, runningRoots: [String: Int], keptRoots: Set<String>, plannedRoots: [String: ProducerIdentity]
    ) {
        self.plan = plan
        self.earlier = earlier
        self.shard = shard
        self.runningRoots = runningRoots
        self.keptRoots = keptRoots
        self.plannedRoots = plannedRoots
        expander = plan.makeExpander()
    }

    /// The task in slot `ordinal` of entry `ref`, expanded again (the last entry is kept:
    /// an entry's dependents come one after another).
    private mutating func task(_ ref: BatchPlan.EntryRef, _ ordinal: Int) -> MediaTask? {
        if lastEntry?.ref != ref { lastEntry = (ref, expander.expand(ref).tasks) }
        let tasks = lastEntry!.tasks
        return ordinal < tasks.count ? tasks[ordinal] : nil
    }

    /// How a producer that takes no other task's output stands.
    private mutating func rootState(_ id: String) -> ProducerState {
        if let known = states[id] { return known }
        let key: String, folder: String, isVideo: Bool
        if let planned = plannedRoots[id] {
            (key, folder, isVideo) = (planned.key, planned.folder, planned.isVideo)
        } else {
            guard let slot = plan.chains.slot(of: id), let task = task(slot.ref, slot.ordinal), task.id == id else {
                return .blocked(TaskFailure(.permanent, cause: .producer(taskID: id), message: "its producer \(id) is not in the batch any more; nothing was sent"))
            }
            (key, folder, isVideo) = (RunPlanner.identify(task).key, task.output.folder, task.isVideo)
        }
        rootKeys[id] = key
        anchors[id] = (runningRoots[id] ?? -1, 0)
        let state: ProducerState
        if let shard, !shard.contains(key: key) {
            state = .otherShard
        } else if runningRoots[id] != nil {
            state = .pending
        } else if keptRoots.contains(id) {
            state = .blocked(TaskFailure(.permanent, cause: .producer(taskID: id), message: "its producer \(id) was kept, not run (its output file is not mediabatch's own or changed since; --force replaces it); nothing was sent"))
        } else {
            state = journalState(id, key: key, folder: folder, isVideo: isVideo)
        }
        states[id] = state
        return state
    }

    /// A task not run now: done with its files intact, refused before, or neither.
    private func journalState(_ id: String, key: String, folder: String, isVideo: Bool) -> ProducerState {
        switch earlier.fate(folder: folder, key: key, isVideo: isVideo) {
        case .done: return .done(earlier.doneImages(folder: folder, key: key))
        case .refused: return .blocked(earlier.refusedProducer(id, folder: folder, key: key))
        case .poll, .uncertain, .fresh:
            return .blocked(TaskFailure(.permanent, cause: .producer(taskID: id), message: "its producer \(id) is not run and has no intact output; nothing was sent"))
        }
    }

    /// Plans every dependent, producers first. `decide` applies the planner's own checks to
    /// a dependent whose key is final (done, refused before, kept): it returns the task to
    /// run, or nil with the dependent's state for its own dependents. `visit` sees each
    /// dependent with its key, and `otherShard` counts those of other shards.
    mutating func plan(
        visit: ((MediaTask, String, TaskListing?) -> Void)?, otherShard: () -> Void,
        decide: (PlannedTask, _ final: Bool) -> (planned: PlannedTask?, state: ProducerStateChange)
    ) -> (outcomes: [Outcome], rootKeys: [String: String]) {
        var outcomes: [Outcome] = []
        var dependentRootKeys: [String: String] = [:]
        for dependent in plan.chains.dependents {
            guard let task = task(dependent.ref, dependent.ordinal), task.id == dependent.id else { continue }
            var links = ChainLinks(producers: dependent.references.map(\.producerID))
            var rootKey: String?
            var elsewhere: [String] = []
            var anchor = (root: -1, depth: 0)
            for reference in dependent.references {
                let id = reference.producerID
                let state = states[id] ?? rootState(id)
                if rootKey == nil { rootKey = rootKeys[id] }
                switch state {
                case .otherShard: elsewhere.append(id)
                case .pending:
                    if !links.waitsFor.contains(id) { links.waitsFor.append(id) }
                    let producer = anchors[id] ?? (-1, 0)
                    if producer.root > anchor.root || (producer.root == anchor.root && producer.depth + 1 > anchor.depth) {
                        anchor = (producer.root, producer.depth + 1)
                    }
                case .done(let images):
                    switch ReferenceResolution.resolve(reference, among: images) {
                    case .success(let file): links.resolved[reference.description] = file
                    case .failure(let failure): links.blocked = links.blocked ?? failure
                    }
                case .blocked(let failure):
                    links.blocked = links.blocked ?? (failure.cause == .producer(taskID: id) ? failure : ReferenceResolution.producerFailed(id, failure))
                }
            }
            rootKeys[dependent.id] = rootKey
            if let rootKey { dependentRootKeys[dependent.id] = rootKey }
            if let shard, let rootKey, !shard.contains(key: rootKey) {
                states[dependent.id] = .otherShard
                visit?(task, RunPlanner.identify(task).key, nil)
                otherShard()
                continue
            }
            if !elsewhere.isEmpty, links.blocked == nil {
                links.blocked = TaskFailure(
                    .permanent, cause: .producer(taskID: elsewhere[0]),
                    message: "its producer \(elsewhere[0]) belongs to another shard (a chain is sharded by its first producer's root); nothing was sent")
            }
            let final = links.waitsFor.isEmpty && links.blocked == nil
            let identity = RunPlanner.identify(task, resolved: final ? links.resolved : [:])
            visit?(task, identity.key, nil)
            var planned = PlannedTask(task, ordinal: dependent.ordinal, key: identity.key, stamps: identity.stamps)
            planned.chain = links
            let (toRun, change) = decide(planned, final)
            anchors[dependent.id] = anchor
            switch change {
            case .done(let key): states[dependent.id] = .done(earlier.doneImages(folder: task.output.folder, key: key))
            case .blocked(let failure): states[dependent.id] = .blocked(failure)
            case .runs: states[dependent.id] = links.blocked.map { .blocked($0) } ?? .pending
            }
            if let toRun { outcomes.append(Outcome(ref: dependent.ref, planned: toRun, anchor: anchor)) }
        }
        return (outcomes, dependentRootKeys)
    }

    /// What the planner's checks made of a dependent, for its own dependents.
    enum ProducerStateChange {
        case runs
        case done(key: String)
        case blocked(TaskFailure)
    }
}
