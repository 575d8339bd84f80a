
import Dispatch
import Files
import Foundation
import Reports
import Runner
import Support

/// Turns run events into terminal output. On a terminal: one live line (finished of total,
/// done, failed, refused, in flight, rate, ETA, spend, elapsed, the chunks of the narrations
/// in flight) redrawn in place at least once a second by a timer, not only on events, with
/// failures above it. Otherwise: one plain line per finished task, never an escape code.
/// `--quiet` keeps only failures and the closing summary of a run that did not fully succeed.
///
/// Events arrive from many worker threads. Each is reported whole under one lock: the
/// counts change and the text that shows them is written while the lock is held, so a
/// failure line, its redraw of the live line, the timer's redraw and another thread's output
/// never interleave, and the live line never goes back to older counts.
final class ProgressReporter: Sendable {
    let quiet: Bool
    let live: Bool
    /// How often the timer redraws the live line (seconds).
    let tick: Double
    private struct State {
        var expected = 0
        var done = 0
        var failed = 0
        var refused = 0
        var kept = 0
        var inFlight = 0
        var cost = 0.0
        var started = ProcessInfo.processInfo.systemUptime
        var lastDraw = 0.0
        /// The narrations being bought: chunks answered (or kept before) of their total.
        var narrations: [String: (answered: Int, total: Int)] = [:]
        /// Video tasks whose job is rendering (polled; no request in flight for them).
        var rendering: Set<String> = []
        var ticking = false
        var finished: Int { done + failed + refused + kept }
    }
    private let state = Locked(State())
    private let ticks = DispatchQueue(label: "mediabatch.progress")
    /// Where the text goes, as it is (the terminal's stderr; a capture in tests). Called
    /// only while `state` is locked.
    private let write: @Sendable (String) -> Void

    init(quiet: Bool, live: Bool, tick: Double = 0.5, write: @escaping @Sendable (String) -> Void = Terminal.standardErrorRaw) {
        self.quiet = quiet
        self.live = live && !quiet
        self.tick = tick
        self.write = write
    }

    /// How many tasks this run will try (for the ETA); on a terminal, starts the timer that
    /// redraws the live line while nothing happens (requests of a minute are normal).
    func begin(expected: Int) {
        let start = state.withLock { state -> Bool in
            state.expected = expected
            state.started = ProcessInfo.processInfo.systemUptime
            let start = live && !state.ticking
            state.ticking = live
            return start
        }
        if start { scheduleTick() }
    }

    /// The timer: every `tick` seconds, a redraw under the lock, until `finish`.
    private func scheduleTick() {
        ticks.asyncAfter(deadline: .now() + tick) { [self] in
            let again = state.withLock { state -> Bool in
                guard state.ticking else { return false }
                redraw(&state, force: true)
                return true
            }
            if again { scheduleTick() }
        }
    }

    var handle: @Sendable (RunEvent) -> Void {
        { [self] event in state.withLock { report(event, &$0) } }
    }

    /// Counts `event` and writes what it shows. Runs with the lock held.
    private func report(_ event: RunEvent, _ state: inout State) {
        switch event {
        case .sending:
            state.inFlight += 1
            redraw(&state)
        case .answered(let id):
            state.inFlight -= 1
            if state.narrations[id] != nil { state.narrations[id]!.answered += 1 }
            redraw(&state)
        case .narrationSplit(let id, let toSend, let total):
            if total > 1 { state.narrations[id] = (total - toSend, total) }
        case .videoRendering(let id):
            state.rendering.insert(id)
            redraw(&state)
        case .finished(let outcome):
            state.narrations[outcome.taskID] = nil
            state.rendering.remove(outcome.taskID)
            finished(outcome, &state)
            redraw(&state)
        case .retrying(let id, let attempt, let failure, let delay):
            if !quiet && !live { write(String(format: "retry %@ (attempt %d failed: %@) in %.1fs", id, attempt, failure.description, delay) + "\n") }
        case .kept(let task):
            state.kept += 1
            if !quiet {
                let files = task.files.map { "\(FileIO.relativeDisplay($0.path)) \($0.reason == .changed ? "changed since mediabatch wrote it" : "was not written by mediabatch")" }
                print("kept \(task.taskID): \(files.joined(separator: ", ")); not overwritten (--force overwrites)", &state)
            }
            redraw(&state)
        case .stopping(let reason):
            print("stopping: \(reason)", &state)
        case .journalError(let message):
            print("journal: \(message)", &state)
        case .billed(_, let cost):
            state.cost += cost
            redraw(&state, force: true)
        case .pacing(let perMinute):
            if !quiet { print("OpenRouter limits this key to \(perMinute) requests a minute: pacing to that", &state) }
        }
    }

