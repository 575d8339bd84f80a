import Foundation

/// A test helper's own failure, thrown so that the test fails with `description`.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// Runs the external media tools (ffmpeg, ffprobe, mpg123) that independently check output.
/// A missing tool fails the test with a message instead of skipping it.
public enum MediaToolHarness {
    public typealias Result = ProcessResult

    /// The tool's path: the first match on the test's PATH, then the usual install folders.
    public static func locate(_ tool: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"]
        guard let found = dirs.map({ "\($0)/\(tool)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestSupportError("\(tool) is not installed; run the project's bootstrap script (scripts/bootstrap.sh) to install it")
        }
        return found
    }

    /// Runs `tool` with the working directory `directory`, both outputs captured (drained at
    /// once, so no deadlock however much a tool prints).
    public static func run(_ tool: String, _ arguments: [String], in directory: URL) throws -> Result {
        try runTool(try locate(tool), arguments, in: directory.path)
    }

    /// A fresh folder in the temporary directory; the caller removes it.
    public static func tempDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("mediabatch-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Seconds reported by `ffprobe -show_entries format=duration`; throws if ffprobe fails
    /// or prints no duration.
    public static func probeDuration(_ file: URL, in directory: URL) throws -> Double {
        let result = try run(
            "ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file.path], in: directory)
        guard result.status == 0 else {
            throw TestSupportError("ffprobe failed on \(file.lastPathComponent) (exit \(result.status)): \(result.stderr)")
        }
        let text = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let seconds = Double(text) else {
            throw TestSupportError("ffprobe printed no duration for \(file.lastPathComponent): \(text)")
        }
        return seconds
    }
}

/// ffmpeg decodes the bytes (written to a temporary file with `suffix`) completely and
/// reports nothing at error level.
public func decodesCleanly(_ bytes: [UInt8], suffix: String) throws -> Bool {
    let url = try temporaryFile(bytes, suffix: suffix)
    defer { try? FileManager.default.removeItem(at: url) }
    let result = try runTool(try MediaToolHarness.locate("ffmpeg"), ["-v", "error", "-i", url.path, "-f", "null", "-"])
    return result.status == 0 && result.stderr.isEmpty
}
