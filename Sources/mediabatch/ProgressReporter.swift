
import Files
import Foundation
import Reports
import Runner
import Support

/// Turns run events into terminal output. On a terminal: one live line (done, failed,
/// rate, ETA, spend) redrawn in place, failures above it. Otherwise: one plain line per
/// finished task, never an escape code. `--quiet` keeps only failures and the closing
/// summary of a run that did not fully succeed.
final class ProgressReporter: Sendable {
    let quiet: Bool
    let live: Bool
    private struct State {
        var expected = 0
        var done = 0
        var failed = 0
        var inFlight = 0
        var cost = 0.0
        var started = ProcessInfo.processInfo.systemUptime
        var lastDraw = 0.0
    }
    private let state = Locked(State())

    init(quiet: Bool, live: Bool) {
        self.quiet = quiet
        self.live = live && !quiet
    }

    /// How many tasks this run will try (for the ETA).
    func begin(expected: Int) {
        state.withLock {
            $0.expected = expected
            $0.started = ProcessInfo.processInfo.systemUptime
        }
    }

    var handle: @Sendable (RunEvent) -> Void {
        { [self] event in
            switch event {
            case .sending:
                state.withLock { $0.inFlight += 1 }
                redraw()
            case .answered:
                state.withLock { $0.inFlight -= 1 }
            case .finished(let outcome):
                switch outcome.result {
                case .done(let files, let cost, _):
                    state.withLock {
                        $0.done += 1
                        $0.cost += cost ?? 0
                    }
                    if !quiet && !live {
                        let names = files.filter { !$0.path.hasSuffix(".json") }.map { FileIO.relativeDisplay($0.path) }.joined(separator: ", ")
                        Terminal.standardError("done \(outcome.taskID) → \(names)\(cost.map { " (\(Terminal.dollars($0)))" } ?? "")")
                    }
                case .failed(let failure):
                    state.withLock { $0.failed += 1 }
                    print("FAILED \(outcome.taskID) (\(outcome.origin.description)) after \(outcome.attempts) attempt\(outcome.attempts == 1 ? "" : "s"): \(failure)")
                }
                redraw()
            case .retrying(let id, let attempt, let failure, let delay):
                if !quiet && !live { Terminal.standardError(String(format: "retry %@ (attempt %d failed: %@) in %.1fs", id, attempt, failure.description, delay)) }
            case .stopping(let reason):
                print("stopping: \(reason)")
            case .journalError(let message):
                print("journal: \(message)")
            }
        }
    }

    /// A full line on stderr; on a terminal the live line is cleared first and redrawn after.
    private func print(_ line: String) {
        if live {
            Terminal.standardErrorRaw("\r\u{1B}[K" + line + "\n")
            redraw(force: true)
        } else {
            Terminal.standardError(line)
        }
    }

    private func redraw(force: Bool = false) {
        guard live else { return }
        let line: String? = state.withLock { state in
            let now = ProcessInfo.processInfo.systemUptime
            guard force || now - state.lastDraw >= 0.1 || state.done + state.failed == state.expected else { return nil }
            state.lastDraw = now
            let finished = state.done + state.failed
            let elapsed = max(now - state.started, 0.001)
            let rate = Double(finished) / elapsed
            var text = "\(finished)/\(state.expected) · \(state.done) done"
            if state.failed > 0 { text += " · \(state.failed) failed" }
            text += " · \(state.inFlight) in flight"
            text += String(format: " · %.1f/s", rate)
            if rate > 0, state.expected > finished {
                let left = Int(Double(state.expected - finished) / rate)
                text += String(format: " · ETA %d:%02d", left / 60, left % 60)
            }
            text += " · \(Terminal.dollars(state.cost))"
            return text
        }
        if let line { Terminal.standardErrorRaw("\r\u{1B}[K" + line) }
    }

    /// The closing summary: a total line and, for several output folders, a small table.
    func finish(_ summary: RunSummary) {
        if live { Terminal.standardErrorRaw("\r\u{1B}[K") }
        guard !quiet || !summary.allSucceeded else { return }
        let folders = Dictionary(grouping: summary.outcomes, by: \.folder)
        if folders.count > 1 {
            Terminal.standardError(String(format: "%-40@ %6@ %6@ %10@", "output folder" as NSString, "done" as NSString, "failed" as NSString, "cost" as NSString))
            for folder in folders.keys.sorted() {
                let outcomes = folders[folder]!
                let cost = outcomes.reduce(0.0) { total, outcome in
                    if case .done(_, let cost, _) = outcome.result { return total + (cost ?? 0) }
                    return total
                }
                let name = FileIO.relativeDisplay(folder)
                Terminal.standardError(String(format: "%-40@ %6d %6d %10@", String(name.suffix(40)) as NSString,
                                              outcomes.filter(\.isDone).count, outcomes.filter { !$0.isDone }.count, Terminal.dollars(cost) as NSString))
            }
        }
        var line = "\(summary.done) done, \(summary.failed) failed"
        if summary.alreadyDone > 0 { line += ", \(summary.alreadyDone) already done" }
        if summary.otherShards > 0 { line += ", \(summary.otherShards) in other shards" }
        if summary.notRun > 0 { line += ", \(summary.notRun) not run" }
        line += ", \(summary.files.count) file\(summary.files.count == 1 ? "" : "s") written, cost \(Terminal.dollars(summary.cost))"
        line += String(format: ", %.1fs", summary.seconds)
        Terminal.standardError(line)
    }
}
