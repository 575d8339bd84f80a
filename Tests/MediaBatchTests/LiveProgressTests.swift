import Foundation
import Reports
import Support
import Tasks
import Testing
import TestSupport

@testable import mediabatch

/// Issue 16, progress: the live line is redrawn by a timer while nothing happens, counts
/// refusals apart, takes its rate over the tasks done, and shows a narration's chunks.
@Suite struct LiveProgressTests {
    final class Capture: Sendable {
        private let text = Locked("")
        func write(_ piece: String) { text.withLock { $0 += piece } }
        var lines: [String] { text.withLock { $0 }.components(separatedBy: "\r\u{1B}[K").filter { !$0.isEmpty } }
    }

    private func outcome(_ id: String, _ result: TaskOutcome.Result) -> TaskOutcome {
        TaskOutcome(taskID: id, origin: TaskOrigin(file: "m.json", line: 1), attempts: 1, result: result, seconds: 0.1)
    }

    @Test func theLiveLineIsRedrawnWhileNothingHappensAndCountsEachOutcomeApart() throws {
        let capture = Capture()
        let reporter = ProgressReporter(quiet: false, live: true, tick: 0.05, write: capture.write)
        reporter.begin(expected: 4)
        let handle = reporter.handle
        for id in ["a", "b", "ch"] { handle(.sending(taskID: id)) }
        handle(.narrationSplit(taskID: "ch", toSend: 3, total: 4))
        handle(.answered(taskID: "ch"))
        let drawnByEvents = capture.lines.count
        Thread.sleep(forTimeInterval: 0.4)
        // No event for 0.4 s, yet the line was redrawn (the timer), showing the same counts.
        #expect(capture.lines.count >= drawnByEvents + 3, "\(capture.lines.count) draws, \(drawnByEvents) by events")
        let idle = try #require(capture.lines.last)
        #expect(idle.hasPrefix("0/4 · 0 done · 0 failed · 0 refused · 2 in flight"), "\(idle)")
        #expect(idle.contains("ch 2/4 chunks"), "\(idle)")

        handle(.finished(outcome("a", .done(files: [], cost: 0.5, generationID: nil))))
        handle(.finished(outcome("b", .failed(TaskFailure(.refused, cause: .response, message: "the model declined")))))
        handle(.finished(outcome("c", .failed(TaskFailure(.permanent, cause: .response, message: "bad request")))))
        let text = capture.lines.joined(separator: "\n")
        #expect(text.contains("REFUSED b"))
        #expect(text.contains("FAILED c"))
        let last = try #require(capture.lines.last)
        #expect(last.hasPrefix("3/4 · 1 done · 1 failed · 1 refused"), "\(last)")
        #expect(last.contains("$0.5000"))
        #expect(last.contains(" elapsed"))
        reporter.finish(RunSummary())
        let after = capture.lines.count
        Thread.sleep(forTimeInterval: 0.2)
        #expect(capture.lines.count == after, "the timer drew after finish")
    }

    /// Issue 13, one spent figure: a failed attempt billed all the same (its cost known only
    /// once `/generation` answers) moves the live figure, and the per-folder table of the
    /// closing lines counts it, as the closing line and report.json do.
    @Test func paidFailedAttemptsCountOnTheLiveLineAndInTheFolderTable() throws {
        let capture = Capture()
        let reporter = ProgressReporter(quiet: false, live: true, tick: 10, write: capture.write)
        reporter.begin(expected: 2)
        var done = outcome("a", .done(files: [], cost: 0.5, generationID: nil))
        done.folder = "/out/one"
        reporter.handle(.finished(done))
        reporter.handle(.billed(taskID: "b", cost: 0.25))
        #expect(capture.lines.last?.contains("$0.7500") == true, "\(capture.lines.last ?? "")")
        var failed = outcome("b", .failed(TaskFailure(.permanent, cause: .response, message: "no")))
        failed.folder = "/out/two"
        var summary = RunSummary()
        summary.outcomes = [done, failed]
        summary.billedByFolder = ["/out/two": 0.25]
        summary.cost = 0.75
        reporter.finish(summary)
        let table = capture.lines.joined(separator: "\n")
        let two = try #require(table.components(separatedBy: "\n").first { $0.hasPrefix("/out/two") || $0.contains("two ") })
        #expect(two.hasSuffix("$0.2500"), "\(table)")
    }

    @Test func theRateCountsOnlyTasksDone() {
        let capture = Capture()
        let reporter = ProgressReporter(quiet: false, live: true, tick: 10, write: capture.write)
        reporter.begin(expected: 10)
        for index in 0..<5 {
            reporter.handle(.finished(outcome("f\(index)", .failed(TaskFailure(.permanent, cause: .response, message: "no")))))
        }
        // Five quick failures: nothing done, so no rate and no ETA to promise.
        #expect(capture.lines.last?.contains("· 0.0/s") == true, "\(capture.lines.last ?? "")")
        #expect(capture.lines.last?.contains("ETA") == false)
        reporter.finish(RunSummary())
    }

    @Test func underATerminalSlowRequestsStillRedrawTheLine() throws {
        let server = try startFake { $0.latency = 1.6 }
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("m.json", #"{"name": "p", "tasks": [{"id": "t", "prompt": "p", "model": "google/gemini-2.5-flash-image", "count": 2}]}"#)
        let command = [mediabatchExecutable(), "run", "m.json", "--base-url", server.baseURL, "--output-root", "tty"].joined(separator: " ")
        let tty = try runTool("/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"],
                              environment: ["OPENROUTER_API_KEY": "k", "TERM": "xterm"], in: folder.path)
        #expect(tty.status == 0, "\(tty.stdout)")
        // While both requests wait 1.6 s, the line with 2 in flight is drawn again and again.
        let waiting = tty.stdout.components(separatedBy: "\r\u{1B}[K").filter { $0.hasPrefix("0/2 · 0 done · 0 failed · 0 refused · 2 in flight") }
        #expect(waiting.count >= 2, "\(waiting)")
        #expect(Set(waiting.map { $0.suffix(12) }).count >= 2, "the elapsed time did not move: \(waiting)")
    }

    /// A video job renders for minutes with no request in flight: the line says so until
    /// the clip is downloaded.
    @Test func underATerminalAVideoJobRenderingShowsOnTheLine() throws {
        let (server, folder) = try startFakeAndFolder { $0.videoJobSeconds = 1.5 }
        defer { server.stop(); folder.remove() }
        folder.write("m.json", videoManifest([#"{"id": "clip", "type": "video", "prompt": "The tide turns"}"#]))
        let command = ([mediabatchExecutable()] + runArguments(server, fastVideoPolls)).joined(separator: " ")
        let tty = try runTool("/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"],
                              environment: freshCacheEnvironment(folder).merging(["TERM": "xterm"]) { $1 }, in: folder.path)
        #expect(tty.status == 0, "\(tty.stdout)")
        let lines = tty.stdout.components(separatedBy: "\r\u{1B}[K")
        let rendering = lines.filter { $0.hasPrefix("0/1 · 0 done") && $0.contains("0 in flight · 1 video rendering") }
        #expect(rendering.count >= 2, "\(lines)")
        #expect(lines.last { $0.hasPrefix("1/1 · 1 done") }.map { !$0.contains("rendering") } == true, "\(lines)")
    }
}
