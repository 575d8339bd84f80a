import Foundation
import Support
import Tasks
import Testing

@testable import mediabatch

/// Progress output from many worker threads: every write happens under the reporter's
/// lock, so the live line and the lines above it never interleave.
@Suite struct ProgressReporterDefectTests {
    /// A stream that takes its text a byte at a time, letting other threads in between (as
    /// a pipe or a terminal may take a long write in pieces): writes that are not serialised
    /// come out mixed.
    final class SlowCapture: Sendable {
        private let bytes = Locked<[UInt8]>([])

        func write(_ text: String) {
            for byte in text.utf8 {
                bytes.withLock { $0.append(byte) }
                sched_yield()
            }
        }

        var text: String { bytes.withLock { String(decoding: $0, as: UTF8.self) } }
    }

    /// Runs `body` on `count` threads of their own, all released at once.
    private func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let gate = DispatchSemaphore(value: 0)
        let finished = DispatchGroup()
        for index in 0..<count {
            finished.enter()
            Thread {
                gate.wait()
                body(index)
                finished.leave()
            }.start()
        }
        for _ in 0..<count { gate.signal() }
        finished.wait()
    }

    @Test func liveLineAndMessagesFromManyThreadsNeverInterleave() {
        let capture = SlowCapture()
        let reporter = ProgressReporter(quiet: false, live: true, write: capture.write)
        let threads = 8
        let perThread = 40
        reporter.begin(expected: threads * perThread)
        let handle = reporter.handle
        onThreads(threads) { thread in
            for index in 0..<perThread {
                handle(.sending(taskID: "t\(thread)-\(index)"))
                handle(.answered(taskID: "t\(thread)-\(index)"))
                handle(.journalError("cannot append record t\(thread)-\(index) to the journal"))
            }
        }

        let liveLine = #/\d+/\d+ · \d+ done · \d+ failed · \d+ refused · -?\d+ in flight · \d+\.\d/s( · ETA \d+:\d\d)? · \$\d+\.\d+ · \d+:\d\d elapsed/#
        var messages: [String] = []
        var liveLines: [String] = []
        var garbled: [String] = []
        for line in capture.text.split(separator: "\n") {
            for piece in line.split(separator: "\r\u{1B}[K") {
                if piece.hasPrefix("journal: cannot append record t"), piece.hasSuffix(" to the journal") {
                    messages.append(String(piece))
                } else if piece.wholeMatch(of: liveLine) != nil {
                    liveLines.append(String(piece))
                } else {
                    garbled.append(String(piece))
                }
            }
        }
        #expect(garbled.isEmpty, "\(garbled.count) pieces mixed, e.g. \(garbled.prefix(3).map { $0.prefix(80) })")
        #expect(messages.count == threads * perThread)
        #expect(Set(messages).count == threads * perThread)
        // The last event was a message, whose redraw came after every other event: the live
        // line left on screen shows the final counts, not a stale one written late.
        #expect(liveLines.last?.hasPrefix("0/\(threads * perThread) · 0 done · 0 failed · 0 refused · 0 in flight") == true, "\(liveLines.last ?? "no live line")")
    }

    @Test func plainOutputFromManyThreadsComesOutInWholeLines() {
        let capture = SlowCapture()
        let reporter = ProgressReporter(quiet: false, live: false, write: capture.write)
        let failure = TaskFailure(.transient, cause: .transport(.timeout), message: "request timed out")
        onThreads(8) { thread in
            for index in 0..<40 {
                reporter.handle(.retrying(taskID: "t\(thread)-\(index)", attempt: 1, failure: failure, delay: 2))
            }
        }
        let lines = capture.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 8 * 40)
        #expect(lines.allSatisfy { $0.wholeMatch(of: #/retry t\d+-\d+ \(attempt 1 failed: request timed out\) in 2\.0s/#) != nil })
    }
}
