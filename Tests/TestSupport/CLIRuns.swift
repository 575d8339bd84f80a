import FakeOpenRouter
import Foundation

// Manifests, arguments and journal reading for tests that run the CLI against the fake.

/// A manifest of `count` tasks `t001`, `t002`, ... each with a distinct prompt (the fake
/// faults a request body's first attempts only, so identical bodies would share one fault
/// history). The default model and resolution make small (512x512) images so a big batch
/// stays quick.
public func distinctTasksManifest(
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
public func taskID(_ number: Int) -> String {
    "t" + String(repeating: "0", count: max(0, 3 - String(number).count)) + String(number)
}

/// The key, and no settings file (one in the shared temp HOME must not change these runs).
public let runEnvironment = ["OPENROUTER_API_KEY": "k", "XDG_CONFIG_HOME": "/nonexistent/mediabatch-reliability"]

/// `mediabatch run m.json` against `server`, writing under `root`.
public func runArguments(_ server: FakeOpenRouterServer, root: String = "out", _ extra: [String] = []) -> [String] {
    ["run", "m.json", "--output-root", root, "--base-url", server.baseURL] + extra
}

/// A journal read line by line: the records that parse, and how many lines did not.
public struct JournalLines {
    public var records: [[String: Any]] = []
    public var unparsable = 0

    public init(path: String) {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            if let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] {
                records.append(object)
            } else {
                unparsable += 1
            }
        }
    }

    public func records(_ event: String) -> [[String: Any]] { records.filter { $0["event"] as? String == event } }

    /// How many `done` records each task id has.
    public var doneCountByTask: [String: Int] {
        var counts: [String: Int] = [:]
        for record in records("done") { counts[record["task"] as? String ?? "?", default: 0] += 1 }
        return counts
    }
}
