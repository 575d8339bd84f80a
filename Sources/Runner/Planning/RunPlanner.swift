import Dispatch
import Files
import Journal
import Manifest
import ManifestDiagnostics
import OpenRouter
import Support
import Tasks

/// Turns a loaded plan into a validated one (`RunSelection`) in one pass over its tasks:
/// validation, each task's key and input stamps, its shard, whether its journal shows it
/// done with its files intact, and whether a file it would overwrite is not mediabatch's own
/// or changed since (then it is kept, see `OutputGuard`), and whether it was refused before
/// (left alone unless `retryRefused`). The journals are read on other
/// threads meanwhile. Reads only: sends and writes nothing, so a bad manifest leaves no trace.
package struct RunPlanner {
    package let shard: Shard?
    package let force: Bool
    /// Count what the journals record as spent (for a budget over all runs).
    package var countSpent = false
    /// Send again tasks the journal shows refused.
    package var retryRefused = false
    /// Submit again video tasks whose earlier submit's answer was lost.
    package var resubmitUncertain = false
    /// Sees every task validation expands, in order, with its key and, when `describe` is
    /// set, its listing (`plan` lists them).
    package var visit: ((MediaTask, String, TaskListing?) -> Void)?
    /// How a listing shows a task: computed with its key, on the validation threads.
    package var describe: (@Sendable (MediaTask, String) -> TaskListing)?
    /// Hears what the run would do with each visited task, by its place in the visiting
    /// order (0, 1, ...): `plan` lists the states without matching keys itself.
    package var decided: ((Int, PlannedState) -> Void)?
    /// False for a listing that hears each task through `visit` and `decided` (`plan`,
    /// `status`): the selection then keeps only the dependents (their states are found in it
    /// afterwards), not a hundred thousand planned tasks nothing will run. (In a manifest
    /// that names producers, `"@id"`, each task's key is kept for the chains.)
    package var keepsTasks = true

    package init(shard: Shard?, force: Bool) {
        self.shard = shard
        self.force = force
    }

    package func select(_ plan: BatchPlan) throws(PreparationError) -> RunSelection {
        let folders = Set(plan.manifests.map(\.header.outputFolder)).sorted()
        let reading = readJournals(folders)
        // What earlier runs left, once the journals are read. Each task's fate is decided as
        // validation hands it over, so a task nothing will run is not held (a plan of a
        // hundred thousand rows keeps none of them, beyond those that may wait for the
        // journals, `mostWaiting` at most).
        var history: History?
        var historyError: PreparationError?
        // Tasks validated before the journals were read, in order, with their place in
        // `visit`'s order: decided as soon as the journals are there.
        var waiting: [(task: PlannedTask, entry: BatchPlan.EntryRef, visited: Int)] = []
        var entries: [PlannedEntry] = []
        var kept: [PlannedKept] = []
        var uncertain: [PlannedUncertain] = []
        var alreadyDone = 0
        var refusedBefore = 0
        var otherShards = 0
        var visited = 0
        var books = BookPlans()
        // The video keys this run plans, by folder: an open job of any other key is an
        // earlier version's (see `SupersededVideoJob`).
        var plannedKeys: [String: Set<String>] = [:]

        /// Reads the history when the journals are in (or waits for them, with `wait`).
        func historyIsKnown(wait: Bool) -> Bool {
            if history != nil || historyError != nil { return true }
            guard wait || reading.isDone else { return false }
            do throws(PreparationError) {
                let journals = try reading.journals()
                let videoJobs = try readVideoJobs(folders, journals: journals)
                let refused = retryRefused ? [:] : journals.mapValues { Set($0.index.refusedKeys) }
                history = History(
                    earlier: EarlierRuns(journals: journals, videoJobs: videoJobs, refused: refused, resubmitUncertain: resubmitUncertain),
                    outputs: OutputGuard(journals: journals))
            } catch {
                historyError = error
            }
            return true
        }
        // In a batch whose tasks may take others' outputs, what was decided of each task that
        // is not in `entries`: the chains' producers among them need not be expanded again.
        let mayChain = plan.manifests.contains(where: \.mayReferenceTasks)
        var decidedRoots: [String: ChainRoots.Decided] = [:]
        func decide(_ planned: PlannedTask, of entry: BatchPlan.EntryRef, visited index: Int) {
            guard history != nil else { return }  // the journals could not be read: the run stops
            let standing = standing(of: planned, history: &history!)
            // A task run by `run` is in `entries` already.
            if mayChain {
                var runs = false
                var isKept = false
                switch standing {
                case .runs: runs = true
                case .kept: isKept = true
                case .uncertain, .done, .refused: break
                }
                if !(runs && keepsTasks) { decidedRoots[planned.id] = .init(identity: ProducerIdentity(planned), runs: runs, kept: isKept) }
            }
            switch standing {
            case .runs(let task):
                decided?(index, task.videoJob != nil ? .polled : .run)
                if keepsTasks { entries.append(task, of: entry) }
            case .uncertain(let record):
                uncertain.append(PlannedUncertain(taskID: planned.id, folder: planned.folder, key: planned.key, since: record.since))
                decided?(index, .uncertain)
            case .done:
                alreadyDone += 1
                decided?(index, .done)
            case .refused:
                refusedBefore += 1
                decided?(index, .refused)
            case .kept(let files):
                kept.append(PlannedKept(task: planned, files: files))
                decided?(index, .kept)
            }
        }
        func decideWaiting() {
            for (task, entry, index) in waiting { decide(task, of: entry, visited: index) }
            waiting = []
        }

        do {
            let identify: @Sendable (MediaTask) -> TaskIdentity
            if let describe {
                identify = { task in
                    var identity = Self.identity(task)
                    identity.listing = describe(task, identity.key)
                    return identity
                }
            } else {
                identify = Self.identity
            }
            try plan.validate(identify: identify) { task, identity, entry, ordinal in
                // A task taking another's output is planned once every producer is known.
                if task.hasReferences { return }
                let (key, stamps) = identity.map { ($0.key, $0.inputStamps) } ?? Self.identify(task)
                visit?(task, key, identity?.listing)
                let index = visited
                visited += 1
                if case .speech(let speech) = task { books.add(speech, key: key) }
                if let shard, !shard.contains(key: key) {
                    otherShards += 1
                    decided?(index, .otherShard)
                    return
                }
                let planned = PlannedTask(task, ordinal: ordinal, key: key, stamps: stamps)
                if task.isVideo { plannedKeys[planned.folder, default: []].insert(key) }
                // Past `mostWaiting` tasks waiting, validation waits for the journals instead:
                // the tasks held stay bounded, whatever the batch.
                if historyIsKnown(wait: waiting.count >= Self.mostWaiting) {
                    if !waiting.isEmpty { decideWaiting() }
                    decide(planned, of: entry, visited: index)
                } else {
                    waiting.append((planned, entry, index))
                }
            }
        } catch {
            throw .manifest(error)
        }
        _ = historyIsKnown(wait: true)
        decideWaiting()
        if let historyError { throw historyError }
        var known = history!

        // Dependents whose key is known only once their producers ran: their jobs wait.
        var undecidedIDs: [String: Set<String>] = [:]
        var chainRootKeys: [String: String] = [:]
        if !plan.chains.isEmpty {
            // The chains' producers, and how each stands: those to run now are in `entries`
            // when the planner keeps tasks; else they are found again.
            let wanted = Set(plan.chains.dependents.flatMap { $0.references.map(\.producerID) })
            var roots = ChainRoots()
            if keepsTasks {
                for (index, entry) in entries.enumerated() {
                    for task in entry.tasks where wanted.contains(task.id) {
                        roots.running[task.id] = index
                        roots.planned[task.id] = ProducerIdentity(task)
                    }
                }
                roots.kept = Set(kept.map(\.task.id).filter(wanted.contains))
            }
            for id in wanted where roots.planned[id] == nil {
                guard let decided = decidedRoots[id] else { continue }
                roots.planned[id] = decided.identity
                if decided.runs { roots.running[id] = -1 }
                if decided.kept { roots.kept.insert(id) }
            }
            decidedRoots = [:]
            if !keepsTasks {
                // Producers not decided above (a manifest that names no producer in its text, a
                // reference coming from a rows column or a variable): found again.
                let missing = wanted.filter { roots.planned[$0] == nil }
                if !missing.isEmpty { producers(missing, of: plan, history: &known, into: &roots) }
            }
            chainRootKeys = planChains(
                plan, roots: roots, history: &known, entries: &entries, kept: &kept,
                uncertain: &uncertain, alreadyDone: &alreadyDone, refusedBefore: &refusedBefore, otherShards: &otherShards,
                plannedKeys: &plannedKeys, undecidedIDs: &undecidedIDs)
        }
        let journals = known.earlier.journals
        let videoJobs = known.earlier.videoJobs
        var superseded: [SupersededVideoJob] = []
        // Only this run's manifests' jobs: another manifest writing the same folder, not run
        // now, keeps its open jobs (to poll them itself, never to submit them again).
        let manifestsRun = Set(plan.manifests.map(\.header.absoluteFile))
        for folder in folders {
            for (key, record) in videoJobs[folder] ?? [:] where record.hasJob && plannedKeys[folder]?.contains(key) != true {
                if undecidedIDs[folder]?.contains(record.taskID) == true { continue }
                if let manifest = record.manifest, !manifestsRun.contains(manifest) { continue }
                superseded.append(SupersededVideoJob(folder: folder, key: key, record: record))
            }
        }
        superseded.sort { ($0.folder, $0.record.since ?? "", $0.key) < ($1.folder, $1.record.since ?? "", $1.key) }
        var roots: [String: String] = [:]
        for manifest in plan.manifests { roots[manifest.header.outputFolder] = manifest.header.outputRoot }
        var spentBefore = 0.0
        if countSpent {
            for folder in folders {
                do { spentBefore += try JournalIndex(path: Journal.path(folder: folder, shard: shard)).spent } catch { throw .file(error) }
            }
        }
        var selection = RunSelection(
            entries: entries, folders: folders, roots: roots, shard: shard, alreadyDone: alreadyDone, otherShards: otherShards,
            refusedBefore: refusedBefore, spentBefore: spentBefore, kept: kept, force: force)
        selection.refusedKeys = known.earlier.refused
        selection.chainRootKeys = chainRootKeys
        if entries.contains(where: { $0.tasks.contains { $0.chain?.waitsFor.isEmpty == false } }) {
            selection.chainJournals = journals
            selection.chainVideoJobs = videoJobs
        }
        selection.uncertain = uncertain
        selection.superseded = superseded
        selection.resubmitUncertain = resubmitUncertain
        selection.books = books.plans
        return selection
    }

    /// Tasks validated before the journals are read, at most, held until they are: about
    /// 20 MiB. Fewer would cost the rerun of a big batch its overlap (reading a 100,000-task
    /// journal and checking its files takes about as long as validating the batch: with
    /// 4,096, its rerun took 0.25 s more).
    static let mostWaiting = 1 << 16

    /// What earlier runs left, as the planner read it, and the files it looked at.
    private struct History {
        let earlier: EarlierRuns
        var outputs: OutputGuard
    }

    /// What a run does with a task whose key is final, from the journals and the files on
    /// disk: one decision for a task of the validation pass, a chain's producer found again
    /// and a dependent.
    private enum Standing {
        /// It runs (a video job an earlier run submitted is polled: `videoJob` says so).
        case runs(PlannedTask)
        case uncertain(VideoJobRecord)
        case done
        case refused
        /// Files not to overwrite are in its way.
        case kept([KeptFile])
    }

    private func standing(of planned: PlannedTask, history: inout History) -> Standing {
        var task = planned
        switch history.earlier.fate(folder: task.folder, key: task.key, isVideo: task.isVideo) {
        case .poll(let record):
            task.videoJob = record
            return .runs(task)
        case .uncertain(let record): return .uncertain(record)
        case .done: return .done
        case .refused: return .refused
        case .fresh:
            if let files = filesInTheWay(of: &task, outputs: &history.outputs) { return .kept(files) }
            return .runs(task)
        }
    }

    /// The producers of a batch's chains: those this run sends (with their place in the
    /// feed), as planned, and those kept so as not to overwrite a file.
    private struct ChainRoots {
        var running: [String: Int] = [:]
        var planned: [String: ProducerIdentity] = [:]
        var kept: Set<String> = []

        /// What the planner decided of a task, kept for a batch whose tasks may be producers.
        struct Decided {
            let identity: ProducerIdentity
            let runs: Bool
            let kept: Bool
        }

    }

    /// The chains' producers when the planner kept no task (`keepsTasks` false): each
    /// expanded again from its place and decided as it was in the validation pass (the same
    /// journals, the same files). Few: the tasks that other tasks name.
    private func producers(_ wanted: Set<String>, of plan: BatchPlan, history: inout History, into roots: inout ChainRoots) {
        var expander = plan.makeExpander()
        for id in wanted.sorted() {
            guard let slot = plan.chains.slot(of: id) else { continue }
            let tasks = expander.expand(slot.ref).tasks
            guard slot.ordinal < tasks.count, case let task = tasks[slot.ordinal], task.id == id, !task.hasReferences else { continue }
            let (key, stamps) = Self.identify(task)
            let planned = PlannedTask(task, ordinal: slot.ordinal, key: key, stamps: stamps)
            // Known to the chain planner whatever it stands as (it tells other shards itself).
            roots.planned[id] = ProducerIdentity(planned)
            if let shard, !shard.contains(key: key) { continue }
            switch standing(of: planned, history: &history) {
            case .runs: roots.running[id] = -1
            case .kept: roots.kept.insert(id)
            case .uncertain, .done, .refused: break
            }
        }
    }

    /// Plans the tasks that take other tasks' outputs (see `ChainPlanner`) and puts each
    /// one to run in the feed right after the last producer it waits for. Returns each
    /// dependent's chain root key (its shard's), by id.
    private func planChains(
        _ plan: BatchPlan, roots: ChainRoots, history: inout History, entries: inout [PlannedEntry], kept: inout [PlannedKept],
        uncertain: inout [PlannedUncertain], alreadyDone: inout Int, refusedBefore: inout Int, otherShards: inout Int,
        plannedKeys: inout [String: Set<String>], undecidedIDs: inout [String: Set<String>]
    ) -> [String: String] {
        let earlier = history.earlier
        var chains = ChainPlanner(
            plan: plan, earlier: earlier, shard: shard, runningRoots: roots.running, keptRoots: roots.kept, plannedRoots: roots.planned)
        var keptNow: [PlannedKept] = []
        var done = 0
        var refusedNow = 0
        var elsewhere = 0
        var keys = plannedKeys
        var undecided = undecidedIDs
        let keptMessage = { (id: String) in
            TaskFailure(.permanent, cause: .producer(taskID: id), message: "its producer \(id) was kept, not run; nothing was sent")
        }
        let (outcomes, rootKeys) = chains.plan(visit: visit, otherShard: { elsewhere += 1 }) { candidate, final in
            if candidate.isVideo {
                if final { keys[candidate.folder, default: []].insert(candidate.key) } else { undecided[candidate.folder, default: []].insert(candidate.id) }
            }
            if final {
                switch standing(of: candidate, history: &history) {
                case .runs(let task): return (task, .runs)
                case .uncertain(let record):
                    uncertain.append(PlannedUncertain(taskID: candidate.id, folder: candidate.folder, key: candidate.key, since: record.since))
                    return (nil, .blocked(TaskFailure(
                        .permanent, cause: .producer(taskID: candidate.id),
                        message: "its producer \(candidate.id) is a video submit of uncertain fate (--resubmit-uncertain); nothing was sent")))
                case .done:
                    done += 1
                    return (nil, .done(key: candidate.key))
                case .refused:
                    refusedNow += 1
                    return (nil, .blocked(earlier.refusedProducer(candidate.id, folder: candidate.folder, key: candidate.key)))
                case .kept(let files):
                    keptNow.append(PlannedKept(task: candidate, files: files))
                    return (nil, .blocked(keptMessage(candidate.id)))
                }
            }
            var task = candidate
            if let files = filesInTheWay(of: &task, outputs: &history.outputs) {
                keptNow.append(PlannedKept(task: task, files: files))
                return (nil, .blocked(keptMessage(task.id)))
            }
            return (task, .runs)
        }
        plannedKeys = keys
        undecidedIDs = undecided
        alreadyDone += done
        refusedBefore += refusedNow
        otherShards += elsewhere
        kept += keptNow
        // Each dependent right after the root entry it waits for (or first, when it waits for
        // none), producers before their dependents (depth), in plan order otherwise.
        let sorted = outcomes.enumerated().sorted { a, b in
            (a.element.anchor.root, a.element.anchor.depth, a.offset) < (b.element.anchor.root, b.element.anchor.depth, b.offset)
        }.map(\.element)
        var merged: [PlannedEntry] = []
        merged.reserveCapacity(entries.count + sorted.count)
        var next = 0
        func take(anchoredAt root: Int) {
            while next < sorted.count, sorted[next].anchor.root == root, let task = sorted[next].planned {
                merged.append(task, of: sorted[next].ref)
                next += 1
            }
        }
        take(anchoredAt: -1)
        for (index, entry) in entries.enumerated() {
            merged.append(entry)
            take(anchoredAt: index)
        }
        entries = merged
        return rootKeys
    }

    /// The files in the way of `task`, whose fate is to run (it is kept instead), or nil,
    /// `task` then knowing those it may replace; nothing is in the way with `--force`.
    private func filesInTheWay(of task: inout PlannedTask, outputs: inout OutputGuard) -> [KeptFile]? {
        guard !force else { return nil }
        let verdict = outputs.verdict(for: task)
        guard verdict.kept.isEmpty else { return verdict.kept }
        task.allowed = verdict.allowed
        return nil
    }

    /// A task's key and the stamps of its inputs, as they are on disk now.
    /// `identify` as a `TaskIdentity`, for validation to compute on its threads.
    @Sendable package static func identity(_ task: MediaTask) -> TaskIdentity {
        let (key, stamps) = identify(task)
        return TaskIdentity(key: key, inputStamps: stamps)
    }

    /// A task taking other tasks' outputs (`@id`) has its key from their files' hashes in
    /// `resolved`, or a provisional one (`pending` in their place) until they are known.
    package static func identify(_ task: MediaTask, resolved: [String: ResolvedReference] = [:]) -> (key: String, stamps: [String]) {
        let stamps = task.inputs.map(FileIO.stamp)
        guard task.isImage || task.isVideo else { return (RequestKey.of(task, referenceStamps: []), stamps) }
        if task.hasReferences {
            return (RequestKey.of(task, referenceStamps: task.keyStamps(stamp: FileIO.stamp, resolved: resolved)), stamps)
        }
        return (RequestKey.of(task, referenceStamps: downscaleMarked(task, stamps)), stamps)
    }

    /// With `downscaleInputs`, a reference file over its share of the limits is sent shrunk:
    /// other bytes than the file, so its stamp says so. Files sent as they are keep their
    /// stamp, and with it the key they had without the option (done tasks stay done).
    private static func downscaleMarked(_ task: MediaTask, _ stamps: [String]) -> [String] {
        guard case .image(let image) = task, image.downscaleInputs else { return stamps }
        let target = ImageFields.downscaleTarget(count: image.inputImages.filter { $0.hasPrefix("/") }.count)
        return stamps.map { stamp in
            // `path:size:mtime` (FileIO.stamp); the size is the second field from the end.
            let fields = stamp.split(separator: ":")
            guard fields.count >= 3, let size = Int(fields[fields.count - 2]), size > target else { return stamp }
            return stamp + " downscaled"
        }
    }

    /// Each folder's open video jobs (see `JournalIndex.videoJobs`), read even with `--force`:
    /// a job submitted is never submitted again.
    private func readVideoJobs(_ folders: [String], journals: [String: FolderJournal]) throws(PreparationError) -> [String: [String: VideoJobRecord]] {
        var jobs: [String: [String: VideoJobRecord]] = [:]
        for folder in folders {
            if let journal = journals[folder] {
                jobs[folder] = journal.index.videoJobs
                continue
            }
            let path = Journal.path(folder: folder, shard: shard)
            guard FileIO.exists(path) else { continue }
            do { jobs[folder] = try JournalIndex(path: path, outcomesOnly: true).videoJobs } catch { throw .file(error) }
        }
        return jobs
    }

    /// Starts reading each folder's journal (and checking the files of its done tasks) on
    /// other threads. Nothing is read with `force`.
    private func readJournals(_ folders: [String]) -> JournalReading {
        let reading = JournalReading()
        if !force {
            for folder in folders {
                let path = Journal.path(folder: folder, shard: shard)
                DispatchQueue.global().async(group: reading.group) {
                    let journal = Result { () throws(FileError) in
                        let index = try JournalIndex(path: path, outcomesOnly: true)
                        return FolderJournal(index: index, check: index.checkFiles(folder: folder))
                    }
                    reading.checked.withLock { $0[folder] = journal }
                }
            }
        }
        return reading
    }
}

/// The journals of a plan's folders, read on other threads while validation goes on.
private final class JournalReading: Sendable {
    let group = DispatchGroup()
    let checked = Locked<[String: Result<FolderJournal, FileError>]>([:])

    /// Every folder's journal is read (or failed to be).
    var isDone: Bool { group.wait(timeout: .now()) == .success }

    /// Each folder's journal with what its done tasks' files look like, once all are read.
    func journals() throws(PreparationError) -> [String: FolderJournal] {
        group.wait()
        var journals: [String: FolderJournal] = [:]
        for (folder, result) in checked.withLock({ $0 }) as [String: Result<FolderJournal, FileError>] {
            do throws(FileError) { journals[folder] = try result.get() } catch { throw .file(error) }
        }
        return journals
    }
}

/// What a run would do with a task it planned.
package enum PlannedState: String, Sendable {
    case run, done, kept, refused, otherShard = "other shard"
    /// A video job an earlier run submitted: the run polls it (nothing new is paid).
    case polled = "job running"
    /// A video submit of uncertain fate: left alone unless `--resubmit-uncertain`.
    case uncertain
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
