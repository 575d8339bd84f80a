
import ArgumentParser
import Dispatch
import Files
import Foundation
import HTTP
import JSON
import Journal
import Manifest
import ManifestDiagnostics
import OpenRouter
import Reports
import Runner
import Support

/// `mediabatch run`: validates, then runs every task not yet done and writes the files.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run manifests: send every task not yet done to OpenRouter and write the files.",
        discussion: """
            Example: OPENROUTER_API_KEY=sk-or-... mediabatch run jobs/ --concurrency 8 --max-cost 5
            A rerun skips tasks whose files the journal shows intact, and keeps (does not send)
            a task whose file mediabatch did not write or that changed since (a retouched
            image); --force redoes and overwrites them.
            Exit codes: 0 all done (kept tasks included), 1 some tasks failed, 64 usage
            (a malformed base URL too), 65 bad manifest, 69 API refused the run (401/402),
            cannot be reached, or answers only 404, 73 an output cannot be written (no space,
            read-only, no permission), 75 locked or stopped for later (budget), or video
            jobs pending (--no-wait, --video-timeout: run again to collect them), 78 no API
            key, 130/143 interrupted by SIGINT/SIGTERM.
            """)

    @OptionGroup var manifest: ManifestOptions
    @OptionGroup var connection: ConnectionOptions

    @Option(name: .shortAndLong, help: "Requests in flight at most (default 4, or the config file's concurrency).")
    var concurrency: Int?

    @Option(help: "Attempts per task, the first included (default 6, or the config file's maxAttempts).")
    var maxAttempts: Int?

    @Option(help: "Seconds one attempt may take, transfer included (default 300, or the config file's timeout).")
    var timeout: Double?

    @Option(name: .customLong("max-image-mib"), help: "Fail a task whose decoded image is larger than this many MiB.")
    var maxImageMiB: Int = ImagePlacement.defaultMaxImageBytes >> 20

    @Option(name: .customLong("max-response-mib"), help: "Abandon a response body larger than this many MiB.")
    var maxResponseMiB: Int = HTTPLimits().maxResponseBytes >> 20

    @Option(help: "Cap on requests per minute across the run (default: the config file's rpm, else none).")
    var rpm: Int?

    @Option(help: "Spend at most this many US dollars in this run: a request that could cross it is not started (default: the config file's maxCost).")
    var maxCost: Double?

    @Option(help: "Spend at most this many US dollars on the batch over all its runs, counted from the journals (default: the config file's maxTotalCost).")
    var maxTotalCost: Double?

    @Flag(help: "Send again the tasks an earlier run recorded as refused by the model or moderation.")
    var retryRefused = false

    @Option(help: "Abandon an attempt that receives nothing for this many seconds (default: only --timeout applies; some models send nothing for minutes).")
    var idleTimeout: Double?

    @Option(help: "Run only shard i of n (0-based), e.g. 2/8; 'env/8' reads the index from JOB_COMPLETION_INDEX.")
    var shard: String?

    @Flag(help: "Redo tasks the journal shows done (narrations buy every chunk again), and overwrite files mediabatch did not write or that changed since.")
    var force = false

    @Flag(help: "Do not write a <file>.json sidecar beside each file.")
    var noSidecars = false

    @Flag(help: "Do not rebuild the index.html gallery of each output folder.")
    var noGallery = false

    @Option(help: "Seconds in-flight requests may take to finish after SIGINT/SIGTERM.")
    var grace: Double = 30

    @Option(help: "Also write every task's results line (id, row columns, files, status, cost, error) to this CSV file.")
    var results: String?

    @Flag(help: "Run every valid manifest; report the invalid ones and exit 65 at the end if there were any.")
    var keepGoing = false

    @Flag(name: .shortAndLong, help: "Print nothing unless something failed.")
    var quiet = false

    @Flag(name: [.customShort("n"), .long], help: "Send nothing: print what a run would send now, as `mediabatch plan` does.")
    var dryRun = false

    @Flag(help: "Print a machine-readable summary (JSON) on stdout, and nothing else there.")
    var json = false

    @Flag(help: "Submit new video jobs and collect the finished ones, then exit (75 while jobs are still pending) instead of waiting for them.")
    var noWait = false

    @Option(help: "Seconds a run waits for its video jobs before leaving them pending for a later run (exit 75). Default 3600.")
    var videoTimeout: Double = 3600

    @Flag(help: "Submit again the video tasks whose earlier submit's answer was lost (the job may exist and be paid for twice).")
    var resubmitUncertain = false

    @Option(help: "Video polling: the first wait, the growth factor and the longest wait in seconds (default 3,1.5,20).")
    var videoPoll: String?

    func validate() throws {
        if let concurrency { guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 256") } }
        if let maxAttempts { guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be from 1 to 100") } }
        if let timeout { guard timeout > 0 else { throw ValidationError("--timeout must be positive") } }
        if let rpm { guard rpm > 0 else { throw ValidationError("--rpm must be positive") } }
        if let maxCost { guard maxCost > 0 else { throw ValidationError("--max-cost must be positive") } }
        if let maxTotalCost { guard maxTotalCost > 0 else { throw ValidationError("--max-total-cost must be positive") } }
        if let idleTimeout { guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be positive") } }
        guard grace >= 0 else { throw ValidationError("--grace must not be negative") }
        guard videoTimeout >= 0 else { throw ValidationError("--video-timeout must not be negative") }
        _ = try videoPollSchedule()
        if shard != nil { _ = try resolvedShard() }
    }

    /// `--video-poll first,growth,longest`.
    func videoPollSchedule() throws -> VideoPollSchedule {
        guard let videoPoll else { return VideoPollSchedule() }
        let parts = videoPoll.split(separator: ",").map { Double($0) }
        guard parts.count == 3, let first = parts[0], let growth = parts[1], let longest = parts[2], first > 0, growth >= 1, longest >= first else {
            throw ValidationError("--video-poll takes first,growth,longest seconds, e.g. 3,1.5,20")
        }
        return VideoPollSchedule(first: first, growth: growth, longest: longest)
    }

    func resolvedShard() throws -> Shard? {
        guard var text = shard else { return nil }
        if text.hasPrefix("env/") {
            guard let index = ProcessInfo.processInfo.environment["JOB_COMPLETION_INDEX"] else {
                throw ValidationError("--shard env/N needs JOB_COMPLETION_INDEX in the environment")
            }
            text = index + text.dropFirst(3)
        }
        guard let shard = Shard(text) else { throw ValidationError("--shard takes i/n with 0 <= i < n, e.g. 0/4") }
        return shard
    }

    func run() throws {
        if dryRun { return try PlanCommand.dryRun(of: self) }
        MediaBatchRuntime.start()
        // Settings and key first: a missing key is told before a big manifest is read.
        let configuration = try connection.loadConfiguration()
        let endpoints = try connection.endpoints(configuration)
        let catalog = manifest.catalog(refresh: false, connection)
        var options = RunOptions(endpoint: endpoints.image)
        options.speechEndpoint = endpoints.speech
        options.concurrency = max(1, min(256, concurrency ?? configuration.concurrency ?? 4))
        options.maxAttempts = max(1, min(100, maxAttempts ?? configuration.maxAttempts ?? 6))
        options.limits.totalTimeout = timeout ?? configuration.timeout ?? 300
        options.limits.maxResponseBytes = max(maxResponseMiB, 1) << 20
        options.maxImageBytes = max(maxImageMiB, 1) << 20
        options.requestsPerMinute = rpm ?? configuration.rpm
        options.maxCost = maxCost ?? configuration.maxCost
        options.maxTotalCost = maxTotalCost ?? configuration.maxTotalCost
        options.retryRefused = retryRefused
        options.limits.idleTimeout = idleTimeout
        options.shard = try resolvedShard()
        options.force = force
        options.sidecars = !noSidecars
        options.gallery = !noGallery
        options.resultsFile = results.map(FileIO.absolute)
        options.trace = connection.trace(for: [endpoints.image, endpoints.speech])
        options.noWait = noWait
        options.videoTimeout = videoTimeout
        options.resubmitUncertain = resubmitUncertain
        options.videoPolls = (try? videoPollSchedule()) ?? VideoPollSchedule()

        let reporter = ProgressReporter(quiet: quiet, live: Terminal.standardErrorIsTerminal && !connection.verbose)
        let runner = BatchRunner(options: options, onEvent: reporter.handle)
        let signals = SignalHandling(runner: runner, grace: grace)
        // Validation reads only, so a bad manifest leaves no trace; the lock comes before
        // anything is written.
        let plan: BatchPlan
        let selection: RunSelection
        var invalid: ManifestError?
        if keepGoing {
            (plan, selection, invalid) = try manifest.prepareValidManifests(configuration: configuration, catalog: catalog) { plan throws(PreparationError) in
                try runner.prepare(plan)
            }
        } else {
            plan = manifest.loadUnvalidatedPlan(configuration: configuration, catalog: catalog)
            do { selection = try runner.prepare(plan) } catch {
                switch error {
                case .manifest(let problems): throw CommandFailure.manifest(problems)
                case .file(let failure): throw CommandFailure.file(failure)
                }
            }
            Terminal.warn(plan.validationWarnings)
        }
        // One lock per output folder: runs writing other folders of the root go on beside it.
        let locks = try RunLocks.take(folders: selection.folders, shard: options.shard)
        if let signal = signals.received { throw CommandFailure.signal(signal) }
        reporter.begin(expected: plan.taskCount - selection.alreadyDone - selection.otherShards)
        let summary: RunSummary
        do { summary = try runner.run(plan, selection: selection) } catch {
            throw CommandFailure.file(error)
        }
        withExtendedLifetime(locks) {}
        reporter.finish(summary)
        if json {
            // Written as it is encoded: the report of a big batch is never one string.
            try? RunReport.encode(summary) { (bytes: [UInt8]) throws(FileError) in Terminal.write(String(decoding: bytes, as: UTF8.self)) }
            Terminal.write("\n")
        }

        if let signal = signals.received { throw CommandFailure.signal(signal) }
        if case .keyLimit(let message)? = summary.stop {
            // Say when it resets, as `GET /key` tells (best effort: the run already stopped).
            let reset = (try? OpenRouterClient(endpoint: endpoints.image).keyStatus(on: HTTPConnection()))?.limitReset
            throw CommandFailure.stopped(.keyLimit(message + (reset.map { " (the limit resets: \($0))" } ?? "")))
        }
        if case .budgetReached(let spent)? = summary.stop {
            // Which cap stopped it: the smaller of what each leaves (see `RunOptions.budget`).
            let totalLeft = options.maxTotalCost.map { $0 - selection.spentBefore }
            let option = totalLeft.map { left in options.maxCost.map { left < $0 } ?? true } == true ? "--max-total-cost" : "--max-cost"
            throw CommandFailure.budget(spent: spent, committed: summary.pendingVideoEstimate, jobs: summary.videoJobsPending, option: option)
        }
        if let stop = summary.stop { throw CommandFailure.stopped(stop) }
        if let invalid { throw CommandFailure.manifest(invalid) }
        if summary.failed > 0 || summary.notRun > 0 { throw CommandFailure.someFailed }
        // Jobs still running come first: a cron wrapper runs again on 75 and collects them.
        if summary.videoJobsPending > 0 { throw CommandFailure.videosPending(summary.videoJobsPending) }
        if summary.pendingVideos.contains(where: \.isUncertain) { throw CommandFailure.videosUncertain(summary.pendingVideos.filter(\.isUncertain).count) }
        if !summary.allSucceeded { throw CommandFailure.someFailed }
    }
}

/// SIGINT/SIGTERM: the first stops scheduling and lets requests in flight finish for
/// `grace` seconds before aborting them; a second SIGINT aborts at once.
final class SignalHandling {
    private let sources: [DispatchSourceSignal]
    private let state = SignalState()

    /// The first signal received, shared with the handlers.
    final class SignalState: Sendable {
        let first = Locked<Int32?>(nil)
    }

    init(runner: BatchRunner, grace: Double) {
        let queue = DispatchQueue(label: "mediabatch.signals")
        var sources: [DispatchSourceSignal] = []
        let state = self.state
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                let first = state.first.withLock { received -> Bool in
                    defer { if received == nil { received = number } }
                    return received == nil
                }
                if first {
                    Terminal.standardError("mediabatch: \(number == SIGINT ? "interrupted" : "terminated"); letting requests in flight finish (up to \(Int(grace))s)\(number == SIGINT ? ", Ctrl-C again to abort" : "")")
                    runner.stopScheduling()
                    queue.asyncAfter(deadline: .now() + grace) { runner.abortInFlight() }
                } else {
                    runner.abortInFlight()
                }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// The first signal received, if any.
    var received: Int32? { state.first.withLock { $0 } }

    deinit { for source in sources { source.cancel() } }
}

/// The run locks of the output folders a command writes (see `RunLock`), taken in order.
enum RunLocks {
    static func take(folders: [String], shard: Shard?) throws -> [RunLock] {
        try folders.sorted().map { folder in
            do throws(RunLock.Failure) { return try RunLock(folder: folder, shard: shard) } catch {
                switch error {
                case .busy(let busy): throw CommandFailure.busy(busy.description)
                case .file(let failure): throw CommandFailure.file(failure)
                }
            }
        }
    }
}
