import FakeOpenRouter
import Files
import Foundation
import Glibc
import OpenRouter
import Reports
import Runner
import Support

// Helpers for ReliabilityTests: manifests whose every task has its own prompt (the fake
// faults a request body's first attempts only, so identical bodies would share one fault
// history), the CLI as a long-running subprocess that can be signalled, and journal reading.

/// A manifest of `count` tasks `t001`, `t002`, ... each with a distinct prompt. The default
/// model and resolution make small (512x512) images so a big batch stays quick.
func distinctTasksManifest(
    name: String = "m", count: Int, model: String = "google/gemini-3.1-flash-image-preview",
    resolution: String? = "0.5K", promptPrefix: String = "picture"
) -> String {
    let tasks = (1...count).map { number in
        var fields = [
            #""id": "\#(taskID(number))""#,
            #""prompt": "\#(promptPrefix) \#(number) of a red fox in the snow""#,
            #""model": "\#(model)""#,
        ]
        if let resolution { fields.append(#""resolution": "\#(resolution)""#) }
        return "    {" + fields.joined(separator: ", ") + "}"
    }
    return "{\"name\": \"\(name)\", \"tasks\": [\n" + tasks.joined(separator: ",\n") + "\n]}\n"
}

/// The id `distinctTasksManifest` gives task `number` (1-based).
func taskID(_ number: Int) -> String {
    "t" + String(repeating: "0", count: max(0, 3 - String(number).count)) + String(number)
}

/// Runs `manifest` through the library like `runAgainst`, also collecting every event.
func runCollecting(
    _ server: FakeOpenRouterServer, manifest: String, in folder: TempFolder, concurrency: Int,
    configure: (inout RunOptions) -> Void = { _ in }
) throws -> (summary: RunSummary, events: [RunEvent]) {
    let plan = try plan(manifest, in: folder)
    var options = RunOptions(endpoint: OpenRouterEndpoint(baseURL: server.baseURL, apiKey: "test-key"))
    options.concurrency = concurrency
    options.retryBaseDelay = 0.01
    configure(&options)
    let events = Locked<[RunEvent]>([])
    let summary = try BatchRunner(options: options) { event in events.withLock { $0.append(event) } }.run(plan)
    return (summary, events.withLock { $0 })
}

/// The CLI running in the background, its output going to files (a pipe nobody reads
/// could fill up and stall it), so that a test can signal it and wait with a deadline.
final class BackgroundCLI {
    let process = Process()
    let stdoutPath: String
    let stderrPath: String
    let startedAt: Double

    init(_ arguments: [String], environment: [String: String] = [:], in directory: String, logName: String) throws {
        process.executableURL = URL(fileURLWithPath: mediabatchExecutable())
        process.arguments = arguments
        var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        // Logs live beside (not inside) the folder under test so they are never "stray files".
        stdoutPath = directory + "/" + logName + ".stdout"
        stderrPath = directory + "/" + logName + ".stderr"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        startedAt = monotonicNow()
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func signal(_ number: Int32) { if process.isRunning { _ = kill(process.processIdentifier, number) } }

    /// Waits up to `timeout` seconds for the process to end; true if it did.
    @discardableResult
    func wait(timeout: Double) -> Bool {
        let deadline = monotonicNow() + timeout
        while process.isRunning && monotonicNow() < deadline { usleep(5_000) }
        if process.isRunning { return false }
        process.waitUntilExit()
        return true
    }

    /// Ends the process for good (cleanup in `defer`); harmless if it already ended.
    func killAndReap() {
        if process.isRunning { _ = kill(process.processIdentifier, SIGKILL) }
        wait(timeout: 10)
    }

    var status: Int32 { process.terminationStatus }
    var killedBySignal: Bool { process.terminationReason == .uncaughtSignal }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
}

func monotonicNow() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// Polls `condition` every `interval` seconds for up to `timeout` seconds.
@discardableResult
func waitFor(timeout: Double, interval: Double = 0.005, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicNow() + timeout
    while monotonicNow() < deadline {
        if condition() { return true }
        usleep(useconds_t(interval * 1_000_000))
    }
    return condition()
}

/// A journal read line by line: the records that parse, and how many lines did not.
struct JournalLines {
    var records: [[String: Any]] = []
    var unparsable = 0

    init(path: String) {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            if let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] {
                records.append(object)
            } else {
                unparsable += 1
            }
        }
    }

    func records(_ event: String) -> [[String: Any]] { records.filter { $0["event"] as? String == event } }

    /// How many `done` records each task id has.
    var doneCountByTask: [String: Int] {
        var counts: [String: Int] = [:]
        for record in records("done") { counts[record["task"] as? String ?? "?", default: 0] += 1 }
        return counts
    }
}

/// Names of files whose name marks them as a staged temp file.
func tempLeftovers(_ folder: TempFolder, under sub: String) -> [String] {
    folder.allFiles(under: sub).filter { $0.contains(FileIO.tempMarker) || $0.contains(".mbtmp-") }
}

/// The key, and no settings file (one in the shared temp HOME must not change these runs).
let runEnvironment = ["OPENROUTER_API_KEY": "k", "XDG_CONFIG_HOME": "/nonexistent/mediabatch-reliability"]

/// `mediabatch run m.json` against `server`, writing under `root`.
func runArguments(_ server: FakeOpenRouterServer, root: String = "out", _ extra: [String] = []) -> [String] {
    ["run", "m.json", "--output-root", root, "--base-url", server.baseURL] + extra
}

/// The image generations the fake received.
func generationRequests(_ server: FakeOpenRouterServer) -> [RecordedRequest] {
    server.requests().filter { $0.path == "/chat/completions" }
}

/// The prompt a chat request carried.
func prompt(of request: RecordedRequest) -> String? {
    ((request.json()?["messages"] as? [[String: Any]])?.first?["content"]) as? String
}
