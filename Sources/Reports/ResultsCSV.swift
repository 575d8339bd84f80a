import Files
import Journal
import Support

/// `results.csv`: one line per task of the manifests (not only the tasks a run sent), so a
/// spreadsheet can be joined back: the task's id, its row's columns, its files, its status
/// (`done`, `failed`, `refused`, `kept`, `pending`, `uncertain`), its cost in dollars and its error. The
/// status is the journal's last word on the task's id.
public enum ResultsCSV {
    /// A task as the results list it.
    public struct Task: Sendable {
        public let id: String
        public let folder: String
        /// The row's columns in order (none for a task without rows).
        public let columns: [(name: String, value: String)]

        public init(id: String, folder: String, columns: [(name: String, value: String)]) {
            self.id = id
            self.folder = folder
            self.columns = columns
        }
    }

    /// Where a folder's results are kept.
    public static func path(folder: String) -> String { folder + "/.mediabatch/results.csv" }

    /// The CSV text of `tasks`, their statuses from `indexes` (each folder's journal index).
    public static func text(_ tasks: [Task], indexes: [String: JournalIndex]) -> [UInt8] {
        let columnNames = tasks.lazy.flatMap { $0.columns.lazy.map(\.name) }.uniqued()
        let statuses = Statuses(indexes: indexes)
        var out = [UInt8]()
        out.reserveCapacity(tasks.count * 64)
        header(columnNames, into: &out)
        for task in tasks { statuses.line(for: task, columnNames: columnNames, into: &out) }
        return out
    }

    /// The first line: the id, the row's columns, then what became of the task.
    public static func header(_ columnNames: [String], into out: inout [UInt8]) {
        line(["id"] + columnNames + ["files", "status", "cost", "error"], into: &out)
    }

    /// What each task's journal says, by folder and task id: a task's line is made from it
    /// as the task comes (a results file of a hundred thousand rows is written as it goes).
    public struct Statuses {
        private let indexes: [String: JournalIndex]
        /// By folder and task id: the journal keys of the task's last outcome and of its last
        /// `kept` record (keys, not copies of the records: a hundred thousand of those add up).
        private var byID: [String: [String: (entry: String?, kept: String?)]] = [:]
        private var videos: [String: [String: VideoJobRecord]] = [:]

        public init(indexes: [String: JournalIndex]) {
            self.indexes = indexes
            for (folder, index) in indexes {
                for record in index.videoJobs.values {
                    // Two open jobs of one id (an earlier version's, and the task's own): the later.
                    if let other = videos[folder]?[record.taskID], (other.since ?? "") > (record.since ?? "") { continue }
                    videos[folder, default: [:]][record.taskID] = record
                }
                var latest: [String: (entry: String?, kept: String?)] = [:]
                latest.reserveCapacity(index.order.count)
                for key in index.order {
                    if let entry = index.entries[key] { latest[entry.taskID] = (key, nil) }
                    if let kept = index.kept[key] { latest[kept.taskID] = (latest[kept.taskID]?.entry, key) }
                }
                byID[folder] = latest
            }
        }

        /// `task`'s line: its columns under `columnNames`, its files, status, cost and error.
        public func line(for task: Task, columnNames: [String], into out: inout [UInt8]) {
            let values = Dictionary(task.columns.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
            let keys = byID[task.folder]?[task.id]
            let index = indexes[task.folder]
            let entry = keys?.entry.flatMap { index?.entries[$0] }
            var (files, status, cost, error) = describe(entry, kept: keys?.kept.flatMap { index?.kept[$0] })
            // An open job older than the task's last outcome is an earlier version's: the
            // outcome stands (the run collects that job into superseded/).
            if let video = videos[task.folder]?[task.id], !((entry?.time ?? "") > (video.since ?? "")) {
                // A video job submitted and not collected yet, or a submit of uncertain fate.
                (files, cost) = ("", "")
                status = video.hasJob ? "pending" : "uncertain"
                let since = video.since.map { " since \($0)" } ?? ""
                error = video.hasJob ? "video job \(video.jobID ?? "") running\(since)" : "submit's answer lost\(since)"
            }
            ResultsCSV.line([task.id] + columnNames.map { values[$0] ?? "" } + [files, status, cost, error], into: &out)
        }
    }

    private static func describe(_ entry: JournalEntry?, kept: KeptRecord?) -> (String, String, String, String) {
        if let kept { return (kept.files.map(\.path).joined(separator: " "), "kept", "", "") }
        guard let entry else { return ("", "pending", "", "") }
        let cost = entry.cost.map(plainDecimal) ?? ""
        switch entry.state {
        case .done:
            // The media files, not their `<file>.json` sidecars.
            let paths = entry.files.map(\.path)
            let media = paths.filter { !($0.hasSuffix(".json") && paths.contains(String($0.dropLast(5)))) }
            return (media.joined(separator: " "), "done", cost, "")
        case .failed: return ("", entry.kind == "refused" ? "refused" : "failed", cost, entry.message ?? "")
        case .started: return ("", "pending", "", "")
        }
    }

    /// Dollars as every spreadsheet reads them: plain decimals, to the 1e-10 the journal
    /// keeps (`0.000048`, never Swift's `4.8e-05`).
    package static func plainDecimal(_ dollars: Double) -> String {
        guard dollars.isFinite, abs(dollars) < 1e9 else { return String(dollars) }
        let units = Int64((abs(dollars) * 1e10).rounded())
        var fraction = String(units % 10_000_000_000)
        fraction = String(repeating: "0", count: 10 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        let whole = (dollars < 0 && units > 0 ? "-" : "") + String(units / 10_000_000_000)
        return fraction.isEmpty ? whole : whole + "." + fraction
    }

    /// One RFC 4180 line: a field holding a comma, quote or line break is quoted.
    static func line(_ fields: [String], into out: inout [UInt8]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            let bytes = Array(field.utf8)
            if bytes.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) {
                out.append(UInt8(ascii: "\""))
                for byte in bytes {
                    if byte == UInt8(ascii: "\"") { out.append(byte) }
                    out.append(byte)
                }
                out.append(UInt8(ascii: "\""))
            } else {
                out += bytes
            }
        }
        out += [0x0D, 0x0A]
    }
}
