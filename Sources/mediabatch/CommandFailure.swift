import ArgumentParser
import Files
import Manifest
import ManifestDiagnostics
import OpenRouter
import Reports
import Runner

/// Every way a command can fail, carrying what the user needs to hear. Commands throw these
/// and print nothing about them; `MediaBatchCommand.main` turns each into its message and
/// exit code in one place (`report`).
enum CommandFailure: Error {
    /// The command line or a setting that stands for it is malformed (a base URL that
    /// cannot be one): nothing was read or sent.
    case usage(String)
    /// The manifests have problems: every one is listed, nothing was sent.
    case manifest(ManifestError)
    /// The settings file cannot be used, or a setting is missing.
    case configuration(String)
    /// A file or folder the command must write cannot be made.
    case file(FileError)
    /// Another run holds the output root's lock: try again later.
    case busy(String)
    /// A journal or output folder to read is unreadable.
    case data(String)
    /// A file or folder to read does not exist, or holds nothing to read (no journal).
    case noInput(String)
    /// OpenRouter cannot be reached, or refused what was asked.
    case unavailable(String)
    /// The run stopped before its last task (401, 402, the budget, a signal, an output that
    /// cannot be written, a server that cannot be reached or answers only 404).
    case stopped(RunStop)
    /// The run stopped at its budget (`option`: `--max-cost` or `--max-total-cost`):
    /// `spent` billed in this run, `committed` the estimates of `jobs` video jobs still
    /// running (billed when they finish).
    case budget(spent: Double, committed: Double, jobs: Int, option: String)
    /// The run ended, and some tasks failed (each was reported as it failed).
    case someFailed
    /// Video jobs are still running on OpenRouter: a later run collects them (a cron
    /// wrapper runs again on 75).
    case videosPending(Int)
    /// Video submits whose answer was lost: the user decides (`--resubmit-uncertain`).
    case videosUncertain(Int)
    /// SIGINT or SIGTERM ended the command.
    case signal(Int32)

    /// The message (nil: already said) and the exit code, after sysexits(3); the README
    /// documents the codes.
    var report: (message: String?, code: Int32) {
        switch self {
        case .manifest(let error):
            let count = error.issues.count
            return (error.description + "\n\(count) problem\(count == 1 ? "" : "s") found; nothing was sent.", ExitCodes.dataError)
        case .usage(let message): return (message, ExitCodes.usage)
        case .configuration(let message): return (message, ExitCodes.configError)
        case .file(let error): return (error.description, ExitCodes.cantCreate)
        case .busy(let message): return (message, ExitCodes.tempFail)
        case .data(let message): return (message, ExitCodes.dataError)
        case .noInput(let message): return (message, ExitCodes.noInput)
        case .unavailable(let message): return (message, ExitCodes.unavailable)
        case .stopped(.unauthorized(let message)): return ("OpenRouter refused the key (401): \(message)", ExitCodes.unavailable)
        case .stopped(.paymentRequired(let message)): return ("out of credits (402): \(message)", ExitCodes.unavailable)
        case .stopped(.budgetReached(let spent)):
            return ("stopped at the --max-cost budget (\(Terminal.dollars(spent)) spent); run again to continue", ExitCodes.tempFail)
        case .budget(let spent, let committed, let jobs, let option):
            let pending = jobs > 0 && committed > 0
                ? ", \(Terminal.dollars(committed)) committed to \(jobs) video job\(jobs == 1 ? "" : "s") still running" : ""
            return ("stopped at the \(option) budget (\(Terminal.dollars(spent)) spent\(pending)); run again to continue", ExitCodes.tempFail)
        case .stopped(.keyLimit(let message)):
            return ("the key's spend limit is reached (403): \(message); nothing more was sent, run again after the limit resets", ExitCodes.tempFail)
        case .stopped(.interrupted): return (nil, ExitCodes.tempFail)
        case .stopped(.cannotWrite(_, let message)):
            return ("\(message); stopped sending (what was paid for is in the journal): free space or fix the folder's permissions, then run again",
                    ExitCodes.cantCreate)
        case .stopped(.unreachable(let baseURL, let attempts, let message)):
            return ("cannot reach \(baseURL): \(attempts) connection attempts in a row failed with no answer (last: \(message)); "
                    + "check the network and the base URL (--base-url, OPENROUTER_BASE_URL or the config file's baseURL)", ExitCodes.unavailable)
        case .stopped(.notFound(let baseURL, let answers, let message)):
            let hint = baseURL.hasSuffix("/api/v1")
                ? "check the base URL" : "the base URL is probably missing /api/v1 (OpenRouter's is \(OpenRouterEndpoint.officialBaseURL))"
            return ("every answer from \(baseURL) was 404 Not Found (\(answers) in a row, last: \(message)): \(hint)", ExitCodes.unavailable)
        case .someFailed: return (nil, ExitCodes.someFailed)
        case .videosPending(let count):
            return ("jobs pending: \(count) video job\(count == 1 ? "" : "s") still running on OpenRouter; run again later to collect \(count == 1 ? "it" : "them")", ExitCodes.tempFail)
        case .videosUncertain(let count):
            return ("\(count) video submit\(count == 1 ? "" : "s") of uncertain fate (the answer was lost; a job may exist and be billed): "
                    + "see `mediabatch status`; run with --resubmit-uncertain to submit again", ExitCodes.someFailed)
        case .signal(let number): return (nil, 128 + number)
        }
    }
}

/// The exit codes, after sysexits(3); documented in the README.
enum ExitCodes {
    static let success: Int32 = 0
    static let someFailed: Int32 = 1
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let unavailable: Int32 = 69
    static let cantCreate: Int32 = 73
    static let tempFail: Int32 = 75
    static let configError: Int32 = 78
}