    private func finished(_ outcome: TaskOutcome, _ state: inout State) {
        switch outcome.result {
        case .done(let files, let cost, _):
            state.done += 1
            state.cost += cost ?? 0
            // A model that ignored a hint: said on the task's line (on a terminal, above the live one).
            let mismatches = Array(Set(outcome.returned.compactMap(\.mismatch))).sorted()
            let note = mismatches.isEmpty ? "" : " — size differs: " + mismatches.joined(separator: "; ")
            if !quiet && !live {
                let names = files.filter { !$0.path.hasSuffix(".json") }.map { FileIO.relativeDisplay($0.path) }.joined(separator: ", ")
                write("done \(outcome.taskID) → \(names)\(cost.map { " (\(Terminal.dollars($0)))" } ?? "")\(note)\n")
            } else if !quiet, !note.isEmpty {
                print("done \(outcome.taskID)\(note)", &state)
            }
        case .failed(let failure) where failure.kind == .refused:
            state.refused += 1
            print("REFUSED \(outcome.taskID) (\(outcome.origin.description)): \(failure)", &state)
        case .failed(let failure):
            state.failed += 1
            // An output that cannot be written stops the run, and its one message says so.
            guard failure.kind != .unwritable else { break }
            print("FAILED \(outcome.taskID) (\(outcome.origin.description)) after \(outcome.attempts) attempt\(outcome.attempts == 1 ? "" : "s"): \(failure)", &state)
        }
    }

    /// A full line; on a terminal the live line is cleared first and redrawn after.
    private func print(_ line: String, _ state: inout State) {
        guard live else { return write(line + "\n") }
        write("\r\u{1B}[K" + line + "\n")
        redraw(&state, force: true)
    }

    /// Redraws the live line, at most every 0.1 s unless forced or finished.
    private func redraw(_ state: inout State, force: Bool = false) {
        guard live else { return }
        let now = ProcessInfo.processInfo.systemUptime
        guard force || now - state.lastDraw >= 0.1 || state.finished == state.expected else { return }
        state.lastDraw = now
        write("\r\u{1B}[K" + Self.line(state, elapsed: max(now - state.started, 0.001)))
    }

    /// The live line's text: finished of total, then what each count says. The rate is over
    /// the tasks done (quick failures do not speed it up); the ETA follows from it.
    private static func line(_ state: State, elapsed: Double) -> String {
        let rate = Double(state.done) / elapsed
        var text = "\(state.finished)/\(state.expected) · \(state.done) done · \(state.failed) failed · \(state.refused) refused"
        if state.kept > 0 { text += " · \(state.kept) kept" }
        text += " · \(state.inFlight) in flight"
        if !state.rendering.isEmpty { text += " · \(state.rendering.count) video\(state.rendering.count == 1 ? "" : "s") rendering" }
        text += String(format: " · %.1f/s", rate)
        if rate > 0, state.expected > state.finished {
            text += " · ETA " + clock(Double(state.expected - state.finished) / rate)
        }
        text += " · \(Terminal.dollars(state.cost)) · \(clock(elapsed)) elapsed"
        for (id, chunks) in state.narrations.sorted(by: { $0.key < $1.key }).prefix(2) {
            // A retried chunk answers twice: never more than all of them.
            text += " · \(id) \(min(chunks.answered, chunks.total))/\(chunks.total) chunks"
        }
        if state.narrations.count > 2 { text += " · +\(state.narrations.count - 2) narrations" }
        return text
    }

