import Files
import Glibc
import ManifestDiagnostics
import Support

/// Which files an invocation's manifest arguments name: files as given, `-` for standard
/// input, and a folder's `*.json`, `*.jsonl` and `*.ndjson` files in name order. In a folder,
/// a `.json` file that has no `"tasks"` key anywhere in its text is not a manifest (a
/// `--defaults` file, a `package.json`): it is skipped with a note, never read as an empty
/// batch. A file named on its own is always a manifest.
public enum ManifestPaths {
    /// The manifest path that reads standard input.
    public static let standardInput = "-"

    /// The manifest files of `paths`, the problems (an unreadable or empty folder), and
    /// notes on skipped files.
    public static func files(_ paths: [String]) -> (files: [String], issues: [ManifestIssue], notes: [ManifestIssue]) {
        var files: [String] = []
        var issues: [ManifestIssue] = []
        var notes: [ManifestIssue] = []
        for path in paths {
            guard path != standardInput, FileIO.isDirectory(path) else {
                files.append(path)
                continue
            }
            do {
                let names = try FileIO.listFolder(path).filter { $0.hasSuffix(".json") || $0.hasSuffix(".jsonl") || $0.hasSuffix(".ndjson") }
                let folder = path.hasSuffix("/") ? path : path + "/"
                var taken = 0
                for name in names {
                    if name.hasSuffix(".json") && !mentionsTasks(folder + name) {
                        notes.append(ManifestIssue(file: folder + name, line: nil, field: "", value: nil,
                                                   message: "skipped: a .json file without a \"tasks\" key is not a manifest"))
                        continue
                    }
                    files.append(folder + name)
                    taken += 1
                }
                if taken == 0 { issues.append(ManifestIssue(file: path, line: nil, field: "", value: nil, message: "folder holds no .json or .jsonl manifest")) }
            } catch {
                issues.append(ManifestIssue(file: path, line: nil, field: "", value: nil, message: error.description))
            }
        }
        return (files, issues, notes)
    }

    /// True when the file's text holds `"tasks"` (read in full: manifests are read anyway).
    private static func mentionsTasks(_ path: String) -> Bool {
        guard let bytes = try? FileIO.readAll(path, limit: 512 << 20) else { return true }  // let the loader report it
        let needle = Array(#""tasks""#.utf8)
        guard bytes.count >= needle.count else { return false }
        for start in 0...(bytes.count - needle.count) where bytes[start] == needle[0] && bytes[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }

    private static let stdinText = Locked<[UInt8]?>(nil)

    /// Standard input, read once for the whole process (a plan may be loaded twice).
    static func readStandardInput(limit: Int) throws(FileError) -> [UInt8] {
        if let text = stdinText.withLock({ $0 }) { return text }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw FileError("read", "standard input") }
            if count == 0 { break }
            bytes += buffer[0..<count]
            if bytes.count > limit { throw FileError("read", "standard input", reason: "larger than the limit of \(limit) bytes") }
        }
        stdinText.withLock { $0 = bytes }
        return bytes
    }
}
