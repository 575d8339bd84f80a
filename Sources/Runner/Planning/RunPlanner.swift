import Dispatch
import Files
import Journal
import Manifest
import ManifestDiagnostics
import OpenRouter
import Support
import Tasks

/// Turns a loaded plan into a validated one (`RunSelection`) in one pass over its tasks:
/// validation, each task's key and input stamps, its shard, and whether its journal shows
/// it done with its files intact. The journals are read on other threads meanwhile. Reads
/// only: sends and writes nothing, so a bad manifest leaves no trace.
package struct RunPlanner {
    package let shard: Shard?
    package let force: Bool
    /// Count what the journals record as spent (for a budget over all runs).
    package var countSpent = false
    /// Send again tasks the journal shows refused.
    package var retryRefused = false

    package func select(_ plan: BatchPlan) throws(PreparationError) -> RunSelection {
        let folders = Set(plan.manifests.map(\.header.outputFolder)).sorted()
        let intactByFolder = readJournals(folders)

        var candidates: [(entry: BatchPlan.EntryRef, task: PlannedTask)] = []
        var otherShards = 0
        do {
            try plan.validate { task, entry, ordinal in
                let (key, stamps) = Self.identify(task)
                if let shard, !shard.contains(key: key) {
                    otherShards += 1
                    return false
                }
                candidates.append((entry, PlannedTask(ordinal: ordinal, id: task.id, origin: task.origin, folder: task.output.folder, key: key, stamps: stamps, isNarration: !task.isImage)))
                return true
            }
        } catch {
            throw .manifest(error)
        }
        let known = try intactByFolder()

        var entries: [PlannedEntry] = []
        var alreadyDone = 0
        var refusedBefore = 0
        for (ref, task) in candidates {
            switch known[task.folder]?[task.key] {
            case .intact?:
                alreadyDone += 1
                continue
            case .refused? where !retryRefused:
                refusedBefore += 1
                continue
            default: break
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
        return RunSelection(
            entries: entries, folders: folders, roots: roots, shard: shard, alreadyDone: alreadyDone, otherShards: otherShards,
            refusedBefore: refusedBefore, spentBefore: spentBefore)
    }

    /// A task's key and the stamps of its inputs, as they are on disk now.
    package static func identify(_ task: MediaTask) -> (key: String, stamps: [String]) {
        let stamps = task.inputs.map(FileIO.stamp)
        return (RequestKey.of(task, referenceStamps: task.isImage ? stamps : []), stamps)
    }

    /// What the journal says of a task that needs no run.
    enum Known { case intact, refused }

    /// Starts reading each folder's journal (and checking the files of its done tasks) on
    /// another thread; the returned function waits for them and gives, per folder, the
    /// tasks done with their files intact and the tasks refused. Nothing is read with `force`.
    private func readJournals(_ folders: [String]) -> () throws(PreparationError) -> [String: [String: Known]] {
        let checked = Locked<[String: Result<[String: Known], FileError>]>([:])
        let reading = DispatchGroup()
        if !force {
            for folder in folders {
                let path = Journal.path(folder: folder, shard: shard)
                DispatchQueue.global().async(group: reading) {
                    let keys = Result { () throws(FileError) -> [String: Known] in
                        let index = try JournalIndex(path: path, outcomesOnly: true)
                        var known: [String: Known] = [:]
                        for key in index.refusedKeys { known[key] = .refused }
                        for key in index.intactKeys(folder: folder) { known[key] = .intact }
                        return known
                    }
                    checked.withLock { $0[folder] = keys }
                }
            }
        }
        return { () throws(PreparationError) in
            reading.wait()
            var intact: [String: [String: Known]] = [:]
            for (folder, result) in checked.withLock({ $0 }) as [String: Result<[String: Known], FileError>] {
                do throws(FileError) { intact[folder] = try result.get() } catch { throw .file(error) }
            }
            return intact
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
