import Files
import Journal
import Manifest
import Reports
import Tasks

/// Writes `.mediabatch/results.csv` in each output folder at the end of a run (and, with
/// `--results FILE`, every task of the run's manifests into FILE): folders the run touched,
/// or that have none yet, so a rerun with nothing to do stays cheap.
package enum ResultsFile {
    package static func write(_ plan: BatchPlan, folders: [String], touched: Set<String>, shard: Shard?, to file: String?) throws(FileError) {
        let due = Set(folders.filter { touched.contains($0) || !FileIO.exists(path(folder: $0, shard: shard)) })
        guard !due.isEmpty || file != nil else { return }
        var tasks: [ResultsCSV.Task] = []
        plan.forEachTaskWithColumns(in: file == nil ? due : nil) { task, columns in
            tasks.append(ResultsCSV.Task(id: task.id, folder: task.output.folder, columns: columns))
        }
        var indexes: [String: JournalIndex] = [:]
        for folder in Set(tasks.map(\.folder)) { indexes[folder] = try JournalIndex(path: Journal.path(folder: folder, shard: shard)) }
        for folder in due.sorted() {
            try FileIO.makeDirectories(folder + "/.mediabatch")
            try FileIO.writeAtomically(ResultsCSV.text(tasks.filter { $0.folder == folder }, indexes: indexes), to: path(folder: folder, shard: shard))
        }
        if let file { try FileIO.writeAtomically(ResultsCSV.text(tasks, indexes: indexes), to: file) }
    }

    /// A shard's results sit beside the others' (each shard knows its own journal only).
    static func path(folder: String, shard: Shard?) -> String {
        guard let shard else { return ResultsCSV.path(folder: folder) }
        return folder + "/.mediabatch/results.shard-\(shard.index)-of-\(shard.count).csv"
    }
}
