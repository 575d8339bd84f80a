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
        let scope = file == nil ? due : nil
        // The columns each file names (from the rows sources), then the lines, written as
        // the tasks come: no task is held.
        let columns = plan.rowColumnNames(in: scope)
        let allColumns = folders.flatMap { columns[$0] ?? [] }.uniqued()
        var indexes: [String: JournalIndex] = [:]
        for folder in Set(file == nil ? Array(due) : folders) {
            indexes[folder] = try JournalIndex(path: Journal.path(folder: folder, shard: shard))
        }
        let statuses = ResultsCSV.Statuses(indexes: indexes)
        var outputs: [String: StreamedCSV] = [:]
        for folder in due.sorted() {
            try FileIO.makeDirectories(folder + "/.mediabatch")
            outputs[folder] = try StreamedCSV(path: path(folder: folder, shard: shard), columns: columns[folder] ?? [])
        }
        let whole = try file.map { file throws(FileError) in try StreamedCSV(path: file, columns: allColumns) }
        var failure: FileError?
        plan.forEachTaskWithColumns(in: scope) { task, row in
            guard failure == nil else { return }
            let result = ResultsCSV.Task(id: task.id, folder: task.output.folder, columns: row)
            do throws(FileError) {
                try outputs[task.output.folder]?.add(result, statuses)
                try whole?.add(result, statuses)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        // Folders due that hold no task of the manifests now get a file with its header.
        for folder in due.sorted() { try outputs[folder]?.commit() }
        try whole?.commit()
    }

    /// One results file being written: its header, then a line per task, staged and named
    /// at the end (a file is whole or the last one stays).
    private final class StreamedCSV {
        private let staged: StagedFile
        private let columns: [String]
        private var pending: [UInt8] = []

        init(path: String, columns: [String]) throws(FileError) {
            staged = try StagedFile(streamingFor: path)
            self.columns = columns
            ResultsCSV.header(columns, into: &pending)
        }

        func add(_ task: ResultsCSV.Task, _ statuses: ResultsCSV.Statuses) throws(FileError) {
            statuses.line(for: task, columnNames: columns, into: &pending)
            if pending.count >= 1 << 16 { try flush() }
        }

        func commit() throws(FileError) {
            try flush()
            try staged.sync()
            try staged.commit()
        }

        private func flush() throws(FileError) {
            try staged.append(pending)
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// A shard's results sit beside the others' (each shard knows its own journal only).
    static func path(folder: String, shard: Shard?) -> String {
        guard let shard else { return ResultsCSV.path(folder: folder) }
        return folder + "/.mediabatch/results.shard-\(shard.index)-of-\(shard.count).csv"
    }
}
