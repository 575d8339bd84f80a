import FakeOpenRouter
import Foundation
import Glibc

// Child processes (the built CLI, curl, media tools) and waiting with deadlines.

/// Seconds that only a hang can exceed: the deadline for waits whose expected length is a
/// fraction of a second or a few seconds. Tests judge behaviour (what the fake saw, files,
/// exit codes), never speed, so a loaded two-core CI machine cannot fail them by being slow;
/// this only turns a hang into a failure instead of a stuck run.
public let hangDeadline: Double = 60

public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// The built `mediabatch` executable, next to the test bundle.
public func mediabatchExecutable() -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var folder = (exe as NSString).deletingLastPathComponent
    while !folder.isEmpty && folder != "/" {
        let candidate = folder + "/mediabatch"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        folder = (folder as NSString).deletingLastPathComponent
    }
    return ".build/debug/mediabatch"
}

/// Runs the CLI with `arguments` and `environment` (added to a clean minimal one).
public func runCLI(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) throws -> ProcessResult {
    try runTool(mediabatchExecutable(), arguments, environment: environment, in: directory)
}

/// Runs any program to completion that way: `PATH=/usr/bin:/bin`, `HOME` the temporary
/// directory, plus `environment`; stdout and stderr captured whole.
public func runTool(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], in directory: String? = nil
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "XDG_CACHE_HOME": seededCacheHome(arguments, environment)]
    for (key, value) in environment { env[key] = value }
    process.environment = env
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Both pipes drain at once: a child filling one (a --verbose trace on stderr) while the
    // other is read to its end would block forever.
    let errReader = err.fileHandleForReading
    let errData = DataBox()
    let reading = DispatchGroup()
    DispatchQueue.global().async(group: reading) { errData.set(errReader.readDataToEndOfFile()) }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    reading.wait()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData.get(), as: UTF8.self))
}

/// `runTool` under the name the fake's tests use.
@discardableResult
public func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    try runTool(executable, arguments, environment: environment)
}

/// Bytes handed from the stderr reader thread to the caller.
private final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data { lock.withLock { data } }
}

/// The CLI running in the background, its output going to files (a pipe nobody reads
/// could fill up and stall it), so that a test can signal it and wait with a deadline.
public final class BackgroundCLI {
    public let process = Process()
    public let stdoutPath: String
    public let stderrPath: String
    public let startedAt: Double

    public init(_ arguments: [String], environment: [String: String] = [:], in directory: String, logName: String) throws {
        process.executableURL = URL(fileURLWithPath: mediabatchExecutable())
        process.arguments = arguments
        var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "XDG_CACHE_HOME": seededCacheHome(arguments, environment)]
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

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    public func signal(_ number: Int32) { if process.isRunning { _ = kill(process.processIdentifier, number) } }

    /// Waits up to `timeout` seconds for the process to end; true if it did.
    @discardableResult
    public func wait(timeout: Double) -> Bool {
        let deadline = monotonicNow() + timeout
        while process.isRunning && monotonicNow() < deadline { usleep(5_000) }
        if process.isRunning { return false }
        process.waitUntilExit()
        return true
    }

    /// Ends the process for good (cleanup in `defer`); harmless if it already ended.
    public func killAndReap() {
        if process.isRunning { _ = kill(process.processIdentifier, SIGKILL) }
        wait(timeout: hangDeadline)
    }

    public var status: Int32 { process.terminationStatus }
    public var killedBySignal: Bool { process.terminationReason == .uncaughtSignal }
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
}

/// CLOCK_MONOTONIC in seconds: the clock the fake stamps `RecordedRequest.receivedAt` with.
public func monotonicNow() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// Polls `condition` every `interval` seconds for up to `timeout` seconds.
@discardableResult
public func waitFor(timeout: Double, interval: Double = 0.005, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicNow() + timeout
    while monotonicNow() < deadline {
        if condition() { return true }
        usleep(useconds_t(interval * 1_000_000))
    }
    return condition()
}

/// A cache folder of this test process holding the fake's model lists, fresh, recorded as
/// fetched from `baseURL`: runs against it check without fetching (a test that wants no
/// lists, or its own, sets `XDG_CACHE_HOME`). Never the shared `$HOME/.cache`, which other
/// runs of the suite share. One folder per base URL, made on first use.
public func seededCacheHome(baseURL: String) -> String {
    seededCacheHomes.folder(for: baseURL) {
        let folder = NSTemporaryDirectory() + "mediabatch-test-cache-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: folder + "/mediabatch", withIntermediateDirectories: true)
        let document = FakeModelLists.cacheDocument(fetched: Int(Date().timeIntervalSince1970), baseURL: baseURL)
        try! document.write(toFile: folder + "/mediabatch/models.json", atomically: true, encoding: .utf8)
        return folder
    }
}

/// The seeded cache for the base URL a command line will use: `--base-url` (an argument of
/// its own, or inside a shell command), else a fake's URL handed to a shell script, else
/// `OPENROUTER_BASE_URL`, else OpenRouter's own.
func seededCacheHome(_ arguments: [String], _ environment: [String: String]) -> String {
    let words = arguments.flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\"" || $0 == "'" }).map(String.init) }
    let flag = words.firstIndex(of: "--base-url").flatMap { words.indices.contains($0 + 1) ? words[$0 + 1] : nil }
        ?? words.first { $0.hasPrefix("--base-url=") }.map { String($0.dropFirst("--base-url=".count)) }
    let local = words.first { $0.hasPrefix("http://127.0.0.1:") && $0.hasSuffix("/api/v1") }
    return seededCacheHome(baseURL: flag ?? local ?? environment["OPENROUTER_BASE_URL"] ?? "https://openrouter.ai/api/v1")
}

private let seededCacheHomes = SeededCacheHomes()

/// The seeded cache folders by base URL, shared by the tests that run in parallel. (A lock
/// ThreadSanitizer can see: it reported a global `Mutex`'s storage as raced.)
private final class SeededCacheHomes: @unchecked Sendable {
    // @unchecked Sendable, because: `homes` is read and written only while `lock` is held,
    // in `folder(for:make:)`, the one method that touches it.
    private let lock = NSLock()
    private var homes: [String: String] = [:]

    /// The folder for `baseURL`, made by `make` on first use.
    func folder(for baseURL: String, make: () -> String) -> String {
        lock.lock()
        defer { lock.unlock() }
        if let folder = homes[baseURL] { return folder }
        let folder = make()
        homes[baseURL] = folder
        return folder
    }
}
