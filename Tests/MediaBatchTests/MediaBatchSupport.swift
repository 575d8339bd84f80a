import FakeOpenRouter
import Files
import Foundation
import Manifest
import OpenRouter
import Reports
import Runner
import Support
import Tasks
import TestSupport

// The helpers that need mediabatch's library. Everything else the tests share (temp
// folders, child processes, the PNG parser, manifests for the CLI, seeds) is in the
// TestSupport target.

/// A fake OpenRouter on loopback for one test, stopped by the caller's `defer`; mediabatch's
/// process-wide runtime (libcurl, SIGPIPE) is started first.
func startFake(_ configure: (inout FakeConfiguration) -> Void = { _ in }) throws -> FakeOpenRouterServer {
    MediaBatchRuntime.start()
    return try startServer(configure)
}

/// A fake OpenRouter (see `startFake`) and a fresh temporary folder, what most tests of the
/// real binary work in; the caller's `defer { server.stop(); folder.remove() }` ends both.
func startFakeAndFolder(
    _ configure: (inout FakeConfiguration) -> Void = { _ in }
) throws -> (server: FakeOpenRouterServer, folder: TempFolder) {
    (try startFake(configure), TempFolder())
}

/// Loads a plan from manifest text written into `folder`.
func plan(_ manifest: String, in folder: TempFolder, name: String = "m.json") throws -> BatchPlan {
    let file = folder.write(name, manifest)
    return try BatchPlan(paths: [file], outputRoot: folder.path + "/out")
}

func imageTasks(_ plan: BatchPlan) -> [ImageTask] {
    plan.allTasks().compactMap { task in
        if case .image(let image) = task { return image }
        return nil
    }
}

/// Runs `manifest` against `server` through the library and returns the summary.
func runAgainst(
    _ server: FakeOpenRouterServer, manifest: String, in folder: TempFolder, concurrency: Int = 4,
    key: String = "test-key", configure: (inout RunOptions) -> Void = { _ in }
) throws -> RunSummary {
    let plan = try plan(manifest, in: folder)
    var options = RunOptions(endpoint: OpenRouterEndpoint(baseURL: server.baseURL, apiKey: key))
    options.concurrency = concurrency
    options.retryBaseDelay = 0.01
    configure(&options)
    return try BatchRunner(options: options).run(plan)
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

/// Names of files whose name marks them as a staged temp file.
func tempLeftovers(_ folder: TempFolder, under sub: String) -> [String] {
    folder.allFiles(under: sub).filter { $0.contains(FileIO.tempMarker) || $0.contains(".mbtmp-") }
}
