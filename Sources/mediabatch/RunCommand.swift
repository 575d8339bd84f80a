import ArgumentParser
import Foundation
import MediaBatch

/// `mediabatch run`: validates, then runs every task and writes the files.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run manifests: send every task to OpenRouter and write the files.",
        discussion: """
            Example: OPENROUTER_API_KEY=sk-or-... mediabatch run jobs/ --concurrency 8
            Exit codes: 0 all done, 1 some tasks failed, 64 usage, 65 bad manifest,
            69 API refused the run (401/402), 78 no API key.
            """)

    @OptionGroup var manifest: ManifestOptions
    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Requests in flight at most.")
    var concurrency = 4

    @Option(help: "Attempts per task, the first included.")
    var maxAttempts = 6

    @Flag(help: "Print nothing unless something failed.")
    var quiet = false

    func validate() throws {
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 256") }
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be from 1 to 100") }
    }

    func run() throws {
        MediaBatchRuntime.start()
        let plan = try manifest.loadPlan()
        var options = RunOptions(endpoint: try connection.endpoint())
        options.concurrency = concurrency
        options.maxAttempts = maxAttempts
        let quiet = self.quiet
        let runner = BatchRunner(options: options) { event in
            switch event {
            case .finished(let outcome):
                switch outcome.result {
                case .done(let files, let cost, _):
                    if !quiet {
                        let names = files.map(\.path).map { FileIO.relativeDisplay($0) }.joined(separator: ", ")
                        Terminal.standardError("done \(outcome.taskID) → \(names)\(cost.map { " (\(Terminal.dollars($0)))" } ?? "")")
                    }
                case .failed(let failure):
                    Terminal.standardError("FAILED \(outcome.taskID) (\(outcome.origin.description)) after \(outcome.attempts) attempt\(outcome.attempts == 1 ? "" : "s"): \(failure)")
                }
            case .retrying(let id, let attempt, let failure, let delay):
                if !quiet { Terminal.standardError(String(format: "retry %@ (attempt %d failed: %@) in %.1fs", id, attempt, failure.description, delay)) }
            case .stopping(let reason):
                Terminal.standardError("stopping: \(reason)")
            }
        }
        let summary = runner.run(plan)
        if !quiet || !summary.allSucceeded {
            var line = "\(summary.done) done, \(summary.failed) failed"
            if summary.notRun > 0 { line += ", \(summary.notRun) not run" }
            line += ", \(summary.files.count) file\(summary.files.count == 1 ? "" : "s") written, cost \(Terminal.dollars(summary.cost))"
            line += String(format: ", %.1fs", summary.seconds)
            Terminal.standardError(line)
        }
        switch summary.stop {
        case .unauthorized(let message):
            Terminal.error("OpenRouter refused the key (401): \(message)")
            throw ExitCode(ExitCodes.unavailable)
        case .paymentRequired(let message):
            Terminal.error("out of credits (402): \(message)")
            throw ExitCode(ExitCodes.unavailable)
        case nil:
            if !summary.allSucceeded { throw ExitCode(ExitCodes.someFailed) }
        }
    }
}
