import FakeOpenRouter

// What the tests of video runs (the real binary against the fake's asynchronous video API) share.

/// `runEnvironment` with a fresh model-list cache in `folder`, so the fake's /videos/models
/// is the one validated against.
public func freshCacheEnvironment(_ folder: TempFolder) -> [String: String] {
    runEnvironment.merging(["XDG_CACHE_HOME": folder.path + "/cache"]) { $1 }
}

/// Fast polling: first after 0.1 s, growing to 0.4 s.
public let fastVideoPolls = ["--video-poll", "0.1,1.5,0.4"]

/// A 4 s 720p 16:9 clip without audio from Veo 3.1: the video defaults most tests use.
public let shortClipDefaults = #""model": "google/veo-3.1", "duration": 4, "resolution": "720p", "aspectRatio": "16:9", "generateAudio": false"#

/// A manifest `m` of these tasks (one JSON object each) under these video defaults.
public func videoManifest(_ tasks: [String], defaults: String = shortClipDefaults) -> String {
    "{\"name\": \"m\", \"defaults\": {\"video\": {\(defaults)}}, \"tasks\": [\n" + tasks.joined(separator: ",\n") + "\n]}\n"
}

/// The video jobs the fake was asked to make (`POST /videos`), in arrival order.
public func videoSubmits(_ server: FakeOpenRouterServer) -> [RecordedRequest] {
    server.requests().filter { $0.method == "POST" && $0.path == "/videos" }
}

/// `mediabatch run m.json` in `folder` against `server` with `extra` arguments, fast polls
/// and a fresh model-list cache.
public func runVideoBatch(_ server: FakeOpenRouterServer, in folder: TempFolder, _ extra: [String] = []) throws -> ProcessResult {
    try runCLI(runArguments(server, extra + fastVideoPolls), environment: freshCacheEnvironment(folder), in: folder.path)
}
