import Files
import JSON
import Journal
import Support

/// The record of one run that people and scripts read afterwards: written to
/// `<output folder>/.mediabatch/report.json` for every folder the run touched, and printed
/// by `run --json`.
public enum RunReport {
    /// The whole run as JSON, encoded into `sink` a piece at a time: the totals and the
    /// models first, then every task that ran (all, or one folder's), each encoded on its own,
    /// so that a hundred thousand tasks never make one tree (their report was 0.9 GB of
    /// trees at its peak). The bytes are those of one compact document.
    public static func encode(_ summary: RunSummary, folder: String? = nil, into sink: ([UInt8]) throws(FileError) -> Void) throws(FileError) {
        var head = JSONEncoding.encodeForReading(.object(head(summary, folder: folder)))
        head.removeLast()  // the closing brace: the tasks follow
        head += Array(#","tasks":["#.utf8)
        try sink(head)
        var first = true
        var pending: [UInt8] = []
        var failure: FileError?
        eachTask(summary, folder: folder) { task in
            guard failure == nil else { return }
            if !first { pending.append(UInt8(ascii: ",")) }
            first = false
            pending += JSONEncoding.encodeForReading(.object(task))
            if pending.count >= 1 << 16 {
                do throws(FileError) { try sink(pending) } catch { failure = error }
                pending.removeAll(keepingCapacity: true)
            }
        }
        if let failure { throw failure }
        try sink(pending + Array("]}".utf8))
    }

    /// Everything but the tasks: when the run finished, its totals, its spend per model.
    private static func head(_ summary: RunSummary, folder: String?) -> JSONObject {
        let outcomes = summary.outcomes.filter { folder == nil || $0.folder == folder }
        var totals: JSONObject = [
            "done": .int(Int64(outcomes.filter(\.isDone).count)),
            "failed": .int(Int64(outcomes.filter { !$0.isDone }.count)),
        ]
        if folder == nil {
            totals["alreadyDone"] = .int(Int64(summary.alreadyDone))
            totals["otherShards"] = .int(Int64(summary.otherShards))
            totals["notRun"] = .int(Int64(summary.notRun))
        }
        var files = 0
        for outcome in outcomes {
            guard case .done(let written, _, _) = outcome.result else { continue }
            files += written.count
        }
        totals["pending"] = .int(Int64(summary.pendingVideos.filter { folder == nil || $0.folder == folder }.count))
        totals["kept"] = .int(Int64(summary.kept.filter { folder == nil || $0.folder == folder }.count))
        totals["files"] = .int(Int64(files))
        // The one spent figure: done tasks and every failed attempt that was paid for.
        let spent = folder.map { summary.spent(folder: $0) } ?? summary.cost
        totals["cost"] = .double(money(spent))
        totals["billedAttempts"] = .int(Int64(summary.billedAttempts))
        var report: JSONObject = ["finished": .string(UTCTime.now()), "seconds": .double((summary.seconds * 1000).rounded() / 1000)]
        if let stop = summary.stop { report["stopped"] = .string(describe(stop)) }
        report["totals"] = .object(totals)
        if !summary.models.isEmpty {
            // Estimate beside spend per model: how far `plan` can be trusted.
            var models = JSONObject()
            for (model, spend) in summary.models.sorted(by: { $0.key < $1.key }) {
                models[model] = ["estimated": spend.estimated.map { .double(($0 * 1_000_000).rounded() / 1_000_000) } ?? .null,
                                 "spent": .double((spend.spent * 1_000_000).rounded() / 1_000_000)]
            }
            report["models"] = .object(models)
        }
        return report
    }

    /// Each task of the report in order: those that ran, video jobs still open, earlier
    /// versions' jobs, tasks kept.
    private static func eachTask(_ summary: RunSummary, folder: String?, _ visit: (JSONObject) -> Void) {
        for outcome in summary.outcomes where folder == nil || outcome.folder == folder { visit(task(outcome)) }
        for video in summary.pendingVideos where folder == nil || video.folder == folder {
            var task: JSONObject = ["id": .string(video.taskID), "status": .string(video.isUncertain ? "uncertain" : "pending")]
            if let job = video.jobID { task["job"] = .string(job) }
            task["jobStatus"] = .string(video.status)
            if let since = video.since { task["since"] = .string(since) }
            visit(task)
        }
        // Earlier versions' jobs: collected into superseded/, failed, or still running.
        for old in summary.supersededVideos where folder == nil || old.folder == folder {
            var task: JSONObject = ["id": .string(old.taskID), "status": "superseded", "job": .string(old.jobID), "jobStatus": .string(old.status)]
            if !old.files.isEmpty { task["files"] = .array(old.files.map(JSON.string)) }
            if let cost = old.cost { task["cost"] = .double(money(cost)) }
            if let message = old.message { task["message"] = .string(message) }
            if let since = old.since { task["since"] = .string(since) }
            visit(task)
        }
        for task in summary.kept where folder == nil || task.folder == folder {
            visit([
                "id": .string(task.taskID), "manifest": .string(task.origin.description), "status": "kept",
                "files": .array(task.files.map { .object(["path": .string(FileIO.relative($0.path, to: task.folder)), "reason": .string($0.reason.rawValue)]) }),
            ])
        }
    }

    /// One task that ran: done with its files (and what came back), or failed with why.
    private static func task(_ outcome: TaskOutcome) -> JSONObject {
        var task: JSONObject = ["id": .string(outcome.taskID), "manifest": .string(outcome.origin.description)]
        task["attempts"] = .int(Int64(outcome.attempts))
        task["seconds"] = .double((outcome.seconds * 1000).rounded() / 1000)
        switch outcome.result {
        case .done(let written, let taskCost, let generationID):
            task["status"] = "done"
            task["files"] = .array(written.map { file in
                .object(["path": .string(FileIO.relative(file.path, to: outcome.folder)), "size": .int(Int64(file.size)), "sha256": .string(file.sha256)])
            })
            if let taskCost { task["cost"] = .double(money(taskCost)) }
            if let generationID { task["generation"] = .string(generationID) }
            if !outcome.returned.isEmpty {
                // What came back, beside what was asked: never a dropped setting hidden.
                task["returned"] = .array(outcome.returned.map { image in
                    var returned: JSONObject = [
                        "path": .string(FileIO.relative(image.path, to: outcome.folder)), "width": .int(Int64(image.width)),
                        "height": .int(Int64(image.height)), "format": .string(image.format),
                    ]
                    if let mismatch = image.mismatch { returned["sizeMismatch"] = .string(mismatch) }
                    return .object(returned)
                })
                let mismatches = outcome.returned.compactMap(\.mismatch)
                if let first = mismatches.first { task["sizeMismatch"] = .string(first) }
            }
        case .failed(let failure):
            task["status"] = failure.kind == .refused ? "refused" : "failed"
            var error: JSONObject = ["kind": .string(failure.kind.rawValue), "message": .string(failure.message)]
            if let status = failure.status { error["status"] = .int(Int64(status)) }
            for (key, value) in failure.details.sorted(by: { $0.key < $1.key }) { error[key] = .string(value) }
            task["error"] = .object(error)
        }
        return task
    }

    /// Writes each touched folder's report atomically (streamed into its staged file);
    /// returns the paths written.
    @discardableResult
    public static func write(_ summary: RunSummary, folders: [String]) throws(FileError) -> [String] {
        var written: [String] = []
        for folder in folders {
            let path = folder + "/.mediabatch/report.json"
            let staged = try StagedFile(streamingFor: path)
            // A failure leaves the staged file uncommitted: its deinit removes it.
            try encode(summary, folder: folder, into: staged.append)
            try staged.append([UInt8(ascii: "\n")])
            try staged.sync()
            try staged.commit()
            written.append(path)
        }
        return written
    }

    /// Dollars rounded to 1e-10, so that sums carry no binary noise.
    package static func money(_ dollars: Double) -> Double { (dollars * 1e10).rounded() / 1e10 }

    package static func describe(_ stop: RunStop) -> String {
        switch stop {
        case .unauthorized(let message): return "unauthorized: \(message)"
        case .paymentRequired(let message): return "payment required: \(message)"
        case .budgetReached(let spent): return "budget reached at \(spent) USD"
        case .keyLimit(let message): return "key limit: \(message)"
        case .interrupted: return "interrupted"
        case .cannotWrite(_, let message): return message
        case .unreachable(let baseURL, _, let message): return "cannot reach \(baseURL): \(message)"
        case .notFound(let baseURL, _, let message): return "every answer from \(baseURL) was 404: \(message)"
        }
    }

}