    /// `75` → `1:15`; an hour and more → `1:02:03`.
    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds)
        return whole >= 3600
            ? String(format: "%d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60) : String(format: "%d:%02d", whole / 60, whole % 60)
    }

    /// The closing summary: a total line and, for several output folders, a small table.
    /// Written under the lock too, so no late event's line lands inside it.
    func finish(_ summary: RunSummary) {
        state.withLock {
            $0.ticking = false
            if live { write("\r\u{1B}[K") }
            guard !quiet || !summary.allSucceeded else { return }
            for line in Self.summaryLines(summary) { write(line + "\n") }
        }
    }

    private static func summaryLines(_ summary: RunSummary) -> [String] {
        var lines: [String] = []
        let folders = Dictionary(grouping: summary.outcomes, by: \.folder)
        if folders.count > 1 {
            // Padded here: `%-40@` does not pad an NSString on Linux.
            let names = folders.keys.sorted().map { String(FileIO.relativeDisplay($0).suffix(40)) }
            let width = max(13, names.map(\.count).max() ?? 0)
            func row(_ name: String, _ done: String, _ failed: String, _ cost: String) -> String {
                func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
                return name + String(repeating: " ", count: width - name.count) + " " + right(done, 6) + " " + right(failed, 6) + " " + right(cost, 10)
            }
            lines.append(row("output folder", "done", "failed", "cost"))
            for (folder, name) in zip(folders.keys.sorted(), names) {
                let outcomes = folders[folder]!
                let cost = summary.spent(folder: folder)
                lines.append(row(name, String(outcomes.filter(\.isDone).count), String(outcomes.filter { !$0.isDone }.count), Terminal.dollars(cost)))
            }
        }
        for pending in summary.pendingVideos {
            let age = pending.since.map { " since \($0)" } ?? ""
            if let job = pending.jobID {
                lines.append("pending \(pending.taskID): video job \(job) \(pending.status)\(age)")
            } else {
                lines.append("UNCERTAIN \(pending.taskID): its submit's answer was lost\(age); a job may exist and be billed")
            }
        }
        for old in summary.supersededVideos {
            let cost = old.cost.map { ", \(Terminal.dollars($0))" } ?? ""
            switch old.status {
            case "collected":
                lines.append("superseded \(old.taskID): an earlier version's video job \(old.jobID) collected into \(old.files.first ?? "superseded/")\(cost)")
            case "failed":
                lines.append("superseded \(old.taskID): an earlier version's video job \(old.jobID) failed: \(old.message ?? "")\(cost)")
            default:
                lines.append("superseded \(old.taskID): an earlier version's video job \(old.jobID) is still running; a later run collects it into superseded/")
            }
        }
        lines += ModelSpendTable.lines(summary.models)
        let refused = summary.refused
        var line = "\(summary.done) done, \(summary.failed - refused) failed"
        if refused > 0 { line += ", \(refused) refused" }
        if summary.alreadyDone > 0 { line += ", \(summary.alreadyDone) already done" }
        if summary.refusedBefore > 0 { line += ", \(summary.refusedBefore) refused before (left alone; --retry-refused sends them)" }
        if !summary.kept.isEmpty { line += ", \(summary.kept.count) kept" }
        if summary.otherShards > 0 { line += ", \(summary.otherShards) in other shards" }
        if summary.notRun > 0 { line += ", \(summary.notRun) not run" }
        if summary.videoJobsPending > 0 { line += ", \(summary.videoJobsPending) video job\(summary.videoJobsPending == 1 ? "" : "s") pending" }
        let uncertain = summary.pendingVideos.filter(\.isUncertain).count
        if uncertain > 0 { line += ", \(uncertain) uncertain (--resubmit-uncertain submits again)" }
        line += ", \(summary.files.count) file\(summary.files.count == 1 ? "" : "s") written, cost \(Terminal.dollars(summary.cost))"
        line += String(format: ", %.1fs", summary.seconds)
        lines.append(line)
        return lines
    }
}
