import Foundation
import MediaBatch

/// Turns run events into terminal lines: one line per finished task (or nothing with
/// `--quiet`, failures aside), and the closing summary.
final class ProgressReporter: Sendable {
    let quiet: Bool

    init(quiet: Bool) { self.quiet = quiet }

    var handle: @Sendable (RunEvent) -> Void {
        { [quiet] event in
            switch event {
            case .finished(let outcome):
                switch outcome.result {
                case .done(let files, let cost, _):
                    if !quiet {
                        let names = files.map { FileIO.relativeDisplay($0.path) }.joined(separator: ", ")
                        Terminal.standardError("done \(outcome.taskID) → \(names)\(cost.map { " (\(Terminal.dollars($0)))" } ?? "")")
                    }
                case .failed(let failure):
                    Terminal.standardError("FAILED \(outcome.taskID) (\(outcome.origin.description)) after \(outcome.attempts) attempt\(outcome.attempts == 1 ? "" : "s"): \(failure)")
                }
            case .retrying(let id, let attempt, let failure, let delay):
                if !quiet { Terminal.standardError(String(format: "retry %@ (attempt %d failed: %@) in %.1fs", id, attempt, failure.description, delay)) }
            case .stopping(let reason):
                Terminal.standardError("stopping: \(reason)")
            case .journalError(let message):
                Terminal.standardError("journal: \(message)")
            }
        }
    }

    func finish(_ summary: RunSummary) {
        guard !quiet || !summary.allSucceeded else { return }
        var line = "\(summary.done) done, \(summary.failed) failed"
        if summary.alreadyDone > 0 { line += ", \(summary.alreadyDone) already done" }
        if summary.otherShards > 0 { line += ", \(summary.otherShards) in other shards" }
        if summary.notRun > 0 { line += ", \(summary.notRun) not run" }
        line += ", \(summary.files.count) file\(summary.files.count == 1 ? "" : "s") written, cost \(Terminal.dollars(summary.cost))"
        line += String(format: ", %.1fs", summary.seconds)
        Terminal.standardError(line)
    }
}
