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
    /// Sees every task validation expands, in order, with its key (`plan` describes them).
    package var visit: ((MediaTask, String) -> Void)?

    package init(shard: Shard?, force: Bool) {
        self.shard = shard
        self.force = force
    }

    package func select(_ plan: BatchPlan) throws(PreparationError) -> RunSelection {
        let folders = Set(plan.manifests.map(\.header.outputFolder)).sorted()
        let intactByFolder = readJournals(folders)

        var candidates: [(entry: BatchPlan.EntryRef, task: PlannedTask)] = []
        var otherShards = 0
        var books = BookPlans()
        do {
            try plan.validate(identify: Self.identity) { task, identity, entry, ordinal in
                let (key, stamps) = identity.map { ($0.key, $0.inputStamps) } ?? Self.identify(task)
                visit?(task, key)
                if case .speech(let speech) = task { books.add(speech, key: key) }
                if let shard, !shard.contains(key: key) {
                    otherShards += 1
                    return false
                }
                candidates.append((entry, PlannedTask(
                    ordinal: ordinal, id: task.id, origin: task.origin, folder: task.output.folder, key: key, stamps: stamps,
                    isNarration: !task.isImage, outputs: ExpectedOutputs(task))))
                return true
            }
        } catch {
            throw .manifest(error)
        }
        let journals = try intactByFolder()

        var entries: [PlannedEntry] = []
        var kept: [PlannedKept] = []
        var alreadyDone = 0
        var refusedBefore = 0
        let refused = retryRefused ? [:] : journals.mapValues { Set($0.index.refusedKeys) }
        var outputs = OutputGuard(journals: journals)
        for (ref, candidate) in candidates {
            if journals[candidate.folder]?.check.intact.contains(candidate.key) == true {
                alreadyDone += 1
                continue
            }
            if refused[candidate.folder]?.contains(candidate.key) == true {
                refusedBefore += 1
                continue
            }
            var task = candidate
            if !force {
                let verdict = outputs.verdict(for: task)
                guard verdict.kept.isEmpty else {
                    kept.append(PlannedKept(task: task, files: verdict.kept))
                    continue
                }
                task.allowed = verdict.allowed
            }
            if entries.last?.ref == ref { entries[entries.count - 1].tasks.append(task) } else { entries.append(PlannedEntry(ref: ref, tasks: [task])) }
        }
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
        selection.refusedKeys = refused
        selection.books = books.plans
        return selection
    }

    /// A task's key and the stamps of its inputs, as they are on disk now.
    /// `identify` as a `TaskIdentity`, for validation to compute on its threads.
    @Sendable package static func identity(_ task: MediaTask) -> TaskIdentity {
        let (key, stamps) = identify(task)
        return TaskIdentity(key: key, inputStamps: stamps)
    }

    package static func identify(_ task: MediaTask) -> (key: String, stamps: [String]) {
        let stamps = task.inputs.map(FileIO.stamp)
        return (RequestKey.of(task, referenceStamps: task.isImage ? stamps : []), stamps)
    }

    /// Starts reading each folder's journal (and checking the files of its done tasks) on
    /// another thread; the returned function waits for them and gives each folder's journal
    /// with what its done tasks' files look like. Nothing is read with `force`.
    private func readJournals(_ folders: [String]) -> () throws(PreparationError) -> [String: FolderJournal] {
        let checked = Locked<[String: Result<FolderJournal, FileError>]>([:])
        let reading = DispatchGroup()
        if !force {
            for folder in folders {
                let path = Journal.path(folder: folder, shard: shard)
                DispatchQueue.global().async(group: reading) {
                    let journal = Result { () throws(FileError) in
                        let index = try JournalIndex(path: path, outcomesOnly: true)
                        return FolderJournal(index: index, check: index.checkFiles(folder: folder))
                    }
                    checked.withLock { $0[folder] = journal }
                }
            }
        }
        return { () throws(PreparationError) in
            reading.wait()
            var journals: [String: FolderJournal] = [:]
            for (folder, result) in checked.withLock({ $0 }) as [String: Result<FolderJournal, FileError>] {
                do throws(FileError) { journals[folder] = try result.get() } catch { throw .file(error) }
            }
            return journals
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
