import Files
import Glibc
import Reports
import Support
import Tasks

/// When a run stops early because going on cannot help any task, only cost money or time:
///
/// - an output that cannot be written for a reason every later write would meet too (no
///   space, read-only, no permission, a quota or size limit): every further answer would be
///   paid for and thrown away;
/// - a server that cannot be reached: `threshold` connection attempts in a row (DNS or
///   connect failures) with no answer between, instead of every task failing after all its
///   retries;
/// - a base URL that answers nothing but 404 (`threshold` of them before any other
///   answer): most likely it lacks `/api/v1`.
///
/// The rules only decide; `OutcomeRecorder` carries a stop out (`haltRun`). Workers report
/// every attempt through the recorder's hooks below; failures recorded for good pass through
/// `stop(after:)`.
package final class StopRules: Sendable {
    /// Errors of a write that the next write would meet too.
    package static let unwritableErrors: Set<Int32> = [ENOSPC, EDQUOT, EROFS, EACCES, EPERM, EFBIG]

    /// Connection failures in a row, and 404s before any other answer, that stop a run: one
    /// per worker (every worker failed), at most 10, at least 2 (one failed connection on a
    /// single worker is a blip, and its retry decides).
    package let threshold: Int
    private let baseURL: String

    private struct Streaks {
        /// Connection failures since the last answer.
        var unreachable = 0
        /// 404 answers so far, while no other answer came.
        var notFound = 0
        /// Some answer other than a 404 came: the base URL is right.
        var answeredOtherwise = false
    }
    private let streaks = Locked(Streaks())

    package init(baseURL: String = "", workers: Int = 1) {
        self.baseURL = baseURL
        threshold = min(10, max(2, workers))
    }

    /// Whether a failed write stops the run (see `unwritableErrors`).
    package static func stopsRun(on error: FileError) -> Bool {
        error.code.map(unwritableErrors.contains) ?? false
    }

    /// The stop a failure recorded for good calls for, if any: an output that cannot be written.
    package func stop(after failure: TaskFailure) -> RunStop? {
        guard failure.kind == .unwritable else { return nil }
        if case .file(let path) = failure.cause { return .cannotWrite(path: path, message: failure.message) }
        return .cannotWrite(path: "", message: failure.message)
    }

    /// One attempt ended: `failure` nil when an answer came and was used. Returns the stop
    /// the streak so far calls for, if any.
    package func attemptEnded(_ failure: TaskFailure?) -> RunStop? {
        streaks.withLock { streaks -> RunStop? in
            guard let failure else {
                streaks.unreachable = 0
                streaks.answeredOtherwise = true
                return nil
            }
            switch failure.cause {
            case .transport(.connect):
                streaks.unreachable += 1
                guard streaks.unreachable >= threshold else { return nil }
                return .unreachable(baseURL: baseURL, attempts: streaks.unreachable, message: failure.message)
            case .api, .response:
                // An answer: the server is reachable.
                streaks.unreachable = 0
                guard failure.status == 404 else {
                    streaks.answeredOtherwise = true
                    return nil
                }
                streaks.notFound += 1
                guard !streaks.answeredOtherwise, streaks.notFound >= threshold else { return nil }
                return .notFound(baseURL: baseURL, answers: streaks.notFound, message: failure.message)
            case .transport, .file, .plan, .interrupted, .producer:
                // A timeout or a broken transfer proves nothing either way.
                return nil
            }
        }
    }
}

extension OutcomeRecorder {
    /// A worker's attempt failed, whether or not it is tried again.
    package func attemptFailed(_ failure: TaskFailure) {
        if let stop = rules.attemptEnded(failure) { haltRun(stop) }
    }

    /// A worker's attempt was answered and the answer used (images decoded, a chunk stored).
    package func attemptAnswered() {
        if let stop = rules.attemptEnded(nil) { haltRun(stop) }
    }
}
